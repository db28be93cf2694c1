"""The trainer dashboard does what its clicks promise, on the chain and on the screen."""

from collections.abc import Iterator

import pytest

from dcai_lab import Lab
from dcai_lab.errors import RevertError
from dcai_lab.incentives import DepositRefundTake, Points, days
from dcai_lab.models import SparsePerceptron
from dcai_lab.models.sparse_perceptron import WEIGHT_SCALE
from dcai_lab.widgets import trainer_dashboard
from dcai_lab.widgets._common import ether, shown

RULES = DepositRefundTake(cost_weight=10**12, refund_wait=days(1), take_wait=days(9))
#: The twin agrees with GOOD and disagrees with BAD however often they are added.
GOOD, BAD = ("[0, 1]", 1), ("[0, 1]", 0)
TEST = ([[0], [1], [2], [3], [5]], [1, 1, 0, 0, 0])  # [5] flips with the intercept


def twin() -> SparsePerceptron:
    """Features 0 and 1 speak strongly for class 1, 2 and 3 for class 0; 4 … 7 weigh nothing."""
    model = SparsePerceptron(n_features=8)
    model._init_model(2)
    model.weights_ = [50 * WEIGHT_SCALE] * 2 + [-50 * WEIGHT_SCALE] * 2 + [0] * 4
    model.intercept_ = 0
    return model


@pytest.fixture
def dashboard(lab) -> Iterator:
    board = trainer_dashboard(lab.deploy(twin(), RULES), test=TEST, class_names=["negative", "positive"])
    yield board
    board.close()


def contribute(board, sample_label, who) -> None:
    board.text.value, board.label.value = sample_label
    board.account.value = who
    board.contribute.click()


def row_state(board) -> list[tuple[bool, bool, str]]:
    return [(row.refund.disabled, row.take.disabled, row.why.value) for row in board.rows]


def test_typing_a_sample_shows_the_prediction_and_the_next_deposit(lab, dashboard):
    dashboard.text.value = "[2, 3]"
    assert dashboard.prediction.value.startswith("The model predicts: negative")
    assert ether(dashboard.trainer.next_cost()) in dashboard.prediction.value
    dashboard.text.value = "[0"
    assert "type the sample as a Python list" in dashboard.prediction.value


def test_contributing_pays_the_deposit_and_adds_a_row(lab, dashboard):
    a = lab.accounts
    deposit = dashboard.trainer.next_cost()
    contribute(dashboard, GOOD, a.alice)
    (c,) = dashboard.trainer.contributions()
    assert (c.contributor, c.label, c.deposit) == (a.alice, 1, deposit)
    assert lab.balance(dashboard.trainer) == deposit
    assert f"alice added contribution 0 (label 1, deposit {ether(deposit)})" in shown(dashboard.output)
    assert len(dashboard.rows) == 1
    assert dashboard.balances.data[0].y[0] == -deposit / 10**18  # alice's bar
    assert dashboard.balances.data[0].y[-1] == deposit / 10**18  # what the trainer holds


def test_refund_opens_after_the_wait_for_the_contributor_only(lab, dashboard):
    a = lab.accounts
    contribute(dashboard, GOOD, a.alice)
    refund_disabled, _, why = row_state(dashboard)[0]
    assert refund_disabled and "refund: too early: this opens at" in why
    dashboard.travel_step.value = days(1)
    dashboard.travel.click()
    assert "travelled 1 day" in shown(dashboard.output)
    assert not dashboard.rows[0].refund.disabled
    dashboard.account.value = a.bob
    assert dashboard.rows[0].refund.disabled and "only alice may refund it" in dashboard.rows[0].why.value
    dashboard.account.value = a.alice
    before = lab.balance(a.alice)
    dashboard.rows[0].refund.click()
    assert lab.balance(a.alice) - before == dashboard.trainer.contributions()[0].deposit
    assert "alice got" in shown(dashboard.output)
    assert dashboard.trainer.status(dashboard.rows[0].contribution).settled
    assert dashboard.rows[0].refund.disabled and "already settled" in dashboard.rows[0].why.value


def test_take_opens_to_validated_contributors_when_the_model_disagrees(lab, dashboard):
    a = lab.accounts
    contribute(dashboard, GOOD, a.bob)
    contribute(dashboard, BAD, a.mallory)
    lab.time_travel(days=1)
    dashboard.account.value = a.bob
    dashboard.rows[0].refund.click()  # bob now has a validated contribution
    dashboard.account.value = a.carol
    assert dashboard.rows[1].take.disabled and "carol has no refunded (validated)" in dashboard.rows[1].why.value
    dashboard.account.value = a.bob
    assert not dashboard.rows[1].take.disabled
    before = lab.balance(a.bob)
    dashboard.rows[1].take.click()
    taken = lab.events("Taken")[-1].args["amount"]
    assert taken > 0 and lab.balance(a.bob) - before == taken
    assert f"bob took {ether(taken)} from contribution 1" in shown(dashboard.output)
    assert "take: nothing is left of contribution 1" in dashboard.rows[1].why.value  # bob alone validated: all of it


def test_every_button_is_enabled_exactly_when_the_contract_accepts_it(lab, dashboard):
    a = lab.accounts
    contribute(dashboard, GOOD, a.bob)
    contribute(dashboard, BAD, a.mallory)
    contribute(dashboard, GOOD, a.carol)
    lab.time_travel(days=1)
    dashboard.trainer.refund(dashboard.trainer.contributions()[0], sender=a.bob)
    trainer = dashboard.trainer
    checked = 0
    for who in dashboard._people:
        dashboard.account.value = who
        for row in list(dashboard.rows):
            for button, action in ((row.refund, trainer.refund), (row.take, trainer.report)):
                with lab.anchor():
                    try:
                        action(row.contribution, sender=who)
                        accepted = True
                    except (RevertError, ValueError):
                        accepted = False
                assert button.disabled == (not accepted), (who.alias, row.contribution.id, button.description)
                checked += 1
    assert checked == len(dashboard._people) * 3 * 2


def test_the_dashboard_follows_transactions_sent_from_code(lab, dashboard):
    a = lab.accounts
    trainer = dashboard.trainer
    assert list(dashboard.accuracy.data[0].y) == [1.0]
    trainer.add_data([4], 1, sender=a.dave)  # feature 4 now speaks for class 1
    assert [row.contribution.contributor for row in dashboard.rows] == [a.dave]
    assert list(dashboard.accuracy.data[0].x) == [0, 1]
    assert dashboard.balances.data[0].y[3] == -trainer.contributions()[0].deposit / 10**18  # dave
    with lab.anchor():
        trainer.add_data([5], 1, sender=a.erin)
        assert len(dashboard.rows) == 2
    assert len(dashboard.rows) == 1  # the anchor undid erin's contribution, and the dashboard follows
    trainer.add_data([5], 0, sender=a.erin)  # another second contribution: its own accuracy, not the undone one's
    assert dashboard.accuracy.data[0].y[-1] == trainer.local_model().score(*TEST)


def test_a_closed_dashboard_stops_following(lab):
    board = trainer_dashboard(lab.deploy(twin(), RULES))
    board.close()
    board.trainer.add_data([0], 1, sender=lab.accounts.alice)
    assert board.rows == []


def test_points_buttons_validate_and_report(lab):
    board = trainer_dashboard(lab.deploy(twin(), Points(validation_wait=days(1))))
    try:
        a = lab.accounts
        contribute(board, GOOD, a.alice)
        contribute(board, BAD, a.mallory)
        assert [(r.refund.description, r.take.description) for r in board.rows] == [("validate", "report")] * 2
        lab.time_travel(days=1)
        board.account.value = a.alice
        board.rows[0].refund.click()
        board.rows[1].take.click()
        assert "alice reported mallory's contribution 1" in shown(board.output)
        assert board.trainer.leaderboard().set_index("player").loc["alice", ["points", "reports"]].tolist() == [1, 1]
    finally:
        board.close()


def test_a_refused_action_is_shown_in_words_not_raised(lab, dashboard):
    dashboard.text.value = "[]"
    dashboard.contribute.click()
    assert shown(dashboard.output).startswith("Not sent:")
    assert dashboard.trainer.contributions() == []


@pytest.mark.parametrize("engine", ["revm", "rpc"])
def test_the_dashboard_works_on_every_engine(engine, request):
    lab = Lab(request.getfixturevalue("anvil").url) if engine == "rpc" else Lab(engine=engine)
    board = trainer_dashboard(lab.deploy(twin(), RULES))
    try:
        contribute(board, GOOD, lab.accounts.alice)
        board.travel_step.value = days(1)
        board.travel.click()
        board.rows[0].refund.click()
        assert "alice got" in shown(board.output)
        assert board.trainer.status(board.rows[0].contribution).settled
    finally:
        board.close()
        lab.close()
