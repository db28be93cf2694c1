"""Market outcomes: who ends up with the money, and what happens to accuracy, when an honest
contributor and a label-flipping attacker meet in a prediction market.

Every market runs for real on chain (engine revm, through the public handle: ``lab.deploy(model,
incentive=PredictionMarket(...))``, ``commit``, ``reveal_chosen_piece``, ``add_data``,
``time_travel``, ``reveal_test_set``, ``process``, ``withdraw``), and for every market the script
checks that the twin (``trainer.outcome(initial_model)``) predicts every score, payout, credit and
the burned wei exactly (mismatches are counted; there must be none), that no wei appears or
disappears, and that the final model is at least as accurate on the evaluation set as the initial
one. The market on chain ("new") scores by points (margins clipped at the margin scale; the
contract's header). The same markets are then paid, in pure Python with the twin's models, by
three other rules:

* **count** — the market before points (``git show 445c1a4:contracts/trainers/PredictionMarket.sol``):
  the same rules, but a score is the change in right answers and the price ⌊bounty / evaluation
  size⌋ per right answer.
* **old** — the market before 3d87161 (``git show 4249505:dcai_lab/incentives/prediction_market.py``):
  every contribution is trained on and kept, harmful ones too; score ≥ 0 gets the stake back,
  score < 0 forfeits it; helpful addresses share ``pool = bounty + forfeits`` as
  ``⌊pool · S_a / P⌋`` (S_a an address's positive scores, P their sum), the provider keeps the rest.
* **paper** — Harris & Waggoner 2019 as the reference simulation runs it (0xDeCA10B
  ``simulation/.../prediction_market.py``, ungrouped, train once with cached accuracies): scores are
  accuracy deltas along the one training pass; each pass applies ``balance += score × rounds`` with
  ``rounds = min(rounds left, balance of the worst / −worst score)`` (the bounty in wei is the
  number of rounds), drops contributions whose balance fell below 1 wei, and re-scores the rest
  from the cached accuracies, until no score is negative or the rounds are spent. Each
  contribution's final balance, floored at 0 (nobody loses more than the stake), goes to its
  contributor; the reference's own bookkeeping adds a dropped contribution's residue to a market
  balance that already holds its deposit, and overwrites that balance in the last pass (quirks
  listed in ../shared/reference/0xDeCA10B.md §2.3), which this script does not copy. Its final
  model is the one training pass over every contribution, as for the old rule.

Neither old nor paper has a scoring fee; new and count take 1e14 wei of each stake for the scorer.

Shapes (money: bounty 1 ether, stakes of 0.01 ether, min stake 0.01 ether, scoring fee 1e14 wei;
test set in 5 pieces, one shown first and not scored):

* **A1 / A2** — "finding 1": a seeded generator draws true weights w ~ N(0, 1) over 40 features;
  a sample is 2 … 8 distinct random features, labelled 1 when their true weights sum above 0. A
  ``SparsePerceptron(n_features=40)`` fitted on 30 samples; 100 test samples (evaluation 80); an
  honest contributor adds 10 fresh samples with true labels, an attacker 10 with flipped labels.
  A1: the 20 contributions in random order. A2: interleaved, the attacker flips the label of the
  very sample the honest contributor just added.
* **B1 / B2** — the sentiment sentences (``load_sentiment()``, 1,000 words; the 4 training sentences
  without a vocabulary word are dropped): a SparsePerceptron fitted on 2,000 training sentences
  (which ones depends on the seed), evaluated on the 750 test sentences (shuffled per seed;
  evaluation 600); 20 honest and 20 flipped contributions from the training sentences left over.
  B1 random order, B2 interleaved as in A2.
* **B1-LR / B2-LR** — B1 and B2 with the perceptron learning on chain at a tenth of its
  pre-training rate (``SLOW_RATE``, as the simulation's scenarios do): the fix for a
  learning-rate-1 step's overshoot, measured as the honest data's own effect below.
* **B1-NB / B2-NB** — the same with ``NaiveBayes``. Its on-chain evaluation costs about 21,000 gas
  per sentence, so 600 sentences (12.6 M gas) do not fit the contract's EVALUATION_GAS_LIMIT of
  7 M: these shapes use 375 test sentences drawn per seed (evaluation 300).
* **C1 / C2** — B1-NB and B2-NB with the model fitted on 100 training sentences instead of 2,000:
  early on its learning curve, where one more true sentence helps the model on average (measured
  below, "the honest data's own effect"), as it does not for a model fitted on 2,000.

What is printed per shape: for each rule, the attacker's share of losing markets and its mean,
min and max profit; the honest contributor's mean profit, share of markets with a gain and share
of markets in which it ends above the attacker; the provider's net; accuracy on the evaluation set,
initial → final. For the new market on chain: the scorer's fees, the burned wei, the mean counts of
helpful/neutral/harmful contributions of each side, and the checks. Then the honest data's own
effect (twin only, not the chain): the honest contributions alone, scored greedily as the new
market scores them, and the attacker's alone; each honest contribution as one step on the initial
model, as the market trains, and (perceptrons) with the *just-enough* step, the smallest that
classifies that contribution itself right: the gap between the two is the overshoot of a
learning-rate-1 step. Last, the winner's curse: the honest contributions alone, greedy (harmful
ones undone) against keeping every one, each contribution's points on the evaluation set and on
held-out data the market never sees (A: 2,000 fresh samples; B: the training sentences used neither
for fitting nor as contributions), against the model as that run had it. If keeping only what
helped on the evaluation set tunes the model to that set, contributions score lower there than on
the held-out data, and the greedy model's gain on the evaluation set overstates its gain on
held-out data; keeping everything selects nothing, so it should show no such gap.

Profits are in ether, net of the stakes (what an account has after the market minus before).

    .venv/bin/python benchmarks/market_outcomes.py                  # every shape, 50 markets each
    .venv/bin/python benchmarks/market_outcomes.py --quick          # 3 markets per shape: a smoke run
    .venv/bin/python benchmarks/market_outcomes.py --shape A2 --markets 200
    .venv/bin/python benchmarks/market_outcomes.py --shape B        # every B shape (a prefix)
    .venv/bin/python benchmarks/market_outcomes.py --jobs 1         # one process (default 2: shapes in parallel)
    .venv/bin/python benchmarks/market_outcomes.py --shapes B1-NB,B2-NB,A1 --points-bought 5000 --chain-only

``--points-bought N`` has the provider commit to buying N points (the contract's ``pointsBought``;
default 0: every point the model could still gain, priced as if the bounty paid for a perfect
model). It changes only the market on chain ("new"); ``--chain-only`` then skips the other rules
and the twin-only analyses (the honest data's own effect, the winner's curse), which do not depend
on it, and keeps the twin's check of every payout.

``--quick`` runs 3 markets per shape (seeds 0 … 2) instead of ``--markets`` (default 50): a smoke run
of every code path (about 30 s of CPU), not a measurement. The default run takes about 510 s of CPU,
most of it the naive Bayes twin's margins in Python; shapes run in ``--jobs`` processes (it took
16 minutes on a 2-core machine shared with other work). Each shape prints its wall and CPU seconds.

Deterministic: market k of a shape uses seed k (data, order, salts); the chain is the lab's
deterministic revm chain, each market inside ``lab.anchor()``.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from dcai_lab import Lab
from dcai_lab.datasets import load_sentiment
from dcai_lab.errors import ConfigError
from dcai_lab.incentives import PredictionMarket
from dcai_lab.incentives.prediction_market import (
    BURN_ADDRESS,
    MarketEntry,
    Phase,
    evaluate,
    margin_scale,
    market_outcome,
    right_answers,
)
from dcai_lab.models import NaiveBayes, SparsePerceptron
from dcai_lab.models.sparse_perceptron import WEIGHT_SCALE

ETHER = 10**18
BOUNTY = ETHER
STAKE = 10**16
RULES = PredictionMarket(min_stake=STAKE, scoring_fee=10**14)
PIECES = 5
SHAPES = ["A1", "A2", "B1", "B2", "B1-LR", "B2-LR", "B1-NB", "B2-NB", "C1", "C2"]
#: The on-chain learning rate of the -LR shapes' perceptron, after pre-training at 1: a tenth, as
#: the simulation's scenarios learn (dcai_lab.simulation's PERCEPTRON_RATE).
SLOW_RATE = 0.1
HONEST, ATTACKER = "honest", "attacker"
#: The rules compared: the market on chain (points), the market before points (right answers),
#: the market before 3d87161, the paper's (module docstring).
RULE_NAMES = ("new", "count", "old", "paper")

Sample = tuple[int, ...]
Evaluation = list[tuple[Sample, int]]


# -- the markets ---------------------------------------------------------------------------------
@dataclass
class MarketSpec:
    """One market: the initial model, the provider's test set, the contributions in the order
    they are added (who, sample, label), and held-out data the market never sees."""

    model: Any
    test_samples: list[Sample]
    test_labels: list[int]
    contributions: list[tuple[str, Sample, int]]
    held_out: Evaluation
    seed: int


def interleave(honest: list[tuple[Sample, int]]) -> list[tuple[str, Sample, int]]:
    """Each honest contribution, then the attacker's copy of it with the label flipped."""
    return [c for x, y in honest for c in ((HONEST, x, y), (ATTACKER, x, 1 - y))]


def shuffled(honest, flipped, rng: random.Random) -> list[tuple[str, Sample, int]]:
    """The honest and the attacker's contributions in random order."""
    order = [(HONEST, x, y) for x, y in honest] + [(ATTACKER, x, 1 - y) for x, y in flipped]
    rng.shuffle(order)
    return order


def shape_a(seed: int, interleaved: bool) -> MarketSpec:
    """"Finding 1": 40 features, true weights N(0, 1), samples of 2 … 8 features."""
    rng = random.Random(seed)
    w = [rng.gauss(0, 1) for _ in range(40)]

    def draw(n: int) -> list[tuple[Sample, int]]:
        out = []
        for _ in range(n):
            x = tuple(sorted(rng.sample(range(40), rng.randint(2, 8))))
            out.append((x, int(sum(w[f] for f in x) > 0)))
        return out

    initial, test, honest = draw(30), draw(100), draw(10)
    model = SparsePerceptron(n_features=40).fit([list(x) for x, _ in initial], [y for _, y in initial])
    contributions = interleave(honest) if interleaved else shuffled(honest, draw(10), rng)
    return MarketSpec(model, [x for x, _ in test], [y for _, y in test], contributions, draw(2_000), seed)


_SENTIMENT: tuple | None = None


def sentiment() -> tuple:
    """The sentiment sentences as compact samples: (train, test), each a list of (sample, label),
    without the few sentences that hold no vocabulary word (a sample needs one)."""
    global _SENTIMENT
    if _SENTIMENT is None:
        data = load_sentiment()

        def compact(X, y) -> list[tuple[Sample, int]]:
            rows = [(tuple(int(f) for f in X.indices[X.indptr[i]:X.indptr[i + 1]]), int(y[i]))
                    for i in range(X.shape[0])]
            return [(x, label) for x, label in rows if x]

        _SENTIMENT = compact(data.X_train, data.y_train), compact(data.X_test, data.y_test)
    return _SENTIMENT


def shape_b(seed: int, interleaved: bool, naive_bayes: bool, learning_rate: float | None = None,
            fit_size: int = 2_000) -> MarketSpec:
    """Sentiment: a model fitted on ``fit_size`` training sentences, 20 honest and 20 flipped
    contributions; a perceptron then learns on chain at ``learning_rate`` if given (it pre-trains at 1)."""
    train, test = sentiment()
    rng = random.Random(seed)
    train, test = rng.sample(train, len(train)), rng.sample(test, len(test))
    if naive_bayes:
        test = test[:375]  # 600 evaluation sentences would not fit EVALUATION_GAS_LIMIT (module docstring)
    fit, rest = train[:fit_size], train[fit_size:]
    model = (NaiveBayes(n_features=1_000) if naive_bayes else SparsePerceptron(n_features=1_000)).fit(
        [list(x) for x, _ in fit], [y for _, y in fit])
    if learning_rate is not None:
        model.learning_rate = learning_rate
    honest, used = rest[:20], 20 if interleaved else 40
    contributions = interleave(honest) if interleaved else shuffled(honest, rest[20:40], rng)
    return MarketSpec(model, [x for x, _ in test], [y for _, y in test], contributions, rest[used:], seed)


SHAPE_BUILDERS = {
    "A1": lambda seed: shape_a(seed, interleaved=False),
    "A2": lambda seed: shape_a(seed, interleaved=True),
    "B1": lambda seed: shape_b(seed, interleaved=False, naive_bayes=False),
    "B2": lambda seed: shape_b(seed, interleaved=True, naive_bayes=False),
    "B1-LR": lambda seed: shape_b(seed, interleaved=False, naive_bayes=False, learning_rate=SLOW_RATE),
    "B2-LR": lambda seed: shape_b(seed, interleaved=True, naive_bayes=False, learning_rate=SLOW_RATE),
    "B1-NB": lambda seed: shape_b(seed, interleaved=False, naive_bayes=True),
    "B2-NB": lambda seed: shape_b(seed, interleaved=True, naive_bayes=True),
    "C1": lambda seed: shape_b(seed, interleaved=False, naive_bayes=True, fit_size=100),
    "C2": lambda seed: shape_b(seed, interleaved=True, naive_bayes=True, fit_size=100),
}


# -- the new market, on chain ----------------------------------------------------------------------
def model_state(model) -> tuple:
    """A model's learned parameters, comparable with ==."""
    if isinstance(model, NaiveBayes):
        return tuple(model.class_count_.tolist()), tuple(map(tuple, model.feature_count_.tolist()))
    return tuple(model.weights_), model.intercept_


def run_on_chain(lab: Lab, spec: MarketSpec, points_bought: int = 0) -> dict:
    """Run the market on chain, the bounty buying ``points_bought`` points, withdraw everything,
    and compare every number with the twin."""
    a = lab.accounts
    provider, who = a.deployer, {HONEST: a.alice, ATTACKER: a.mallory}
    scorer = a.bob
    actors = [provider, who[HONEST], who[ATTACKER], scorer]
    with lab.anchor():
        trainer = lab.deploy(spec.model, incentive=RULES, sender=provider)
        held = actors + [trainer.address, BURN_ADDRESS]
        wei_before = sum(lab.balance(x) for x in held)
        start = {x: lab.balance(x) for x in actors}
        burn_start = lab.balance(BURN_ADDRESS)
        trainer.commit(spec.test_samples, spec.test_labels, bounty=BOUNTY, pieces=PIECES, points_bought=points_bought,
                       seed=spec.seed, sender=provider)
        trainer.reveal_chosen_piece(sender=provider)
        for role, x, y in spec.contributions:
            trainer.add_data(list(x), y, sender=who[role], value=STAKE)
        lab.time_travel(seconds=trainer.contract.participationEnd() - lab.timestamp)
        trainer.reveal_test_set(sender=provider)
        trainer.process(sender=scorer)
        assert trainer.phase == Phase.FINISHED, trainer.phase

        twin = trainer.outcome(spec.model)
        scored = {e["id"]: e for e in lab.events("ContributionScored")}
        finished = lab.events("MarketFinished")[-1]
        owed = {x: trainer.owed(x) for x in actors}
        for x in actors:
            if owed[x]:
                trainer.withdraw(sender=x)
        got = {x: lab.balance(x) - start[x] for x in actors}
        got[provider] += BOUNTY  # what the provider withdrew (the bounty left with the commit)
        for role in (HONEST, ATTACKER):
            got[who[role]] += STAKE * sum(c[0] == role for c in spec.contributions)
        _, correct, points = trainer.progress()
        evaluation_size, baseline = trainer.contract.evaluationSize(), trainer.contract.baseline()
        mismatches = (
            sum(trainer.scores()[i] != s for i, s in enumerate(twin.scores))
            + sum((scored[i]["score"], scored[i]["payout"], scored[i]["kept"]) != (s, p, k)
                  for i, (s, p, k) in enumerate(zip(twin.scores, twin.payouts, twin.kept)))
            + sum(owed[x] != twin.credits.get(x, 0) or got[x] != owed[x] for x in actors)
            + (finished["burned"] != twin.burned) + (lab.balance(BURN_ADDRESS) - burn_start != twin.burned)
            + (finished["bountyPaid"] != twin.bounty_paid)
            + (baseline != twin.baseline) + (correct != twin.final)
            + (trainer.contract.baselinePoints() != twin.baseline_points) + (points != twin.final_points)
            + (trainer.contract.marginScale() != twin.margin_scale) + (trainer.contract.pricePerPoint() != twin.price)
            + (model_state(trainer.local_model()) != model_state(twin.model)))
        conserved = sum(lab.balance(x) for x in held) == wei_before and lab.balance(trainer.address) == 0
        roles = [c[0] for c in spec.contributions]
        profit = {role: lab.balance(who[role]) - start[who[role]] for role in (HONEST, ATTACKER)}
        # what the twin's payouts make of each side: its payouts, less the fee of each contribution
        mismatches += sum(profit[role] != sum(p - RULES.scoring_fee for r, p in zip(roles, twin.payouts) if r == role)
                          for role in profit)
        evaluation = [(s, label) for p in trainer.evaluation_set() for s, label in zip(p.samples, p.labels)]
        return {
            "twin": twin, "evaluation": evaluation, "roles": roles,
            "mismatches": mismatches, "conserved": conserved, "not_worse": correct >= baseline,
            "honest": profit[HONEST], "attacker": profit[ATTACKER], "provider": lab.balance(provider) - start[provider],
            "fees": lab.balance(scorer) - start[scorer], "burned": lab.balance(BURN_ADDRESS) - burn_start,
            "acc0": baseline / evaluation_size, "acc1": correct / evaluation_size,
        }


# -- the other rules, in pure Python -----------------------------------------------------------------
def right(model, evaluation: Evaluation) -> int:
    """``right_answers``, with a naive Bayes model's per-class terms computed once per evaluation
    instead of once per sample (by the twin's own ``_class_terms``: the same answers, faster)."""
    if not isinstance(model, NaiveBayes):
        return right_answers(model, evaluation)
    model._class_terms = [model._class_terms(c) for c in range(model.n_classes_)].__getitem__
    try:
        return right_answers(model, evaluation)
    finally:
        del model._class_terms


def train_once(model, entries: list[MarketEntry], evaluation: Evaluation) -> list[int]:
    """Train on every contribution in order, harmful ones too: the right answers after each."""
    model = copy.deepcopy(model)
    after = []
    for e in entries:
        try:
            model._update_sample(e.sample, e.label)
        except ConfigError:  # the contract's model refuses: skipped, nothing changes
            pass
        after.append(right(model, evaluation))
    return after


def count_rule(model, entries: list[MarketEntry], evaluation: Evaluation) -> tuple[dict[str, int], int]:
    """Profit per contributor, and the final model's right answers, under the market before points
    (``git show 445c1a4:contracts/trainers/PredictionMarket.sol``): a score is the change in right
    answers, a contribution that lowers them is undone, gains and losses are
    ``min(|score| · ⌊bounty / evaluation size⌋, stake − fee)``."""
    model, price = copy.deepcopy(model), BOUNTY // len(evaluation)
    correct = right(model, evaluation)
    profit: dict[str, int] = defaultdict(int)
    for e in entries:
        profit[e.contributor] -= RULES.scoring_fee
        trial = copy.deepcopy(model)
        try:
            trial._update_sample(e.sample, e.label)
        except ConfigError:
            continue
        after = right(trial, evaluation)
        score, at_risk = after - correct, e.stake - RULES.scoring_fee
        profit[e.contributor] += min(score * price, at_risk) if score >= 0 else -min(-score * price, at_risk)
        if score >= 0:
            model, correct = trial, after
    return profit, correct


def old_rule(baseline: int, after: list[int], entries: list[MarketEntry]) -> dict[str, int]:
    """Profit per contributor under the market before 3d87161 (module docstring)."""
    credit: dict[str, int] = defaultdict(int)
    helpful: dict[str, int] = defaultdict(int)
    forfeited, before = 0, baseline
    for e, correct in zip(entries, after):
        score, before = correct - before, correct
        if score < 0:
            forfeited += e.stake
        else:
            credit[e.contributor] += e.stake
            if score > 0:
                helpful[e.contributor] += score
    pool, total = BOUNTY + forfeited, sum(helpful.values())
    for address, s in helpful.items():
        credit[address] += pool * s // total
    staked: dict[str, int] = defaultdict(int)
    for e in entries:
        staked[e.contributor] += e.stake
    return {address: credit[address] - staked[address] for address in staked}


def paper_rule(baseline: int, after: list[int], entries: list[MarketEntry], size: int) -> dict[str, int]:
    """Profit per contributor under the paper's multi-round rule (module docstring), exact in
    fractions of a wei, floored to whole wei at the end."""
    balance = [Fraction(e.stake) for e in entries]
    accuracy = [Fraction(c, size) for c in after]
    alive = list(range(len(entries)))
    rounds_left = Fraction(BOUNTY)
    while alive:
        previous, scores = Fraction(baseline, size), {}
        for i in alive:
            scores[i], previous = accuracy[i] - previous, accuracy[i]
        worst = min(alive, key=lambda i: scores[i])  # the first of the lowest, as the reference's strict <
        if scores[worst] >= 0:
            rounds = rounds_left
        else:
            rounds = min(rounds_left, balance[worst] / -scores[worst])
        rounds_left -= rounds
        for i in alive:
            balance[i] = max(balance[i] + scores[i] * rounds, Fraction(0))
        if scores[worst] >= 0 or rounds_left == 0:
            break
        alive = [i for i in alive if balance[i] >= 1]
    profit: dict[str, int] = defaultdict(int)
    for e, b in zip(entries, balance):
        profit[e.contributor] += b - e.stake
    return {address: int(v // 1) for address, v in profit.items()}


# -- the honest data's own effect --------------------------------------------------------------------
def counts(scores: list[int]) -> tuple[int, int, int]:
    """(helpful, neutral, harmful)."""
    return sum(s > 0 for s in scores), sum(s == 0 for s in scores), sum(s < 0 for s in scores)


def just_enough(model, entry: MarketEntry) -> None:
    """Train a perceptron on one contribution with the smallest step (a learning rate of its own,
    in whole 1e-6 units) that classifies the contribution itself right: no overshoot."""
    if model._predict_sample(entry.sample) == entry.label:
        return
    score, moved = model._score(entry.sample), len(entry.sample) + 1  # the present weights and the intercept
    step = -score // moved + 1 if entry.label == 1 else -(-score // moved)
    model.learning_rate = step / WEIGHT_SCALE
    model._update_sample(entry.sample, entry.label)


def single_step(model, entry: MarketEntry, evaluation: Evaluation, scale: int, minimal: bool = False):
    """``(Δ right answers, Δ points)`` when the initial model trains on this one contribution
    alone, as the market trains (or with the just-enough step)."""
    before = evaluate(model, evaluation, scale)
    model = copy.deepcopy(model)
    try:
        if minimal:
            just_enough(model, entry)
        else:
            model._update_sample(entry.sample, entry.label)
    except ConfigError:
        return 0, 0
    after = evaluate(model, evaluation, scale)
    return after[0] - before[0], after[1] - before[1]


def path_scores(model, entries: list[MarketEntry], kept: list[bool], data: Evaluation, scale: int):
    """Each contribution's points on ``data``, against the model as a run had it then (``kept``:
    which contributions that run kept), and the run's final accuracy gain on ``data``."""
    model = copy.deepcopy(model)
    start = now = evaluate(model, data, scale)
    scores = []
    for e, keep in zip(entries, kept):
        trial = copy.deepcopy(model)
        try:
            trial._update_sample(e.sample, e.label)
        except ConfigError:
            scores.append(0)
            continue
        after = evaluate(trial, data, scale)
        scores.append(after[1] - now[1])
        if keep:
            model, now = trial, after
    return scores, (now[0] - start[0]) / len(data)


def effects(spec: MarketSpec, entries: list[MarketEntry], roles: list[str], evaluation: Evaluation) -> dict:
    """What the honest and the attacker's data do alone, one step at a time, and greedy against keep-all."""
    honest = [e for e, r in zip(entries, roles) if r == HONEST]
    attacker = [e for e, r in zip(entries, roles) if r == ATTACKER]
    scale, factor = margin_scale(spec.model, evaluation), len(evaluation) / len(spec.held_out)

    def greedy(alone: list[MarketEntry]):
        return market_outcome(spec.model, alone, evaluation, BOUNTY, "provider",
                              scoring_fee=RULES.scoring_fee, scorer="scorer")

    g_honest, g_attacker = greedy(honest), greedy(attacker)
    runs = {"greedy": g_honest.kept, "keep all": [True] * len(honest)}
    out = {
        "hon_sum": sum(g_honest.scores), "hon_counts": counts(g_honest.scores),
        "att_sum": sum(g_attacker.scores), "att_counts": counts(g_attacker.scores),
        "step": [single_step(spec.model, e, evaluation, scale) for e in honest],
        "att_step": [single_step(spec.model, e, evaluation, scale) for e in attacker],
    }
    for run, kept in runs.items():
        on_eval, gain_eval = path_scores(spec.model, honest, kept, evaluation, scale)
        on_held, gain_held = path_scores(spec.model, honest, kept, spec.held_out, scale)
        out[run] = {"eval": np.mean(on_eval), "held": np.mean(on_held) * factor,
                    "gain_eval": gain_eval, "gain_held": gain_held}
    if isinstance(spec.model, SparsePerceptron):
        out["step_min"] = [single_step(spec.model, e, evaluation, scale, minimal=True) for e in honest]
    return out


# -- one shape ---------------------------------------------------------------------------------------
def run_shape(lab: Lab, shape: str, markets: int, points_bought: int = 0,
              chain_only: bool = False) -> tuple[list[dict], float, float]:
    """Every market of a shape; the rows, and the wall and CPU seconds they took. ``chain_only``:
    the market on chain and its twin check alone."""
    rows, started, cpu = [], time.perf_counter(), time.process_time()
    for seed in range(markets):
        spec = SHAPE_BUILDERS[shape](seed)
        chain = run_on_chain(lab, spec, points_bought)
        twin, evaluation, roles = chain["twin"], chain["evaluation"], chain["roles"]
        row = {
            "seed": seed, "mismatches": chain["mismatches"], "conserved": chain["conserved"],
            "not_worse": chain["not_worse"], "fees": chain["fees"], "burned": chain["burned"],
            "new": {"attacker": chain["attacker"], "honest": chain["honest"], "provider": chain["provider"],
                    "acc0": chain["acc0"], "acc1": chain["acc1"]},
            "in_market": {side: counts([s for s, role in zip(twin.scores, roles) if role == side])
                          for side in (HONEST, ATTACKER)},
        }
        if chain_only:
            rows.append(row)
            continue
        entries = [MarketEntry(x, y, role, STAKE) for role, x, y in spec.contributions]
        after = train_once(spec.model, entries, evaluation)
        size = len(evaluation)
        assert right(spec.model, evaluation) == twin.baseline  # the faster evaluation answers as the twin
        old, paper = old_rule(twin.baseline, after, entries), paper_rule(twin.baseline, after, entries, size)
        count, count_final = count_rule(spec.model, entries, evaluation)
        rows.append(row | {
            "count": {"attacker": count[ATTACKER], "honest": count[HONEST], "provider": -sum(count.values()),
                      "acc0": twin.baseline / size, "acc1": count_final / size},
            "old": {"attacker": old[ATTACKER], "honest": old[HONEST],
                    "provider": -sum(old.values()),  # what the contributors won, the provider paid
                    "acc0": twin.baseline / size, "acc1": after[-1] / size},
            "paper": {"attacker": paper[ATTACKER], "honest": paper[HONEST], "provider": -sum(paper.values()),
                      "acc0": twin.baseline / size, "acc1": after[-1] / size},
            "effects": effects(spec, entries, roles, evaluation),
        })
    return rows, time.perf_counter() - started, time.process_time() - cpu


# -- tables ------------------------------------------------------------------------------------------
def ether(wei: float) -> float:
    return wei / ETHER


def rules_in(rows: list[dict]) -> list[str]:
    """The rules these rows hold (only "new" in a ``--chain-only`` run)."""
    return [rule for rule in RULE_NAMES if rule in rows[0]]


def money_table(rows: list[dict]) -> pd.DataFrame:
    """Per rule: the attacker's and the honest contributor's fortunes, the provider's, accuracy."""
    table = {}
    for rule in rules_in(rows):
        att = np.array([r[rule]["attacker"] for r in rows], dtype=float)
        hon = np.array([r[rule]["honest"] for r in rows], dtype=float)
        table[rule] = {
            "att loses": f"{np.mean(att < 0):.0%}",
            "att mean": ether(att.mean()), "att min": ether(att.min()), "att max": ether(att.max()),
            "hon mean": ether(hon.mean()), "hon gains": f"{np.mean(hon > 0):.0%}",
            "hon > att": f"{np.mean(hon > att):.0%}",
            "provider": ether(np.mean([r[rule]["provider"] for r in rows])),
            "acc": " → ".join(f"{np.mean([r[rule][k] for r in rows]):.3f}" for k in ("acc0", "acc1")),
        }
    return pd.DataFrame(table).T


def mean_counts(triples) -> str:
    """Mean (helpful, neutral, harmful) counts, as "h/n/h"."""
    return "/".join(f"{v:.1f}" for v in np.mean(triples, axis=0))


def chain_table(rows: list[dict]) -> pd.DataFrame:
    """The new market's own numbers and the checks."""
    return pd.DataFrame([{
        "markets": len(rows),
        "scorer fees": ether(np.mean([r["fees"] for r in rows])),
        "burned": ether(np.mean([r["burned"] for r in rows])),
        "hon +/0/−": mean_counts([r["in_market"][HONEST] for r in rows]),
        "att +/0/−": mean_counts([r["in_market"][ATTACKER] for r in rows]),
        "twin mismatches": sum(r["mismatches"] for r in rows),
        "not conserved": sum(not r["conserved"] for r in rows),
        "acc dropped": sum(not r["not_worse"] for r in rows),
    }], index=["new (chain)"])


def effect_table(rows: list[dict]) -> pd.DataFrame:
    """The honest data's own effect (twin only), per market on average: Σ over a side's
    contributions of right answers and of points, with the +/0/− counts of the points."""
    e = [r["effects"] for r in rows]
    out = {
        "honest alone, greedy": {"Σ points": f"{np.mean([x['hon_sum'] for x in e]):+.0f}",
                                 "+/0/− points": mean_counts([x["hon_counts"] for x in e])},
        "attacker alone, greedy": {"Σ points": f"{np.mean([x['att_sum'] for x in e]):+.0f}",
                                   "+/0/− points": mean_counts([x["att_counts"] for x in e])},
    }
    for label, key in (("honest, 1 step on initial (market's step)", "step"),
                       ("attacker, 1 step on initial", "att_step"),
                       ("honest, 1 step on initial (just enough)", "step_min")):
        if key in e[0]:
            right_, points = ([[step[k] for step in x[key]] for x in e] for k in (0, 1))
            out[label] = {"Σ right": f"{np.mean([sum(v) for v in right_]):+.2f}",
                          "Σ points": f"{np.mean([sum(v) for v in points]):+.0f}",
                          "+/0/− points": mean_counts([counts(v) for v in points])}
    return pd.DataFrame(out).T.fillna("")


def curse_table(rows: list[dict]) -> pd.DataFrame:
    """Honest contributions alone, greedy (what lowers points or right answers undone) against
    keep-all: the mean points of a contribution on the evaluation set and on held-out data
    (rescaled to the evaluation set's size), each against the model as the run had it; and the
    final model's accuracy gains."""
    e = [r["effects"] for r in rows]
    out = {}
    for run in ("greedy", "keep all"):
        m = {k: np.mean([x[run][k] for x in e]) for k in ("eval", "held", "gain_eval", "gain_held")}
        out[run] = {"points eval": f"{m['eval']:+.1f}", "points held-out": f"{m['held']:+.1f}",
                    "eval − held-out": f"{m['eval'] - m['held']:+.1f}",
                    "Δacc eval": f"{m['gain_eval']:+.4f}", "Δacc held-out": f"{m['gain_held']:+.4f}"}
    return pd.DataFrame(out).T


def summary_row(shape: str, rows: list[dict], seconds: float, cpu: float) -> dict:
    """One line per shape: the rules side by side (new/count/old/paper, or new alone)."""
    def per_rule(value, fmt: str) -> str:
        return "/".join(format(np.mean([value(r[rule]) for r in rows]), fmt) for rule in rules_in(rows))

    acc = [np.mean([r[rule][k] for r in rows]) for rule, k in (("new", "acc0"), ("new", "acc1"),
                                                                 ("count", "acc1")) if rule in rows[0]]
    return {
        "shape": shape, "markets": len(rows), "wall s": f"{seconds:.1f}", "CPU s": f"{cpu:.1f}",
        "mismatches": sum(r["mismatches"] for r in rows),
        "att loses": per_rule(lambda m: m["attacker"] < 0, ".0%"),
        "att mean": per_rule(lambda m: ether(m["attacker"]), "+.4f"),
        "hon mean": per_rule(lambda m: ether(m["honest"]), "+.4f"),
        "hon gains": per_rule(lambda m: m["honest"] > 0, ".0%"),
        "hon > att": per_rule(lambda m: m["honest"] > m["attacker"], ".0%"),
        "acc new/count": f"{acc[0]:.3f}→" + "/".join(f"{a:.3f}" for a in acc[1:]),
    }


def shape_job(shape: str, markets: int, points_bought: int = 0,
              chain_only: bool = False) -> tuple[str, list[dict], float, float]:
    """One shape in a process of its own, on a fresh revm lab."""
    rows, seconds, cpu = run_shape(Lab(engine="revm"), shape, markets, points_bought, chain_only)
    print(f"  {shape}: {markets} markets in {seconds:.1f} s", file=sys.stderr, flush=True)
    return shape, rows, seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, default=50, help="markets per shape (seeds 0 … N−1; default 50)")
    parser.add_argument("--quick", action="store_true", help="3 markets per shape: a smoke run")
    parser.add_argument("--shape", action="append", metavar="|".join(SHAPES),
                        help="run only this shape, or every shape whose name starts with it (repeatable)")
    parser.add_argument("--shapes", metavar="A1,B1-NB,…", help="these shapes (or prefixes), comma-separated")
    parser.add_argument("--points-bought", type=int, default=0,
                        help="points of improvement the bounty buys (default 0: all the model could gain)")
    parser.add_argument("--chain-only", action="store_true",
                        help="only the market on chain and its twin check (not the other rules nor the effects)")
    parser.add_argument("--jobs", type=int, default=2, help="shapes run in parallel processes (default 2)")
    args = parser.parse_args()
    markets = 3 if args.quick else args.markets
    wanted = (args.shape or []) + (args.shapes.split(",") if args.shapes else []) or SHAPES
    shapes = [s for s in SHAPES if any(s == p or (p not in SHAPES and s.startswith(p)) for p in wanted)]
    if not shapes or markets < 1 or args.jobs < 1:
        parser.error(f"choose shapes among {', '.join(SHAPES)}, at least one market and at least one job.")
    if not 0 <= args.points_bought < 2**32:
        parser.error("--points-bought takes 0 … 2^32 − 1 points.")

    print(f"Bounty {ether(BOUNTY)} ether; stakes {ether(STAKE)} ether each; scoring fee {ether(RULES.scoring_fee)} "
          f"ether; {PIECES} pieces. Money in ether, per market, net (after − before); 'att' attacker, 'hon' "
          f"honest; +/0/− mean counts of helpful/neutral/harmful contributions per market. The bounty buys "
          f"{f'{args.points_bought:,} points' if args.points_bought else 'every point the model could gain'}.",
          flush=True)
    total = time.perf_counter()
    # The slowest shapes (naive Bayes: its twin's evaluation is the slowest Python) start first.
    order = sorted(shapes, key=lambda s: not s.endswith("-NB"))
    with ProcessPoolExecutor(max_workers=min(args.jobs, len(shapes))) as pool:
        done = {shape: rest for shape, *rest in pool.map(shape_job, order, [markets] * len(order),
                                                         [args.points_bought] * len(order),
                                                         [args.chain_only] * len(order))}
    wall = time.perf_counter() - total

    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.float_format", lambda v: f"{v:+.4f}")
    summary = []
    for shape in shapes:
        rows, seconds, cpu = done[shape]
        print(f"\n=== {shape}: {markets} markets, {seconds:.1f} s wall, {cpu:.1f} s CPU ===")
        print(money_table(rows).to_string())
        print(chain_table(rows).to_string())
        if not args.chain_only:
            print("The honest data's own effect (twin, from the initial model):")
            print(effect_table(rows).to_string())
            print("Winner's curse (honest contributions alone):")
            print(curse_table(rows).to_string())
        summary.append(summary_row(shape, rows, seconds, cpu))
    print("\n=== Summary ===")
    print(pd.DataFrame(summary).set_index("shape").to_string())
    print(f"\nTotal wall time {wall:.1f} s ({min(args.jobs, len(shapes))} processes)")


if __name__ == "__main__":
    main()
