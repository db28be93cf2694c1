"""Deposit, refund and take: self-assessment with money at stake (contracts/trainers/DepositRefundTake.sol)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..errors import ConfigError, whole_number
from ._base import Incentive, check_wait, days

#: Largest cost weight: the deposit after one second of quiet (weight × 3600) must fit 96 bits.
MAX_COST_WEIGHT = (2**96 - 1) // 3600


def deposit_cost(cost_weight: int, seconds_since_last: int) -> int:
    """The deposit in wei: ``cost_weight · 3600 / ⌊√Δt⌋`` (Δt in seconds; ⌊√0⌋ is taken as 1).

    The original framework's rule (microsoft/0xDeCA10B, Stakeable.sol): a rush of contributions
    is expensive: one second after the last contribution the deposit is ``3600 · cost_weight``,
    after an hour ``60 · cost_weight``, after a day about ``12 · cost_weight``.
    """
    if cost_weight == 0:
        return 0
    return cost_weight * 3600 // max(1, math.isqrt(seconds_since_last))


@dataclass(frozen=True)
class DepositRefundTake(Incentive):
    """Contributors pay a deposit; the model's later agreement decides who gets it.

    - **refund**: after ``refund_wait`` seconds, if the model still predicts the label, the
      contributor gets back everything left of the deposit (once) and one *validated*
      contribution.
    - **take** (``report``): after ``refund_wait``, if the model disagrees, any other address with
      validated contributions takes ``⌊deposit · validated(taker) / validated(all)⌋`` (capped by
      what is left), once per taker. After ``take_wait`` anyone, the contributor included, takes
      everything left.

    ``cost_weight`` is in wei (an hour after the last contribution the deposit is 60 times it);
    waits are in seconds.
    The original's "owner claim" was unreachable (its owner was the trainer contract) and is
    dropped: no party may take deposits on trust.
    """

    cost_weight: int = 10**15
    refund_wait: int = days(1)
    take_wait: int = days(9)

    contract_name: ClassVar[str] = "DepositRefundTake"

    def __post_init__(self) -> None:
        whole_number("cost_weight", self.cost_weight, 0, MAX_COST_WEIGHT,
                     hint=" It is in wei: an hour after the last contribution the deposit is 60 times it.")
        check_wait("refund_wait", self.refund_wait)
        check_wait("take_wait", self.take_wait)
        if self.refund_wait >= self.take_wait:
            raise ConfigError(f"refund_wait ({self.refund_wait} s) must be shorter than take_wait "
                              f"({self.take_wait} s): deposits must be refundable before anyone may take them.")

    def _constructor_args(self) -> list:
        return [self.cost_weight, self.refund_wait, self.take_wait]
