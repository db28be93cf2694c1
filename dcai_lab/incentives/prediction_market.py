"""The prediction market: stakes paid by their effect on a hidden test set
(contracts/trainers/PredictionMarket.sol).

Harris & Waggoner 2019, "Decentralized and Collaborative AI on Blockchain", §IV; the reward is in
the spirit of Abernethy & Frongillo 2011, simplified to one "train once" pass. The rules, each
enforced by the contract and reproduced by :func:`market_outcome`:

1. **Commitment.** The trainer's deployer (the *provider*) posts a bounty > 0 and the hashes of a
   test set split into 2 … 64 pieces: ``keccak256(abi.encode(bytes[] samples, uint256[] labels,
   bytes32 salt))``, each sample encoded as ``addData`` takes it (:attr:`Piece.hash`). One market
   per trainer.
2. **The chosen piece** is ``uint256(blockhash(commitBlock)) % numPieces``: the hash of the block
   that includes the commitment, unknown when the provider signs it. It must be revealed within
   256 blocks (BLOCKHASH's window), which opens participation for ``participation_time`` seconds.
   It is not used for scoring. (``block.prevrandao`` was rejected: the next block's value is known
   a block ahead, so a provider choosing when to reveal could wait for a piece they like.) Block
   hashes differ between the pyevm and revm engines, so the chosen index may too.
3. **Participation.** ``add_data`` stakes the whole value sent, at least ``min_stake`` wei; the
   model is not trained yet.
4. **Reveal.** After participation and before ``reveal_deadline`` (= end + ``reveal_time``) the
   provider reveals the other pieces in index order. The evaluation set (those pieces, in order)
   holds at most 262,144 bytes of samples.
5. **Scoring** (anyone, in batches): evaluate the initial model, then for each contribution in id
   order train on it and re-evaluate; ``score = right answers after − before``. A contribution
   whose training reverts in the model (a parameter out of range) is skipped and scores 0.
6. **Payouts.** Score < 0: the stake is forfeited. Score 0: stake back. Score > 0: stake back plus
   ``⌊pool · S_a / P⌋`` of the pool = bounty + forfeited stakes, where ``S_a`` is the address's sum
   of helpful scores and ``P`` everybody's. ``P = 0``: the pool goes back to the provider. The
   rounding dust goes to the provider when the last helpful address withdraws.
7. **Liveness.** Pieces not all revealed by the deadline: the market is cancelled; each
   contribution gets its stake back plus ``⌊bounty / n⌋``, the remainder goes to contribution 0's
   contributor (no contribution at all: the bounty goes back to the provider).
8. **Cancelling.** Before anyone has staked the provider may cancel and get the bounty back.
9. **Pull payments.** Everything is credited, and paid by ``withdraw``.
"""

from __future__ import annotations

import copy
import enum
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from eth_abi import encode
from eth_utils import keccak

from ..engines._base import TX_GAS_CAP
from ..errors import ConfigError
from ..models import _samples
from ..trainer import Trainer
from ._base import Incentive, check_wait, days

if TYPE_CHECKING:
    from ..gas import TxRecord
    from ..models._base import OnChainModel

#: The contract's bounds (PredictionMarket.MAX_PIECES, MAX_EVALUATION_BYTES).
MAX_PIECES = 64
MAX_EVALUATION_BYTES = 262_144
#: Gas a scoring transaction aims at: half the cap, so an estimate that is off never fails.
PROCESS_GAS_TARGET = TX_GAS_CAP // 2


class Phase(enum.IntEnum):
    """Where a market stands (``PredictionMarket.Phase``)."""

    OPEN = 0
    COMMITTED = 1
    PARTICIPATION = 2
    REVEAL = 3
    PROCESSING = 4
    FINISHED = 5
    CANCELLED = 6


@dataclass(frozen=True)
class PredictionMarket(Incentive):
    """A provider pays a bounty for data that improves the model on a hidden test set; see the
    module's docstring for every rule. Amounts in wei, times in seconds."""

    min_stake: int = 10**15
    participation_time: int = days(7)
    reveal_time: int = days(1)

    contract_name: ClassVar[str] = "PredictionMarket"

    def __post_init__(self) -> None:
        if not isinstance(self.min_stake, int) or not 0 < self.min_stake < 2**96:
            raise ConfigError(f"min_stake must be a whole number of wei, at least 1, not {self.min_stake!r}.")
        check_wait("participation_time", self.participation_time)
        check_wait("reveal_time", self.reveal_time)
        if self.participation_time == 0 or self.reveal_time == 0:
            raise ConfigError("participation_time and reveal_time must each be at least one second.")
        if self.participation_time + self.reveal_time >= 2**32:
            raise ConfigError("participation_time + reveal_time must stay under 2^32 seconds (136 years).")

    def _constructor_args(self) -> list:
        return [self.min_stake, self.participation_time, self.reveal_time]

    @classmethod
    def _trainer_class(cls) -> type[Trainer]:
        return MarketTrainer


# -- the test set, in pieces ----------------------------------------------------------------------
@dataclass(frozen=True)
class Piece:
    """One piece of a test set: compact samples of a sparse or dense model, labels, and the
    secret salt of its hash."""

    samples: tuple[tuple[int, ...], ...]
    labels: tuple[int, ...]
    salt: bytes
    sparse: bool

    def as_args(self) -> tuple[list[bytes], list[int], bytes]:
        """``(samples, labels, salt)`` as the contract takes a piece (samples as ``addData`` takes them)."""
        return [_samples.pack(s, self.sparse) for s in self.samples], list(self.labels), self.salt

    @property
    def hash(self) -> bytes:
        """``keccak256(abi.encode(bytes[] samples, uint256[] labels, bytes32 salt))``, as the contract."""
        return keccak(encode(["bytes[]", "uint256[]", "bytes32"], list(self.as_args())))

    @property
    def size(self) -> int:
        """Bytes of the samples, as the contract counts them against MAX_EVALUATION_BYTES."""
        return sum(len(s) for s in self.as_args()[0])


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
    ``⌊i · len / n⌋``); every piece needs at least one sample."""
    if not 2 <= n_pieces <= MAX_PIECES:
        raise ConfigError(f"a test set is split into 2 … {MAX_PIECES} pieces, not {n_pieces}.")
    if len(samples) != len(labels) or len(samples) < n_pieces:
        raise ConfigError(f"{len(samples)} samples and {len(labels)} labels cannot make {n_pieces} pieces "
                          f"of at least one sample each.")
    bounds = [i * len(samples) // n_pieces for i in range(n_pieces + 1)]
    return [Piece(tuple(map(tuple, samples[a:b])), tuple(int(v) for v in labels[a:b]), salt, sparse)
            for a, b, salt in zip(bounds, bounds[1:], salts(n_pieces, seed))]


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
    """What a market ends with: per-contribution scores, the initial right answers, the pool, and
    what each address receives in all (stakes back included) once everybody has withdrawn."""

    scores: list[int]
    baseline: int
    pool: int
    payouts: dict[str, int]
    skipped: list[int] = field(default_factory=list)
    model: Any = None


def _right_answers(model: OnChainModel, evaluation: Sequence[tuple[tuple[int, ...], int]]) -> int:
    return sum(model._predict_sample(s) == label for s, label in evaluation)


def market_outcome(model: OnChainModel, entries: Sequence[MarketEntry],
                   evaluation: Sequence[tuple[tuple[int, ...], int]], bounty: int, provider: str) -> MarketOutcome:
    """Score and pay a market exactly as the contract does (rules 5 and 6), without a chain.

    ``model`` is the initial twin (left unchanged), ``evaluation`` the ``(sample, label)`` pairs of
    every piece but the chosen one, in order. The trained twin is ``outcome.model``.
    """
    model = copy.deepcopy(model)
    correct = _right_answers(model, evaluation)
    baseline = correct
    scores, skipped = [], []
    credit: dict[str, int] = defaultdict(int)
    helpful: dict[str, int] = defaultdict(int)
    forfeited = 0
    for i, e in enumerate(entries):
        trial = copy.deepcopy(model)
        try:
            trial._update_sample(e.sample, e.label)
        except ConfigError:  # the contract's model reverts: skipped, score 0
            skipped.append(i)
            after = correct
        else:
            model = trial
            after = _right_answers(model, evaluation)
        score, correct = after - correct, after
        scores.append(score)
        if score < 0:
            forfeited += e.stake
        else:
            credit[e.contributor] += e.stake
            if score > 0:
                helpful[e.contributor] += score
    pool = bounty + forfeited
    total = sum(helpful.values())
    shares = {a: pool * s // total for a, s in helpful.items()} if total else {}
    for a, share in shares.items():
        credit[a] += share
    credit[provider] += pool - sum(shares.values())
    return MarketOutcome(scores, baseline, pool, {a: v for a, v in credit.items() if v}, skipped, model)


def cancelled_outcome(entries: Sequence[MarketEntry], bounty: int, provider: str) -> dict[str, int]:
    """What each address receives from a cancelled market (rules 7 and 8)."""
    credit: dict[str, int] = defaultdict(int)
    if not entries:
        credit[provider] += bounty
    for i, e in enumerate(entries):
        credit[e.contributor] += e.stake + bounty // len(entries)
        if i == 0:
            credit[e.contributor] += bounty % len(entries)
    return dict(credit)


# -- the handle -----------------------------------------------------------------------------------
class MarketTrainer(Trainer):
    """A trainer under the prediction market: the provider's and the scorers' methods."""

    _pieces: list[Piece] | None = None

    # -- the provider ------------------------------------------------------------------------------
    def commit(self, X_test: Any, y_test: Any, *, bounty: int, pieces: int = 5, seed: int | None = None,
               sender: str | None = None) -> TxRecord:
        """Split the test set into salted ``pieces``, keep them here, and commit to their hashes
        with ``bounty`` wei. ``seed`` makes the salts reproducible (see :func:`salts`)."""
        samples = [self._to_sample(x) for x in _samples.rows(X_test)]
        labels = _samples.labels(y_test, self._model.n_classes)
        split = split_test_set(samples, labels, pieces, sparse=self._sparse, seed=seed)
        largest = sum(p.size for p in split) - min(p.size for p in split)
        if largest > MAX_EVALUATION_BYTES:
            raise ConfigError(f"the test set would leave up to {largest} bytes of samples to evaluate, more "
                              f"than the contract's {MAX_EVALUATION_BYTES}: use fewer or smaller samples.")
        self.contract.commit([p.hash for p in split], sender=sender, value=bounty)
        self._pieces = split
        return self.lab.last_tx

    @property
    def pieces(self) -> list[Piece]:
        """The pieces this handle committed to (salts included): the provider's secret."""
        if self._pieces is None:
            raise ConfigError("this handle did not commit the test set, so it does not know the pieces; "
                              "use the handle that called commit().")
        return self._pieces

    def chosen_piece(self) -> int:
        """Index of the piece revealed at commitment (drawn from the commit block's hash).

        Calls run on the latest block, where the commit block's own hash is not yet readable;
        then the draw is read one block later inside ``lab.anchor()``, which leaves no trace.
        """
        if self.phase == Phase.COMMITTED and self.lab.block_number <= self.contract.commitBlock():
            with self.lab.anchor():
                self.lab.time_travel(blocks=1)
                return int(self.contract.drawnPiece())
        return int(self.contract.drawnPiece())

    def reveal_chosen_piece(self, *, sender: str | None = None) -> TxRecord:
        """Reveal the drawn piece, which opens participation."""
        self.contract.revealChosenPiece(*self.pieces[self.chosen_piece()].as_args(), sender=sender)
        return self.lab.last_tx

    def reveal_pieces(self, *, sender: str | None = None) -> list[TxRecord]:
        """Reveal every other piece, in index order (after participation, before the deadline)."""
        records = []
        while self.contract.piecesRevealed() < self.contract.numPieces():
            self.contract.revealPiece(*self.pieces[self.contract.nextPieceToReveal()].as_args(), sender=sender)
            records.append(self.lab.last_tx)
        return records

    def cancel(self, *, sender: str | None = None) -> TxRecord:
        """Cancel the market before anyone staked; the bounty becomes withdrawable."""
        self.contract.cancelMarket(sender=sender)
        return self.lab.last_tx

    # -- participants ------------------------------------------------------------------------------
    def next_cost(self) -> int:
        """The smallest stake (wei); ``add_data(..., value=…)`` may stake more."""
        return int(self.contract.minStake())

    # -- scoring -------------------------------------------------------------------------------------
    def revealed_pieces(self) -> dict[int, Piece]:
        """Every piece revealed so far, by index, rebuilt from ``PieceRevealed`` events."""
        found = {}
        for log in self.lab._engine.logs(self.address):
            event = self.contract._decode_log(log)
            if event is not None and event.name == "PieceRevealed":
                a = event.args
                samples = tuple(self._decode(s) for s in a["samples"])
                found[a["index"]] = Piece(samples, tuple(a["labels"]), a["salt"], self._sparse)
        return found

    def evaluation_set(self) -> list[Piece]:
        """Every piece but the chosen one, in index order: what scoring evaluates on."""
        chosen = self.contract.chosenPiece()
        revealed = self.revealed_pieces()
        return [revealed[i] for i in sorted(revealed) if i != chosen]

    def process(self, *, batch_size: int | None = None, max_predictions: int | None = None,
                sender: str | None = None) -> list[TxRecord]:
        """Score (or, in a cancelled market, settle) every remaining contribution, in as many
        transactions as needed. Each does at most ``max_predictions`` predictions, or enough for
        ``batch_size`` contributions; by default the budget is sized from the gas the previous
        transaction used per prediction, aiming at half the per-transaction gas cap."""
        records: list[TxRecord] = []
        contributions = self.contributions()
        phase = self.phase
        if phase == Phase.FINISHED:
            return records
        if phase in (Phase.REVEAL, Phase.PARTICIPATION) and self.lab.timestamp + 1 >= self.contract.revealDeadline():
            phase = Phase.CANCELLED
        if phase == Phase.CANCELLED:
            while self._progress()[0] < len(contributions):
                start = self._progress()[0]
                self.contract.process(self._entries(contributions[start:start + (batch_size or 200)]), [], 0,
                                      sender=sender)
                records.append(self.lab.last_tx)
            return records
        evaluation = [p.as_args() for p in self.evaluation_set()]
        size = int(self.contract.evaluationSize())
        budget = max_predictions or max(1, min(size, 64))
        while True:  # at least once: in a wrong phase the contract explains why (WrongPhase)
            processed, cursor, _correct, _before, baseline_done, _trained = self._progress()
            if batch_size:  # finish the current evaluation, then `batch_size` more contributions
                budget = size * batch_size + (0 if baseline_done else size) - cursor
            count = budget // max(1, size) + 2
            entries = self._entries(contributions[processed:processed + count])
            self.contract.process(entries, evaluation, budget, sender=sender)
            record = self.lab.last_tx
            records.append(record)
            if max_predictions is None and batch_size is None:
                budget = self._next_budget(record, budget)
            if self.phase != Phase.PROCESSING:
                return records

    def _next_budget(self, record: TxRecord, budget: int) -> int:
        """Predictions that fit the gas target, given what the last transaction used for ``budget``."""
        per_prediction = max(1, record.gas_used // max(1, budget))
        return max(1, PROCESS_GAS_TARGET // per_prediction)

    def _entries(self, contributions: Sequence) -> list[tuple]:
        return [(c.id, self._encode(c.sample), c.label, c.contributor) for c in contributions]

    def _decode(self, data: bytes) -> tuple[int, ...]:
        """A sample as ``addData`` takes it (and ``PieceRevealed`` repeats it), back to compact form."""
        return _samples.unpack(data, self._sparse)

    def _progress(self) -> tuple:
        return self.contract.progress()

    # -- results and payments --------------------------------------------------------------------
    @property
    def phase(self) -> Phase:
        """Where the market stands now."""
        return Phase(self.contract.phase())

    def scores(self) -> list[int]:
        """The score of every contribution scored so far, by id."""
        processed = self._progress()[0]
        return [int(self.contract.scoreOf(i)) for i in range(processed)]

    def owed(self, address: str) -> int:
        """What ``address`` may withdraw now, in wei."""
        return int(self.contract.owed(self.lab._address(address)))

    def withdraw(self, *, sender: str | None = None) -> TxRecord:
        """Withdraw everything credited to ``sender``."""
        self.contract.withdraw(sender=sender)
        return self.lab.last_tx

    def outcome(self, initial_model: OnChainModel) -> MarketOutcome:
        """What the twin says this market pays, from ``initial_model`` and the chain's events."""
        entries = [MarketEntry(c.sample, c.label, c.contributor, c.deposit) for c in self.contributions()]
        evaluation = [(s, label) for p in self.evaluation_set() for s, label in zip(p.samples, p.labels)]
        return market_outcome(initial_model, entries, evaluation, int(self.contract.bounty()),
                              self.contract.provider())
