"""Liveness of the prediction market: whatever the provider and the participants do, every wei
staked or posted as bounty leaves the contract, within a bounded number of transactions and time.

A stateful property test (Hypothesis ``RuleBasedStateMachine``). In each example the provider
commits or not, reveals the chosen piece or not, reveals the test set or not; participants stake
(too little, the minimum, more), the clock jumps (across every deadline, and onto its edge), anyone
scores a few contributions, withdraws early or late, records a lapse. Reverts are part of the game:
a rule that the contract refuses changes nothing. Then, at the end of every example, the clock is
driven past every deadline, anyone finishes the scoring, and everyone withdraws: the contract must
then hold nothing, each address must have received exactly what the rules entitle it to (the twin
``market_outcome``, or ``lapsed_outcome`` for a lapsed market), the burn address the losses or the
lapsed bounty, all within a bounded number of transactions.

Each example runs inside ``lab.anchor()`` on the session's revm lab, on one trainer deployed once.
The fixed-seed run explores the same steps every time (a failure reproduces anywhere); a second
run starts from a seed drawn for the session (``DCAI_LAB_STATEFUL_SEED`` replays it).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter

from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from dcai_lab import Lab
from dcai_lab.errors import ConfigError, RevertError
from dcai_lab.incentives import PredictionMarket, hours
from dcai_lab.incentives.prediction_market import (
    BURN_ADDRESS,
    MarketEntry,
    Phase,
    lapsed_outcome,
)
from dcai_lab.trainers import MarketTrainer
from dcai_lab.models import SparsePerceptron

from .test_prediction_market import process_once

RULES = PredictionMarket(min_stake=1_000, scoring_fee=10, participation_time=hours(2), reveal_time=hours(1))
N_FEATURES = 8
TEST_X = [(0, 1), (2,), (3, 4), (5,), (6, 7), (1, 3), (0, 5), (2, 6)]
TEST_Y = [1, 0, 1, 0, 1, 0, 1, 0]
#: BLOCKHASH's window: the chosen piece must be revealed within this many blocks of the commitment.
DRAW_WINDOW = 256

LIVENESS = settings(max_examples=60, stateful_step_count=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
#: The fresh-seed run: half the examples from a seed drawn for this session (or the one given).
FRESH = settings(LIVENESS, max_examples=30, derandomize=False, print_blob=True)
FRESH_SEED = int(os.environ.get("DCAI_LAB_STATEFUL_SEED") or int.from_bytes(os.urandom(4), "big"))

#: How each action ended (``"ok"`` or the custom error's name), over the whole run.
OUTCOMES: Counter[tuple[str, str]] = Counter()
#: Where each example's market stood when its last step ended, and how it ended.
ENDINGS: Counter[tuple[str, str]] = Counter()

players = st.sampled_from(("deployer", "alice", "bob", "mallory"))
samples = st.sets(st.integers(0, N_FEATURES - 1), min_size=1, max_size=3).map(lambda s: tuple(sorted(s)))
stakes = st.one_of(st.sampled_from((RULES.min_stake - 1, RULES.min_stake, RULES.min_stake)),
                   st.integers(RULES.min_stake, 10**6))
#: Points a commitment buys: all the model could gain (0), a few (the bounty runs out), some, or more
#: than this test set has room for (as 0).
POINTS_BOUGHT = (0, 0, 1, 50, 3_000, 10**6)
points_bought = st.sampled_from(POINTS_BOUGHT)
durations = st.one_of(st.tuples(st.just("seconds"), st.integers(1, 600)),
                      st.tuples(st.just("hours"), st.integers(1, 4)),
                      st.tuples(st.just("blocks"), st.integers(1, 300)))


def initial_model() -> SparsePerceptron:
    return SparsePerceptron(N_FEATURES).fit([(0,), (2,), (4,), (5,)], [1, 0, 1, 0])


class MarketLiveness(RuleBasedStateMachine):
    """One market per example; ``teardown`` drives it to its end and checks where the money went."""

    def __init__(self, lab: Lab, deployed: MarketTrainer) -> None:
        super().__init__()
        self.lab = lab
        self._scope = contextlib.ExitStack()
        self._scope.enter_context(lab.anchor())
        # A fresh handle: the pieces a handle committed to are remembered by that handle.
        self.trainer = MarketTrainer(lab, deployed.contract, SparsePerceptron, "PredictionMarket")
        self.who = {name: getattr(lab.accounts, name) for name in ("deployer", "alice", "bob", "mallory")}
        self.holders = [*lab.accounts, self.trainer.address, BURN_ADDRESS]
        self.start = {a: lab.balance(a) for a in self.holders}
        self.total = sum(self.start.values())

    # -- the provider ------------------------------------------------------------------------------
    @rule(who=st.sampled_from(("deployer", "deployer", "mallory")), n_pieces=st.integers(2, 4),
          bounty=st.sampled_from((100, 10**6, 10**12)), bought=points_bought)
    def commit(self, who, n_pieces, bounty, bought):
        self._try("commit", lambda: self.trainer.commit(TEST_X, TEST_Y, bounty=bounty, pieces=n_pieces,
                                                        points_bought=bought, seed=3, sender=self.who[who]))

    @rule(who=st.sampled_from(("deployer", "deployer", "mallory")))
    def reveal_chosen_piece(self, who):
        self._try("reveal_chosen_piece", lambda: self.trainer.reveal_chosen_piece(sender=self.who[who]))

    @rule(who=st.sampled_from(("deployer", "deployer", "mallory")))
    def reveal_test_set(self, who):
        self._try("reveal_test_set", lambda: self.trainer.reveal_test_set(sender=self.who[who]))

    # -- participants and anyone -------------------------------------------------------------------
    @rule(who=players, sample=samples, label=st.integers(0, 1), stake=stakes)
    def add_data(self, who, sample, label, stake):
        self._try("add_data", lambda: self.trainer.add_data(sample, label, sender=self.who[who], value=stake))

    @rule(who=players, most=st.integers(1, 3))
    def process(self, who, most):
        self._try("process", lambda: process_once(self.trainer, most, sender=self.who[who]))

    @rule(who=players)
    def withdraw(self, who):
        ended = self._try("withdraw", lambda: self.trainer.withdraw(sender=self.who[who]))
        if ended:  # money leaves only once the market has ended
            assert self.trainer.phase in (Phase.FINISHED, Phase.CANCELLED)

    @rule(who=players)
    def withdraw_late(self, who):
        """Past every deadline the provider could still meet, then withdraw."""
        self._past_the_deadlines()
        self.withdraw(who)

    @rule(who=players)
    def lapse(self, who):
        self._try("lapse", lambda: self.trainer.lapse(sender=self.who[who]))

    @rule(to=st.sampled_from((Phase.COMMITTED, Phase.PARTICIPATION, Phase.REVEAL, Phase.SCORING, Phase.FINISHED)),
          contributions=st.lists(st.tuples(players, samples, st.integers(0, 1), stakes), max_size=8))
    def advance(self, to, contributions):
        """The market's next steps, done right, until it reaches phase ``to``, with
        ``contributions`` added on the way through participation (random moves alone seldom get a
        market to scoring). The points bought follow from the contributions (a draw of its own
        would shift what Hypothesis explores, and fewer examples reach scoring)."""
        bought = POINTS_BOUGHT[len(contributions) % len(POINTS_BOUGHT)]
        provider = self.who["deployer"]
        for _ in range(len(Phase)):
            phase = self.trainer.phase
            if phase >= to:
                return
            if phase == Phase.OPEN:
                self.commit("deployer", 3, 10**6, bought)
            elif phase == Phase.COMMITTED:
                self.reveal_chosen_piece("deployer")
            elif phase == Phase.PARTICIPATION:
                for contribution in contributions:
                    self.add_data(*contribution)
                self.lab.time_travel(seconds=self.trainer.contract.participationEnd() - self.lab.timestamp)
            elif phase == Phase.REVEAL:
                self._try("reveal_test_set", lambda: self.trainer.reveal_test_set(sender=provider))
            elif phase == Phase.SCORING:
                self.process("alice", 1)

    # -- the clock ---------------------------------------------------------------------------------
    @rule(duration=durations)
    def time_travel(self, duration):
        unit, n = duration
        self.lab.time_travel(**{unit: n})

    @rule(deadline=st.sampled_from(("participationEnd", "revealDeadline", "draw")), offset=st.sampled_from((-1, 0)))
    def time_travel_to_a_deadline(self, deadline, offset):
        """The next transaction runs one second (or block) before a deadline, or exactly on it."""
        c = self.trainer.contract
        if deadline == "draw":
            gap = c.commitBlock() + DRAW_WINDOW + 1 + offset - (self.lab.block_number + 1)
            if c.commitBlock() and gap >= 1:
                self.lab.time_travel(blocks=gap)
            return
        gap = getattr(c, deadline)() + offset - (self.lab.timestamp + 1)
        if gap >= 1:
            self.lab.time_travel(seconds=gap)

    # -- invariants --------------------------------------------------------------------------------
    @invariant()
    def wei_is_conserved_and_the_market_solvent(self):
        assert sum(self.lab.balance(a) for a in self.holders) == self.total
        owed = sum(self.trainer.owed(a) for a in self.lab.accounts)
        assert self.lab.balance(self.trainer.address) >= owed

    # -- the end -----------------------------------------------------------------------------------
    def teardown(self) -> None:
        try:
            self._drive_to_the_end_and_check()
        finally:
            self._scope.close()

    def _drive_to_the_end_and_check(self) -> None:
        lab, trainer, c = self.lab, self.trainer, self.trainer.contract
        first_tx, began, left_at = len(lab.transactions), lab.timestamp, trainer.phase
        self._past_the_deadlines()
        phase = trainer.phase
        assert phase in (Phase.OPEN, Phase.SCORING, Phase.FINISHED, Phase.CANCELLED)
        anyone = self.who["mallory"]
        if phase == Phase.SCORING:
            trainer.process(sender=anyone)
        if phase == Phase.CANCELLED:
            trainer.lapse(sender=anyone)
        for account in lab.accounts:
            if trainer.owed(account):
                trainer.withdraw(sender=account)

        assert lab.balance(trainer.address) == 0
        contributions = trainer.contributions()
        sent = len(lab.transactions) - first_tx
        assert sent <= len(contributions) + len(lab.accounts) + 1  # scoring, withdrawals, the lapse
        assert lab.timestamp - began <= RULES.participation_time + RULES.reveal_time + DRAW_WINDOW + 1 + sent
        ENDINGS[(left_at.name, trainer.phase.name)] += 1
        received = self._received(contributions)
        burned = lab.balance(BURN_ADDRESS) - self.start[BURN_ADDRESS]
        if trainer.phase == Phase.OPEN:
            assert (received, burned) == ({}, 0)
        elif trainer.phase == Phase.CANCELLED:
            entries = [MarketEntry(x.sample, x.label, x.contributor, x.deposit) for x in contributions]
            assert (received, burned) == (lapsed_outcome(entries), c.bounty())
        else:
            assert trainer.phase == Phase.FINISHED
            outcome = trainer.outcome(initial_model())
            assert (received, burned) == (outcome.credits, outcome.burned)
            assert outcome.bounty_paid == sum(p for p in outcome.payouts if p > 0) <= c.bounty()

    def _past_the_deadlines(self) -> None:
        """Move the clock past the deadline the provider faces now, if any."""
        if self.trainer.phase == Phase.COMMITTED:
            self.lab.time_travel(blocks=self.trainer.contract.commitBlock() + DRAW_WINDOW + 1 - self.lab.block_number)
        elif self.trainer.phase in (Phase.PARTICIPATION, Phase.REVEAL):
            self.lab.time_travel(seconds=self.trainer.contract.revealDeadline() - self.lab.timestamp)

    def _received(self, contributions) -> dict[str, int]:
        """What each account got from the market: its balance change plus what it paid in."""
        paid = Counter({x.payer: 0 for x in contributions})
        for x in contributions:
            paid[x.payer] += x.deposit
        provider = self.trainer.contract.provider()
        if int(provider, 16):  # committed
            paid[provider] += self.trainer.contract.bounty()
        got = {a: self.lab.balance(a) - self.start[a] + paid.get(a, 0) for a in self.lab.accounts}
        return {a: v for a, v in got.items() if v}

    def _try(self, action: str, send) -> bool:
        """Send one action; a revert (or the handle's refusal) is a legal move. True if it went through."""
        try:
            send()
        except RevertError as error:
            OUTCOMES[(action, error.error_name or "(no data)")] += 1
            return False
        except ConfigError as error:  # the handle refused before sending (e.g. it never committed)
            OUTCOMES[(action, type(error).__name__)] += 1
            return False
        OUTCOMES[(action, "ok")] += 1
        return True


def test_every_wei_leaves_the_market_whatever_anyone_does(revm_session):
    with revm_session.anchor():
        deployed = revm_session.deploy(initial_model(), incentive=RULES, sender=revm_session.accounts.deployer)
        run_state_machine_as_test(lambda: MarketLiveness(revm_session, deployed), settings=LIVENESS)
    played = {action for (action, outcome), n in OUTCOMES.items() if outcome == "ok"}
    assert {"commit", "reveal_chosen_piece", "add_data", "reveal_test_set", "process", "withdraw",
            "lapse"} <= played, OUTCOMES  # every move was really played, not only refused
    left_at = {phase for phase, _ending in ENDINGS}  # the end found markets mid-scoring, lapsing, over
    assert {"SCORING", "FINISHED", "CANCELLED"} <= left_at and left_at & {"COMMITTED", "PARTICIPATION", "REVEAL"}, \
        ENDINGS


def test_every_wei_leaves_the_market_from_a_fresh_seed(revm_session):
    """The same machine from a seed drawn for this run: the fixed run above explores the same steps
    every time, this one new ones; a failure says the seed and the command that replays it."""
    machine = type("MarketLivenessFreshSeed", (MarketLiveness,), {})
    try:
        with revm_session.anchor():
            deployed = revm_session.deploy(initial_model(), incentive=RULES, sender=revm_session.accounts.deployer)
            # The seed goes on the factory: run_state_machine_as_test reads it there, not from the
            # class the factory builds (seeded that way, every run drew new steps and could not replay).
            run_state_machine_as_test(seed(FRESH_SEED)(lambda: machine(revm_session, deployed)), settings=FRESH)
    except BaseException as error:
        error.add_note(f"Fresh-seed run, seed {FRESH_SEED}; replay it with\n    DCAI_LAB_STATEFUL_SEED={FRESH_SEED} "
                       f".venv/bin/python -m pytest -q -o addopts=\"\" "
                       f"tests/incentives/test_market_liveness.py::test_every_wei_leaves_the_market_from_a_fresh_seed")
        raise

