"""Stateful property tests of the incentive mechanisms: random sequences of actions by several
accounts, checked step by step against a Python model of the documented rules.

Three machines: DepositRefundTake, Points and PredictionMarket. Each drives one deployed trainer
(``Lab(engine="revm")``, deployed once per configuration; every example runs inside
``lab.anchor()``, which costs about 10 µs where a fresh lab and deployment cost 40-100 ms). Its
model, the *expected ledger*, is written from the rules documented in
``contracts/trainers/DepositRefundTake.sol``, ``Points.sol`` and ``PredictionMarket.sol``: a twin
replica of the model that trains as the contract should, the waits, the validated counts, what is
left of each deposit, who took from what, the market's stage, progress, scores and credits. Before
every action the model says whether the contract must accept it or revert, and with which custom
error and arguments; the contract must agree. After every action (a revert included) the
invariants compare everything observable on chain with the model, so "a revert changed nothing"
follows from "the model did not change".

The budget: ``DCAI_LAB_STATEFUL_EXAMPLES`` examples of ``DCAI_LAB_STATEFUL_STEPS`` steps per
machine (defaults sized for CI, ≥ 2,000 steps in all). A longer run is one command::

    DCAI_LAB_STATEFUL_EXAMPLES=200 .venv/bin/python -m pytest -q -o addopts="" tests/incentives/test_state_machine.py

The last test prints the steps each machine really ran and how each action ended.
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
from typing import Any, ClassVar

import pandas as pd
from hypothesis import HealthCheck, settings
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
from dcai_lab.models import SparsePerceptron
from dcai_lab.trainer import Contribution, SignedContribution, _development_key

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


def deployment(incentive, learning_rate: float):
    key = (incentive, learning_rate)
    if key not in _DEPLOYED:
        lab = Lab(engine="revm")
        model = SparsePerceptron(N_FEATURES, learning_rate=learning_rate).fit(X0, Y0)
        _DEPLOYED[key] = (lab, lab.deploy(model, incentive), model)
    return _DEPLOYED[key]


class _Machine(RuleBasedStateMachine):
    """What every machine shares: one deployed trainer inside ``lab.anchor()``, the accounts, the
    money ledger, step counting, and the check of every action's outcome."""

    machine: ClassVar[str]

    def _start(self, incentive, learning_rate: float) -> None:
        self.lab, self.trainer, self.initial = deployment(incentive, learning_rate)
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

    def _expect(self, action: str, expected: Revert | None, send):
        """Run ``send`` (one transaction); it must succeed or revert exactly as ``expected`` says."""
        now = self._now()
        try:
            result = send()
        except RevertError as error:
            self._count(action, error.error_name or "(no data)")
            assert expected is not None, f"{action} reverted ({error.reason}); the rules say it succeeds"
            assert error.error_name == expected.name, f"{action}: expected {expected}, got {error.reason}"
            if expected.args is not None:
                assert error.error_args == expected.args, f"{action}: expected {expected}, got {error.reason}"
            assert self.lab.last_tx.timestamp == now and not self.lab.last_tx.success
            return None
        self._count(action, "ok")
        assert expected is None, f"{action} succeeded; the rules say it reverts with {expected}"
        assert self.lab.last_tx.timestamp == now and self.lab.last_tx.success
        return result


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
        tx = self._expect("refund", expected, lambda: self.trainer.refund(passed, sender=sender))
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
        tx = self._expect("validate", expected, lambda: self.trainer.refund(passed, sender=sender))
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
from dcai_lab.incentives.prediction_market import Phase, Piece, PredictionMarket  # noqa: E402

PM_CONFIGS = [PredictionMarket(min_stake=10**12, participation_time=days(2), reveal_time=days(1))]
ZERO = "0x0000000000000000000000000000000000000000"
#: Who calls the provider's functions: the provider (the trainer's deployer) or an impostor.
provider_or_not = st.sampled_from(("deployer", "deployer", "deployer", "mallory"))
market_players = st.sampled_from(("deployer", *PLAYERS))
rarely = st.sampled_from((False, False, False, False, True))
#: A well-formed piece that matches no commitment (what an impostor or a too-early call passes).
DUMMY_PIECE = Piece(samples=((0,),), labels=(0,), salt=bytes(32), sparse=True)
#: The market's clock runs in hours and days: participation lasts 2 days, the reveal 1.
market_durations = st.one_of(st.tuples(st.just("hours"), st.integers(1, 30)),
                             st.tuples(st.just("days"), st.integers(1, 3)))


class PredictionMarketMachine(_Machine):
    """Commit → reveal the chosen piece → stakes → reveal → scoring in batches → withdrawals, with
    misuse interleaved (impostors, wrong pieces, wrong phases, budgets of zero, early calls).

    Each rule waits for the stage where it can first matter (commit only while open, the draw
    only while committed, …), so examples are not spent knocking on a market that does not exist
    yet; inside that range every call is tried in every phase."""

    machine = "PredictionMarket"

    @initialize(incentive=st.sampled_from(PM_CONFIGS), learning_rate=st.sampled_from(LEARNING_RATES))
    def deploy(self, incentive, learning_rate):
        self._start(incentive, learning_rate)
        self.who = {name: getattr(self.lab.accounts, name) for name in ("deployer", *SPONSORS)}
        self.stage = Phase.OPEN  # the stored stage; phase() also follows the clock
        self.provider = None
        self.entries: list[Contribution] = []
        self.credit = {a: 0 for a in self.lab.accounts}
        self.helpful = {a: 0 for a in self.lab.accounts}
        self.forfeited = self.shares_paid = self.pending = self.total_helpful = 0
        self.progress = (0, 0, 0, 0, False, False)  # processed, cursor, correct, before, baselineDone, trained
        self.scores: list[int] = []
        # self.replica is the model on chain: the initial one until scoring trains it.

    # -- the rules' clock ------------------------------------------------------------------------
    def _phase(self, now: int) -> Phase:
        if self.stage != Phase.PARTICIPATION:
            return self.stage
        if now < self.participation_end:
            return Phase.PARTICIPATION
        return Phase.REVEAL if now < self.reveal_deadline else Phase.CANCELLED

    def _pool(self) -> int:
        return self.bounty + self.forfeited

    def _evaluation(self) -> list[tuple[tuple[int, ...], int]]:
        return [(s, y) for i, p in enumerate(self.pieces) if i != self.chosen for s, y in zip(p.samples, p.labels)]

    # -- the provider ----------------------------------------------------------------------------
    @precondition(lambda self: self.stage == Phase.OPEN)
    @rule(who=provider_or_not, bounty=st.one_of(st.integers(1, 10**16), st.sampled_from((0, 1, 10**15, 10**15))),
          test=st.lists(st.tuples(samples, labels), min_size=4, max_size=10), n_pieces=st.integers(2, 4))
    def commit(self, who, bounty, test, n_pieces):
        sender, now = self.who[who], self._now()
        if sender != self.who["deployer"]:
            expected = Revert("NotProvider", {"caller": sender, "provider": self.who["deployer"]})
        elif self.stage != Phase.OPEN:
            expected = Revert("WrongPhase", {"actual": self._phase(now), "expected": Phase.OPEN})
        elif bounty == 0:
            expected = Revert("InvalidBounty", {"bounty": 0})
        else:
            expected = None
        X, y = [s for s, _ in test], [label for _, label in test]
        tx = self._expect("commit", expected, lambda: self.trainer.commit(X, y, bounty=bounty, pieces=n_pieces,
                                                                           seed=len(test), sender=sender))
        if tx is None:
            return
        self.stage, self.provider, self.bounty = Phase.COMMITTED, sender, bounty
        self.pieces, self.commit_block = self.trainer.pieces, tx.block
        self._move(sender, self.address, bounty)

    @precondition(lambda self: self.stage == Phase.COMMITTED)
    @rule(who=provider_or_not, wrong_piece=rarely)
    def reveal_chosen_piece(self, who, wrong_piece):
        sender, now = self.who[who], self._now()
        index = None
        if sender != self.provider:
            expected = Revert("NotProvider", {"caller": sender, "provider": self.provider or ZERO})
        elif self.stage != Phase.COMMITTED:
            expected = Revert("WrongPhase", {"actual": self._phase(now), "expected": Phase.COMMITTED})
        elif self.lab.block_number + 1 > self.commit_block + 256:
            expected = Revert("DrawExpired", {"commitBlock": self.commit_block})
        else:  # the draw is the commit block's hash: read it from the chain, it cannot be computed
            index = self.trainer.chosen_piece()
            expected = Revert("PieceMismatch", {"index": index}) if wrong_piece else None
        piece = DUMMY_PIECE if index is None else self.pieces[(index + wrong_piece) % len(self.pieces)]
        self._expect("reveal_chosen_piece", expected,
                          lambda: self.trainer.contract.revealChosenPiece(*piece.as_args(), sender=sender))
        if expected is not None:
            return
        self.stage, self.chosen, self.revealed = Phase.PARTICIPATION, index, 1
        self.participation_end = now + self.incentive.participation_time
        self.reveal_deadline = self.participation_end + self.incentive.reveal_time

    @precondition(lambda self: self.stage >= Phase.PARTICIPATION)
    @rule(who=provider_or_not, wrong_piece=rarely)
    def reveal_piece(self, who, wrong_piece):
        sender, now = self.who[who], self._now()
        current = self._phase(now)
        index = None
        if sender != self.provider:
            expected = Revert("NotProvider", {"caller": sender, "provider": self.provider or ZERO})
        elif current == Phase.PARTICIPATION:
            expected = Revert("RevealTooEarly", {"opensAt": self.participation_end})
        elif current == Phase.CANCELLED and self.stage == Phase.PARTICIPATION:
            expected = Revert("RevealTooLate", {"deadline": self.reveal_deadline})
        elif current != Phase.REVEAL:
            expected = Revert("WrongPhase", {"actual": current, "expected": Phase.REVEAL})
        else:
            index = self.revealed - 1 + (self.revealed - 1 >= self.chosen)
            expected = Revert("PieceMismatch", {"index": index}) if wrong_piece else None
        piece = DUMMY_PIECE if index is None else self.pieces[(index + wrong_piece) % len(self.pieces)]
        self._expect("reveal_piece", expected,
                     lambda: self.trainer.contract.revealPiece(*piece.as_args(), sender=sender))
        if expected is not None:
            return
        self.revealed += 1
        if self.revealed == len(self.pieces):
            self.stage = Phase.PROCESSING
            if not self.entries:
                self._finish()

    @precondition(lambda self: self.stage != Phase.OPEN)
    @rule(who=st.sampled_from(("deployer", *("mallory",) * 5)))  # a cancel ends the example's market
    def cancel(self, who):
        sender, now = self.who[who], self._now()
        current = self._phase(now)
        if sender != self.provider:
            expected = Revert("NotProvider", {"caller": sender, "provider": self.provider or ZERO})
        elif current not in (Phase.COMMITTED, Phase.PARTICIPATION, Phase.REVEAL):
            expected = Revert("WrongPhase", {"actual": current, "expected": Phase.COMMITTED})
        elif self.entries:
            expected = Revert("CannotCancel", {"numContributions": len(self.entries)})
        else:
            expected = None
        if self._expect("cancel", expected, lambda: self.trainer.cancel(sender=sender)) is not None:
            self._cancel()

    # -- participants ----------------------------------------------------------------------------
    @precondition(lambda self: self.stage >= Phase.PARTICIPATION)
    @rule(who=players, sample=samples, label=labels,
          stake=st.one_of(st.sampled_from((10**12, 10**12 - 1, 0)), st.integers(10**12, 10**16)))
    def stake(self, who, sample, label, stake):
        sender, now = self.who[who], self._now()
        current = self._phase(now)
        if current != Phase.PARTICIPATION:
            expected = Revert("WrongPhase", {"actual": current, "expected": Phase.PARTICIPATION})
        elif stake < self.incentive.min_stake:
            expected = Revert("StakeTooSmall", {"paid": stake, "minStake": self.incentive.min_stake})
        else:
            expected = None
        c = self._expect("stake", expected, lambda: self.trainer.add_data(sample, label, sender=sender, value=stake))
        if c is None:
            return
        assert (c.id, c.contributor, c.deposit, c.added_at) == (len(self.entries), sender, stake, now)
        self.entries.append(c)
        self._move(sender, self.address, stake)

    @precondition(lambda self: self.stage >= Phase.PARTICIPATION)
    @rule(who=market_players, budget=st.one_of(st.integers(0, 3), st.integers(0, 60)),
          entries=st.sampled_from(("all", "all", "all", "none", "from the next")),
          evaluation=st.sampled_from(("right",) * 6 + ("a piece short", "wrong salt")))
    def process(self, who, budget, entries, evaluation):
        sender, now = self.who[who], self._now()
        current = self._phase(now)
        processed = self.progress[0]
        given = {"all": self.entries[processed:], "none": [], "from the next": self.entries[processed + 1:]}[entries]
        outcome = None
        if current == Phase.CANCELLED:
            if processed == len(self.entries) or not given:
                expected = Revert("NoProgress", {"processed": processed})
            elif entries == "from the next":
                expected = Revert("OutOfOrder", {"id": processed + 1, "expected": processed})
            else:
                expected = None
        elif current != Phase.PROCESSING:
            expected = Revert("WrongPhase", {"actual": current, "expected": Phase.PROCESSING})
        elif evaluation == "a piece short":
            expected = Revert("WrongEvaluationSet", {"given": len(self.pieces) - 2, "expected": len(self.pieces) - 1})
        elif evaluation == "wrong salt":
            expected = Revert("PieceMismatch", {"index": 1 if self.chosen == 0 else 0})
        else:
            expected, outcome = self._scoring(budget, given)
        pieces = [p for i, p in enumerate(self.pieces) if i != self.chosen] if self.stage == Phase.PROCESSING else []
        if evaluation == "a piece short":
            pieces = pieces[1:]
        elif evaluation == "wrong salt" and pieces:
            pieces = [replace(pieces[0], salt=bytes(32)), *pieces[1:]]
        args = [p.as_args() for p in pieces] if current != Phase.CANCELLED else []
        rows = [(c.id, self.trainer._encode(c.sample), c.label, c.contributor) for c in given]
        self._expect("process", expected, lambda: self.trainer.contract.process(rows, args, budget, sender=sender))
        if expected is not None:
            return
        if current == Phase.CANCELLED:
            self._settle_cancelled(given)
        else:
            self.progress, self.replica, scored, finished = outcome
            for id_, score in scored:
                self._score(self.entries[id_], score)
            if finished:
                self._finish()

    @precondition(lambda self: self.stage != Phase.OPEN)
    @rule(who=market_players)
    def withdraw(self, who):
        sender, now = self.who[who], self._now()
        lapsed = self._phase(now) == Phase.CANCELLED and self.stage != Phase.CANCELLED
        credit = dict(self.credit)
        if lapsed and not self.entries:
            credit[self.provider] += self.bounty
        stage = Phase.CANCELLED if lapsed else self.stage
        pays_share = self.helpful[sender] > 0 and stage == Phase.FINISHED
        share = self._pool() * self.helpful[sender] // self.total_helpful if pays_share else 0
        amount = credit[sender] + share
        expected = Revert("NothingToWithdraw", {"account": sender}) if amount == 0 else None
        tx = self._expect("withdraw", expected, lambda: self.trainer.withdraw(sender=sender))
        if tx is None:
            return
        if lapsed:
            self._cancel()
        if pays_share:
            self.helpful[sender] = 0
            self.shares_paid += share
            self.pending -= 1
            if self.pending == 0:
                dust = self._pool() - self.shares_paid
                if sender == self.provider:
                    amount += dust
                else:
                    self.credit[self.provider] += dust
        self.credit[sender] = 0
        assert [(e.name, dict(e.args)) for e in tx.events if e.name == "Withdrawal"] == [
            ("Withdrawal", {"account": sender, "amount": amount})]
        self._move(self.address, sender, amount)

    @precondition(lambda self: self.stage >= Phase.PARTICIPATION)
    @rule(duration=market_durations)
    def time_travel(self, duration):
        self._count("time_travel")
        unit, n = duration
        self.lab.time_travel(**{unit: n})

    @precondition(lambda self: self.stage == Phase.COMMITTED)
    @rule(blocks=st.sampled_from((1, 2, 3, 5, 8, 13, 300)))
    def mine_blocks(self, blocks):
        """Blocks one second apart: enough of them and the commit block's hash is out of sight."""
        self._count("mine_blocks")
        self.lab.time_travel(blocks=blocks)

    @rule(who=market_players, test=st.lists(st.tuples(samples, labels), min_size=4, max_size=10),
          budget=st.integers(1, 40))
    def advance(self, who, test, budget):
        """The market's next step, done right (so that most examples get to scoring and payouts;
        swarm testing may switch off any one of the rules above)."""
        now = self._now()
        current = self._phase(now)
        if current == Phase.OPEN:
            self.commit("deployer", 10**15, test, 2 + len(test) % 3)
        elif current == Phase.COMMITTED:
            self.reveal_chosen_piece("deployer", False)
        elif current == Phase.PARTICIPATION:
            self._count("time_travel_to_the_reveal")
            self.lab.time_travel(seconds=self.participation_end - now)
        elif current == Phase.REVEAL:
            self.reveal_piece("deployer", False)
        elif current == Phase.PROCESSING:
            self.process(who, budget, "all", "right")
        else:
            self.withdraw(who)

    # -- the rules' bookkeeping ------------------------------------------------------------------
    def _cancel(self):
        self.stage = Phase.CANCELLED
        if not self.entries:
            self.credit[self.provider] += self.bounty

    def _settle_cancelled(self, given):
        n, each = len(self.entries), self.bounty // len(self.entries)
        for c in given:
            self.credit[c.contributor] += c.deposit + each + (self.bounty - each * n if c.id == 0 else 0)
        self.progress = (self.progress[0] + len(given),) + self.progress[1:]
        self.stage = Phase.CANCELLED

    def _score(self, c: Contribution, score: int) -> None:
        self.scores.append(score)
        if score < 0:
            self.forfeited += c.deposit
            return
        self.credit[c.contributor] += c.deposit
        if score > 0:
            if self.helpful[c.contributor] == 0:
                self.pending += 1
            self.helpful[c.contributor] += score
            self.total_helpful += score

    def _finish(self):
        self.stage = Phase.FINISHED
        if self.total_helpful == 0:
            self.credit[self.provider] += self._pool()

    def _scoring(self, budget: int, given: list[Contribution]):
        """Rule 5 step by step: what one ``process`` call with this prediction budget and these
        entries does to the progress, the model and the scores (or how it reverts)."""
        processed, cursor, correct, before, baseline_done, trained = self.progress
        model, evaluation = copy.deepcopy(self.replica), self._evaluation()
        start, total, size, scored = processed, len(self.entries), len(evaluation), []
        while True:
            if not baseline_done or trained:
                if cursor < size:
                    if budget == 0:
                        break
                    sample, label = evaluation[cursor]
                    correct += model._predict_sample(sample) == label
                    cursor, budget = cursor + 1, budget - 1
                    continue
                if not baseline_done:
                    baseline_done = True
                else:
                    if processed - start >= len(given):
                        return Revert("MissingEntry", {"id": processed}), None  # the scored entry was not passed
                    if given[processed - start].id != processed:
                        return Revert("OutOfOrder", {"id": given[processed - start].id, "expected": processed}), None
                    scored.append((processed, correct - before))
                    processed, trained = processed + 1, False
                before, cursor, correct = correct, 0, 0
                if processed == total:
                    return None, ((processed, cursor, correct, before, baseline_done, trained), model, scored, True)
            if processed - start >= len(given):
                break
            if given[processed - start].id != processed:
                return Revert("OutOfOrder", {"id": given[processed - start].id, "expected": processed}), None
            c = given[processed - start]
            if update_refusal(model, c.sample, c.label) is None:
                model._update_sample(c.sample, c.label)
            else:  # skipped: scores 0
                cursor, correct = size, before
            trained = True
        new = (processed, cursor, correct, before, baseline_done, trained)
        old = self.progress
        if (old[0], old[1], old[5], old[4]) == (new[0], new[1], new[5], new[4]):
            return Revert("NoProgress", {"processed": processed}), None
        return None, (new, model, scored, False)

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def market_state_is_as_the_ledger_says(self):
        contract = self.trainer.contract
        assert contract.numContributions() == len(self.entries)
        assert tuple(contract.progress()) == self.progress
        assert {a: self.trainer.owed(a) for a in self.credit} == {a: self._owed(a) for a in self.credit}
        assert (contract.forfeited(), contract.sharesPaid(), contract.helpfulPending(), contract.totalHelpfulScore()) == (
            self.forfeited, self.shares_paid, self.pending, self.total_helpful)
        if self.stage not in (Phase.OPEN, Phase.CANCELLED):
            assert self.trainer.scores() == self.scores

    @invariant()
    def model_changes_only_in_scoring(self):
        """Before scoring the model is the initial one; during scoring it is the initial one
        trained on the contributions reached so far; at the end, on every contribution in order."""
        assert learned(self.trainer.local_model()) == learned(self.replica)
        if self.stage == Phase.FINISHED:
            replay = copy.deepcopy(self.initial)
            for c in self.entries:
                if update_refusal(replay, c.sample, c.label) is None:
                    replay._update_sample(c.sample, c.label)
            assert learned(self.replica) == learned(replay)

    def _owed(self, a: str) -> int:
        if self.stage == Phase.FINISHED and self.helpful[a] > 0:
            return self.credit[a] + self._pool() * self.helpful[a] // self.total_helpful
        return self.credit[a]


# -- the tests ---------------------------------------------------------------------------------
def _budgeted(machine: type[RuleBasedStateMachine], name: str) -> type:
    """The machine's TestCase, which then prints what the machine did (steps, outcome of every
    rule) and fails if it ran fewer than half the nominal steps (Hypothesis may end an example
    early, so the real count runs below examples × steps)."""

    class TestCase(machine.TestCase):
        settings = STATEFUL

        def runTest(self) -> None:
            super().runTest()
            steps, runs = STEPS_RUN[name], EXAMPLE_STEPS[name]
            lines = [f"{name}: {steps} stateful steps in {len(runs)} examples (per example {min(runs)} … "
                     f"{max(runs)}; nominal {EXAMPLES} × {STEPS}), {SECONDS[name]:.1f} s"]
            lines += [f"    {action:26} {outcome or '-':26} {n:6}"
                      for (m, action, outcome), n in sorted(OUTCOMES.items()) if m == name]
            print("\n" + "\n".join(lines), file=sys.__stdout__)
            assert steps >= 0.5 * EXAMPLES * STEPS, f"{name} ran only {steps} steps"

    return TestCase


TestDepositRefundTake = _budgeted(DepositRefundTakeMachine, "DepositRefundTake")
TestPoints = _budgeted(PointsMachine, "Points")
TestPredictionMarket = _budgeted(PredictionMarketMachine, "PredictionMarket")
