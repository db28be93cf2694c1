"""Bad inputs and misuse of the trainers, as one table: each row reverts with its own decoded
custom error and leaves everything as it was — every balance, every counter, every contribution's
record and every model parameter.

A row is ``(id, setup, error)``. ``setup(world)`` does whatever the misuse needs first (contribute,
wait, validate) and returns the misuse itself, a callable; the state is read after the setup and
again after the misuse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cached_property
from typing import Any

import pytest

from dcai_lab import Lab
from dcai_lab._artifacts import load_artifact
from dcai_lab.incentives import Points, PredictionMarket
from dcai_lab.models import SparsePerceptron
from dcai_lab.trainer import Trainer

from .conftest import (BAD, COST_WEIGHT, GOOD, GOOD_0, REFUND_WAIT, TAKE_WAIT, VALIDATION_WAIT, deploy_artifact,
                       dense_twin, drt, encoded, learned_parameters, sparse_twin)

DEAD = "0x000000000000000000000000000000000000dEaD"
#: ReentrantReceiver.Attack
ATTACK_REFUND, ATTACK_REPORT, REJECT_PAYMENT = 1, 2, 3
MARKET = PredictionMarket(min_stake=10**15, participation_time=1_000, reveal_time=1_000)
MARKET_X, MARKET_Y = [[0], [2], [1], [3]], [1, 0, 1, 0]


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
    def market(self) -> Any:
        """A prediction market on the sparse twin, committed by the deployer, chosen piece revealed."""
        market = self._deployed("market", self.lab.deploy(sparse_twin(), MARKET, sender=self.a.deployer))
        market.commit(MARKET_X, MARKET_Y, bounty=10**16, pieces=2, seed=3, sender=self.a.deployer)
        market.reveal_chosen_piece(sender=self.a.deployer)
        return market

    @cached_property
    def receiver(self) -> Any:
        """A ReentrantReceiver contributing to ``drt``."""
        receiver = deploy_artifact(self.lab, self.artifacts["ReentrantReceiver"], self.drt.address)
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

    # -- what no misuse may change -------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        lab, people = self.lab, list(self.a)
        state: dict[str, Any] = {"balances": {x: lab.balance(x) for x in [*people, *self.contracts]}}
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
            if name != "market":
                view["contributions"] = [(x.id, trainer.status(x)) for x in contributions]
            if hasattr(c, "totalValidated"):
                view["totalValidated"] = c.totalValidated()
                view["validated"] = [c.validated(p) for p in [*people, *self.contracts]]
                view["hasTaken"] = [c.hasTaken(p, x.id) for p in people for x in contributions]
            if hasattr(c, "players"):
                view["players"] = [c.players(p) for p in people]
                view["numPlayers"] = c.numPlayers()
            if hasattr(c, "owed"):
                view["market"] = (c.phase(), c.progress(), c.piecesRevealed(), c.pool(),
                                  [c.owed(p) for p in people])
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


def refund_someone_elses(w):
    c = w.drt.add_data(*GOOD, sender=w.a.alice)
    w.lab.time_travel(seconds=REFUND_WAIT)
    return lambda: w.drt.refund(c, sender=w.a.bob)


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


def deploy_with_refund_wait_after_take_wait(w):
    model = sparse_twin()
    w.validated(w.drt, w.a.alice)                                 # something whose state must not change
    return lambda: w.lab.deploy_contract("SparsePerceptronWithDepositRefundTake", *model._constructor_args(),
                                         COST_WEIGHT, TAKE_WAIT, REFUND_WAIT)


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
    return lambda: w.points.refund(c, sender=w.a.bob)


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


def _market_participation(w):
    market = w.market
    market.add_data(*GOOD, sender=w.a.alice, value=MARKET.min_stake)
    return market


def _market_after_participation(w):
    market = _market_participation(w)
    w.lab.time_travel(seconds=MARKET.participation_time)
    return market


def market_forged_chosen_piece(w):
    market = w._deployed("market", w.lab.deploy(sparse_twin(), MARKET, sender=w.a.deployer))
    market.commit(MARKET_X, MARKET_Y, bounty=10**16, pieces=2, seed=3, sender=w.a.deployer)
    w.lab.time_travel(blocks=1)
    samples, labels, salt = market.pieces[market.chosen_piece()].as_args()
    forged = [1 - y for y in labels]
    return lambda: market.contract.revealChosenPiece(samples, forged, salt, sender=w.a.deployer)


def market_forged_reveal(w):
    market = _market_after_participation(w)
    samples, labels, _salt = market.pieces[market.contract.nextPieceToReveal()].as_args()
    return lambda: market.contract.revealPiece(samples, labels, b"\x01" * 32, sender=w.a.deployer)


def market_early_reveal(w):
    market = _market_participation(w)
    args = market.pieces[market.contract.nextPieceToReveal()].as_args()
    return lambda: market.contract.revealPiece(*args, sender=w.a.deployer)


def market_late_reveal(w):
    market = _market_participation(w)
    w.lab.time_travel(seconds=MARKET.participation_time + MARKET.reveal_time)
    args = market.pieces[market.contract.nextPieceToReveal()].as_args()
    return lambda: market.contract.revealPiece(*args, sender=w.a.deployer)


def market_early_process(w):
    market = _market_participation(w)
    return lambda: market.process(sender=w.a.bob)


def market_stake_too_small(w):
    market = w.market
    return lambda: market.add_data(*GOOD, sender=w.a.alice, value=MARKET.min_stake - 1)


def market_cancel_after_stake(w):
    market = _market_participation(w)
    return lambda: market.cancel(sender=w.a.deployer)


def market_withdraw_twice(w):
    market = _market_after_participation(w)
    market.reveal_pieces(sender=w.a.deployer)
    market.process(sender=w.a.bob)
    market.withdraw(sender=w.a.alice)
    return lambda: market.withdraw(sender=w.a.alice)


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
    ("deploy-refund-wait-after-take-wait", deploy_with_refund_wait_after_take_wait, "InvalidParameters"),
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
    # prediction market
    ("market-forged-chosen-piece", market_forged_chosen_piece, "PieceMismatch"),
    ("market-forged-reveal", market_forged_reveal, "PieceMismatch"),
    ("market-early-reveal", market_early_reveal, "RevealTooEarly"),
    ("market-late-reveal", market_late_reveal, "RevealTooLate"),
    ("market-early-process", market_early_process, "WrongPhase"),
    ("market-stake-too-small", market_stake_too_small, "StakeTooSmall"),
    ("market-cancel-after-stake", market_cancel_after_stake, "CannotCancel"),
    ("market-withdraw-twice", market_withdraw_twice, "NothingToWithdraw"),
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


@pytest.mark.parametrize(("setup", "error"), [pytest.param(s, e, id=i) for i, s, e in MISUSES])
def test_misuse_reverts_and_changes_nothing(world, setup, error):
    misuse = setup(world)
    before = world.state()
    with world.lab.reverts(error) as caught:
        misuse()
    assert caught.error.error_name == error
    assert world.state() == before


def test_the_table_covers_every_custom_error_a_contributor_can_meet():
    """Every custom error of the Deposit-Refund-Take and Points trainers has a row, but those no
    contributor can cause here: a deposit over 96 bits (the constructor rules it out), the
    parameter loading's and the models' limits (tests/models)."""
    names = {item["name"] for name in ("SparsePerceptronWithDepositRefundTake", "SparsePerceptronWithPoints",
                                       "NearestCentroidWithDepositRefundTake")
             for item in load_artifact(name)["abi"] if item["type"] == "error"}
    not_here = {"DepositTooLarge", "AlreadyInitialised", "ChunkOutOfOrder", "ChunkTooLong",
                "TooFewClassesOrFeatures", "InvalidLearningRate", "WeightOutOfRange", "InterceptOutOfRange",
                "ClassCountFull"}
    assert names - not_here - {error for _, _, error in MISUSES} == set()


AGREEMENT_ROWS = ["take-twice", "refund-tampered-label", "sponsored-wrong-signer", "reenter-refund-from-refund",
                  "points-report-own", "dense-sample-wrong-length"]


@pytest.mark.parametrize(("setup", "error"), [pytest.param(s, e, id=i) for i, s, e in MISUSES if i in AGREEMENT_ROWS])
def test_both_engines_revert_alike(pyevm_lab, revm_lab, test_artifacts, setup, error):
    """py-evm and revm give the same error, the same arguments and the same gas for a row."""
    outcomes = []
    for lab in (pyevm_lab, revm_lab):
        misuse = setup(World(lab, test_artifacts))
        with lab.reverts(error) as caught:
            misuse()
        outcomes.append((caught.error.error_name, caught.error.error_args, caught.error.gas_used))
    assert outcomes[0] == outcomes[1]
