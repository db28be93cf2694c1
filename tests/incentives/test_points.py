"""Points and badges (contracts/trainers/Points.sol): free contributions, a point per validated
contribution, reports, one settlement per contribution, badges, and a leaderboard read from chain
state alone."""

from __future__ import annotations

import pytest

from .conftest import BAD, GOOD, GOOD_0, VALIDATION_WAIT

FIRST_POINT, TEN_POINTS, HUNDRED_POINTS, FIRST_REPORT = 1, 2, 4, 8


def events(lab, name: str) -> list[dict]:
    return [e.args for e in lab.last_tx.events if e.name == name]


def test_contributions_are_free(revm_lab, points_trainer):
    alice = revm_lab.accounts.alice
    before = revm_lab.balance(alice)
    assert points_trainer.next_cost() == 0
    c = points_trainer.add_data(*GOOD, sender=alice)
    assert c.deposit == 0
    assert revm_lab.balance(alice) == before
    assert revm_lab.balance(points_trainer.address) == 0


def test_paying_for_a_contribution_reverts(revm_lab, points_trainer):
    with revm_lab.reverts("PaymentNotAccepted") as caught:
        points_trainer.add_data(*GOOD, sender=revm_lab.accounts.alice, value=1)
    assert caught.error.error_args == {"paid": 1}
    assert points_trainer.contract.numContributions() == 0


def test_validation_gives_a_point(revm_lab, points_trainer):
    alice = revm_lab.accounts.alice
    c = points_trainer.add_data(*GOOD, sender=alice)
    revm_lab.time_travel(seconds=VALIDATION_WAIT)
    points_trainer.refund(c, sender=alice)
    assert events(revm_lab, "Validated") == [{"id": c.id, "player": alice, "points": 1}]
    assert points_trainer.contract.players(alice) == (1, 0, FIRST_POINT)
    assert points_trainer.status(c).settled


def test_validation_opens_exactly_validation_wait_after_adding(revm_lab, points_trainer):
    alice = revm_lab.accounts.alice
    c = points_trainer.add_data(*GOOD, sender=alice)
    revm_lab.time_travel(seconds=VALIDATION_WAIT - 2)
    with revm_lab.reverts("TooEarly") as caught:
        points_trainer.refund(c, sender=alice)
    assert caught.error.error_args == {"readyAt": c.added_at + VALIDATION_WAIT}
    points_trainer.refund(c, sender=alice)
    assert revm_lab.last_tx.timestamp == c.added_at + VALIDATION_WAIT


def test_report_is_recorded(revm_lab, points_trainer):
    a = revm_lab.accounts
    c = points_trainer.add_data(*BAD, sender=a.alice)
    revm_lab.time_travel(seconds=VALIDATION_WAIT)
    points_trainer.report(c, sender=a.bob)
    assert events(revm_lab, "Reported") == [{"id": c.id, "player": a.bob, "contributor": a.alice}]
    assert points_trainer.contract.players(a.bob) == (0, 1, FIRST_REPORT)
    assert points_trainer.contract.players(a.alice) == (0, 0, 0)
    assert points_trainer.status(c).settled


def _validated(lab, trainer, c):
    trainer.refund(c, sender=c.contributor)


def _reported(lab, trainer, c):
    trainer.report(c, sender=lab.accounts.bob)


def _validate_again(lab, trainer, c):
    trainer.refund(c, sender=c.contributor)


def _report_as_carol(lab, trainer, c):
    trainer.report(c, sender=lab.accounts.carol)


@pytest.mark.parametrize(("sample", "settle", "again"), [
    (GOOD, _validated, _validate_again),
    (GOOD, _validated, _report_as_carol),
    (BAD, _reported, _report_as_carol),
    (BAD, _reported, _validate_again),
], ids=["validated-then-validated", "validated-then-reported", "reported-then-reported", "reported-then-validated"])
def test_a_contribution_is_settled_once(revm_lab, points_trainer, sample, settle, again):
    c = points_trainer.add_data(*sample, sender=revm_lab.accounts.alice)
    revm_lab.time_travel(seconds=VALIDATION_WAIT)
    settle(revm_lab, points_trainer, c)
    players = [points_trainer.contract.players(p) for p in revm_lab.accounts]
    with revm_lab.reverts("AlreadySettled") as caught:
        again(revm_lab, points_trainer, c)
    assert caught.error.error_args == {"id": c.id}
    assert [points_trainer.contract.players(p) for p in revm_lab.accounts] == players


def test_badges_at_1_10_and_100_points_and_at_the_first_report(revm_lab, points_trainer):
    a = revm_lab.accounts
    added = [points_trainer.add_data(*GOOD, sender=a.alice) for _ in range(101)]
    bad = [points_trainer.add_data(*BAD, sender=a.carol) for _ in range(2)]
    revm_lab.time_travel(seconds=VALIDATION_WAIT)
    badges_at = {}
    for c in added:
        points_trainer.refund(c, sender=a.alice)
        (validated,) = events(revm_lab, "Validated")
        for earned in events(revm_lab, "BadgeEarned"):
            assert earned["player"] == a.alice
            badges_at[validated["points"]] = earned["badge"]
    assert badges_at == {1: FIRST_POINT, 10: TEN_POINTS, 100: HUNDRED_POINTS}
    assert points_trainer.contract.players(a.alice) == (101, 0, FIRST_POINT | TEN_POINTS | HUNDRED_POINTS)
    reports = []
    for c in bad:
        points_trainer.report(c, sender=a.bob)
        reports.append(events(revm_lab, "BadgeEarned"))
    assert reports == [[{"player": a.bob, "badge": FIRST_REPORT}], []]
    assert points_trainer.contract.players(a.bob) == (0, 2, FIRST_REPORT)


def test_leaderboard_ranks_players_by_points_then_reports_from_chain_state(revm_lab, points_trainer):
    a = revm_lab.accounts
    plan = {a.alice: 2, a.bob: 3, a.frank: 1, a.carol: 1, a.dave: 0}   # dave contributes, never validates
    added = [points_trainer.add_data(*GOOD_0, sender=who) for who, n in plan.items() for _ in range(max(n, 1))]
    bad = [points_trainer.add_data(*BAD, sender=a.mallory) for _ in range(3)]
    revm_lab.time_travel(seconds=VALIDATION_WAIT)
    for c in added:
        if c.contributor != a.dave:
            points_trainer.refund(c, sender=c.contributor)
    points_trainer.report(bad[0], sender=a.erin)
    points_trainer.report(bad[1], sender=a.carol)
    points_trainer.report(bad[2], sender=a.carol)

    table = points_trainer.leaderboard()
    assert table.to_dict("records") == [
        {"player": "bob", "points": 3, "reports": 0, "badges": "first point"},
        {"player": "alice", "points": 2, "reports": 0, "badges": "first point"},
        {"player": "carol", "points": 1, "reports": 2, "badges": "first point, first report"},
        {"player": "frank", "points": 1, "reports": 0, "badges": "first point"},
        {"player": "erin", "points": 0, "reports": 1, "badges": "first report"},
    ]
    assert points_trainer.contract.numPlayers() == 5


def test_leaderboard_is_the_same_for_anyone_who_attaches(revm_lab, points_trainer):
    a = revm_lab.accounts
    c = points_trainer.add_data(*GOOD, sender=a.alice)
    revm_lab.time_travel(seconds=VALIDATION_WAIT)
    points_trainer.refund(c, sender=a.alice)
    assert revm_lab.attach(points_trainer.address).leaderboard().equals(points_trainer.leaderboard())
