"""Bad inputs and misuse of the trainers, as one table: each row reverts with its own decoded
custom error and leaves everything as it was — every balance, every counter, every contribution's
record, every model parameter and, for the prediction markets, every phase, deadline, price,
credit and score.

A row is ``(id, setup, error)``. ``setup(world)`` does whatever the misuse needs first (contribute,
wait, validate; open, stake, reveal) and returns the misuse itself, a callable, or the misuse and
the error's arguments, where they are stable (a dict that must be part of the decoded ones); the
state is read after the setup and again after the misuse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cached_property
from typing import Any

import pytest
from eth_utils import keccak

from dcai_lab import Lab
from dcai_lab.chain._artifacts import load_artifact
from dcai_lab.errors import ConfigError
from dcai_lab.incentives import Points, PredictionMarket
from dcai_lab.incentives.prediction_market import (EVALUATION_GAS_LIMIT, MAX_EVALUATION_BYTES, MAX_PIECES,
                                                   MAX_SAMPLE_BYTES, STEP_GAS, split_test_set)
from dcai_lab.models import SparsePerceptron
from dcai_lab.trainers import MarketTrainer, Trainer

from .conftest import (BAD, COST_WEIGHT, GOOD, GOOD_0, NEUTRAL, REFUND_WAIT, TAKE_WAIT, VALIDATION_WAIT,
                       dense_twin, drt, encoded, learned_parameters, sparse_twin)

DEAD = "0x000000000000000000000000000000000000dEaD"
#: ReentrantReceiver.Attack
ATTACK_REFUND, ATTACK_REPORT, REJECT_PAYMENT = 1, 2, 3
MARKET = PredictionMarket(min_stake=10**15, participation_time=1_000, reveal_time=1_000)
#: The markets' test set, compact (present features), in two pieces of two samples: 8 bytes a
#: sample (2-byte label, 2-byte length, one 4-byte index), 48 bytes a piece with its salt.
MARKET_X, MARKET_Y = [(0,), (2,), (1,), (3,)], [1, 0, 1, 0]
MARKET_PIECES = split_test_set(MARKET_X, MARKET_Y, 2, sparse=True, seed=3)
MARKET_BYTES = sum(len(p.data) for p in MARKET_PIECES)
BOUNTY = 10**16
#: Points the markets' bounty buys: a few (each market commits another: misuse must change the
#: price no more than anything else), all the model could gain, more than the test set has room for.
POINTS_BOUGHT = {"market": 700, "wide market": 0, "committed": 2**32 - 1}
#: A sparse perceptron wide enough for a valid sample of more than MAX_SAMPLE_BYTES (4 bytes a feature).
WIDE_FEATURES = MAX_SAMPLE_BYTES // 4 + 8
#: Reading 3,400 cold storage words (2,100 gas each) costs more than EVALUATION_GAS_LIMIT.
COSTLY_WORDS = 3_400


def zero_perceptron(n_features: int) -> SparsePerceptron:
    """A binary sparse perceptron with every weight 0 (it predicts class 0 until trained)."""
    model = SparsePerceptron(n_features=n_features, learning_rate=1.0)
    model._init_model(2)
    model.weights_, model.intercept_ = [0] * n_features, 0
    return model


class World:
    """The trainers a row may use, deployed on first use, and the state the rows must not change."""

    def __init__(self, lab: Lab, artifacts: dict[str, dict]) -> None:
        self.lab = lab
        self.a = lab.accounts
        self.artifacts = artifacts
        self.trainers: dict[str, Trainer] = {}
        self.contracts: list[str] = []

    def _deployed(self, name: str, trainer: Trainer) -> Trainer:
        self.trainers[name] = trainer
        self.contracts.append(trainer.address)
        return trainer

    @cached_property
    def drt(self) -> Trainer:
        """The sparse twin under Deposit-Refund-Take."""
        return self._deployed("drt", self.lab.deploy(sparse_twin(), drt()))

    @cached_property
    def cheap(self) -> Trainer:
        """Deposit-Refund-Take with a cost weight of 1 wei: after long quiet a deposit is 1 wei."""
        return self._deployed("cheap", self.lab.deploy(sparse_twin(), drt(cost_weight=1)))

    @cached_property
    def dense(self) -> Trainer:
        """The dense twin under Deposit-Refund-Take."""
        return self._deployed("dense", self.lab.deploy(dense_twin(), drt()))

    @cached_property
    def points(self) -> Trainer:
        return self._deployed("points", self.lab.deploy(sparse_twin(), Points(validation_wait=VALIDATION_WAIT)))

    @cached_property
    def uninitialised(self) -> Trainer:
        """A trainer whose deployer loaded nothing and never called finishInitialisation."""
        model, rules = sparse_twin(), drt()
        contract = self.lab.deploy_contract("SparsePerceptronWithDepositRefundTake", *model._constructor_args(),
                                            *rules._constructor_args())
        return self._deployed("uninitialised", Trainer(self.lab, contract, SparsePerceptron, "DepositRefundTake"))

    @cached_property
    def unopened_market(self) -> MarketTrainer:
        """A prediction market on the sparse twin that nobody has committed to yet."""
        return self._deployed("unopened market", self.lab.deploy(sparse_twin(), MARKET, sender=self.a.deployer))

    @cached_property
    def market(self) -> MarketTrainer:
        """A prediction market on the sparse twin, committed by the deployer, chosen piece revealed:
        participation is open."""
        market = self._deployed("market", self.lab.deploy(sparse_twin(), MARKET, sender=self.a.deployer))
        market.commit(MARKET_X, MARKET_Y, bounty=BOUNTY, pieces=2, points_bought=POINTS_BOUGHT["market"], seed=3,
                      sender=self.a.deployer)
        market.reveal_chosen_piece(sender=self.a.deployer)
        return market

    @cached_property
    def wide_market(self) -> MarketTrainer:
        """A market on a perceptron of WIDE_FEATURES features, participation open."""
        market = self._deployed("wide market", self.lab.deploy(zero_perceptron(WIDE_FEATURES), MARKET))
        market.commit(MARKET_X, MARKET_Y, bounty=BOUNTY, pieces=2, points_bought=POINTS_BOUGHT["wide market"], seed=3,
                      sender=self.a.deployer)
        market.reveal_chosen_piece(sender=self.a.deployer)
        return market

    @cached_property
    def receiver(self) -> Any:
        """A ReentrantReceiver contributing to ``drt``."""
        receiver = self.lab.deploy_contract(self.artifacts["ReentrantReceiver"], self.drt.address)
        self.contracts.append(receiver.address)
        return receiver

    # -- helpers for the setups ----------------------------------------------------------------
    def validated(self, trainer: Trainer, *who: str) -> None:
        """Each of ``who`` adds a good contribution and gets it refunded: one validated each."""
        added = [trainer.add_data(*GOOD, sender=p) for p in who]
        self.lab.time_travel(seconds=REFUND_WAIT)
        for c in added:
            trainer.refund(c, sender=c.contributor)

    def raw_add(self, trainer: Trainer, data: bytes, label: int, **kwargs: Any) -> Callable[[], Any]:
        return lambda: trainer.contract.addData(data, label, sender=self.a.alice, value=COST_WEIGHT * 3600, **kwargs)

    def committed_market(self, name: str, pieces: list[bytes], *, total: int | None = None,
                         model: SparsePerceptron | None = None) -> MarketTrainer:
        """A market committed, bypassing the handle's checks, to ``pieces`` (bytes, maybe spoilt),
        declaring ``total`` bytes (default: what they hold)."""
        market = self._deployed(name, self.lab.deploy(model or sparse_twin(), MARKET, sender=self.a.deployer))
        market.contract.commit([keccak(p) for p in pieces], sum(map(len, pieces)) if total is None else total,
                               POINTS_BOUGHT["committed"], sender=self.a.deployer, value=BOUNTY)
        return market

    def participation(self, market: MarketTrainer | None = None, *stakes: tuple) -> MarketTrainer:
        """``market`` (default: ``self.market``) with alice's stakes on ``stakes`` (default: GOOD)."""
        market = market or self.market
        for sample, label in stakes or (GOOD,):
            market.add_data(sample, label, sender=self.a.alice, value=MARKET.min_stake)
        return market

    def scoring(self, *stakes: tuple) -> MarketTrainer:
        """The market after participation, test set revealed: ready to score alice's ``stakes``."""
        market = self.participation(None, *stakes)
        self.lab.time_travel(seconds=MARKET.participation_time)
        market.reveal_test_set(sender=self.a.deployer)
        return market

    # -- what no misuse may change -------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        lab, people = self.lab, list(self.a)
        state: dict[str, Any] = {"balances": {x: lab.balance(x) for x in [*people, *self.contracts, DEAD]}}
        for name, trainer in self.trainers.items():
            c = trainer.contract
            view = {
                "model": learned_parameters(trainer.local_model()),
                "initialised": c.initialised(),
                "owner": c.owner(),
                "numContributions": c.numContributions(),
                "lastContributionAt": c.lastContributionAt(),
                "nonces": [c.nonces(p) for p in people],
            }
            contributions = trainer.contributions()
            view["contributions"] = [(x.id, trainer.status(x)) for x in contributions]
            if hasattr(c, "totalValidated"):
                view["totalValidated"] = c.totalValidated()
                view["validated"] = [c.validated(p) for p in [*people, *self.contracts]]
                view["hasTaken"] = [c.hasTaken(p, x.id) for p in people for x in contributions]
            if hasattr(c, "players"):
                view["players"] = [c.players(p) for p in people]
                view["numPlayers"] = c.numPlayers()
            if isinstance(trainer, MarketTrainer):
                view["market"] = (c.phase(), c.progress(), c.provider(), c.bounty(), c.commitBlock(), c.numPieces(),
                                  c.totalBytes(), c.pointsBought(), c.chosenPiece(), c.chosenPieceBytes(), c.participationEnd(),
                                  c.revealDeadline(), c.evaluationSize(), c.baseline(), c.pricePerPoint(),
                                  c.bountyPaid(), trainer.scores())
                view["owed"] = [c.owed(p) for p in [*people, *self.contracts]]
            state[name] = view
        return state


# -- the rows' setups: each returns the misuse -----------------------------------------------------

def early_refund(w):
    c = w.drt.add_data(*GOOD, sender=w.a.alice)
    return lambda: w.drt.refund(c, sender=w.a.alice)


def refund_model_disagrees(w):
    c = w.drt.add_data(*BAD, sender=w.a.alice)
    w.lab.time_travel(seconds=REFUND_WAIT)
    return lambda: w.drt.refund(c, sender=w.a.alice)


def double_refund(w):
    c = w.drt.add_data(*GOOD, sender=w.a.alice)
    w.lab.time_travel(seconds=REFUND_WAIT)
    w.drt.refund(c, sender=w.a.alice)
    return lambda: w.drt.refund(c, sender=w.a.alice)


def _refund_tampered(**change):
    def setup(w):
        c = w.drt.add_data(*GOOD, sender=w.a.alice)
        w.drt.add_data((0,), 1, sender=w.a.alice)
        w.lab.time_travel(seconds=REFUND_WAIT)
        return lambda: w.drt.refund(dataclasses.replace(c, **change), sender=w.a.alice)
    return setup


def _refund_by(trainer: Trainer, c, sender: str) -> Callable[[], Any]:
    """A refund (or validation) of ``c`` sent by ``sender``, straight to the contract: the handle
    refuses one by anyone but the contributor before sending anything."""
    with pytest.raises(ConfigError, match="only alice may"):
        trainer.refund(c, sender=sender)
    return lambda: trainer.contract.refund(encoded(trainer, c.sample), c.label, c.id, sender=sender)


def refund_someone_elses(w):
    c = w.drt.add_data(*GOOD, sender=w.a.alice)
    w.lab.time_travel(seconds=REFUND_WAIT)
    return _refund_by(w.drt, c, w.a.bob), {"id": c.id, "contributor": w.a.bob}


def self_take_before_take_wait(w):
    w.validated(w.drt, w.a.alice)
    c = w.drt.add_data(*BAD, sender=w.a.alice)
    w.lab.time_travel(seconds=TAKE_WAIT - 10)
    return lambda: w.drt.report(c, sender=w.a.alice)


def take_without_validated_data(w):
    w.validated(w.drt, w.a.bob)
    c = w.drt.add_data(*BAD, sender=w.a.alice)
    w.lab.time_travel(seconds=REFUND_WAIT)
    return lambda: w.drt.report(c, sender=w.a.carol)


def take_twice(w):
    w.validated(w.drt, w.a.bob, w.a.carol)
    c = w.drt.add_data(*BAD, sender=w.a.alice)
    w.lab.time_travel(seconds=REFUND_WAIT)
    w.drt.report(c, sender=w.a.bob)
    return lambda: w.drt.report(c, sender=w.a.bob)


def take_when_model_agrees(w):
    w.validated(w.drt, w.a.bob)
    c = w.drt.add_data(*GOOD_0, sender=w.a.alice)
    w.lab.time_travel(seconds=REFUND_WAIT)
    return lambda: w.drt.report(c, sender=w.a.bob)


def take_before_refund_wait(w):
    w.validated(w.drt, w.a.bob)
    c = w.drt.add_data(*BAD, sender=w.a.alice)
    return lambda: w.drt.report(c, sender=w.a.bob)


def take_when_nothing_left(w):
    w.validated(w.drt, w.a.bob)
    c = w.drt.add_data(*BAD, sender=w.a.alice)
    w.lab.time_travel(seconds=REFUND_WAIT)
    w.drt.report(c, sender=w.a.bob)                               # bob holds every validated: takes all
    return lambda: w.drt.report(c, sender=w.a.mallory)


def take_refunded_deposit(w):
    c = w.drt.add_data(*GOOD, sender=w.a.alice)
    w.lab.time_travel(seconds=TAKE_WAIT)
    w.drt.refund(c, sender=w.a.alice)
    return lambda: w.drt.report(c, sender=w.a.mallory)


def share_rounds_to_zero(w):
    w.validated(w.cheap, w.a.bob, w.a.carol)
    w.lab.time_travel(days=40)                                   # ⌊√Δt⌋ > 1800: the deposit is 1 wei
    c = w.cheap.add_data(*BAD, sender=w.a.alice)
    assert c.deposit == 1
    w.lab.time_travel(seconds=REFUND_WAIT)
    return lambda: w.cheap.report(c, sender=w.a.bob)             # ⌊1 · 1/2⌋ = 0


def short_deposit(w):
    trainer = w.drt
    return lambda: trainer.add_data(*GOOD, sender=w.a.alice, value=trainer.next_cost() - 1)


def unknown_label(w):
    return w.raw_add(w.drt, encoded(w.drt, (0,)), 2)


def feature_out_of_range(w):
    return w.raw_add(w.drt, encoded(w.drt, (3, 8)), 1)


def features_not_increasing(w):
    return w.raw_add(w.drt, encoded(w.drt, (3, 2)), 1)


def feature_repeated(w):
    return w.raw_add(w.drt, encoded(w.drt, (3, 3)), 1)


def empty_sample(w):
    return w.raw_add(w.drt, b"", 1)


def oversize_sample(w):
    return w.raw_add(w.drt, encoded(w.drt, tuple(range(8))) + (8).to_bytes(4, "big"), 1)


def sparse_sample_of_partial_index(w):
    return w.raw_add(w.drt, encoded(w.drt, (1, 2)) + b"\x00", 1)


def dense_sample_not_whole_words(w):
    return w.raw_add(w.dense, encoded(w.dense, (0, 0)) + b"\x00", 1)


def dense_sample_wrong_length(w):
    return w.raw_add(w.dense, encoded(w.dense, (10**9,)), 1)


def _by_deployer(call):
    def setup(w):
        trainer = w.drt
        return lambda: call(trainer, w.a.deployer)
    return setup


def add_before_initialisation(w):
    return w.raw_add(w.uninitialised, encoded(w.uninitialised, GOOD[0]), GOOD[1])


def _deploy_with_waits(refund_wait: int, take_wait: int):
    """Deploy the leaf contract directly (the Python rules refuse these waits before deploying)."""
    def setup(w):
        model = sparse_twin()
        w.validated(w.drt, w.a.alice)                             # something whose state must not change
        return (lambda: w.lab.deploy_contract("SparsePerceptronWithDepositRefundTake", *model._constructor_args(),
                                              COST_WEIGHT, refund_wait, take_wait),
                {"costWeight": COST_WEIGHT, "refundWait": refund_wait, "takeWait": take_wait})
    return setup


def points_paying(w):
    points = w.points
    return lambda: points.add_data(*GOOD, sender=w.a.alice, value=1)


def _points_added(w, sample, *, wait=VALIDATION_WAIT):
    """Alice's Points contribution of ``sample``, ``wait`` seconds later."""
    c = w.points.add_data(*sample, sender=w.a.alice)
    w.lab.time_travel(seconds=wait)
    return c


def points_validate_early(w):
    c = _points_added(w, GOOD, wait=VALIDATION_WAIT - 10)
    return lambda: w.points.refund(c, sender=w.a.alice)


def points_validate_disagreed(w):
    c = _points_added(w, BAD)
    return lambda: w.points.refund(c, sender=w.a.alice)


def points_validate_someone_elses(w):
    c = _points_added(w, GOOD)
    return _refund_by(w.points, c, w.a.bob), {"id": c.id, "contributor": w.a.bob}


def points_report_own(w):
    c = _points_added(w, BAD)
    return lambda: w.points.report(c, sender=w.a.alice)


def points_report_agreed(w):
    c = _points_added(w, GOOD)
    return lambda: w.points.report(c, sender=w.a.bob)


def points_double_validation(w):
    c = _points_added(w, GOOD)
    w.points.refund(c, sender=w.a.alice)
    return lambda: w.points.refund(c, sender=w.a.alice)


def points_report_after_report(w):
    c = _points_added(w, BAD)
    w.points.report(c, sender=w.a.bob)
    return lambda: w.points.report(c, sender=w.a.carol)


def sponsored_expired(w):
    signed = w.drt.sign_contribution(*GOOD, w.a.alice, deadline=w.lab.timestamp)
    return lambda: w.drt.add_data_for(signed, sender=w.a.erin)


def sponsored_replayed(w):
    signed = w.drt.sign_contribution(*GOOD, w.a.alice)
    w.drt.add_data_for(signed, sender=w.a.erin)
    return lambda: w.drt.add_data_for(signed, sender=w.a.erin)


def sponsored_wrong_signer(w):
    signed = dataclasses.replace(w.drt.sign_contribution(*GOOD, w.a.bob), contributor=w.a.alice)
    return lambda: w.drt.add_data_for(signed, sender=w.a.erin)


def sponsored_tampered_sample(w):
    signed = dataclasses.replace(w.drt.sign_contribution(*GOOD, w.a.alice), sample=(0,))
    return lambda: w.drt.add_data_for(signed, sender=w.a.erin)


def sponsored_tampered_signature(w):
    signed = w.drt.sign_contribution(*GOOD, w.a.alice)
    return lambda: w.drt.add_data_for(dataclasses.replace(signed, signature=signed.signature[:64]), sender=w.a.erin)


def _receiver(attack, *, during):
    """The ReentrantReceiver contributes (GOOD, or BAD when it will take its own deposit); when it
    is paid ``during`` the given call, ``attack`` re-enters the trainer or refuses the payment."""
    def setup(w):
        r, sample = w.receiver, encoded(w.drt, GOOD[0] if during != "take" else BAD[0])
        label = GOOD[1] if during != "take" else BAD[1]
        if during == "excess":
            r.setAttack(attack, sender=w.a.mallory)
            return lambda: r.contribute(sample, label, sender=w.a.mallory, value=w.drt.next_cost() + 1)
        r.contribute(sample, label, sender=w.a.mallory, value=w.drt.next_cost())
        w.lab.time_travel(seconds=TAKE_WAIT if during == "take" else REFUND_WAIT)
        r.setAttack(attack, sender=w.a.mallory)
        return (lambda: r.claimRefund(sender=w.a.mallory)) if during == "refund" else \
            (lambda: r.takeOwn(sender=w.a.mallory))
    return setup


# -- the prediction market's setups ----------------------------------------------------------------

def deploy_market_fee_as_large_as_the_stake(w):
    w.participation()                                             # something whose state must not change
    args = (MARKET.min_stake, MARKET.min_stake, MARKET.participation_time, MARKET.reveal_time)
    return (lambda: w.lab.deploy_contract("SparsePerceptronWithPredictionMarket", *sparse_twin()._constructor_args(),
                                          *args),
            dict(zip(("minStake", "scoringFee", "participationTime", "revealTime"), args)))


def _commit(trainer: MarketTrainer, sender: str, hashes: list[bytes], total: int, value: int = BOUNTY):
    return lambda: trainer.contract.commit(hashes, total, POINTS_BOUGHT["market"], sender=sender, value=value)


HASHES = [p.hash for p in MARKET_PIECES]


def market_commit_by_a_participant(w):
    return _commit(w.unopened_market, w.a.alice, HASHES, MARKET_BYTES), {"caller": w.a.alice,
                                                                          "expected": w.a.deployer}


def market_commit_twice(w):
    return _commit(w.participation(), w.a.deployer, HASHES, MARKET_BYTES), {"actual": 2, "expected": 0}


def market_commit_without_bounty(w):
    return _commit(w.unopened_market, w.a.deployer, HASHES, MARKET_BYTES, value=0), {"bounty": 0}


def market_commit_one_piece(w):
    return _commit(w.unopened_market, w.a.deployer, HASHES[:1], MARKET_BYTES), {"count": 1}


def market_commit_too_many_pieces(w):
    return _commit(w.unopened_market, w.a.deployer, HASHES * 33, MARKET_BYTES), {"count": MAX_PIECES + 2}


def market_commit_bytes_below_minimum(w):
    """Two pieces hold at least 2 × (32-byte salt + 4-byte header) = 72 bytes."""
    return _commit(w.unopened_market, w.a.deployer, HASHES, 71), {"totalBytes": 71, "minimum": 72}


def market_commit_bytes_above_limit(w):
    total = MAX_EVALUATION_BYTES + 1
    return _commit(w.unopened_market, w.a.deployer, HASHES, total), {"totalBytes": total, "minimum": 72}


def market_reveal_in_the_commit_block(w):
    """Every transaction of the lab is mined in a block of its own, so only a free call can run in
    the commitment's block, where the draw (its hash) cannot be read yet."""
    market = w.committed_market("market", [p.data for p in MARKET_PIECES])
    ready_at = market.contract.commitBlock() + 1
    assert w.lab.block_number == ready_at - 1
    return (lambda: market.contract.revealChosenPiece.call(MARKET_PIECES[0].data, sender=w.a.deployer),
            {"readyAt": ready_at})


def market_forged_chosen_piece(w):
    market = w.committed_market("market", [p.data for p in MARKET_PIECES])
    index = market.chosen_piece()
    piece = MARKET_PIECES[index]
    forged = dataclasses.replace(piece, labels=tuple(1 - y for y in piece.labels)).data
    return lambda: market.contract.revealChosenPiece(forged, sender=w.a.deployer), {"index": index}


def market_malformed_chosen_piece(w):
    """Every piece committed one byte short: the chosen piece's second sample ends past its end."""
    market = w.committed_market("market", [p.data[:-1] for p in MARKET_PIECES])
    index = market.chosen_piece()
    cut = MARKET_PIECES[index].data[:-1]
    return lambda: market.contract.revealChosenPiece(cut, sender=w.a.deployer), {"index": index, "offset": 40}


def market_chosen_piece_after_the_window(w):
    market = w.committed_market("market", [p.data for p in MARKET_PIECES])
    w.lab.time_travel(blocks=257)                               # block commitBlock + 257: past BLOCKHASH's reach
    return (lambda: market.contract.revealChosenPiece(MARKET_PIECES[0].data, sender=w.a.deployer),
            {"deadline": market.contract.commitBlock() + 256})


def _evaluation(market: MarketTrainer) -> list[bytes]:
    """Every piece but the chosen one (the handle knows the pieces it committed)."""
    chosen = market.chosen_piece()
    return [p.data for i, p in enumerate(market.pieces) if i != chosen]


def market_early_reveal(w):
    market = w.participation()
    return (lambda: market.contract.revealTestSet(_evaluation(market), sender=w.a.deployer),
            {"opensAt": market.contract.participationEnd()})


def market_late_reveal(w):
    market = w.participation()
    w.lab.time_travel(seconds=MARKET.participation_time + MARKET.reveal_time)
    return (lambda: market.contract.revealTestSet(_evaluation(market), sender=w.a.deployer),
            {"deadline": market.contract.revealDeadline()})


def market_reveal_by_a_participant(w):
    market = w.participation()
    w.lab.time_travel(seconds=MARKET.participation_time)
    return (lambda: market.contract.revealTestSet(_evaluation(market), sender=w.a.alice),
            {"caller": w.a.alice, "expected": w.a.deployer})


def market_forged_test_set(w):
    market = w.participation()
    w.lab.time_travel(seconds=MARKET.participation_time)
    chosen = market.chosen_piece()
    index, piece = next((i, p) for i, p in enumerate(market.pieces) if i != chosen)
    forged = dataclasses.replace(piece, salt=bytes(32)).data
    return lambda: market.contract.revealTestSet([forged], sender=w.a.deployer), {"index": index}


def market_test_set_larger_than_declared(w):
    pieces = [p.data for p in MARKET_PIECES]
    market = w.committed_market("market", pieces, total=MARKET_BYTES - 1)
    chosen = market.chosen_piece()
    market.contract.revealChosenPiece(pieces[chosen], sender=w.a.deployer)
    w.lab.time_travel(seconds=MARKET.participation_time)
    rest = [p for i, p in enumerate(pieces) if i != chosen]
    return (lambda: market.contract.revealTestSet(rest, sender=w.a.deployer),
            {"actual": MARKET_BYTES, "declared": MARKET_BYTES - 1})


def market_evaluation_too_costly(w):
    """One sample on 3,400 features eight apart, one storage word each: evaluating the initial
    model reads 3,400 cold words (7.1 M gas), more than EVALUATION_GAS_LIMIT. The handle refuses
    such a test set before committing (measureEvaluation); the contract after the reveal."""
    n_features = COSTLY_WORDS * 8
    sample = tuple(range(0, n_features, 8))
    pieces = [p.data for p in split_test_set([sample, sample], [1, 1], 2, sparse=True, seed=3)]
    market = w.committed_market("costly market", pieces, model=zero_perceptron(n_features))
    chosen = market.chosen_piece()
    market.contract.revealChosenPiece(pieces[chosen], sender=w.a.deployer)
    w.lab.time_travel(seconds=MARKET.participation_time)
    rest = [p for i, p in enumerate(pieces) if i != chosen]
    return lambda: market.contract.revealTestSet(rest, sender=w.a.deployer), {"limit": EVALUATION_GAS_LIMIT}


def market_stake_too_small(w):
    market = w.market
    return (lambda: market.add_data(*GOOD, sender=w.a.alice, value=MARKET.min_stake - 1),
            {"paid": MARKET.min_stake - 1, "minStake": MARKET.min_stake})


def market_stake_after_participation(w):
    market = w.participation()
    w.lab.time_travel(seconds=MARKET.participation_time)
    return lambda: market.add_data(*GOOD, sender=w.a.bob, value=MARKET.min_stake), {"actual": 3, "expected": 2}


def market_sample_too_large(w):
    market, sample = w.wide_market, encoded(w.wide_market, tuple(range(MAX_SAMPLE_BYTES // 4 + 1)))
    return (lambda: market.contract.addData(sample, 1, sender=w.a.alice, value=MARKET.min_stake),
            {"length": MAX_SAMPLE_BYTES + 4, "limit": MAX_SAMPLE_BYTES})


def _rows(market: MarketTrainer) -> list[tuple]:
    return [(c.id, encoded(market, c.sample), c.label, c.contributor) for c in market.contributions()]


def market_early_process(w):
    market = w.participation()
    return lambda: market.process(sender=w.a.bob), {"actual": 2, "expected": 4}


def market_process_a_piece_short(w):
    market = w.scoring()
    return lambda: market.contract.process(_rows(market), [], 1, sender=w.a.bob), {"given": 0, "expected": 1}


def market_process_out_of_order(w):
    market = w.scoring(GOOD, GOOD_0)
    pieces = _evaluation(market)
    return lambda: market.contract.process(_rows(market)[1:], pieces, 2, sender=w.a.bob), {"id": 1, "expected": 0}


def market_process_tampered_entry(w):
    market = w.scoring()
    (id_, sample, label, _), = _rows(market)
    pieces = _evaluation(market)
    return (lambda: market.contract.process([(id_, sample, label, w.a.bob)], pieces, 1, sender=w.a.bob),
            {"id": 0, "contributor": w.a.bob})


def market_process_nothing(w):
    market = w.scoring()
    rows, pieces = _rows(market), _evaluation(market)
    return lambda: market.contract.process(rows, pieces, 0, sender=w.a.bob), {"processed": 0}


def market_process_with_too_little_gas(w):
    """A contribution that changes the model needs its step: 100,000 gas leaves it none."""
    market = w.scoring((NEUTRAL, 1))
    rows, pieces = _rows(market), _evaluation(market)
    return (lambda: market.contract.process(rows, pieces, 1, sender=w.a.bob, gas=100_000),
            {"needed": STEP_GAS * 64 // 63 + 200_000})


def market_score_step_called_directly(w):
    market = w.scoring((NEUTRAL, 1))
    sample, pieces = encoded(market, NEUTRAL), _evaluation(market)
    return lambda: market.contract.scoreStep(sample, 1, pieces, 0, 0, sender=w.a.mallory), {"caller": w.a.mallory}


def market_score_of_unscored(w):
    market = w.scoring()
    return lambda: market.contract.scoreOf(0), {"id": 0}


def market_withdraw_while_scoring(w):
    market = w.scoring(GOOD, GOOD_0)
    market.contract.process(_rows(market)[:1], _evaluation(market), 1, sender=w.a.bob)
    return lambda: market.withdraw(sender=w.a.bob), {"actual": 4}


def market_withdraw_twice(w):
    market = w.scoring()
    market.process(sender=w.a.bob)
    market.withdraw(sender=w.a.alice)
    return lambda: market.withdraw(sender=w.a.alice), {"account": w.a.alice}


def market_withdraw_nothing_owed(w):
    """A market that lapsed: stakes come back whole, but the provider's bounty is burned."""
    market = w.participation()
    w.lab.time_travel(seconds=MARKET.participation_time + MARKET.reveal_time)
    market.withdraw(sender=w.a.alice)
    return lambda: market.withdraw(sender=w.a.deployer), {"account": w.a.deployer}


MISUSES: list[tuple[str, Callable[[World], Callable[[], Any]], str]] = [
    # deposit, refund, take
    ("early-refund", early_refund, "TooEarly"),
    ("refund-when-model-disagrees", refund_model_disagrees, "ModelDisagrees"),
    ("double-refund", double_refund, "AlreadyRefunded"),
    ("refund-someone-elses", refund_someone_elses, "UnknownContribution"),
    ("refund-tampered-sample", _refund_tampered(sample=(0, 1, 2)), "UnknownContribution"),
    ("refund-tampered-label", _refund_tampered(label=0), "UnknownContribution"),
    ("refund-tampered-id", _refund_tampered(id=1), "UnknownContribution"),
    ("self-take-before-take-wait", self_take_before_take_wait, "CannotTakeOwnDeposit"),
    ("take-without-validated-data", take_without_validated_data, "NoValidatedContributions"),
    ("take-twice", take_twice, "AlreadyTook"),
    ("take-when-model-agrees", take_when_model_agrees, "ModelAgrees"),
    ("take-before-refund-wait", take_before_refund_wait, "TooEarly"),
    ("take-when-nothing-left", take_when_nothing_left, "NothingLeft"),
    ("take-a-refunded-deposit", take_refunded_deposit, "NothingLeft"),
    ("take-share-rounds-to-zero", share_rounds_to_zero, "ShareRoundsToZero"),
    ("short-deposit", short_deposit, "DepositTooSmall"),
    # samples and labels
    ("unknown-label", unknown_label, "UnknownLabel"),
    ("feature-out-of-range", feature_out_of_range, "FeatureOutOfRange"),
    ("features-not-increasing", features_not_increasing, "FeaturesNotIncreasing"),
    ("feature-repeated", feature_repeated, "FeaturesNotIncreasing"),
    ("empty-sample", empty_sample, "EmptySample"),
    ("oversize-sample", oversize_sample, "MalformedSample"),
    ("sparse-sample-partial-index", sparse_sample_of_partial_index, "MalformedSample"),
    ("dense-sample-not-whole-words", dense_sample_not_whole_words, "MalformedSample"),
    ("dense-sample-wrong-length", dense_sample_wrong_length, "WrongLength"),
    # access and life cycle
    ("deployer-update", _by_deployer(lambda t, s: t.contract.update(encoded(t, GOOD[0]), 1, sender=s)), "NotOwner"),
    ("deployer-setWeights", _by_deployer(lambda t, s: t.contract.setWeights(0, [[0] * 8], sender=s)), "NotOwner"),
    ("deployer-finishInitialisation", _by_deployer(lambda t, s: t.contract.finishInitialisation(sender=s)),
     "NotOwner"),
    ("deployer-transferOwnership", _by_deployer(lambda t, s: t.contract.transferOwnership(DEAD, sender=s)),
     "NotOwner"),
    ("add-before-initialisation", add_before_initialisation, "NotInitialised"),
    ("deploy-refund-wait-after-take-wait", _deploy_with_waits(TAKE_WAIT, REFUND_WAIT), "InvalidParameters"),
    ("deploy-refund-wait-equal-to-take-wait", _deploy_with_waits(REFUND_WAIT, REFUND_WAIT), "InvalidParameters"),
    # points
    ("points-paying", points_paying, "PaymentNotAccepted"),
    ("points-validate-early", points_validate_early, "TooEarly"),
    ("points-validate-disagreed", points_validate_disagreed, "ModelDisagrees"),
    ("points-validate-someone-elses", points_validate_someone_elses, "UnknownContribution"),
    ("points-report-own", points_report_own, "CannotReportOwn"),
    ("points-report-agreed", points_report_agreed, "ModelAgrees"),
    ("points-double-validation", points_double_validation, "AlreadySettled"),
    ("points-report-after-report", points_report_after_report, "AlreadySettled"),
    # sponsored contributions
    ("sponsored-expired", sponsored_expired, "SignatureExpired"),
    ("sponsored-replayed", sponsored_replayed, "InvalidSignature"),
    ("sponsored-wrong-signer", sponsored_wrong_signer, "InvalidSignature"),
    ("sponsored-tampered-sample", sponsored_tampered_sample, "InvalidSignature"),
    ("sponsored-short-signature", sponsored_tampered_signature, "InvalidSignature"),
    # reentrancy and payments
    ("reenter-refund-from-excess-payment", _receiver(ATTACK_REFUND, during="excess"), "ReentrantCall"),
    ("reenter-refund-from-refund", _receiver(ATTACK_REFUND, during="refund"), "ReentrantCall"),
    ("reenter-report-from-refund", _receiver(ATTACK_REPORT, during="refund"), "ReentrantCall"),
    ("reenter-refund-from-take", _receiver(ATTACK_REFUND, during="take"), "ReentrantCall"),
    ("refund-to-a-contract-that-rejects-it", _receiver(REJECT_PAYMENT, during="refund"), "PaymentFailed"),
    # prediction market: deployment and commitment
    ("market-deploy-fee-as-large-as-the-stake", deploy_market_fee_as_large_as_the_stake, "InvalidMarketParameters"),
    ("market-commit-by-a-participant", market_commit_by_a_participant, "NotProvider"),
    ("market-commit-twice", market_commit_twice, "WrongPhase"),
    ("market-commit-without-bounty", market_commit_without_bounty, "InvalidBounty"),
    ("market-commit-one-piece", market_commit_one_piece, "InvalidPieceCount"),
    ("market-commit-too-many-pieces", market_commit_too_many_pieces, "InvalidPieceCount"),
    ("market-commit-bytes-below-minimum", market_commit_bytes_below_minimum, "InvalidTotalBytes"),
    ("market-commit-bytes-above-limit", market_commit_bytes_above_limit, "InvalidTotalBytes"),
    # prediction market: the chosen piece
    ("market-reveal-in-the-commit-block", market_reveal_in_the_commit_block, "DrawNotReady"),
    ("market-forged-chosen-piece", market_forged_chosen_piece, "PieceMismatch"),
    ("market-malformed-chosen-piece", market_malformed_chosen_piece, "MalformedPiece"),
    ("market-chosen-piece-after-the-window", market_chosen_piece_after_the_window, "MarketLapsed"),
    # prediction market: participation and the test set
    ("market-stake-too-small", market_stake_too_small, "StakeTooSmall"),
    ("market-stake-after-participation", market_stake_after_participation, "WrongPhase"),
    ("market-sample-too-large", market_sample_too_large, "SampleTooLarge"),
    ("market-early-reveal", market_early_reveal, "RevealTooEarly"),
    ("market-late-reveal", market_late_reveal, "MarketLapsed"),
    ("market-reveal-by-a-participant", market_reveal_by_a_participant, "NotProvider"),
    ("market-forged-test-set", market_forged_test_set, "PieceMismatch"),
    ("market-test-set-larger-than-declared", market_test_set_larger_than_declared, "PiecesTooLarge"),
    ("market-evaluation-too-costly", market_evaluation_too_costly, "EvaluationTooCostly"),
    # prediction market: scoring and payouts
    ("market-early-process", market_early_process, "WrongPhase"),
    ("market-process-a-piece-short", market_process_a_piece_short, "WrongEvaluationSet"),
    ("market-process-out-of-order", market_process_out_of_order, "OutOfOrder"),
    ("market-process-tampered-entry", market_process_tampered_entry, "UnknownContribution"),
    ("market-process-nothing", market_process_nothing, "NoProgress"),
    ("market-process-with-too-little-gas", market_process_with_too_little_gas, "NotEnoughGas"),
    ("market-score-step-called-directly", market_score_step_called_directly, "OnlySelf"),
    ("market-score-of-unscored", market_score_of_unscored, "NotScored"),
    ("market-withdraw-while-scoring", market_withdraw_while_scoring, "MarketNotOver"),
    ("market-withdraw-twice", market_withdraw_twice, "NothingToWithdraw"),
    ("market-withdraw-nothing-owed", market_withdraw_nothing_owed, "NothingToWithdraw"),
]


def test_the_reentrant_receiver_is_paid_when_it_does_not_attack(world):
    """The control of the reentrancy rows: the same calls succeed without the attack."""
    r, sample, cost = world.receiver, encoded(world.drt, GOOD[0]), world.drt.next_cost()
    r.contribute(sample, GOOD[1], sender=world.a.mallory, value=cost + 1)
    assert (world.lab.balance(r.address), r.paymentsReceived()) == (1, 1)
    world.lab.time_travel(seconds=REFUND_WAIT)
    r.claimRefund(sender=world.a.mallory)
    assert (world.lab.balance(r.address), r.paymentsReceived()) == (1 + cost, 2)
    assert world.drt.contract.validated(r.address) == 1


@pytest.fixture
def world(revm_lab, test_artifacts) -> World:
    return World(revm_lab, test_artifacts)


def _misuse(setup, world: World) -> tuple[Callable[[], Any], dict[str, Any]]:
    """The row's misuse, and the error arguments it names (none: only the error's name)."""
    made = setup(world)
    return made if isinstance(made, tuple) else (made, {})


@pytest.mark.parametrize(("setup", "error"), [pytest.param(s, e, id=i) for i, s, e in MISUSES])
def test_misuse_reverts_and_changes_nothing(world, setup, error):
    misuse, args = _misuse(setup, world)
    before = world.state()
    with world.lab.reverts(error) as caught:
        misuse()
    assert caught.error.error_name == error
    assert {name: caught.error.error_args[name] for name in args} == args
    assert world.state() == before


def test_the_table_covers_every_custom_error_a_contributor_can_meet():
    """Every custom error of the Deposit-Refund-Take, Points and prediction-market trainers has a
    row, but those no contributor, provider or scorer can cause here: a deposit over 96 bits (the
    constructor rules it out), the parameter loading's and the models' limits (tests/models), and
    ``Harmful``, a scoring step's verdict that ``process`` catches (the contribution is undone)."""
    names = {item["name"] for name in ("SparsePerceptronWithDepositRefundTake", "SparsePerceptronWithPoints",
                                       "NearestCentroidWithDepositRefundTake", "SparsePerceptronWithPredictionMarket")
             for item in load_artifact(name)["abi"] if item["type"] == "error"}
    not_here = {"DepositTooLarge", "AlreadyInitialised", "ChunkOutOfOrder", "ChunkTooLong",
                "TooFewClassesOrFeatures", "InvalidLearningRate", "WeightOutOfRange", "InterceptOutOfRange",
                "ClassCountFull", "Harmful"}
    assert names - not_here - {error for _, _, error in MISUSES} == set()


AGREEMENT_ROWS = ["take-twice", "refund-tampered-label", "sponsored-wrong-signer", "reenter-refund-from-refund",
                  "points-report-own", "dense-sample-wrong-length", "market-stake-too-small",
                  "market-commit-bytes-below-minimum", "market-withdraw-twice"]


@pytest.mark.parametrize(("setup", "error"), [pytest.param(s, e, id=i) for i, s, e in MISUSES if i in AGREEMENT_ROWS])
def test_both_engines_revert_alike(pyevm_lab, revm_lab, test_artifacts, setup, error):
    """py-evm and revm give the same error, the same arguments and the same gas for a row."""
    outcomes = []
    for lab in (pyevm_lab, revm_lab):
        misuse, _ = _misuse(setup, World(lab, test_artifacts))
        with lab.reverts(error) as caught:
            misuse()
        outcomes.append((caught.error.error_name, caught.error.error_args, caught.error.gas_used))
    assert outcomes[0] == outcomes[1]
