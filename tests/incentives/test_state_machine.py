"""Stateful property tests of the incentive mechanisms: random sequences of actions by several
accounts, checked step by step against a Python model of the documented rules.

Three machines: DepositRefundTake, Points and PredictionMarket. Each drives one deployed trainer
(``Lab(engine="revm")``, deployed once per configuration; every example runs inside
``lab.anchor()``, which costs about 10 µs where a fresh lab and deployment cost 40-100 ms). Its
model, the *expected ledger*, is written from the rules documented in
``contracts/trainers/DepositRefundTake.sol``, ``Points.sol`` and ``PredictionMarket.sol``: a twin
replica of the model that trains as the contract should, the waits, the validated counts, what is
left of each deposit, who took from what; the market's stage, clock, pieces, credits, and the
scores, payouts, burns and model that the twin (``market_outcome``) gives for the contributions
scored so far. Before every action the model says whether the contract must accept it or revert,
and with which custom error and arguments; the contract must agree. After every action (a revert
included) the invariants compare everything observable on chain with the model, so "a revert
changed nothing" follows from "the model did not change".

The budget: ``DCAI_LAB_STATEFUL_EXAMPLES`` examples of ``DCAI_LAB_STATEFUL_STEPS`` steps per
machine (defaults sized for CI, ≥ 1,000 steps each). A longer run is one command::

    DCAI_LAB_STATEFUL_EXAMPLES=200 .venv/bin/python -m pytest -q -s -o addopts="" tests/incentives/test_state_machine.py

Each machine runs twice. ``Test<Machine>`` has a fixed seed (``derandomize=True``): every run
explores the same steps, so a failure there reproduces anywhere. ``Test<Machine>FreshSeed`` runs
half as many examples from a seed drawn anew each session, so that CI explores new sequences over
time; its failure says the seed and the command that replays it (``DCAI_LAB_STATEFUL_SEED``).
Each machine's test prints the steps it really ran and how each action ended.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import os
import sys
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, ClassVar

import pandas as pd
from eth_utils import keccak
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from dcai_lab import Lab
from dcai_lab.errors import ConfigError, RevertError
from dcai_lab.incentives import DepositRefundTake, Points, days, hours
from dcai_lab.incentives.prediction_market import (
    BURN_ADDRESS,
    EVALUATION_GAS_LIMIT,
    MAX_EVALUATION_BYTES,
    MAX_PIECES,
    MAX_SAMPLE_BYTES,
    SAMPLE_POINTS,
    MarketEntry,
    MarketOutcome,
    Phase,
    Piece,
    PredictionMarket,
    evaluate,
    lapsed_outcome,
    market_outcome,
    right_answers,
    split_test_set,
)
from dcai_lab.models import SparsePerceptron
from dcai_lab.trainers.trainer import Contribution, SignedContribution, _development_key

EXAMPLES = int(os.environ.get("DCAI_LAB_STATEFUL_EXAMPLES", "40"))
STEPS = int(os.environ.get("DCAI_LAB_STATEFUL_STEPS", "50"))

STATEFUL = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
#: The fresh-seed runs: half the examples, a seed drawn anew each session unless one is given to replay.
FRESH_EXAMPLES = max(1, EXAMPLES // 2)
FRESH = settings(STATEFUL, max_examples=FRESH_EXAMPLES, derandomize=False, print_blob=True)
FRESH_SEED = int(os.environ.get("DCAI_LAB_STATEFUL_SEED") or int.from_bytes(os.urandom(4), "big"))

#: Who plays: contributors, refunders, takers. ``dave`` only sponsors.
PLAYERS = ("alice", "bob", "carol", "mallory")
SPONSORS = ("dave", *PLAYERS)

N_FEATURES = 16
#: The initial model's few training samples (compact: present feature indices) and labels.
X0 = [(0, 1, 2), (3, 4), (5, 6, 7), (8, 9), (1, 10), (11, 12, 13)]
Y0 = [1, 0, 1, 0, 1, 0]
#: Learning rates: 1.0 never overflows in a short run; 2000.0 (2e9 scaled, int32 weights hold
#: ±2.1e9) overflows on a second update in one direction, so additions also revert with
#: WeightOutOfRange, and the model must predict that too.
LEARNING_RATES = (1.0, 2000.0)

#: Steps each machine ran, and how each action ended (``"ok"`` or the custom error's name).
STEPS_RUN: Counter[str] = Counter()
OUTCOMES: Counter[tuple[str, str, str]] = Counter()
SECONDS: Counter[str] = Counter()
EXAMPLE_STEPS: defaultdict[str, list[int]] = defaultdict(list)

samples = st.sets(st.integers(0, N_FEATURES - 1), min_size=1, max_size=4).map(lambda s: tuple(sorted(s)))
labels = st.integers(0, 1)
players = st.sampled_from(PLAYERS)
#: Who acts on a contribution: mostly its contributor (so claims succeed often), else anyone.
actors = st.sampled_from(("contributor",) * 8 + PLAYERS)
#: Paid above (or, negative, below) the deposit, in wei.
overpayments = st.one_of(st.sampled_from((0, 0, 0, 1, -1)), st.integers(-10**13, 10**15))
#: Time travels; the longest (150 days and more) make a deposit of weight 1 round to zero wei.
durations = st.one_of(
    st.tuples(st.just("seconds"), st.integers(1, 600)),
    st.tuples(st.just("hours"), st.integers(1, 48)),
    st.tuples(st.just("days"), st.integers(1, 12)),
    st.tuples(st.just("days"), st.integers(140, 200)),
)


contributions = Bundle("contributions")
signatures = Bundle("signatures")


# -- the expected ledger -----------------------------------------------------------------------
@dataclass(frozen=True)
class Revert:
    """The custom error the rules say a call reverts with (``args=None``: any arguments)."""

    name: str
    args: dict[str, Any] | None = None


@dataclass
class Record:
    """What the model knows of one accepted contribution."""

    contribution: Contribution
    remaining: int
    settled: bool = False
    #: Who took from it before ``takeWait`` (each at most once).
    takers: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple:
        c = self.contribution
        return key_of(c.sample, c.label, c.contributor, c.id)


def key_of(sample: tuple[int, ...], label: int, contributor: str, id_: int) -> tuple:
    """The trainer finds a record only by exactly these four (``CollaborativeTrainer._key``)."""
    return (tuple(sample), int(label), str(contributor), int(id_))


@dataclass(frozen=True)
class Signed:
    """A contributor's signature, with the nonce it was made for (valid once, before the deadline)."""

    signed: SignedContribution
    nonce: int


def deposit_at(cost_weight: int, quiet: int) -> int:
    """``costWeight · 3600 / ⌊√Δt⌋`` wei, ⌊√0⌋ taken as 1 (DepositRefundTake.sol)."""
    if cost_weight == 0:
        return 0
    return cost_weight * 3600 // (math.isqrt(quiet) if quiet else 1)


def update_refusal(replica: SparsePerceptron, sample: tuple[int, ...], label: int) -> Revert | None:
    """The revert of training ``replica`` on the sample, if the update leaves the int ranges."""
    try:
        copy.deepcopy(replica)._update_sample(sample, label)
    except ConfigError as error:
        return Revert(re.search(r"reverts with (\w+)", str(error)).group(1))
    return None


@functools.cache
def private_key(address: str) -> bytes:
    """A development account's key, derived once (deriving it from the mnemonic takes ~0.2 s)."""
    return _development_key(address)


def learned(model) -> dict[str, Any]:
    return {k: v for k, v in vars(model).items() if k.endswith("_")}


# -- deployments, one per configuration, shared by every example through lab.anchor() ----------
_DEPLOYED: dict[tuple, tuple[Lab, Any, SparsePerceptron]] = {}


def deployment(incentive, learning_rate: float, n_features: int = N_FEATURES):
    key = (incentive, learning_rate, n_features)
    if key not in _DEPLOYED:
        lab = Lab(engine="revm")
        model = SparsePerceptron(n_features, learning_rate=learning_rate).fit(X0, Y0)
        _DEPLOYED[key] = (lab, lab.deploy(model, incentive), model)
    return _DEPLOYED[key]


class _Machine(RuleBasedStateMachine):
    """What every machine shares: one deployed trainer inside ``lab.anchor()``, the accounts, the
    money ledger, step counting, and the check of every action's outcome."""

    machine: ClassVar[str]

    def _start(self, incentive, learning_rate: float, n_features: int = N_FEATURES) -> None:
        self.lab, self.trainer, self.initial = deployment(incentive, learning_rate, n_features)
        self._scope = contextlib.ExitStack()
        self._scope.enter_context(self.lab.anchor())
        self._began = time.perf_counter()
        self._steps_before = STEPS_RUN[self.machine]
        self.incentive = incentive
        self.who = {name: getattr(self.lab.accounts, name) for name in SPONSORS}
        self.address = self.trainer.address
        # Every account of the lab, and the trainer: wei only moves between them.
        self.holders = [*self.lab.accounts, self.address]
        self.expected_balance = {a: self.lab.balance(a) for a in self.holders}
        self.total_wei = sum(self.expected_balance.values())
        self.replica = copy.deepcopy(self.initial)

    def teardown(self) -> None:
        scope = getattr(self, "_scope", None)
        if scope is not None:
            scope.close()
            SECONDS[self.machine] += time.perf_counter() - self._began
            EXAMPLE_STEPS[self.machine].append(STEPS_RUN[self.machine] - self._steps_before)

    @invariant()
    def wei_is_conserved_and_where_the_ledger_says(self):
        balances = {a: self.lab.balance(a) for a in self.holders}
        assert sum(balances.values()) == self.total_wei
        assert balances == self.expected_balance

    def _now(self) -> int:
        """Block time of the next transaction: one second after the latest block."""
        return self.lab.timestamp + 1

    def _count(self, action: str, outcome: str = "") -> None:
        STEPS_RUN[self.machine] += 1
        OUTCOMES[(self.machine, action, outcome)] += 1

    def _move(self, source: str, target: str, amount: int) -> None:
        self.expected_balance[source] -= amount
        self.expected_balance[target] += amount

    def _expect(self, action: str, expected: Revert | None, send, *, call: bool = False):
        """Run ``send`` (one transaction, or with ``call`` a free call that sends none); it must
        succeed or revert exactly as ``expected`` says."""
        now, sent = self._now(), len(self.lab.transactions) + (not call)
        try:
            result = send()
        except RevertError as error:
            self._count(action, error.error_name or "(no data)")
            assert expected is not None, f"{action} reverted ({error.reason}); the rules say it succeeds"
            assert error.error_name == expected.name, f"{action}: expected {expected}, got {error.reason}"
            if expected.args is not None:
                assert error.error_args == expected.args, f"{action}: expected {expected}, got {error.reason}"
            assert len(self.lab.transactions) == sent
            assert call or (self.lab.last_tx.timestamp == now and not self.lab.last_tx.success)
            return None
        self._count(action, "ok")
        assert expected is None, f"{action} succeeded; the rules say it reverts with {expected}"
        assert len(self.lab.transactions) == sent
        assert call or (self.lab.last_tx.timestamp == now and self.lab.last_tx.success)
        return result

    def _sent(self, _result: Any):
        """The transaction just sent (for functions that return nothing, or not the record)."""
        return self.lab.last_tx


class _TrainerMachine(_Machine):
    """What the self-assessment mechanisms share: the replica that trains on every accepted
    contribution, records, time travel, sponsored signatures."""

    def _start(self, incentive, learning_rate: float) -> None:
        super()._start(incentive, learning_rate)
        self.records: dict[tuple, Record] = {}
        self.by_id: list[Record] = []
        self.nonces = {a: 0 for a in self.who.values()}
        self.unsubmitted, self.submitted = 0, set()
        self.last_contribution_at = self.trainer.contract.lastContributionAt()

    # -- helpers ---------------------------------------------------------------------------------
    def _actor(self, choice: str, c: Contribution) -> str:
        return c.contributor if choice == "contributor" else self.who[choice]

    def _accept(self, c: Contribution, *, contributor: str, payer: str, sample, label, now: int,
                deposit: int) -> Contribution:
        """Record an accepted contribution, after checking what the trainer says it recorded."""
        assert (c.id, c.contributor, c.payer, c.sample, c.label, c.added_at, c.deposit) == (
            len(self.by_id), contributor, payer, sample, label, now, deposit)
        record = Record(c, remaining=deposit)
        self.records[record.key] = record
        self.by_id.append(record)
        self.replica._update_sample(sample, label)
        self.last_contribution_at = now
        self._move(payer, self.address, deposit)
        return c

    def _add_refusal(self, value: int, sample, label) -> tuple[Revert | None, int]:
        """The mechanism's verdict on a payment of ``value`` wei, and the deposit it keeps."""
        raise NotImplementedError

    def _lookup(self, c: Contribution, tamper: str, contributor: str) -> tuple[Contribution, Record | None]:
        """``c`` as passed to refund/report, maybe altered, and the record it finds (if any)."""
        if tamper == "label":
            c = replace(c, label=1 - c.label)
        elif tamper == "id":
            c = replace(c, id=c.id + 1)
        elif tamper == "sample":
            flipped = set(c.sample) ^ {c.sample[0] + 1 if c.sample[0] + 1 < N_FEATURES else 0}
            c = replace(c, sample=tuple(sorted(flipped)))
        return c, self.records.get(key_of(c.sample, c.label, contributor, c.id))

    def _refund_call(self, c: Contribution, sender: str):
        """The refund (or validation) of ``c`` by ``sender``. The handle refuses one by anyone but the
        contributor before sending (the contract looks a contribution up by its sender), so that
        one goes to the contract directly, which must refuse it too."""
        if sender == c.contributor:
            return lambda: self.trainer.refund(c, sender=sender)
        try:
            self.trainer.refund(c, sender=sender)
        except ConfigError:
            pass
        else:
            raise AssertionError("the handle sent a refund by someone other than the contributor")
        return lambda: self.trainer.contract.refund(self.trainer._encode(c.sample), c.label, c.id, sender=sender)

    # -- rules every mechanism has ---------------------------------------------------------------
    @rule(target=contributions, who=players, sample=samples, label=labels, extra=overpayments)
    def add_data(self, who, sample, label, extra):
        return self._add("add_data", self.who[who], sample, label, extra)

    @rule(target=contributions, c=contributions, who=players, extra=overpayments)
    def add_data_against(self, c, who, extra):
        """The same sample with the other label: the model may turn against the earlier one."""
        return self._add("add_data_against", self.who[who], c.sample, 1 - c.label, extra)

    def _add(self, action, sender, sample, label, extra):
        now = self._now()
        cost = self._cost(now)
        assert self.trainer.next_cost() == cost
        value = max(0, cost + extra)
        expected, deposit = self._add_refusal(value, sample, label)
        c = self._expect(action, expected, lambda: self.trainer.add_data(sample, label, sender=sender, value=value))
        if c is None:
            return multiple()
        return self._accept(c, contributor=sender, payer=sender, sample=sample, label=label, now=now,
                            deposit=deposit)

    # Hypothesis enables a random subset of rules in each example ("swarm testing"), and a rule
    # that needs nothing would fill whole examples where the adding rules are switched off: time
    # travel waits for a contribution, and at most three signatures wait for a sponsor.
    @precondition(lambda self: self.unsubmitted < 3)
    @rule(target=signatures, who=players, sample=samples, label=labels,
          valid_for=st.one_of(st.integers(0, 120), st.integers(1, days(3))))
    def sign(self, who, sample, label, valid_for):
        """A contributor signs a contribution for a sponsor (no transaction)."""
        self._count("sign")
        contributor = self.who[who]
        signed = self.trainer.sign_contribution(sample, label, contributor, deadline=self.lab.timestamp + valid_for,
                                                private_key=private_key(contributor))
        self.unsubmitted += 1
        return Signed(signed, self.nonces[contributor])

    @rule(target=contributions, s=signatures, sponsor=st.sampled_from(SPONSORS),
          extra=overpayments,
          tamper=st.sampled_from(("none", "none", "none", "contributor", "label")))
    def add_data_for(self, s, sponsor, extra, tamper):
        signed = s.signed
        if s not in self.submitted:
            self.submitted.add(s)
            self.unsubmitted -= 1
        if tamper == "contributor":  # someone else's signature claimed for bob (or for alice)
            signed = replace(signed, contributor=self.who["bob" if signed.contributor != self.who["bob"] else "alice"])
        elif tamper == "label":
            signed = replace(signed, label=1 - signed.label)
        now = self._now()
        value = max(0, self._cost(now) + extra)
        deposit = 0
        if now > signed.deadline:
            expected = Revert("SignatureExpired", {"deadline": signed.deadline})
        elif tamper != "none" or s.nonce != self.nonces[signed.contributor]:
            expected = Revert("InvalidSignature", {"contributor": signed.contributor})
        else:
            expected, deposit = self._add_refusal(value, signed.sample, signed.label)
        payer = self.who[sponsor]
        c = self._expect("add_data_for", expected,
                         lambda: self.trainer.add_data_for(signed, sender=payer, value=value))
        if c is None:
            return multiple()
        self.nonces[signed.contributor] += 1
        return self._accept(c, contributor=signed.contributor, payer=payer, sample=signed.sample,
                            label=signed.label, now=now, deposit=deposit)

    @precondition(lambda self: self.by_id)
    @rule(duration=durations)
    def time_travel(self, duration):
        self._count("time_travel")
        unit, n = duration
        before = self.lab.timestamp
        assert self.lab.time_travel(**{unit: n}) == before + n * {"seconds": 1, "hours": 3600, "days": 86_400}[unit]

    @rule(c=contributions, wait=st.sampled_from(("first", "last")), offset=st.sampled_from((-1, 0)))
    def time_travel_to_a_deadline(self, c, wait, offset):
        """Make the next transaction run one second before, or exactly at, a contribution's wait:
        the rules' ``now ≥ addedAt + wait`` comparisons are checked on their edge."""
        self._count("time_travel_to_a_deadline")
        target = c.added_at + self._waits()[0 if wait == "first" else -1] + offset
        gap = target - self._now()
        if gap >= 1:
            self.lab.time_travel(seconds=gap)
            assert self._now() == target

    # -- invariants both mechanisms have ----------------------------------------------------------
    @invariant()
    def model_is_the_replay_of_accepted_contributions(self):
        assert learned(self.trainer.local_model()) == learned(self.replica)
        assert self.trainer.contract.numContributions() == len(self.by_id)
        assert self.trainer.contract.lastContributionAt() == self.last_contribution_at
        assert {a: self.trainer.contract.nonces(a) for a in self.nonces} == self.nonces

    @invariant()
    def no_contribution_is_claimed_twice(self):
        """What is left of each deposit, and its settled flag (refunded, validated or reported
        once), on chain as in the ledger."""
        for record in self.by_id:
            status = self.trainer.status(record.contribution)
            assert (status.remaining, status.settled) == (record.remaining, record.settled), record.contribution.id


# -- Deposit, refund and take ------------------------------------------------------------------
DRT_CONFIGS = [
    # A small weight (deposits around 1e13…1e15 wei), and a tiny one whose takers' shares round
    # to zero wei (ShareRoundsToZero) and whose deposits are a few wei.
    DepositRefundTake(cost_weight=10**12, refund_wait=days(1), take_wait=days(9)),
    DepositRefundTake(cost_weight=1, refund_wait=days(1), take_wait=days(9)),
    # The closest waits the contract accepts (refundWait < takeWait): takes by the validated and
    # refunds open one second before anyone may take what is left.
    DepositRefundTake(cost_weight=10**12, refund_wait=hours(2), take_wait=hours(2) + 1),
]


class DepositRefundTakeMachine(_TrainerMachine):
    machine = "DepositRefundTake"

    @initialize(incentive=st.sampled_from(DRT_CONFIGS), learning_rate=st.sampled_from(LEARNING_RATES))
    def deploy(self, incentive, learning_rate):
        self._start(incentive, learning_rate)
        self.validated = {a: 0 for a in self.lab.accounts}

    def _waits(self) -> tuple[int, int]:
        return self.incentive.refund_wait, self.incentive.take_wait

    def _cost(self, now: int) -> int:
        return deposit_at(self.incentive.cost_weight, now - self.last_contribution_at)

    def _add_refusal(self, value, sample, label):
        cost = self._cost(self._now())
        if value < cost:
            return Revert("DepositTooSmall", {"paid": value, "cost": cost}), cost
        return update_refusal(self.replica, sample, label), cost

    @rule(c=contributions, actor=actors,
          tamper=st.sampled_from(("none",) * 12 + ("label", "id", "sample")))
    def refund(self, c, actor, tamper):
        sender = self._actor(actor, c)
        passed, record = self._lookup(c, tamper, sender)
        now = self._now()
        prediction = self.replica._predict_sample(passed.sample)
        if record is None:
            expected = Revert("UnknownContribution", {"id": passed.id, "contributor": sender})
        elif record.settled:
            expected = Revert("AlreadyRefunded", {"id": passed.id})
        elif now < record.contribution.added_at + self.incentive.refund_wait:
            expected = Revert("TooEarly", {"readyAt": record.contribution.added_at + self.incentive.refund_wait})
        elif record.remaining == 0 and record.contribution.deposit != 0:  # a free one can be validated
            expected = Revert("NothingLeft", {"id": passed.id})
        elif prediction != passed.label:
            expected = Revert("ModelDisagrees", {"prediction": prediction, "label": passed.label})
        else:
            expected = None
        tx = self._expect("refund", expected, self._refund_call(passed, sender))
        if tx is None:
            return
        amount = record.remaining
        assert [(e.name, dict(e.args)) for e in tx.events] == [
            ("Refunded", {"id": passed.id, "contributor": sender, "amount": amount})]
        record.remaining, record.settled = 0, True
        self.validated[sender] += 1
        self._move(self.address, sender, amount)

    @rule(c=contributions, taker=players, claimed=st.sampled_from(("contributor",) * 12 + PLAYERS),
          tamper=st.sampled_from(("none",) * 12 + ("label", "id")))
    def report(self, c, taker, claimed, tamper):
        self._take("report", c, self.who[taker], self._actor(claimed, c), tamper)

    @precondition(lambda self: any(r.takers and r.remaining for r in self.by_id))
    @rule(pick=st.integers(0, 2**16))
    def take_again(self, pick):
        """Someone who took from a deposit tries again (AlreadyTook, or everything after takeWait)."""
        again = [(r, t) for r in self.by_id if r.remaining for t in sorted(r.takers)]
        record, taker = again[pick % len(again)]
        self._take("take_again", record.contribution, taker, record.contribution.contributor, "none")

    def _take(self, action, c, taker, contributor, tamper):
        passed, record = self._lookup(c, tamper, contributor)
        now = self._now()
        mine, total = self.validated[taker], sum(self.validated.values())
        amount = None
        if record is not None:  # (a tampered id may find another contribution)
            open_to_all_at = record.contribution.added_at + self.incentive.take_wait
            ready_at = record.contribution.added_at + self.incentive.refund_wait
        if record is None:
            expected = Revert("UnknownContribution", {"id": passed.id, "contributor": contributor})
        elif record.remaining == 0:
            expected = Revert("NothingLeft", {"id": passed.id})
        elif now >= open_to_all_at:
            expected, amount = None, record.remaining
        elif taker == contributor:
            expected = Revert("CannotTakeOwnDeposit", {"openToAllAt": open_to_all_at})
        elif now < ready_at:
            expected = Revert("TooEarly", {"readyAt": ready_at})
        elif mine == 0:
            expected = Revert("NoValidatedContributions", {"taker": taker})
        elif taker in record.takers:
            expected = Revert("AlreadyTook", {"id": passed.id, "taker": taker})
        elif self.replica._predict_sample(passed.sample) == passed.label:
            expected = Revert("ModelAgrees", {"label": passed.label})
        else:
            amount = min(record.remaining, record.contribution.deposit * mine // total)
            expected = Revert("ShareRoundsToZero", {"id": passed.id}) if amount == 0 else None
        tx = self._expect(action, expected, lambda: self.trainer.report(replace(passed, contributor=contributor),
                                                                       sender=taker))
        if tx is None:
            return
        assert [(e.name, dict(e.args)) for e in tx.events] == [
            ("Taken", {"id": passed.id, "taker": taker, "amount": amount})]
        if now < open_to_all_at:
            record.takers.add(taker)
        record.remaining -= amount
        self._move(self.address, taker, amount)

    @invariant()
    def trainer_holds_exactly_the_remaining_deposits(self):
        assert self.lab.balance(self.address) == sum(r.remaining for r in self.by_id)

    @invariant()
    def validated_counts_and_took_bits_are_as_the_ledger_says(self):
        contract = self.trainer.contract
        assert {a: contract.validated(a) for a in self.validated} == self.validated
        assert contract.totalValidated() == sum(self.validated.values())
        for record in self.by_id:
            took = {a for a in self.who.values() if contract.hasTaken(a, record.contribution.id)}
            assert took == record.takers, record.contribution.id


# -- Points ------------------------------------------------------------------------------------
POINTS_CONFIGS = [Points(validation_wait=days(1)), Points(validation_wait=hours(2))]
BADGES = {1: "first point", 2: "10 points", 4: "100 points", 8: "first report"}


class PointsMachine(_TrainerMachine):
    machine = "Points"

    @initialize(incentive=st.sampled_from(POINTS_CONFIGS), learning_rate=st.sampled_from(LEARNING_RATES))
    def deploy(self, incentive, learning_rate):
        self._start(incentive, learning_rate)
        #: points, reports, badges of every player, and who scored first.
        self.scores = {a: [0, 0, 0] for a in self.lab.accounts}
        self.player_list: list[str] = []

    def _waits(self) -> tuple[int]:
        return (self.incentive.validation_wait,)

    def _cost(self, now: int) -> int:
        return 0

    def _add_refusal(self, value, sample, label):
        if value != 0:
            return Revert("PaymentNotAccepted", {"paid": value}), 0
        return update_refusal(self.replica, sample, label), 0

    def _open_refusal(self, passed: Contribution, record: Record | None, contributor: str) -> Revert | None:
        if record is None:
            return Revert("UnknownContribution", {"id": passed.id, "contributor": contributor})
        if record.settled:
            return Revert("AlreadySettled", {"id": passed.id})
        ready_at = record.contribution.added_at + self.incentive.validation_wait
        if self._now() < ready_at:
            return Revert("TooEarly", {"readyAt": ready_at})
        return None

    def _score(self, player: str, column: int) -> list[int]:
        """Add one point (column 0) or report (1); the badges earned by it."""
        score = self.scores[player]
        if score[0] == 0 and score[1] == 0:
            self.player_list.append(player)
        score[column] += 1
        earned = {(0, 1): 1, (0, 10): 2, (0, 100): 4, (1, 1): 8}.get((column, score[column]))
        if earned:
            score[2] |= earned
        return [earned] if earned else []

    @rule(c=contributions, actor=actors,
          tamper=st.sampled_from(("none",) * 12 + ("label", "id", "sample")))
    def validate(self, c, actor, tamper):
        sender = self._actor(actor, c)
        passed, record = self._lookup(c, tamper, sender)
        prediction = self.replica._predict_sample(passed.sample)
        expected = self._open_refusal(passed, record, sender)
        if expected is None and prediction != passed.label:
            expected = Revert("ModelDisagrees", {"prediction": prediction, "label": passed.label})
        tx = self._expect("validate", expected, self._refund_call(passed, sender))
        if tx is None:
            return
        record.settled = True
        earned = self._score(sender, 0)
        assert [(e.name, dict(e.args)) for e in tx.events] == [
            ("Validated", {"id": passed.id, "player": sender, "points": self.scores[sender][0]}),
            *[("BadgeEarned", {"player": sender, "badge": b}) for b in earned]]

    @rule(c=contributions, reporter=players, claimed=st.sampled_from(("contributor",) * 12 + PLAYERS),
          tamper=st.sampled_from(("none",) * 12 + ("label", "id")))
    def report(self, c, reporter, claimed, tamper):
        reporter = self.who[reporter]
        contributor = self._actor(claimed, c)
        passed, record = self._lookup(c, tamper, contributor)
        if reporter == contributor:
            expected = Revert("CannotReportOwn", {"id": passed.id})
        else:
            expected = self._open_refusal(passed, record, contributor)
            if expected is None and self.replica._predict_sample(passed.sample) == passed.label:
                expected = Revert("ModelAgrees", {"label": passed.label})
        tx = self._expect("report", expected, lambda: self.trainer.report(replace(passed, contributor=contributor),
                                                                         sender=reporter))
        if tx is None:
            return
        record.settled = True
        earned = self._score(reporter, 1)
        assert [(e.name, dict(e.args)) for e in tx.events] == [
            ("Reported", {"id": passed.id, "player": reporter, "contributor": contributor}),
            *[("BadgeEarned", {"player": reporter, "badge": b}) for b in earned]]

    @invariant()
    def scores_and_leaderboard_are_as_the_ledger_says(self):
        contract = self.trainer.contract
        assert {a: list(contract.players(a)) for a in self.scores} == self.scores
        assert [contract.playerList(i) for i in range(contract.numPlayers())] == self.player_list
        rows = [{"player": self.lab.accounts.name_of(a), "points": self.scores[a][0], "reports": self.scores[a][1],
                 "badges": ", ".join(name for bit, name in BADGES.items() if self.scores[a][2] & bit)}
                for a in self.player_list]
        expected = pd.DataFrame(rows, columns=["player", "points", "reports", "badges"])
        expected = expected.sort_values(["points", "reports"], ascending=False, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(self.trainer.leaderboard(), expected, check_dtype=False)


# -- Prediction market -------------------------------------------------------------------------
#: The market's rules, and the models: (rules, learning rate, features). The wide model (2,056
#: features) is the only one that can take a sample of more than MAX_SAMPLE_BYTES (2,049 features
#: of 4 bytes), so only it meets SampleTooLarge; it runs without a scoring fee.
PM_RULES = PredictionMarket(min_stake=10**12, scoring_fee=10**11, participation_time=days(2), reveal_time=days(1))
WIDE_FEATURES = 2_056
PM_CONFIGS = [(PM_RULES, rate, N_FEATURES) for rate in LEARNING_RATES] + [
    (replace(PM_RULES, scoring_fee=0), 1.0, WIDE_FEATURES)]
ZERO = "0x0000000000000000000000000000000000000000"
#: BLOCKHASH sees this far back: the chosen piece is revealed in a block up to commitBlock + 256.
BLOCKHASH_WINDOW = 256
#: A piece's salt and one sample's header (2-byte label, 2-byte length): the least a piece holds.
SALT_BYTES, HEADER_BYTES = 32, 4
#: Who calls the provider's functions: the provider (the trainer's deployer) or an impostor.
provider_or_not = st.sampled_from(("deployer", "deployer", "deployer", "mallory"))
market_players = st.sampled_from(("deployer", *PLAYERS))
#: Who withdraws: mostly someone who is owed something, else anyone.
withdrawers = st.sampled_from(("someone owed",) * 3 + ("deployer", *PLAYERS))
test_sets = st.lists(st.tuples(samples, labels), min_size=4, max_size=10)
bounties = st.one_of(st.integers(1, 10**16), st.sampled_from((0, 1, 10**15)))
#: Points a commitment buys: all the model could gain (0), a few (the bounty runs out: the cap by
#: what is left of it binds), some, or more than any test set here has room for (as 0).
points_bought = st.one_of(st.just(0), st.integers(1, 20), st.integers(1, 20_000), st.just(2**32 - 1))
#: The bounty of a market ``advance`` opens: as large as the largest stake, or only
#: one smallest stake's worth (it runs out when the points bought are few).
advance_bounties = st.sampled_from((10**15, 10**12))
#: How a commitment may be wrong: refused at once, or found out at a reveal (the declared bytes
#: one short of the pieces, a piece cut short, a label the model does not know).
SPOILT = ("one byte short", "a piece cut short", "an unknown label")
commit_shapes = st.sampled_from(("right",) * 8 + ("no pieces", "one piece", "65 pieces", "bytes below the minimum",
                                                  "bytes above the limit", "room to spare", *SPOILT))
#: The value sent with a stake: the minimum, just under it, nothing, or anything up to 0.01 ether.
stakes = st.one_of(st.sampled_from(("min", "min", "just under", "zero")), st.integers(1, 10**16))
#: The entries a process call passes, from the next one to score on: right, or wrong in one place
#: (scoring done right is mostly left to ``advance``); and the evaluation set it passes (or the reveal).
ENTRY_SLIPS = ("none", "from the next", "skip one in the middle", "tampered label", "someone else's", "junk after")
EVALUATION_SLIPS = ("a piece short", "with the chosen piece", "forged", "swapped")
entry_modes = st.sampled_from(("all",) * 3 + ENTRY_SLIPS)
evaluation_modes = st.sampled_from(("right",) * 4 + EVALUATION_SLIPS)
#: A careless scorer's first try in ``advance``.
slips = st.sampled_from((None,) * 4 + ENTRY_SLIPS + EVALUATION_SLIPS)
#: The scoring batch limit, type(uint256).max (no limit) included.
limits = st.one_of(st.integers(0, 3), st.integers(0, 60), st.just(2**256 - 1))
#: The market's clock runs in hours and days: participation lasts 2 days, the reveal 1.
market_durations = st.one_of(st.tuples(st.just("hours"), st.integers(1, 12)),
                             st.tuples(st.just("hours"), st.integers(1, 30)),
                             st.tuples(st.just("days"), st.integers(1, 3)))
#: An entry past the last contribution, which `process` must ignore.
JUNK = Contribution(id=10**6, contributor=ZERO, label=0, sample=(0,), deposit=0, payer=ZERO, added_at=0,
                    block_number=0)


def forged(data: bytes) -> bytes:
    """A piece with its last byte changed: the same length, another hash."""
    return data[:-1] + bytes([data[-1] ^ 1])


def piece_refusal(index: int, data: bytes) -> Revert | None:
    """The contract's check of piece ``index`` (rule 1: a 32-byte salt, then at least one whole
    sample, each a 2-byte label, a 2-byte length and that many bytes; the binary model knows
    labels 0 and 1). The tests' samples are all valid, so only the framing and labels can fail."""
    offset, count = SALT_BYTES, 0
    while offset < len(data):
        end = offset + HEADER_BYTES + int.from_bytes(data[offset + 2:offset + 4], "big")
        if offset + HEADER_BYTES > len(data) or end > len(data):
            return Revert("MalformedPiece", {"index": index, "offset": offset})
        label = int.from_bytes(data[offset:offset + 2], "big")
        if label > 1:
            return Revert("UnknownLabel", {"label": label, "numClasses": 2})
        offset, count = end, count + 1
    return None if count else Revert("MalformedPiece", {"index": index, "offset": offset})


class PredictionMarketMachine(_Machine):
    """Commit → reveal the chosen piece → stakes → reveal the test set → scoring in batches →
    withdrawals, or a lapse; with misuse interleaved (impostors, wrong commitments, forged and
    wrong pieces, calls in the wrong phase, on and around every deadline, batches out of order).

    The ledger's scores, payouts and model come from the twin (``market_outcome`` on the
    contributions scored so far, with the scorer of each); invariants hold the twin to the
    header's rules (kept only if the score ≥ 0, payouts of the score's sign capped by the stake,
    gains within the bounty, the model the replay of the kept contributions and never worse than
    the baseline, in right answers or in points) and the chain to the ledger."""

    machine = "PredictionMarket"

    @initialize(config=st.sampled_from(PM_CONFIGS))
    def deploy(self, config):
        incentive, learning_rate, n_features = config
        self._start(incentive, learning_rate, n_features)
        self.wide = n_features > N_FEATURES
        self.who = {name: getattr(self.lab.accounts, name) for name in ("deployer", *SPONSORS)}
        self.holders.append(BURN_ADDRESS)
        self.expected_balance[BURN_ADDRESS] = self.lab.balance(BURN_ADDRESS)
        self.total_wei = sum(self.expected_balance.values())
        self.fee = incentive.scoring_fee
        self._open_market()

    @precondition(lambda self: self.stage in (Phase.FINISHED, Phase.CANCELLED) and not any(self.credit.values()))
    @rule()
    def next_market(self):
        """A market ended and paid everyone: the next one needs a trainer of its own (one market per
        trainer). The old trainer stays among the holders, with nothing left."""
        self._count("next_market")
        self.trainer = self.lab.deploy(self.initial, self.incentive)
        self.address = self.trainer.address
        self.holders.append(self.address)
        self.expected_balance[self.address] = 0
        self._open_market()

    def _open_market(self) -> None:
        self.stage = Phase.OPEN  # the stored stage; phase() also follows the clock
        self.moved_at = -1  # the block of the latest change of stage
        self.provider, self.bounty, self.commit_block, self.total_bytes, self.bought = ZERO, 0, 0, 0, 0
        self.split: list[Piece] = []  # the pieces as built (for their samples)
        self.pieces: list[bytes] = []  # the pieces' bytes as committed (maybe malformed)
        self.hashes: list[bytes] = []
        self.by_handle = False  # committed through MarketTrainer.commit, which keeps the pieces
        self.chosen: int | None = None
        self.chosen_bytes = self.participation_end = self.reveal_deadline = 0
        self.evaluation: list[tuple[tuple[int, ...], int]] = []
        self.baseline = self.baseline_points = self.scale = self.price = 0
        self.entries: list[Contribution] = []
        self.credit = {a: 0 for a in self.lab.accounts}
        self.processed, self.correct, self.points = 0, 0, 0
        self.model = copy.deepcopy(self.initial)  # the ledger's replay of the kept contributions
        self.scorers: list[str] = []
        self.outcome: MarketOutcome | None = None  # the twin on the contributions scored so far

    # -- the rules' clock ------------------------------------------------------------------------
    def _missed_deadline(self) -> int:
        """The deadline a lapsed market names: the draw's last block, or the test set's time."""
        return self.reveal_deadline or self.commit_block + BLOCKHASH_WINDOW

    def _phase(self, *, call: bool = False) -> Phase:
        """``phase()`` in the next transaction's block, or in the latest block (a free call)."""
        block, now = (self.lab.block_number, self.lab.timestamp) if call else (self.lab.block_number + 1, self._now())
        if self.stage == Phase.COMMITTED:
            return Phase.CANCELLED if block > self.commit_block + BLOCKHASH_WINDOW else Phase.COMMITTED
        if self.stage != Phase.PARTICIPATION:
            return self.stage
        if now < self.participation_end:
            return Phase.PARTICIPATION
        return Phase.REVEAL if now < self.reveal_deadline else Phase.CANCELLED

    def _just_moved(self) -> bool:
        """The latest block changed the stage: calls that belong to the stage before are tried once
        more (a second commit, a stake or a reveal just too late, a withdrawal just too early)."""
        return self.lab.block_number == self.moved_at

    def _move_on(self, stage: Phase) -> None:
        self.stage, self.moved_at = stage, self.lab.block_number

    def _held(self) -> int:
        """Wei the trainer holds besides the credits: the unspent bounty and the losses not yet
        burned, until the market ends."""
        if self.stage in (Phase.OPEN, Phase.FINISHED, Phase.CANCELLED):
            return 0
        paid, burned = (self.outcome.bounty_paid, self.outcome.burned) if self.outcome else (0, 0)
        return self.bounty - paid + burned

    # -- the provider ----------------------------------------------------------------------------
    # Each rule below waits for the stages where it can first matter, and stops where it no longer
    # can (or would say the same again and again), so examples are not spent knocking on a market
    # that does not exist yet or has ended; inside that range it is tried in every phase.
    @precondition(lambda self: self.stage == Phase.OPEN or self._just_moved()
                  or (self.stage != Phase.CANCELLED and self._phase() == Phase.CANCELLED))
    @rule(who=provider_or_not, bounty=bounties, test=test_sets, n_pieces=st.integers(2, 4), shape=commit_shapes,
          bought=points_bought)
    def commit(self, who, bounty, test, n_pieces, shape, bought):
        sender = self.who[who]
        X, y = [s for s, _ in test], [label for _, label in test]
        split = split_test_set(X, y, n_pieces, sparse=True, seed=len(test))
        pieces = [p.data for p in split]
        k = len(test) % n_pieces  # the piece a malformed commitment spoils (maybe the chosen one)
        if shape == "a piece cut short":
            pieces[k] = pieces[k][:-1]
        elif shape == "an unknown label":
            pieces[k] = replace(split[k], labels=(2, *split[k].labels[1:])).data
        hashes = [keccak(p) for p in pieces]
        hashes = {"no pieces": [], "one piece": hashes[:1], "65 pieces": (hashes * 33)[:MAX_PIECES + 1]}.get(shape, hashes)
        minimum = len(hashes) * (SALT_BYTES + HEADER_BYTES)
        total = sum(map(len, pieces)) + {"one byte short": -1, "room to spare": 100}.get(shape, 0)
        total = {"bytes below the minimum": minimum - 1, "bytes above the limit": MAX_EVALUATION_BYTES + 1}.get(shape,
                                                                                                            total)
        if sender != self.who["deployer"]:
            expected = Revert("NotProvider", {"caller": sender, "expected": self.who["deployer"]})
        elif self.stage != Phase.OPEN:  # the phase, a lapse included even if nobody recorded it yet
            expected = Revert("WrongPhase", {"actual": self._phase(), "expected": Phase.OPEN})
        elif bounty == 0:
            expected = Revert("InvalidBounty", {"bounty": 0})
        elif not 2 <= len(hashes) <= MAX_PIECES:
            expected = Revert("InvalidPieceCount", {"count": len(hashes)})
        elif not minimum <= total <= MAX_EVALUATION_BYTES:
            expected = Revert("InvalidTotalBytes", {"totalBytes": total, "minimum": minimum})
        else:
            expected = None
        tx = self._expect("commit", expected, lambda: self._sent(
            self.trainer.contract.commit(hashes, total, bought, sender=sender, value=bounty)))
        if tx is not None:
            self._committed(tx, split, pieces, total, bounty, bought)

    def _committed(self, tx, split: list[Piece], pieces: list[bytes], total: int, bounty: int, bought: int) -> None:
        hashes = [keccak(p) for p in pieces]
        assert [(e.name, dict(e.args)) for e in tx.events] == [("MarketCommitted", {
            "provider": self.who["deployer"], "bounty": bounty, "pieceHashes": hashes, "totalBytes": total,
            "commitBlock": tx.block, "pointsBought": bought})]
        self._move_on(Phase.COMMITTED)
        self.provider, self.bounty, self.commit_block, self.bought = tx.sender, bounty, tx.block, bought
        self.split, self.pieces, self.hashes, self.total_bytes = split, pieces, hashes, total
        self._move(tx.sender, self.address, bounty)
        # A reveal in the commitment's own block cannot read the draw yet (a free call: every
        # transaction of the lab is mined in a block of its own).
        self._reveal_chosen_piece("reveal_chosen_piece (in the commit block)", self.provider, "drawn", call=True)

    @precondition(lambda self: self.stage == Phase.COMMITTED or self._just_moved()
                  or (self.stage == Phase.PARTICIPATION and self._phase() == Phase.CANCELLED))
    @rule(who=provider_or_not, piece=st.sampled_from(("drawn",) * 4 + ("forged", "another")),
          call=st.sampled_from((False,) * 4 + (True,)))
    def reveal_chosen_piece(self, who, piece, call):
        """The provider reveals the drawn piece (or a forged or another one), as a transaction or
        as a free call in the latest block (which is one block earlier, for the draw window)."""
        self._reveal_chosen_piece("reveal_chosen_piece (call)" if call else "reveal_chosen_piece",
                                  self.who[who], piece, call=call)

    def _reveal_chosen_piece(self, action: str, sender: str, piece: str, *, call: bool = False,
                             handle: bool = False) -> None:
        expected, index, data = self._chosen_piece_refusal(sender, piece, call)
        if call:
            send = lambda: self.trainer.contract.revealChosenPiece.call(data, sender=sender)  # noqa: E731
        elif handle:
            send = lambda: self._sent(self.trainer.reveal_chosen_piece(sender=sender))  # noqa: E731
        else:
            send = lambda: self._sent(self.trainer.contract.revealChosenPiece(data, sender=sender))  # noqa: E731
        tx = self._expect(action, expected, send, call=call)
        if expected is not None or call:
            return
        now = tx.timestamp
        self._move_on(Phase.PARTICIPATION)
        self.chosen, self.chosen_bytes = index, len(data)
        self.participation_end = now + self.incentive.participation_time
        self.reveal_deadline = self.participation_end + self.incentive.reveal_time
        assert [(e.name, dict(e.args)) for e in tx.events] == [
            ("PieceRevealed", {"index": index, "piece": data}),
            ("ParticipationOpened", {"chosenPiece": index, "participationEnd": self.participation_end,
                                     "revealDeadline": self.reveal_deadline})]

    def _chosen_piece_refusal(self, sender: str, piece: str, call: bool) -> tuple[Revert | None, int | None, bytes]:
        """Rule 2's verdict, the drawn index (read from the chain: it is the commit block's hash)
        and the bytes sent."""
        current, block = self._phase(call=call), self.lab.block_number + (0 if call else 1)
        some_piece = self.pieces[0] if self.pieces else bytes(SALT_BYTES + HEADER_BYTES)
        if sender != self.provider:
            return Revert("NotProvider", {"caller": sender, "expected": self.provider}), None, some_piece
        if current == Phase.CANCELLED:
            return Revert("MarketLapsed", {"deadline": self._missed_deadline()}), None, some_piece
        if current != Phase.COMMITTED:
            return Revert("WrongPhase", {"actual": current, "expected": Phase.COMMITTED}), None, some_piece
        if block <= self.commit_block:
            return Revert("DrawNotReady", {"readyAt": self.commit_block + 1}), None, some_piece
        index = self.trainer.chosen_piece()
        data = {"drawn": self.pieces[index], "forged": forged(self.pieces[index]),
                "another": self.pieces[(index + 1) % len(self.pieces)]}[piece]
        if keccak(data) != self.hashes[index]:
            return Revert("PieceMismatch", {"index": index}), index, data
        return piece_refusal(index, data), index, data

    @precondition(lambda self: self._just_moved() or (
        self.stage in (Phase.COMMITTED, Phase.PARTICIPATION) and self._phase() != Phase.COMMITTED and (
            self._phase() != Phase.PARTICIPATION or self._now() + 1 >= self.participation_end)))
    @rule(who=provider_or_not, given=evaluation_modes)
    def reveal_test_set(self, who, given):
        self._reveal_test_set("reveal_test_set", self.who[who], self._evaluation_given(given))

    def _reveal_test_set(self, action: str, sender: str, pieces: list[bytes], *, handle: bool = False) -> None:
        expected = self._test_set_refusal(sender, pieces)
        send = (lambda: self._sent(self.trainer.reveal_test_set(sender=sender))) if handle else \
            (lambda: self._sent(self.trainer.contract.revealTestSet(pieces, sender=sender)))
        tx = self._expect(action, expected, send)
        if tx is None:
            return
        indices = [i for i in range(len(self.pieces)) if i != self.chosen]
        self.evaluation = [(s, label) for i in indices for s, label in zip(self.split[i].samples, self.split[i].labels)]
        # Rule 4, from the header's formulas.
        self.baseline = self.correct = right_answers(self.initial, self.evaluation)
        self.scale = max(1, 2 * sum(abs(self.initial._assess_sample(s, y)[0]) for s, y in self.evaluation)
                         // len(self.evaluation))
        self.baseline_points = self.points = sum(
            max(-SAMPLE_POINTS, min(SAMPLE_POINTS, int(Fraction(m * SAMPLE_POINTS, self.scale))))
            for m, _ in (self.initial._assess_sample(s, y) for s, y in self.evaluation))
        room = len(self.evaluation) * SAMPLE_POINTS - self.baseline_points
        self.price = self.bounty // max(self.bought if 0 < self.bought <= room else room, 1)
        self._move_on(Phase.SCORING)
        self.outcome = self._twin(0, sender)
        assert (self.outcome.baseline, self.outcome.baseline_points, self.outcome.margin_scale, self.outcome.price) \
            == (self.baseline, self.baseline_points, self.scale, self.price)
        revealed = [(e.name, dict(e.args)) for e in tx.events]
        assert revealed[:len(indices)] == [("PieceRevealed", {"index": i, "piece": self.pieces[i]}) for i in indices]
        name, args = revealed[len(indices)]
        assert (name, args["evaluationSize"], args["baseline"], args["baselinePoints"], args["marginScale"],
                args["pricePerPoint"]) == ("TestSetRevealed", len(self.evaluation), self.baseline,
                                           self.baseline_points, self.scale, self.price)
        assert 0 < args["evaluationGas"] <= EVALUATION_GAS_LIMIT
        if not self.entries:
            self._finish(revealed[len(indices) + 1:])

    def _test_set_refusal(self, sender: str, pieces: list[bytes]) -> Revert | None:
        """Rule 4's verdict on revealing ``pieces``."""
        current = self._phase()
        if sender != self.provider:
            return Revert("NotProvider", {"caller": sender, "expected": self.provider})
        if current == Phase.PARTICIPATION:
            return Revert("RevealTooEarly", {"opensAt": self.participation_end})
        if current == Phase.CANCELLED:
            return Revert("MarketLapsed", {"deadline": self._missed_deadline()})
        if current != Phase.REVEAL:
            return Revert("WrongPhase", {"actual": current, "expected": Phase.REVEAL})
        refusal = self._evaluation_refusal(pieces)
        if refusal is not None:
            return refusal
        size = self.chosen_bytes + sum(map(len, pieces))
        if size > self.total_bytes:
            return Revert("PiecesTooLarge", {"actual": size, "declared": self.total_bytes})
        for j, data in enumerate(pieces):
            refusal = piece_refusal(self._piece_index(j), data)
            if refusal is not None:
                return refusal
        return None

    def _piece_index(self, j: int) -> int:
        """The index of the j-th evaluation piece (the chosen piece is skipped)."""
        return j if j < self.chosen else j + 1

    def _evaluation_given(self, mode: str) -> list[bytes]:
        right = [p for i, p in enumerate(self.pieces) if i != self.chosen]
        if mode == "a piece short":
            return right[1:]
        if mode == "with the chosen piece":
            return list(self.pieces)
        if mode == "forged":
            return [forged(p) for p in right[:1]] + right[1:]
        if mode == "swapped":
            return right[::-1]
        return right

    def _evaluation_refusal(self, pieces: list[bytes]) -> Revert | None:
        """Every piece but the chosen one, in index order, each matching its hash."""
        expected = len(self.pieces) - 1
        if len(pieces) != expected:
            return Revert("WrongEvaluationSet", {"given": len(pieces), "expected": expected})
        for j, data in enumerate(pieces):
            if keccak(data) != self.hashes[self._piece_index(j)]:
                return Revert("PieceMismatch", {"index": self._piece_index(j)})
        return None

    # -- participants ----------------------------------------------------------------------------
    @precondition(lambda self: self.stage == Phase.PARTICIPATION or self._just_moved())
    @rule(who=players, sample=samples, label=labels, stake=stakes)
    def stake(self, who, sample, label, stake):
        sender, now, minimum = self.who[who], self._now(), self.incentive.min_stake
        value = {"min": minimum, "just under": minimum - 1, "zero": 0}.get(stake, stake)
        current = self._phase()
        if current != Phase.PARTICIPATION:
            expected = Revert("WrongPhase", {"actual": current, "expected": Phase.PARTICIPATION})
        elif value < minimum:
            expected = Revert("StakeTooSmall", {"paid": value, "minStake": minimum})
        else:
            expected = None
        c = self._expect("stake", expected, lambda: self.trainer.add_data(sample, label, sender=sender, value=value))
        if c is None:
            return
        assert (c.id, c.contributor, c.payer, c.sample, c.label, c.deposit, c.added_at) == (
            len(self.entries), sender, sender, sample, label, value, now)
        self.entries.append(c)
        self.credit[sender] += value
        self._move(sender, self.address, value)

    @precondition(lambda self: self.wide and (self.stage == Phase.PARTICIPATION or self._just_moved()))
    @rule(who=players, label=labels, n_features=st.sampled_from((MAX_SAMPLE_BYTES // 4 + 1, WIDE_FEATURES)))
    def stake_too_large_a_sample(self, who, label, n_features):
        """A valid sample of more than MAX_SAMPLE_BYTES (4 bytes per feature), with the minimum stake."""
        sender, current = self.who[who], self._phase()
        if current != Phase.PARTICIPATION:
            expected = Revert("WrongPhase", {"actual": current, "expected": Phase.PARTICIPATION})
        else:
            expected = Revert("SampleTooLarge", {"length": 4 * n_features, "limit": MAX_SAMPLE_BYTES})
        data = self.trainer._encode(tuple(range(n_features)))
        self._expect("stake_too_large_a_sample", expected, lambda: self.trainer.contract.addData(
            data, label, sender=sender, value=self.incentive.min_stake))

    # -- scoring ---------------------------------------------------------------------------------
    @precondition(lambda self: self.stage == Phase.SCORING or self._just_moved())
    @rule(who=market_players, limit=limits, entries=entry_modes, evaluation=evaluation_modes)
    def process(self, who, limit, entries, evaluation):
        self._process("process", who, limit, entries, evaluation)

    def _process(self, action: str, who: str, limit: int, entries: str, evaluation: str) -> None:
        sender, current = self.who[who], self._phase()
        given, pieces = self._entries_given(entries), self._evaluation_given(evaluation)
        if current != Phase.SCORING:
            expected = Revert("WrongPhase", {"actual": current, "expected": Phase.SCORING})
        else:
            expected = self._evaluation_refusal(pieces) or self._batch_refusal(given, limit)
        rows = [(c.id, self.trainer._encode(c.sample), c.label, c.contributor) for c in given]
        tx = self._expect(action, expected, lambda: self._sent(
            self.trainer.contract.process(rows, pieces, limit, sender=sender)))
        if tx is not None:
            end = min(len(self.entries), self.processed + len(given), self.processed + limit)
            self._scored(end, sender, [(e.name, dict(e.args)) for e in tx.events])

    def _entries_given(self, mode: str) -> list[Contribution]:
        rest = self.entries[self.processed:]
        if not rest or mode == "all":
            return rest + [JUNK] * (mode == "junk after")
        other = self.who["bob"] if rest[0].contributor != self.who["bob"] else self.who["alice"]
        return {"none": [], "from the next": rest[1:], "skip one in the middle": rest[:1] + rest[2:],
                "tampered label": [replace(rest[0], label=1 - rest[0].label), *rest[1:]],
                "someone else's": [replace(rest[0], contributor=other), *rest[1:]],
                "junk after": [*rest, JUNK]}[mode]

    def _batch_refusal(self, given: list[Contribution], limit: int) -> Revert | None:
        """Rule 5: the next contributions, in id order, exactly as added; at least one scored."""
        start = self.processed
        end = min(len(self.entries), start + len(given), start + limit)
        if end == start:
            return Revert("NoProgress", {"processed": start})
        for expected_id, c in enumerate(given[:end - start], start):
            if c.id != expected_id:
                return Revert("OutOfOrder", {"id": c.id, "expected": expected_id})
            if key_of(c.sample, c.label, c.contributor, c.id) != self._key(expected_id):
                return Revert("UnknownContribution", {"id": c.id, "contributor": c.contributor})
        return None

    def _key(self, id_: int) -> tuple:
        c = self.entries[id_]
        return key_of(c.sample, c.label, c.contributor, c.id)

    def _twin(self, end: int, scorer: str) -> MarketOutcome:
        """The twin on the first ``end`` contributions, the ones from ``processed`` scored by ``scorer``."""
        entries = [MarketEntry(c.sample, c.label, c.contributor, c.deposit) for c in self.entries[:end]]
        return market_outcome(self.initial, entries, self.evaluation, self.bounty, self.provider,
                              scoring_fee=self.fee, scorer=[*self.scorers, *[scorer] * (end - self.processed)],
                              points_bought=self.bought)

    def _scored(self, end: int, scorer: str, events: list[tuple[str, dict]]) -> None:
        """Contributions ``processed`` … ``end`` − 1 were scored by ``scorer``: check the events, then
        move the ledger on (rules 5 and 6, through the twin)."""
        start, outcome = self.processed, self._twin(end, scorer)
        expected, correct, points = [], self.correct, self.points
        for i in range(start, end):
            c = self.entries[i]
            if outcome.kept[i]:
                self.model._update_sample(c.sample, c.label)
                correct, points = right_answers(self.model, self.evaluation), points + outcome.scores[i]
            if i in outcome.skipped:
                expected.append(("TrainingSkipped", {"id": i}))
            expected.append(("ContributionScored", {
                "id": i, "contributor": c.contributor, "score": outcome.scores[i], "correct": correct,
                "points": points, "payout": outcome.payouts[i], "kept": outcome.kept[i], "scorer": scorer}))
            self.credit[c.contributor] += outcome.payouts[i] - self.fee
            self.credit[scorer] += self.fee
            OUTCOMES[(self.machine, "(contributions scored)", self._kind(outcome, i))] += 1  # not a step
        scored = [(name, {"id": args["id"]} if name == "TrainingSkipped" else args) for name, args in events]
        assert scored[:len(expected)] == expected
        assert (correct, points) == (outcome.final, outcome.final_points)
        self.processed, self.correct, self.points, self.outcome = end, correct, points, outcome
        self.scorers += [scorer] * (end - start)
        assert [self.trainer.contract.scoreOf(i) for i in range(start, end)] == outcome.scores[start:end]
        if end == len(self.entries):
            self._finish(scored[len(expected):])
        else:
            assert scored[len(expected):] == []

    def _kind(self, outcome: MarketOutcome, i: int) -> str:
        """What scoring did with contribution ``i`` (for the outcome table)."""
        if i in outcome.skipped:
            return "training refused"
        if not outcome.kept[i]:
            return "undone, score < 0" if outcome.scores[i] < 0 else "undone, a right answer lost"
        if outcome.scores[i] <= 0:
            return "kept, score 0"
        full = min(outcome.scores[i] * outcome.price, self.entries[i].deposit - self.fee)
        return "kept, score > 0" if outcome.payouts[i] == full else "kept, gain cut to the bounty left"

    def _finish(self, events: list[tuple[str, dict]]) -> None:
        """Every contribution is scored (rule 6): the provider gets the unspent bounty, losses burn,
        and every credit is what the twin says the whole market pays."""
        o = self.outcome
        assert events == [("MarketFinished", {"bountyPaid": o.bounty_paid, "refund": self.bounty - o.bounty_paid,
                                              "burned": o.burned})]
        self._move_on(Phase.FINISHED)
        self.credit[self.provider] += self.bounty - o.bounty_paid
        self._move(self.address, BURN_ADDRESS, o.burned)
        assert {a: v for a, v in self.credit.items() if v} == o.credits

    # -- money out -------------------------------------------------------------------------------
    @precondition(lambda self: self.stage in (Phase.COMMITTED, Phase.PARTICIPATION) and (
        self._phase() in (Phase.REVEAL, Phase.CANCELLED)
        or self.lab.block_number + 1 == self.commit_block + BLOCKHASH_WINDOW))
    @rule(who=market_players)
    def lapse(self, who):
        sender, current = self.who[who], self._phase()
        tx_phase = self._expect("lapse", None, lambda: self.trainer.contract.lapse(sender=sender))
        assert tx_phase == current
        lapses = current == Phase.CANCELLED and self.stage != Phase.CANCELLED
        assert [(e.name, dict(e.args)) for e in self.lab.last_tx.events] == (
            [("MarketCancelled", {"numContributions": len(self.entries), "burned": self.bounty})] if lapses else [])
        if lapses:
            self._lapse()

    def _lapse(self) -> None:
        """Rule 7: every stake comes back whole (as the twin's ``lapsed_outcome`` says), the bounty burns."""
        entries = [MarketEntry(c.sample, c.label, c.contributor, c.deposit) for c in self.entries]
        assert {a: v for a, v in self.credit.items() if v} == lapsed_outcome(entries)
        self._move_on(Phase.CANCELLED)
        self._move(self.address, BURN_ADDRESS, self.bounty)

    @precondition(lambda self: self.stage in (Phase.FINISHED, Phase.CANCELLED) or self._just_moved()
                  or self._phase() in (Phase.REVEAL, Phase.CANCELLED))
    @rule(who=withdrawers)
    def withdraw(self, who):
        owed = [a for a, v in self.credit.items() if v]
        sender = (owed[0] if owed else self.provider) if who == "someone owed" else self.who[who]
        current = self._phase()
        amount = self.credit[sender]
        if current not in (Phase.FINISHED, Phase.CANCELLED):
            expected = Revert("MarketNotOver", {"actual": current})
        elif amount == 0:
            expected = Revert("NothingToWithdraw", {"account": sender})
        else:
            expected = None
        tx = self._expect("withdraw", expected, lambda: self.trainer.withdraw(sender=sender))
        if tx is None:
            return
        events = [(e.name, dict(e.args)) for e in tx.events]
        if current == Phase.CANCELLED and self.stage != Phase.CANCELLED:  # withdraw records the lapse first
            assert events.pop(0) == ("MarketCancelled", {"numContributions": len(self.entries), "burned": self.bounty})
            self._lapse()
        assert events == [("Withdrawal", {"account": sender, "amount": amount})]
        self.credit[sender] = 0
        self._move(self.address, sender, amount)

    # -- the clock -------------------------------------------------------------------------------
    @precondition(lambda self: self._phase() == Phase.PARTICIPATION)
    @rule(duration=market_durations)
    def time_travel(self, duration):
        self._count("time_travel")
        unit, n = duration
        self.lab.time_travel(**{unit: n})

    @precondition(lambda self: self._phase() == Phase.PARTICIPATION)
    @rule(offset=st.sampled_from((-1, 0)))
    def time_travel_to_the_end_of_participation(self, offset):
        """Make the next transaction (a stake, an early reveal, …) run one second before, or
        exactly at, the end of participation."""
        self._count("time_travel_to_the_end_of_participation")
        self._time_travel_to(self.participation_end + offset)

    @precondition(lambda self: self._phase() in (Phase.PARTICIPATION, Phase.REVEAL))
    @rule(offset=st.sampled_from((-1, -1, 0)))
    def reveal_test_set_at_the_deadline(self, offset):
        """The provider reveals the test set one second before the deadline, or exactly at it."""
        self._time_travel_to(self.reveal_deadline + offset)
        self._reveal_test_set("reveal_test_set_at_the_deadline", self.provider, self._evaluation_given("right"))

    def _time_travel_to(self, target: int) -> None:
        """Make the next transaction run at block time ``target`` (if it is still ahead)."""
        gap = target - self._now()
        if gap >= 1:
            self.lab.time_travel(seconds=gap)
            assert self._now() == target

    @precondition(lambda self: self._phase() == Phase.COMMITTED)
    @rule(blocks=st.sampled_from((1, 64, 128, 300)))
    def mine_blocks(self, blocks):
        """Blocks one second apart: enough of them and the commit block's hash is out of sight."""
        self._count("mine_blocks")
        self.lab.time_travel(blocks=blocks)

    @precondition(lambda self: self.stage == Phase.COMMITTED)
    @rule(offset=st.sampled_from((0, 0, 0, 1)))
    def reveal_chosen_piece_at_the_window_edge(self, offset):
        """The provider reveals the drawn piece in the last block that may (commitBlock + 256), or in
        the first that may not."""
        gap = self.commit_block + BLOCKHASH_WINDOW + offset - (self.lab.block_number + 1)
        if gap >= 1:
            self.lab.time_travel(blocks=gap)
        self._reveal_chosen_piece("reveal_chosen_piece_at_the_window_edge", self.provider, "drawn")

    @rule(who=market_players, test=test_sets, limit=st.integers(0, 6),
          spoilt=st.sampled_from((None,) * 6 + SPOILT), slip=slips, bought=points_bought,
          bounty=advance_bounties)
    def advance(self, who, test, limit, spoilt, slip, bought, bounty):
        """The market's next step, done right, through the handle where it has a method (so that most
        examples get to scoring and payouts). Some providers commit a spoilt test set by mistake:
        their reveal fails, and the deadline passes; some scorers first ``slip`` (a process call
        wrong in one place, as the ``process`` rule makes them), then score one right."""
        self._advance(who, test, limit, spoilt, slip, bought, bounty)

    @rule(who=market_players, test=test_sets, limit=st.integers(0, 6),
          spoilt=st.sampled_from((None,) * 6 + SPOILT), slip=slips, bought=points_bought,
          bounty=advance_bounties)
    def advance_too(self, who, test, limit, spoilt, slip, bought, bounty):
        """``advance`` again: swarm testing switches each rule off in some examples (in about half of
        them on average), and a market left without a way forward spends the rest of the example
        on the same refusals; two rules that move it on halve that."""
        self._advance(who, test, limit, spoilt, slip, bought, bounty)

    def _advance(self, who, test, limit, spoilt, slip, bought, bounty):
        current, deployer = self._phase(), self.who["deployer"]
        if current == Phase.OPEN and spoilt:
            self.commit("deployer", bounty, test, 2 + len(test) % 3, spoilt, bought)
        elif current == Phase.OPEN:
            X, y, n_pieces = [s for s, _ in test], [label for _, label in test], 2 + len(test) % 3
            tx = self._expect("advance: commit", None, lambda: self.trainer.commit(
                X, y, bounty=bounty, pieces=n_pieces, points_bought=bought, seed=len(test), sender=deployer))
            split = split_test_set(X, y, n_pieces, sparse=True, seed=len(test))
            assert self.trainer.pieces == split
            self.by_handle = True
            self._committed(tx, split, [p.data for p in split], sum(len(p.data) for p in split), bounty, bought)
        elif current == Phase.COMMITTED:
            self._reveal_chosen_piece("advance: reveal_chosen_piece", deployer, "drawn", handle=self.by_handle)
            if self.stage == Phase.COMMITTED:
                self._count("advance: past the draw window")
                self.lab.time_travel(blocks=self.commit_block + BLOCKHASH_WINDOW + 1 - (self.lab.block_number + 1))
        elif current == Phase.PARTICIPATION and len(self.entries) < len(test) - 1:
            # A participant who guessed one of the test samples stakes on it (every third one with
            # the other label, an attacker), 1e12 … 1e15 wei: random samples (the stake rule's)
            # rarely help, and without these few contributions would gain.
            committed = [(s, label) for piece in self.split for s, label in zip(piece.samples, piece.labels)]
            sample, label = committed[(len(test) + len(self.entries)) % len(committed)]
            value = self.incentive.min_stake * 10 ** (len(test) % 4)
            self.stake(who, sample, label if len(self.entries) % 3 else 1 - label, value)
        elif current == Phase.PARTICIPATION:
            self._count("advance: to the reveal")
            self._time_travel_to(self.participation_end)
        elif current == Phase.REVEAL:
            self._reveal_test_set("advance: reveal_test_set", deployer, self._evaluation_given("right"),
                                  handle=self.by_handle)
            if self.stage == Phase.PARTICIPATION:
                self._count("advance: past the reveal deadline")
                self._time_travel_to(self.reveal_deadline)
        elif current == Phase.SCORING and limit >= 2:
            if slip is not None:
                self._process("advance: a scorer's slip", who, limit - 1, slip if slip in ENTRY_SLIPS else "all",
                              slip if slip in EVALUATION_SLIPS else "right")
            if self.stage == Phase.SCORING:
                self._process("advance: process one", who, 1, "all", "right")
        elif current == Phase.SCORING:
            self._process_by_handle(self.who[who], limit)
        elif current == Phase.CANCELLED and self.stage != Phase.CANCELLED:
            self.lapse(who)
        elif any(self.credit.values()):
            for _ in range(sum(v > 0 for v in self.credit.values())):
                self.withdraw("someone owed")
        else:
            self.next_market()

    def _process_by_handle(self, sender: str, limit: int) -> None:
        """``MarketTrainer.process`` scores everything left, ``limit`` (0: all) per transaction."""
        rest = len(self.entries) - self.processed
        records = self.trainer.process(max_contributions=limit or None, sender=sender)
        self._count("advance: process (handle)", "ok")
        assert len(records) == -(-rest // (limit or rest)) and all(r.success for r in records)
        self._scored(len(self.entries), sender, [(e.name, dict(e.args)) for r in records for e in r.events])

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def market_state_is_as_the_ledger_says(self):
        c = self.trainer.contract
        assert c.phase() == self._phase(call=True)
        assert (c.provider(), c.bounty(), c.commitBlock(), c.numPieces(), c.totalBytes(), c.pointsBought()) == (
            self.provider, self.bounty, self.commit_block, len(self.hashes), self.total_bytes, self.bought)
        assert (c.chosenPiece(), c.chosenPieceBytes(), c.participationEnd(), c.revealDeadline()) == (
            self.chosen or 0, self.chosen_bytes, self.participation_end, self.reveal_deadline)
        assert (c.evaluationSize(), c.baseline(), c.baselinePoints(), c.marginScale(), c.pricePerPoint()) == (
            len(self.evaluation), self.baseline, self.baseline_points, self.scale, self.price)
        assert c.numContributions() == len(self.entries)
        assert tuple(c.progress()) == (self.processed, self.correct, self.points)
        assert c.bountyPaid() == (self.outcome.bounty_paid if self.outcome else 0)
        assert {a: c.owed(a) for a in self.credit} == self.credit
        with self.lab.reverts("NotScored") as caught:
            c.scoreOf(self.processed)
        assert caught.error.error_args == {"id": self.processed}

    @invariant()
    def trainer_holds_the_credits_and_what_the_market_still_owes(self):
        assert self.lab.balance(self.address) == sum(self.credit.values()) + self._held()

    @invariant()
    def model_is_the_replay_of_the_kept_contributions(self):
        """The initial model until scoring; then trained on the kept contributions only, in order;
        never worse on the test set than the baseline, in right answers or in points."""
        replay = copy.deepcopy(self.initial)
        for c, kept in zip(self.entries, self.outcome.kept if self.outcome else []):
            if kept:
                replay._update_sample(c.sample, c.label)
        assert learned(self.trainer.local_model()) == learned(replay)
        if self.outcome is not None:
            assert learned(self.outcome.model) == learned(replay)
            assert self.baseline <= self.correct == right_answers(replay, self.evaluation)
            assert self.baseline_points <= self.points == evaluate(replay, self.evaluation, self.scale)[1]

    @invariant()
    def payouts_follow_rule_6(self):
        """The twin's outcome (which the chain must match) against the header's own words."""
        o = self.outcome
        if o is None:
            return
        paid = 0  # the bounty paid out before contribution i
        for i, c in enumerate(self.entries[:self.processed]):
            score, payout, at_risk = o.scores[i], o.payouts[i], c.deposit - self.fee
            assert not o.kept[i] or (score >= 0 and i not in o.skipped)
            if score < 0:
                assert payout == -min(-score * self.price, at_risk)
            else:
                assert payout == (min(score * self.price, at_risk, self.bounty - paid) if o.kept[i] else 0)
            paid += max(payout, 0)
        assert o.bounty_paid == sum(p for p in o.payouts if p > 0) <= self.bounty
        assert o.burned == -sum(p for p in o.payouts if p < 0)
        assert o.final_points - o.baseline_points == sum(s for s, kept in zip(o.scores, o.kept) if kept)


# -- the tests ---------------------------------------------------------------------------------
def _budgeted(machine: type[_Machine], *, fresh_seed: int | None = None) -> type:
    """The machine's TestCase, which then prints what the machine did (steps, outcome of every
    rule) and fails if it ran fewer than half the nominal steps (Hypothesis may end an example
    early, so the real count runs below examples × steps). With ``fresh_seed`` it runs
    ``FRESH_EXAMPLES`` from that seed and, when it fails, says how to replay the failure."""
    base = name = machine.machine
    examples = EXAMPLES
    if fresh_seed is not None:
        name, examples = f"{base} (fresh seed {fresh_seed})", FRESH_EXAMPLES
        machine = seed(fresh_seed)(type(f"{machine.__name__}FreshSeed", (machine,), {"machine": name}))

    class TestCase(machine.TestCase):
        settings = STATEFUL if fresh_seed is None else FRESH

        def runTest(self) -> None:
            try:
                super().runTest()
            except BaseException as error:
                if fresh_seed is not None:
                    error.add_note(_replay_hint(base, fresh_seed))
                raise
            steps, runs = STEPS_RUN[name], EXAMPLE_STEPS[name]
            lines = [f"{name}: {steps} stateful steps in {len(runs)} examples (per example {min(runs)} … "
                     f"{max(runs)}; nominal {examples} × {STEPS}), {SECONDS[name]:.1f} s"]
            rows = sorted((action, outcome, n) for (m, action, outcome), n in OUTCOMES.items() if m == name)
            width = max(len(action) for action, _, _ in rows)
            lines += [f"    {action:{width}} {outcome or '-':26} {n:6}" for action, outcome, n in rows]
            print("\n" + "\n".join(lines), file=sys.__stdout__)
            assert steps >= 0.5 * examples * STEPS, f"{name} ran only {steps} steps"

    return TestCase


def _replay_hint(machine: str, fresh_seed: int) -> str:
    """The command that replays a fresh-seed run: same seed, same budget, same machine."""
    return (f"Fresh-seed run, seed {fresh_seed}; replay it with\n"
            f"    DCAI_LAB_STATEFUL_SEED={fresh_seed} DCAI_LAB_STATEFUL_EXAMPLES={EXAMPLES} "
            f"DCAI_LAB_STATEFUL_STEPS={STEPS} .venv/bin/python -m pytest -q -s -o addopts=\"\" "
            f"tests/incentives/test_state_machine.py::Test{machine}FreshSeed")


TestDepositRefundTake = _budgeted(DepositRefundTakeMachine)
TestPoints = _budgeted(PointsMachine)
TestPredictionMarket = _budgeted(PredictionMarketMachine)
TestDepositRefundTakeFreshSeed = _budgeted(DepositRefundTakeMachine, fresh_seed=FRESH_SEED)
TestPointsFreshSeed = _budgeted(PointsMachine, fresh_seed=FRESH_SEED)
TestPredictionMarketFreshSeed = _budgeted(PredictionMarketMachine, fresh_seed=FRESH_SEED)


def test_process_without_a_limit_after_the_first_batch():
    """``process(entries, pieces, type(uint256).max)`` (no limit) scores every contribution left,
    whatever was scored before: ``maxContributions`` is only "the most contributions to score in
    this transaction" (PredictionMarket.sol, ``process``). Until 474f3fa, ``start +
    maxContributions`` overflowed (Panic 0x11) once ``progress()`` was above 0."""
    lab, trainer, _ = deployment(PM_RULES, 1.0)
    deployer, alice, bob = lab.accounts.deployer, lab.accounts.alice, lab.accounts.bob
    with lab.anchor():
        trainer.commit([(0,), (1,), (2,), (3,)], [1, 0, 1, 0], bounty=10**15, pieces=2, seed=1, sender=deployer)
        trainer.reveal_chosen_piece(sender=deployer)
        for feature in (4, 5, 6):
            trainer.add_data((feature,), 1, sender=alice, value=PM_RULES.min_stake)
        lab.time_travel(seconds=PM_RULES.participation_time)
        trainer.reveal_test_set(sender=deployer)
        rows = [(c.id, trainer._encode(c.sample), c.label, c.contributor) for c in trainer.contributions()]
        pieces = [p.data for p in trainer.evaluation_set()]
        trainer.contract.process(rows, pieces, 1, sender=bob)
        assert trainer.progress()[0] == 1
        trainer.contract.process(rows[1:], pieces, 2**256 - 1, sender=bob)
        assert (trainer.phase, trainer.progress()[0]) == (Phase.FINISHED, 3)
