"""What every incentive mechanism's Python side shares.

An incentive is a small frozen description of the rules (waits, prices) that ``lab.deploy(model,
incentive=…)`` turns into constructor arguments. The contract that runs is the model's contract
joined to the mechanism's: ``<Model>With<Mechanism>``, which the build generates (contracts/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..errors import whole_number

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def minutes(n: float) -> int:
    """``n`` minutes in seconds, the unit every wait is given in."""
    return round(n * MINUTE)


def hours(n: float) -> int:
    """``n`` hours in seconds."""
    return round(n * HOUR)


def days(n: float) -> int:
    """``n`` days in seconds."""
    return round(n * DAY)


@dataclass(frozen=True)
class Incentive:
    """Base class of the incentive mechanisms' descriptions."""

    #: The Solidity mechanism joined to the model (``<Model>With<contract_name>``).
    contract_name: ClassVar[str]

    def _constructor_args(self) -> list:
        """The mechanism's constructor arguments, after the model's."""
        raise NotImplementedError


def check_wait(name: str, seconds: int) -> None:
    """Waits are whole seconds that a block timestamp (40 bits here) can hold."""
    whole_number(name, seconds, 0, 2**40 - 1, hint=" Waits are in seconds: write e.g. days(1) or hours(2) "
                 "(from dcai_lab.incentives).")
