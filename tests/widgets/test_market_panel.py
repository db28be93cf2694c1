"""The market panel walks a prediction market through its phases by clicks, and says who gets what."""

import pytest

from dcai_lab.errors import ConfigError
from dcai_lab.incentives import DepositRefundTake, PredictionMarket, days
from dcai_lab.incentives.prediction_market import Phase
from dcai_lab.models import SparsePerceptron
from dcai_lab.widgets import market_panel
from dcai_lab.widgets._common import ether, shown

RULES = PredictionMarket(min_stake=1_000, scoring_fee=100, participation_time=days(7), reveal_time=days(1))
BOUNTY = 10**6


def step_model() -> SparsePerceptron:
    """All weights 0, intercept −1.5: everything is class 0 until trained on [0] → 1."""
    model = SparsePerceptron(n_features=4)
    model._init_model(2)
    model.intercept_ = -1_500_000
    return model


@pytest.fixture
def panel(lab):
    trainer = lab.deploy(step_model(), RULES, sender=lab.accounts[0])
    board = market_panel(trainer)
    yield board
    board.close()


def click(panel, name, who):
    panel.account.value = who
    (panel.button[name] if name in panel.button else panel.next_deadline).click()
    return shown(panel.output)


def test_a_market_from_commitment_to_withdrawal_by_clicks(lab, panel):
    a, trainer = lab.accounts, panel.trainer
    assert "Phase <b>open</b>" in panel.steps.value
    trainer.commit([[0], [1]] * 3, [1, 0] * 3, bounty=BOUNTY, pieces=3, seed=7, sender=a[0])
    assert "Phase <b>committed</b>" in panel.steps.value and not panel.button["reveal chosen piece"].disabled
    click(panel, "reveal chosen piece", a[0])
    assert trainer.phase == Phase.PARTICIPATION and "participation ends" in panel.deadlines.value
    trainer.add_data([0], 1, sender=a.alice, value=50_000)  # helpful: [0] becomes right
    trainer.add_data([0], 0, sender=a.mallory, value=20_000)  # harmful: undone, loses
    assert panel.table().loc["alice", "staked"] == ether(50_000)
    assert "reveal the test set" in panel.table().loc["deployer", "may do now"]
    said = click(panel, "travel", a[0])
    assert trainer.phase == Phase.REVEAL and "the market is REVEAL" in said
    assert click(panel, "reveal test set", a.alice) == \
        "Refused by the contract: only the provider, deployer, may do this.\n"
    click(panel, "reveal test set", a[0])
    assert trainer.phase == Phase.SCORING and panel.table().loc["frank", "may do now"].startswith("score")
    click(panel, "score all", a.frank)
    assert trainer.phase == Phase.FINISHED and "Finished:" in panel.payouts.value
    assert "(in " not in panel.deadlines.value  # no countdown to a deadline that no longer matters
    table = panel.table()
    assert table.loc["alice", "scores"] == "+664" and table.loc["mallory", "scores"] == "-664"  # points
    assert table.loc["alice", "owed now"] == ether(trainer.owed(a.alice)) != ether(0)
    assert table.loc["alice", "may do now"] == f"withdraw {ether(trainer.owed(a.alice))}"
    owed, before = trainer.owed(a.alice), lab.balance(a.alice)
    assert f"alice withdrew {ether(owed)}" in click(panel, "withdraw", a.alice)
    assert lab.balance(a.alice) - before == owed
    assert panel.table().loc["alice", ["owed now", "withdrawn"]].tolist() == [ether(0), ether(owed)]


def test_a_provider_who_never_reveals_lets_the_market_lapse(lab, panel):
    a, trainer = lab.accounts, panel.trainer
    trainer.commit([[0], [1]] * 3, [1, 0] * 3, bounty=BOUNTY, pieces=3, seed=7, sender=a[0])
    trainer.reveal_chosen_piece(sender=a[0])
    trainer.add_data([0], 1, sender=a.alice, value=50_000)
    click(panel, "travel", a[0])
    click(panel, "travel", a[0])
    assert trainer.phase == Phase.CANCELLED and "cancelled" in panel.steps.value
    assert panel.next_deadline.disabled
    click(panel, "lapse", a.bob)
    assert "Cancelled: every stake comes back" in panel.payouts.value
    assert "withdrew" in click(panel, "withdraw", a.alice)


def test_only_a_market_gets_a_market_panel(lab):
    with pytest.raises(ConfigError, match="trainer_dashboard"):
        market_panel(lab.deploy(step_model(), DepositRefundTake()))


def test_the_panel_says_how_many_points_the_bounty_buys(lab, panel):
    """A provider who buys fewer points than the model could gain says so at commitment; the panel
    shows it with the bounty (and says nothing more for 0, every point)."""
    a, trainer = lab.accounts, panel.trainer
    trainer.commit([[0], [1]] * 3, [1, 0] * 3, bounty=BOUNTY, pieces=3, points_bought=1_500, seed=7, sender=a[0])
    panel.refresh()
    assert f"bounty {ether(BOUNTY)} for 1,500 points;" in panel.deadlines.value
