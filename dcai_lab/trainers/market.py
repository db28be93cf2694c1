"""The prediction market's handle: what the provider, the scorers and every participant do on
chain. The rules and the payout twin are in :mod:`dcai_lab.incentives.prediction_market`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, whole_number
from ..incentives.prediction_market import (EVALUATION_GAS_LIMIT, MAX_POINTS_BOUGHT, MAX_SAMPLE_BYTES,
                                            PROCESS_CALLDATA_BUDGET, SAMPLE_POINTS, MarketEntry, MarketOutcome, Phase,
                                            Piece, evaluate, market_outcome, points_paid_for, split_test_set)
from ..models import _samples
from .trainer import Trainer

if TYPE_CHECKING:
    from ..gas.report import TxRecord
    from ..models._base import OnChainModel

__all__ = ["MarketTrainer"]


class MarketTrainer(Trainer):
    """A trainer under the prediction market: the provider's, the scorers' and everyone's methods."""

    _pieces: list[Piece] | None = None

    # -- the provider ------------------------------------------------------------------------------
    def commit(self, X_test: Any, y_test: Any, *, bounty: int, pieces: int = 5, points_bought: int = 0,
               seed: int | None = None, sender: str | None = None) -> TxRecord:
        """Split the test set into salted ``pieces``, keep them here, and commit to their hashes
        with ``bounty`` wei for ``points_bought`` points of improvement (0: every point the model
        could still gain, priced as if the bounty paid for a perfect model; a market gains far
        fewer, so buying fewer pays honest data more per point). ``seed`` makes the salts
        reproducible (see :func:`salts`).

        Checked before anything is sent: the pieces fit the contract's bounds, ``points_bought``
        is a whole number the contract takes, the bounty buys at least 1 wei per point, and
        evaluating the model on the test set fits the gas the contract allows (measured on the
        model as it is now).
        """
        whole_number("points_bought", points_bought, 0, MAX_POINTS_BOUGHT,
                     hint=" It counts points; 0 pays for every point the model could gain.")
        samples = [self._to_sample(x) for x in _samples.rows(X_test)]
        labels = _samples.labels(y_test, self._model.n_classes)
        split = split_test_set(samples, labels, pieces, sparse=self._sparse, seed=seed)
        # Up to this many points could still be gained (every scored sample from −1,000 to +1,000).
        room = 2 * SAMPLE_POINTS * (len(samples) - min(len(p.samples) for p in split))
        bought = points_paid_for(points_bought, room)
        if not isinstance(bounty, int) or isinstance(bounty, bool) or bounty < bought:
            raise ConfigError(f"a bounty of {bounty!r} wei may buy less than 1 wei per point (up to {bought:,} points "
                              f"can be paid for): post at least {bought:,} wei.")
        gas = sorted(int(self.contract.measureEvaluation(p.data)[1]) for p in split)
        if sum(gas[1:]) > EVALUATION_GAS_LIMIT:
            raise ConfigError(f"evaluating the model on this test set takes up to {sum(gas[1:]):,} gas, more than "
                              f"the {EVALUATION_GAS_LIMIT:,} the contract allows: use fewer test samples.")
        self.contract.commit([p.hash for p in split], sum(len(p.data) for p in split), points_bought, sender=sender,
                             value=bounty)
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
        """Index of the piece revealed first, drawn from the commit block's hash.

        Calls run on the latest block, where the commit block's own hash is not yet readable;
        then the draw is read one block later inside ``lab.anchor()``, which leaves no trace.
        """
        if self.phase == Phase.COMMITTED and self.lab.block_number <= self.contract.commitBlock():
            with self.lab.anchor():
                self.lab.time_travel(blocks=1)
                return int(self.contract.drawnPiece())
        if self.phase == Phase.COMMITTED:
            return int(self.contract.drawnPiece())
        return int(self.contract.chosenPiece())

    def reveal_chosen_piece(self, *, sender: str | None = None) -> TxRecord:
        """Reveal the drawn piece, which opens participation."""
        self.contract.revealChosenPiece(self.pieces[self.chosen_piece()].data, sender=sender)
        return self.lab.last_tx

    def reveal_test_set(self, *, sender: str | None = None) -> TxRecord:
        """Reveal every other piece (after participation, before the deadline); the contract
        evaluates the initial model on them and sets the margin scale and the price of a point."""
        chosen = self.chosen_piece()
        self.contract.revealTestSet([p.data for i, p in enumerate(self.pieces) if i != chosen], sender=sender)
        return self.lab.last_tx

    # -- participants ------------------------------------------------------------------------------
    def next_cost(self) -> int:
        """The smallest stake (wei); ``add_data(..., value=…)`` may stake more."""
        return int(self.contract.minStake())

    def add_data(self, x: Any, y: int, *, sender: str | None = None, value: int | None = None):
        """Stake on one labelled sample (default: the minimum stake)."""
        sample = self._to_sample(x)
        size = len(_samples.pack(sample, self._sparse))
        if size > MAX_SAMPLE_BYTES:
            raise ConfigError(f"this sample takes {size:,} bytes, more than the {MAX_SAMPLE_BYTES:,} a market "
                              f"contribution may (every contribution must fit a scoring transaction).")
        return super().add_data(x, y, sender=sender, value=value)

    # -- scoring -------------------------------------------------------------------------------------
    def revealed_pieces(self) -> dict[int, Piece]:
        """Every piece revealed so far, by index, rebuilt from ``PieceRevealed`` events."""
        return {e.args["index"]: Piece.from_data(e.args["piece"], self._sparse) for e in self._events("PieceRevealed")}

    def evaluation_set(self) -> list[Piece]:
        """Every piece but the chosen one, in index order: what scoring evaluates on."""
        chosen = self.contract.chosenPiece()
        revealed = self.revealed_pieces()
        return [revealed[i] for i in sorted(revealed) if i != chosen]

    def evaluation(self) -> list[tuple[tuple[int, ...], int]]:
        """The ``(sample, label)`` pairs scoring evaluates on, in order (see ``right_answers``)."""
        return [(s, label) for p in self.evaluation_set() for s, label in zip(p.samples, p.labels)]

    def process(self, *, max_contributions: int | None = None, transactions: int | None = None,
                sender: str | None = None) -> list[TxRecord]:
        """Score the remaining contributions, in as many transactions as needed, or at most
        ``transactions`` of them. Each is sent with the whole per-transaction gas and scores as
        many contributions as fit, at most ``max_contributions``. ``sender`` earns the scoring
        fee of each contribution scored."""
        records: list[TxRecord] = []
        contributions = self.contributions()
        pieces = [p.data for p in self.evaluation_set()]
        budget = PROCESS_CALLDATA_BUDGET - sum(len(p) + 64 for p in pieces)
        limit = max_contributions or len(contributions)
        while True:  # at least once: in a wrong phase the contract explains why (WrongPhase)
            processed = self.progress()[0]
            batch, size = [], 0
            for c in contributions[processed:processed + limit]:
                size += len(self._encode(c.sample)) + 192
                if batch and size > budget:
                    break
                batch.append((c.id, self._encode(c.sample), c.label, c.contributor))
            self.contract.process(batch, pieces, max(1, min(limit, len(batch))), sender=sender)
            records.append(self.lab.last_tx)
            if self.phase != Phase.SCORING or len(records) == transactions:
                return records

    def would_score(self, x: Any, y: int) -> int:
        """The score, in points, that a contribution of ``x`` labelled ``y`` would get if it were
        scored now, against the model as scoring has left it (the test set must be revealed)."""
        scale = int(self.contract.marginScale())
        if not scale:
            raise ConfigError("the test set is not revealed yet, so there is no margin scale to score with.")
        label = _samples.labels([y], self._model.n_classes)[0]
        trial = self.local_model()  # a fresh copy of the model as scoring has left it
        trial._update_sample(self._to_sample(x), label)
        return evaluate(trial, self.evaluation(), scale)[1] - self.progress()[2]  # the chain keeps the points now

    def progress(self) -> tuple[int, int, int]:
        """``(contributions scored, right answers of the current model, its points)``."""
        return tuple(int(v) for v in self.contract.progress())

    # -- results and payments --------------------------------------------------------------------
    @property
    def phase(self) -> Phase:
        """Where the market stands now."""
        return Phase(self.contract.phase())

    def scores(self) -> list[int]:
        """The score of every contribution scored so far, by id."""
        return [int(self.contract.scoreOf(i)) for i in range(self.progress()[0])]

    def owed(self, address: str) -> int:
        """What ``address`` is credited now (withdrawable once the market has ended), in wei."""
        return int(self.contract.owed(self.lab._address(address)))

    def withdraw(self, *, sender: str | None = None) -> TxRecord:
        """Withdraw everything credited to ``sender`` (once the market has ended)."""
        self.contract.withdraw(sender=sender)
        return self.lab.last_tx

    def lapse(self, *, sender: str | None = None) -> TxRecord:
        """Record that the provider missed a deadline: the market is cancelled, the bounty burned."""
        self.contract.lapse(sender=sender)
        return self.lab.last_tx

    def outcome(self, initial_model: OnChainModel) -> MarketOutcome:
        """What the twin says this market pays, from ``initial_model`` and the chain's events."""
        entries = [MarketEntry(c.sample, c.label, c.contributor, c.deposit) for c in self.contributions()]
        evaluation = self.evaluation()
        scorers = {e.args["id"]: e.args["scorer"] for e in self._events("ContributionScored")}
        default = self.lab.accounts[0]
        return market_outcome(initial_model, entries, evaluation, int(self.contract.bounty()), self.contract.provider(),
                              scoring_fee=int(self.contract.scoringFee()),
                              scorer=[scorers.get(i, default) for i in range(len(entries))],
                              points_bought=int(self.contract.pointsBought()))

    def _events(self, name: str) -> list:
        decoded = (self.contract._decode_log(log) for log in self.lab._engine.logs(self.address))
        return [e for e in decoded if e is not None and e.name == name]
