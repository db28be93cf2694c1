"""The prediction market: stakes paid by their effect on a hidden test set
(contracts/trainers/PredictionMarket.sol, whose header states every rule).

Harris & Waggoner 2019, "Decentralized and Collaborative AI on Blockchain", §IV, after Abernethy &
Frongillo 2011. In short:

1. **Commitment.** The trainer's deployer (the *provider*) posts a bounty and commits to a test set
   split into 2 … 64 salted pieces (:class:`Piece`; at most 65,536 bytes in all), and says how many
   points of improvement the bounty buys (``points_bought``; 0: all it could gain). No cancelling.
2. **The chosen piece**, drawn from the commit block's hash, is revealed at once (within 256 blocks)
   and opens participation for ``participation_time`` seconds. It is not scored.
3. **Participation.** ``add_data`` stakes the whole value sent (at least ``min_stake``); the model
   is not trained yet.
4. **Reveal.** After participation and before ``reveal_time`` more seconds, the provider reveals
   the rest (``reveal_test_set``); the contract evaluates the initial model (the *baseline*). A
   test sample is worth up to ±1,000 *points* (:data:`SAMPLE_POINTS`), in proportion to the
   model's margin for its label (``model.assess``) up to the *margin scale*, twice the initial
   model's mean |margin|. The price of a point: the bounty over ``points_bought``, or over the
   points the model could still gain (its *room*) if ``points_bought`` is 0 or above the room.
5. **Scoring** (anyone, ``process``): in id order, train on each contribution and evaluate:
   ``score = points after − points before``. A contribution that lowers the points or the right
   answers is undone, so the model never gets fewer test samples right.
6. **Payouts.** Each contribution pays ``scoring_fee`` to whoever scored it; of the rest ``s``, a
   kept one gains ``min(score · price, s, what is left of the bounty)`` (score > 0), and one with
   score < 0 loses ``min(|score| · price, s)`` (burned). The provider gets the unspent bounty back.
7. **Lapse.** A provider who misses a deadline loses the bounty (burned); every stake comes back.

Why points rather than right answers: one contribution flips few predictions, so its change in
right answers is mostly noise, and keeping what raised them tunes the model to the test set until
good data scores below zero as often as bad (the winner's curse). Margins move a little for many
test samples at once and say reliably which way a contribution pushes the model
(``benchmarks/market_outcomes.py`` measures both).

:func:`market_outcome` is the twin: it computes every score and payout to the wei, without a chain.
The handle that drives a market on chain is ``dcai_lab.trainers.market.MarketTrainer``.
"""

from __future__ import annotations

import copy
import enum
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from eth_abi import encode
from eth_utils import keccak

from ..errors import ConfigError
from ..models import _samples
from ._base import Incentive, check_wait, days

if TYPE_CHECKING:
    from ..models._base import OnChainModel

#: The contract's bounds (PredictionMarket.sol).
SAMPLE_POINTS = 1_000
MAX_PIECES = 64
MAX_EVALUATION_BYTES = 65_536
MAX_SAMPLE_BYTES = 8_192
#: Most points a commitment may buy (``pointsBought`` is a uint32).
MAX_POINTS_BOUGHT = 2**32 - 1
STEP_GAS = 14_000_000
EVALUATION_GAS_LIMIT = 7_000_000
BURN_ADDRESS = "0x000000000000000000000000000000000000dEaD"
#: Bytes of calldata a scoring batch may carry: well under the 131,072 public nodes relay, and
#: cheap enough (16 gas a byte) that the batch's first step still gets the whole STEP_GAS.
PROCESS_CALLDATA_BUDGET = 100_000
_SALT_BYTES = 32


class Phase(enum.IntEnum):
    """Where a market stands (``PredictionMarket.Phase``)."""

    OPEN = 0
    COMMITTED = 1
    PARTICIPATION = 2
    REVEAL = 3
    SCORING = 4
    FINISHED = 5
    CANCELLED = 6

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class PredictionMarket(Incentive):
    """A provider pays for data that improves the model on a hidden test set; see the module's
    docstring for every rule. Amounts in wei, times in seconds."""

    min_stake: int = 10**16
    scoring_fee: int = 10**14
    participation_time: int = days(7)
    reveal_time: int = days(1)

    contract_name: ClassVar[str] = "PredictionMarket"

    def __post_init__(self) -> None:
        for name in ("min_stake", "scoring_fee"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**96:
                raise ConfigError(f"{name} must be a whole number of wei (0 … 2^96 − 1), not {value!r}.")
        if self.min_stake <= self.scoring_fee:
            raise ConfigError(f"min_stake ({self.min_stake} wei) must be more than scoring_fee "
                              f"({self.scoring_fee} wei): something must be at risk besides the fee.")
        check_wait("participation_time", self.participation_time)
        check_wait("reveal_time", self.reveal_time)
        if self.participation_time == 0 or self.reveal_time == 0:
            raise ConfigError("participation_time and reveal_time must each be at least one second.")
        if self.participation_time + self.reveal_time >= 2**32:
            raise ConfigError("participation_time + reveal_time must stay under 2^32 seconds (136 years).")

    def _constructor_args(self) -> list:
        return [self.min_stake, self.scoring_fee, self.participation_time, self.reveal_time]


# -- the test set, in pieces ----------------------------------------------------------------------
@dataclass(frozen=True)
class Piece:
    """One piece of a test set: compact samples of a sparse or dense model, their labels, and the
    secret salt that makes its hash unguessable."""

    samples: tuple[tuple[int, ...], ...]
    labels: tuple[int, ...]
    salt: bytes
    sparse: bool

    @property
    def data(self) -> bytes:
        """The piece as the contract takes it: the salt, then per sample a 2-byte label, a 2-byte
        length and the sample packed as ``addData`` takes it."""
        records = []
        for sample, label in zip(self.samples, self.labels):
            packed = _samples.pack(sample, self.sparse)
            records.append(label.to_bytes(2, "big") + len(packed).to_bytes(2, "big") + packed)
        return self.salt + b"".join(records)

    @property
    def hash(self) -> bytes:
        """``keccak256(data)``, the commitment."""
        return keccak(self.data)

    @classmethod
    def from_data(cls, data: bytes, sparse: bool) -> Piece:
        """The piece that :attr:`data` encodes (as ``PieceRevealed`` events repeat it)."""
        samples, labels, offset = [], [], _SALT_BYTES
        while offset < len(data):
            label, length = int.from_bytes(data[offset:offset + 2], "big"), int.from_bytes(data[offset + 2:offset + 4], "big")
            samples.append(_samples.unpack(data[offset + 4:offset + 4 + length], sparse))
            labels.append(label)
            offset += 4 + length
        return cls(tuple(samples), tuple(labels), data[:_SALT_BYTES], sparse)


def salts(n: int, seed: int | None = None) -> list[bytes]:
    """``n`` 32-byte salts: random, or ``keccak(seed, i)`` for a reproducible lesson.

    A seeded salt is only as secret as the seed: fine for teaching, not for a real market.
    """
    if seed is None:
        return [os.urandom(32) for _ in range(n)]
    return [keccak(encode(["uint256", "uint256"], [seed, i])) for i in range(n)]


def split_test_set(samples: Sequence[tuple[int, ...]], labels: Sequence[int], n_pieces: int,
                   *, sparse: bool, seed: int | None = None) -> list[Piece]:
    """Split compact samples into ``n_pieces`` contiguous, salted pieces (the original's bounds
    ``⌊i · len / n⌋``); every piece needs at least one sample, and all together fit the contract's
    65,536 bytes."""
    if not isinstance(n_pieces, int) or not 2 <= n_pieces <= MAX_PIECES:
        raise ConfigError(f"a test set is split into 2 … {MAX_PIECES} pieces, not {n_pieces!r}.")
    if len(samples) != len(labels) or len(samples) < n_pieces:
        raise ConfigError(f"{len(samples)} samples and {len(labels)} labels cannot make {n_pieces} pieces "
                          f"of at least one sample each.")
    bounds = [i * len(samples) // n_pieces for i in range(n_pieces + 1)]
    pieces = [Piece(tuple(map(tuple, samples[a:b])), tuple(int(v) for v in labels[a:b]), salt, sparse)
              for a, b, salt in zip(bounds, bounds[1:], salts(n_pieces, seed))]
    total = sum(len(p.data) for p in pieces)
    if total > MAX_EVALUATION_BYTES:
        raise ConfigError(f"the test set takes {total:,} bytes as pieces, more than the contract's "
                          f"{MAX_EVALUATION_BYTES:,} (a scoring transaction must carry it whole): use fewer "
                          f"samples, or fewer present features.")
    return pieces


# -- the twin: scores and payouts in pure Python --------------------------------------------------
@dataclass(frozen=True)
class MarketEntry:
    """A contribution as the market scores it: compact sample, label, contributor, stake (wei)."""

    sample: tuple[int, ...]
    label: int
    contributor: str
    stake: int


@dataclass
class MarketOutcome:
    """What a market ends with.

    ``scores`` (in points) and ``kept`` per contribution; ``payouts[i]`` the wei contribution i
    gained (> 0) or lost (< 0) besides its fee; ``baseline`` / ``final`` the right answers of the
    initial and final model, ``baseline_points`` / ``final_points`` their points at
    ``margin_scale``; ``price`` wei per point; ``credits`` what each address withdraws in all
    (stakes back included); ``burned`` the losses; ``model`` the trained twin.
    """

    scores: list[int]
    kept: list[bool]
    payouts: list[int]
    baseline: int
    final: int
    baseline_points: int
    final_points: int
    margin_scale: int
    price: int
    bounty_paid: int
    burned: int
    credits: dict[str, int]
    skipped: list[int]
    model: Any


def right_answers(model: OnChainModel, evaluation: Sequence[tuple[tuple[int, ...], int]]) -> int:
    """How many ``(sample, label)`` pairs the twin classifies right."""
    return sum(model._predict_sample(s) == label for s, label in evaluation)


def sample_points(margin: int, scale: int) -> int:
    """A test sample's points: ``margin · SAMPLE_POINTS / scale`` rounded toward zero (as the
    EVM's signed division), clamped to ±SAMPLE_POINTS."""
    magnitude = min(abs(margin) * SAMPLE_POINTS // scale, SAMPLE_POINTS)
    return magnitude if margin >= 0 else -magnitude


def margin_scale(model: OnChainModel, evaluation: Sequence[tuple[tuple[int, ...], int]]) -> int:
    """The margin at which a test sample is worth all its points: twice the mean |margin|, at least 1."""
    if not evaluation:
        raise ConfigError("the evaluation set is empty.")
    total = sum(abs(model._assess_sample(s, label)[0]) for s, label in evaluation)
    return max(1, 2 * total // len(evaluation))


def evaluate(model: OnChainModel, evaluation: Sequence[tuple[tuple[int, ...], int]], scale: int) -> tuple[int, int]:
    """``(right answers, points)`` of the twin on ``(sample, label)`` pairs, at ``scale``."""
    correct = points = 0
    for s, label in evaluation:
        margin, right = model._assess_sample(s, label)
        correct += right
        points += sample_points(margin, scale)
    return correct, points


def points_paid_for(points_bought: int, room: int) -> int:
    """The points the bounty pays for: ``points_bought``, or the ``room`` the model has to gain if
    ``points_bought`` is 0 or above it (rule 4)."""
    return room if points_bought == 0 or points_bought > room else points_bought


def price_per_point(bounty: int, evaluation_size: int, baseline_points: int, points_bought: int = 0) -> int:
    """Wei per point (rule 4): the bounty over the points it pays for, the room being
    ``evaluation_size · SAMPLE_POINTS − baseline_points``."""
    room = evaluation_size * SAMPLE_POINTS - baseline_points
    return bounty // max(points_paid_for(points_bought, room), 1)


def market_outcome(model: OnChainModel, entries: Sequence[MarketEntry],
                   evaluation: Sequence[tuple[tuple[int, ...], int]], bounty: int, provider: str, *,
                   scoring_fee: int, scorer: str | Sequence[str], points_bought: int = 0) -> MarketOutcome:
    """Score and pay a market exactly as the contract does (rules 4 to 6), without a chain.

    ``model`` is the initial twin (left unchanged), ``evaluation`` the ``(sample, label)`` pairs of
    every piece but the chosen one, in order; ``scorer`` who scored the contributions (one address,
    or one per contribution); ``points_bought`` as committed. Assumes every step fits the
    contract's STEP_GAS.
    """
    scorers = [scorer] * len(entries) if isinstance(scorer, str) else list(scorer)
    model = copy.deepcopy(model)
    scale = margin_scale(model, evaluation)
    baseline, baseline_points = correct, points = evaluate(model, evaluation, scale)
    price = price_per_point(bounty, len(evaluation), baseline_points, points_bought)
    scores, kept, payouts, skipped = [], [], [], []
    credits: dict[str, int] = defaultdict(int)
    bounty_paid = burned = 0
    for i, e in enumerate(entries):
        trial = copy.deepcopy(model)
        try:
            trial._update_sample(e.sample, e.label)
        except ConfigError:  # the contract's model reverts: not kept, score 0
            skipped.append(i)
            after, keep = (correct, points), False
        else:
            after = evaluate(trial, evaluation, scale)
            keep = after[1] >= points and after[0] >= correct
        score = after[1] - points
        at_risk = e.stake - scoring_fee
        if score < 0:
            payout = -min(-score * price, at_risk)
        else:  # a gain: within the stake, and within what is left of the bounty
            payout = min(score * price, at_risk, bounty - bounty_paid) if keep else 0
        if keep:
            model, (correct, points) = trial, after
        bounty_paid += max(payout, 0)
        burned += max(-payout, 0)
        credits[e.contributor] += at_risk + payout
        credits[scorers[i]] += scoring_fee
        scores.append(score)
        kept.append(keep)
        payouts.append(payout)
    credits[provider] += bounty - bounty_paid
    return MarketOutcome(scores, kept, payouts, baseline, correct, baseline_points, points, scale, price,
                         bounty_paid, burned, {a: v for a, v in credits.items() if v}, skipped, model)


def lapsed_outcome(entries: Sequence[MarketEntry]) -> dict[str, int]:
    """What each address withdraws from a lapsed market: its stakes, whole (the bounty is burned)."""
    credits: dict[str, int] = defaultdict(int)
    for e in entries:
        credits[e.contributor] += e.stake
    return dict(credits)
