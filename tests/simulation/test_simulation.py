"""Agents and the scheduler: same seed, same run; money never negative, never created or lost;
only claims the contract accepts are sent; the same run on both in-memory engines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dcai_lab.errors import ConfigError
from dcai_lab.simulation import Agent, Flip, Honest, RandomLabels, Targeted, UNIT, attack, prediction_market, simulate

#: Small enough for py-evm: about 45 contributions and their claims.
TINY = {"samples": 50, "test_samples": 100}


@pytest.fixture(scope="module")
def drt_run():
    return simulate(attack("deposit-refund-take", samples=240, test_samples=300, seed=3))


@pytest.fixture(scope="module")
def market_run():
    return simulate(prediction_market(samples=200, test_samples=300, seed=1))


def test_the_same_seed_gives_the_same_timeline(drt_run):
    again = simulate(attack("deposit-refund-take", samples=240, test_samples=300, seed=3))
    pd.testing.assert_frame_equal(again.timeline, drt_run.timeline)
    other = simulate(attack("deposit-refund-take", samples=240, test_samples=300, seed=4))
    assert not other.timeline.equals(drt_run.timeline)


@pytest.mark.parametrize("run", ["drt_run", "market_run"])
def test_balances_are_never_negative_and_no_wei_is_created_or_lost(run, request):
    result = request.getfixturevalue(run)
    balances = result.timeline["balance"].dropna()
    assert len(balances) and (balances >= 0).all()
    assert result.details["wei_in_play"]["start"] == result.details["wei_in_play"]["end"]
    moved = sum(a["end_wei"] - a["start_wei"] for a in result.agents)
    if result.mechanism == "PredictionMarket":  # losses are burned, not paid to anyone
        assert moved == -result.details["burned_wei"]
    else:
        assert moved == 0  # everything left in the trainer was claimed


def test_every_transaction_is_an_action_of_the_timeline(drt_run):
    # Claims are sent only when they succeed: the chain saw exactly the timeline's actions.
    actions = drt_run.timeline["action"].value_counts()
    sent = sum(actions.get(a, 0) for a in ("contribute", "refund", "take", "take leftover"))
    assert drt_run.transactions == sent
    assert actions["refund"] > 0 and actions["take"] > 0 and actions["take leftover"] > 0


def test_refunds_and_takes_pay_what_the_timeline_says(drt_run):
    t = drt_run.timeline.dropna(subset=["agent"])
    for agent in drt_run.agents:
        rows = t[t["agent"] == agent["agent"]]
        assert agent["start_wei"] + int(rows["amount"].sum()) == agent["end_wei"] == int(rows["balance"].iloc[-1])


def test_the_attacker_pays_the_honest_contributor(drt_run):
    honest, attacker = drt_run.agents
    assert honest["end_wei"] > honest["start_wei"] > attacker["end_wei"]


def test_the_market_burns_the_flippers_stakes_and_evaluates_before_and_after_scoring(market_run):
    ends = {a["agent"]: a["end_wei"] - a["start_wei"] for a in market_run.agents}
    assert ends["mallory"] < 0 and ends["erin"] < 0
    assert market_run.details["burned_wei"] > 0
    actions = market_run.timeline["action"]
    first_withdrawal = actions[actions == "withdraw"].index[0]
    assert list(actions[actions == "evaluate"].index)[0] < actions[actions == "contribute"].index[0]
    assert actions[actions == "evaluate"].index[-1] < first_withdrawal  # after scoring, before payouts
    assert len(market_run.accuracy) >= 2


def test_the_market_pretrains_on_8_percent_unless_told_another_share():
    default = simulate(prediction_market(samples=400, test_samples=100, seed=1))
    handful = simulate(prediction_market(samples=400, test_samples=100, seed=1, pretrain=0.025))
    streamed = default.details["pretrain_samples"] + default.details["stream_samples"]
    assert default.details["pretrain_samples"] == int(streamed * 0.08) > 10
    assert handful.details["pretrain_samples"] == max(2, int(streamed * 0.025)) < 11


def test_points_move_no_money_and_count_validations():
    result = simulate(attack("points", **TINY))
    assert all(a["end_wei"] == a["start_wei"] for a in result.agents)
    validated = result.timeline[result.timeline["action"] == "validate"].groupby("agent").size()
    assert {a["agent"]: a["points"] for a in result.agents if a["points"]} == validated.to_dict()


def test_pyevm_and_revm_give_identical_timelines():
    scenario = attack("deposit-refund-take", take_wait=2 * 86_400, **TINY)
    revm, pyevm = simulate(scenario, engine="revm"), simulate(scenario, engine="pyevm")
    assert len(revm.timeline) > 50
    pd.testing.assert_frame_equal(revm.timeline, pyevm.timeline)
    assert revm.agents == pyevm.agents


# -- agents ------------------------------------------------------------------------------------------


def test_label_policies():
    rng = np.random.default_rng(0)
    assert Honest().label((1, 2), 1, rng, 2) == 1
    assert Flip().label((1, 2), 1, rng, 2) == 0
    assert {Flip().label((1,), 0, rng, 3) for _ in range(50)} == {1, 2}
    targeted = Targeted(frozenset({7}))
    assert targeted.label((1, 7), 1, rng, 2) == 0 and targeted.label((1, 8), 1, rng, 2) == 1
    assert {RandomLabels().label((1,), 0, rng, 2) for _ in range(50)} == {0, 1}
    assert sum(Honest(mistake_rate=0.5).label((1,), 1, rng, 2) for _ in range(1000)) in range(400, 600)


def test_waits_and_budgets_are_positive_draws():
    agent = Agent("alice", 10 * UNIT, mean_wait=2, mean_deposit=1, deposit_sd=5, wait_sd=5)
    rng = np.random.default_rng(1)
    assert min(agent.next_wait(rng) for _ in range(200)) >= 1
    assert min(agent.budget(rng) for _ in range(200)) >= 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"account": "deployer"}, "reserve"),
    ({"account": "nobody"}, "not one of the lab's accounts"),
])
def test_bad_accounts_are_refused(changes, message):
    scenario = attack("deposit-refund-take", **TINY)
    agents = (scenario.agents[0].__class__(**{**vars(scenario.agents[0]), **changes}), scenario.agents[1])
    with pytest.raises(ConfigError, match=message):
        simulate(scenario.with_(agents=agents))
