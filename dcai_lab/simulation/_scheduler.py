"""The event scheduler: simulated time over a real chain.

Events sit in a heap by block time. An agent's turn takes the next sample of the stream and sends
it if the price fits its budget; each contribution schedules its own claim at the moment its
refund wait ends, and (deposit, refund, take) what is left of it at the end of the long wait.
Each claim is decided from a mirror of the chain's state — a twin trained exactly as the contract
is, the deposits left, the validated counts — so every transaction sent is one the contract
accepts; none is tried in the hope that it passes (a revert stops the run: the mirror and the
chain disagree, which is a bug). The lab's clock jumps to each event (``time_travel``); each
transaction is mined one second after the one before, so events that collide run a second or
two late, the same way on every engine.
"""

from __future__ import annotations

import copy
import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError
from ..incentives import DepositRefundTake, Points, PredictionMarket
from ..incentives.deposit_refund_take import deposit_cost
from ..incentives.prediction_market import BURN_ADDRESS, Phase
from ..lab import Lab
from ._data import SimulationData, load
from ._results import SimulationResult

if TYPE_CHECKING:
    from ..trainers.trainer import Contribution
    from ._scenarios import Scenario

#: ``progress(samples_used, samples_in_stream)`` is called as the stream is consumed.
Progress = Callable[[int, int], None]

_CONTRIBUTE, _CLAIM, _LEFTOVER = "contribute", "claim", "leftover"
#: Scoring transactions between two accuracy evaluations while a market is scored.
SCORING_TRANSACTIONS = 100


@dataclass
class _Deposit:
    """What the mirror knows of one contribution's deposit."""

    contribution: Contribution
    owner: int
    left: int
    settled: bool = False


def simulate(scenario: Scenario, *, engine: str = "revm", progress: Progress | None = None) -> SimulationResult:
    """Run ``scenario`` on a fresh lab on ``engine`` and return its timeline and summary."""
    return _Run(scenario, engine, progress).run()


class _Run:
    def __init__(self, scenario: Scenario, engine: str, progress: Progress | None) -> None:
        self.scenario = scenario
        self.engine = engine
        self.progress = progress
        self.incentive = scenario.incentive
        self.agents = scenario.agents
        streams = np.random.SeedSequence(scenario.seed).spawn(len(self.agents))
        self.rngs = [np.random.default_rng(s) for s in streams]
        self.rows: list[tuple] = []
        self.heap: list[tuple] = []
        self.seq = 0

    # -- setting up ------------------------------------------------------------------------------
    def run(self) -> SimulationResult:
        started = time.perf_counter()
        s = self.scenario
        self.data: SimulationData = load(s.data, s.samples, s.test_samples, s.pretrain, s.seed)
        self.lab = lab = Lab(engine=self.engine)
        self.reserve = lab.accounts[0]
        self.addresses = [self._account(a.account) for a in self.agents]
        provider = s.provider
        self.provider = self._account(provider.account) if provider else None
        taken = self.addresses + ([self.provider] if provider else [])
        if len(set(taken)) != len(taken):
            raise ConfigError("every agent (and the provider) needs an account of its own.")
        self.balances = [self._fund(address, a.start_balance) for address, a in zip(self.addresses, self.agents)]
        if provider:
            self.provider_balance = self._fund(self.provider, provider.bounty)
        model = s.pretrained(self.data.init_samples, self.data.init_labels, self.data.n_features)
        self.trainer = lab.deploy(model, self.incentive, sender=self.provider or self.reserve)
        self.mirror = copy.deepcopy(model)
        self.n_classes = model.n_classes_
        self.setup_transactions = len(lab.transactions)
        self.start_time = lab.timestamp
        self.wei_total = self._wei_on_chain()
        self.cursor = self.contributions = 0
        self.validated = [0] * len(self.agents)
        self.points = [0] * len(self.agents)
        self.total_validated = 0
        self.deposits: dict[int, _Deposit] = {}
        drt = isinstance(self.incentive, DepositRefundTake)
        self.last_contribution = int(self.trainer.contract.lastContributionAt()) if drt else lab.timestamp
        self.next_turn = [math.inf] * len(self.agents)
        if isinstance(self.incentive, PredictionMarket):
            self._open_market()
        self._evaluate(self.mirror)
        for i, agent in enumerate(self.agents):
            self._schedule_turn(i, self.start_time + agent.next_wait(self.rngs[i]))
        self._drain()
        if isinstance(self.incentive, PredictionMarket):
            self._close_market()  # evaluates as it scores
        else:
            self._check_mirror()
            self._evaluate(self.mirror)
        self._check_balances()
        return SimulationResult.build(self, time.perf_counter() - started)

    def _account(self, alias: str) -> str:
        try:
            address = getattr(self.lab.accounts, alias)
        except AttributeError as error:
            raise ConfigError(f"{alias!r} is not one of the lab's accounts ({self.lab.accounts}).") from error
        if address == self.reserve:
            raise ConfigError(f"{alias} is the lab's first account, which holds the reserve: give agents other accounts.")
        return address

    def _fund(self, address: str, balance: int) -> int:
        """Leave exactly ``balance`` wei in ``address``; the rest goes to the reserve."""
        surplus = self.lab.balance(address) - balance
        if surplus < 0:
            raise ConfigError(f"{self.lab.accounts.name_of(address)} holds only {self.lab.balance(address):,} wei.")
        if surplus:
            self.lab.send_ether(self.reserve, surplus, sender=address)
        return balance

    def _wei_on_chain(self) -> int:
        """Every wei in the game: the agents', the provider's, the trainer's and the burned."""
        holders = [*self.addresses, self.trainer.address, BURN_ADDRESS] + ([self.provider] if self.provider else [])
        return sum(self.lab.balance(h) for h in holders)

    # -- the event loop --------------------------------------------------------------------------
    def _push(self, when: int, kind: str, payload: Any) -> None:
        heapq.heappush(self.heap, (when, self.seq, kind, payload))
        self.seq += 1

    def _schedule_turn(self, i: int, when: int) -> None:
        self.next_turn[i] = when
        self._push(when, _CONTRIBUTE, i)

    def _drain(self) -> None:
        handlers = {_CONTRIBUTE: self._turn, _CLAIM: self._claim, _LEFTOVER: self._leftover}
        while self.heap:
            when, _, kind, payload = heapq.heappop(self.heap)
            handlers[kind](when, payload)

    def _at(self, when: int) -> None:
        """Move the clock so that the next transaction runs at ``when`` (or as soon after as the
        chain allows)."""
        gap = when - self.lab.timestamp - 1
        if gap >= 1:
            self.lab.time_travel(seconds=gap)

    def _record(self, when: int, agent: int | None, action: str, amount: int = 0,
                contribution: int | None = None, accuracy: float = math.nan) -> None:
        if agent is None:
            who, balance, points = None, None, None
        elif agent < 0:
            who, balance, points = self.scenario.provider.account, self.provider_balance, None
        else:
            who, balance, points = self.agents[agent].account, self.balances[agent], self.points[agent]
        self.rows.append((when, who, action, contribution, amount, balance, points, accuracy))

    # -- turns -----------------------------------------------------------------------------------
    def _turn(self, when: int, i: int) -> None:
        """Agent ``i`` contributes the next sample of the stream, if it can pay."""
        stream = self.data.stream_samples
        if self.cursor >= len(stream) or self.balances[i] <= 0:
            self.next_turn[i] = math.inf
            return
        agent, rng = self.agents[i], self.rngs[i]
        at = max(when, self.lab.timestamp + 1)
        market = isinstance(self.incentive, PredictionMarket)
        if market and at >= self.participation_end:
            self.next_turn[i] = math.inf
            return
        pay = min(agent.budget(rng), self.balances[i])
        price = self._price(at, pay)
        next_turn = when + agent.next_wait(rng)
        if price is not None:
            sample, truth = stream[self.cursor], self.data.stream_labels[self.cursor]
            label = agent.labels.label(sample, truth, rng, self.n_classes)
            self.cursor += 1
            if market or self._mirror_accepts(sample, label):
                self._contribute(i, at, sample, label, price)
            else:
                self._record(at, i, "refused by model")
            if self.progress:
                self.progress(self.cursor, len(stream))
        self._schedule_turn(i, next_turn)

    def _price(self, at: int, pay: int) -> int | None:
        """What a contribution at block time ``at`` costs, if the agent's ``pay`` covers it."""
        if isinstance(self.incentive, Points):
            return 0
        if isinstance(self.incentive, PredictionMarket):
            return pay if pay >= self.incentive.min_stake else None
        cost = deposit_cost(self.incentive.cost_weight, at - self.last_contribution)
        return cost if cost <= pay else None

    def _mirror_accepts(self, sample: tuple[int, ...], label: int) -> bool:
        """Train the mirror as the contract will, or say that the contract would revert."""
        try:
            self.mirror._update_sample(sample, label)
        except ConfigError:
            return False
        return True

    def _contribute(self, i: int, at: int, sample: tuple[int, ...], label: int, price: int) -> None:
        self._at(at)
        c = self.trainer.add_data(sample, label, sender=self.addresses[i], value=price)
        self.balances[i] -= c.deposit
        self.last_contribution = c.added_at
        self.contributions += 1
        self._record(c.added_at, i, "contribute", -c.deposit, c.id)
        if isinstance(self.incentive, PredictionMarket):
            return
        self.deposits[c.id] = _Deposit(c, i, c.deposit)
        wait = self.incentive.validation_wait if isinstance(self.incentive, Points) else self.incentive.refund_wait
        self._push(c.added_at + wait, _CLAIM, c.id)
        if self.contributions % self.scenario.evaluate_every == 0:
            self._evaluate(self.mirror)

    # -- claims ----------------------------------------------------------------------------------
    def _claim(self, when: int, contribution_id: int) -> None:
        """The refund wait of a contribution has ended: its owner refunds (validates) it if the
        model agrees; otherwise those entitled take their shares (or one reports it)."""
        d = self.deposits[contribution_id]
        c = d.contribution
        points = isinstance(self.incentive, Points)
        if self.mirror._predict_sample(c.sample) == c.label:
            if self.agents[d.owner].claims.refund_own:
                self._at(when)
                self.trainer.refund(c, sender=self.addresses[d.owner])
                self._settle_refund(d)
        else:
            for j in self._takers(d):
                if not d.left and not points:
                    break
                self._at(when)
                self.trainer.report(c, sender=self.addresses[j])
                if points:
                    d.settled = True
                    self._record(self.lab.timestamp, j, "report", 0, c.id)
                    break
                share = min(d.left, c.deposit * self.validated[j] // self.total_validated)
                self._pay(j, share, d, "take")
        if not points and d.left and not d.settled:
            self._push(c.added_at + self.incentive.take_wait, _LEFTOVER, contribution_id)
        elif d.left == 0 or d.settled:
            del self.deposits[contribution_id]

    def _takers(self, d: _Deposit) -> list[int]:
        """Who may take from (report) ``d`` now, in agent order, each with a share above zero."""
        takers = []
        for j, agent in enumerate(self.agents):
            if j == d.owner or not agent.claims.take_others:
                continue
            if isinstance(self.incentive, Points):
                return [j]
            if self.validated[j] and d.contribution.deposit * self.validated[j] // self.total_validated:
                takers.append(j)
        return takers

    def _settle_refund(self, d: _Deposit) -> None:
        d.settled = True
        self.validated[d.owner] += 1
        self.total_validated += 1
        if isinstance(self.incentive, Points):
            self.points[d.owner] += 1
            self._record(self.lab.timestamp, d.owner, "validate", 0, d.contribution.id)
        else:
            self._pay(d.owner, d.left, d, "refund")

    def _pay(self, j: int, amount: int, d: _Deposit, action: str) -> None:
        d.left -= amount
        self.balances[j] += amount
        self._record(self.lab.timestamp, j, action, amount, d.contribution.id)

    def _leftover(self, when: int, contribution_id: int) -> None:
        """The long wait has ended: the first agent who takes leftovers to act takes what is left."""
        d = self.deposits.pop(contribution_id)
        takers = [j for j, a in enumerate(self.agents) if a.claims.take_leftovers]
        if not takers or d.settled or not d.left:
            return
        j = min(takers, key=lambda k: (max(self.next_turn[k], when), k))
        self._at(when)
        self.trainer.report(d.contribution, sender=self.addresses[j])
        self._pay(j, d.left, d, "take leftover")

    # -- the prediction market -------------------------------------------------------------------
    def _open_market(self) -> None:
        """The provider commits to a held-out test set (as large as the contract allows, up to
        ``Provider.test_samples``) and reveals the chosen piece: participation opens."""
        provider = self.scenario.provider
        X, y = self.data.X_test, self.data.y_test
        n = min(provider.test_samples, X.shape[0])
        while True:
            try:
                self.trainer.commit(X[-n:], y[-n:], bounty=provider.bounty, pieces=provider.pieces,
                                    seed=self.scenario.seed, sender=self.provider)
                break
            except ConfigError:  # more than the contract can evaluate: fewer samples
                if n <= 2 * provider.pieces:
                    raise
                n = n * 4 // 5
        self.provider_balance -= provider.bounty
        self._record(self.lab.timestamp, -1, "commit bounty", -provider.bounty)
        self.trainer.reveal_chosen_piece(sender=self.provider)
        self.participation_end = int(self.trainer.contract.participationEnd())
        self.market_test_samples = n

    def _close_market(self) -> None:
        """Reveal the test set, score every contribution (the provider, in transactions as large
        as fit), evaluate along the way, then everyone withdraws what they are owed."""
        self._at(self.participation_end)
        self.trainer.reveal_test_set(sender=self.provider)
        while self.trainer.phase == Phase.SCORING:
            self.trainer.process(transactions=SCORING_TRANSACTIONS, sender=self.provider)
            self.mirror = self.trainer.local_model()
            self._evaluate(self.mirror)
        for i, address in enumerate(self.addresses):
            self._withdraw(address, i)
        self._withdraw(self.provider, -1)

    def _withdraw(self, address: str, i: int) -> None:
        owed = self.trainer.owed(address)
        if not owed:
            return
        self.trainer.withdraw(sender=address)
        if i < 0:
            self.provider_balance += owed
        else:
            self.balances[i] += owed
        self._record(self.lab.timestamp, i, "withdraw", owed)

    # -- checks and accuracy ---------------------------------------------------------------------
    def _evaluate(self, model: Any) -> None:
        accuracy = float(model.score(self.data.X_test, self.data.y_test))  # one vectorised batch
        self._record(self.lab.timestamp, None, "evaluate", accuracy=accuracy)

    def _check_mirror(self) -> None:
        """The mirror's parameters are the chain's (else every claim decision was a guess)."""
        chain = vars(self.trainer.local_model())
        learned = [k for k in vars(self.mirror) if k.endswith("_") and k != "quantisation_error_"]
        if not all(np.array_equal(np.asarray(getattr(self.mirror, k)), np.asarray(chain.get(k))) for k in learned):
            raise AssertionError("the simulation's mirror of the model differs from the chain's model.")

    def _check_balances(self) -> None:
        """Tracked balances are the chain's (conservation is reported, see ``wei_in_play``)."""
        for address, balance in zip(self.addresses, self.balances):
            if self.lab.balance(address) != balance:
                raise AssertionError(f"{self.lab.accounts.name_of(address)}: tracked {balance} wei, chain "
                                     f"{self.lab.balance(address)}.")
