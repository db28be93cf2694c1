"""Deposit, refund and take (contracts/trainers/DepositRefundTake.sol): the price curve, who gets a
deposit back, the takers' shares, the long wait after which anyone takes the rest, and that no wei
is created or lost."""

from __future__ import annotations

import pytest

from dcai_lab.errors import ConfigError
from dcai_lab.incentives import DepositRefundTake
from dcai_lab.incentives.deposit_refund_take import deposit_cost

from .conftest import BAD, COST_WEIGHT, GOOD, GOOD_0, NEUTRAL, REFUND_WAIT, TAKE_WAIT, drt, sparse_twin


def give_validated(lab, trainer, counts: dict[str, int]) -> None:
    """Each named account adds its count of good contributions, waits, and gets them all refunded."""
    added = [trainer.add_data(*GOOD, sender=getattr(lab.accounts, who))
             for who, n in counts.items() for _ in range(n)]
    lab.time_travel(seconds=REFUND_WAIT)
    for c in added:
        trainer.refund(c, sender=c.contributor)


def ready_to_take(lab, c, *, after: int) -> None:
    """Move the clock so that the next transaction runs exactly ``after`` seconds after ``c`` was added."""
    lab.time_travel(seconds=c.added_at + after - lab.timestamp - 1)


def taken(lab) -> int:
    (event,) = [e for e in lab.last_tx.events if e.name == "Taken"]
    return event.args["amount"]


def unchecked(**waits: int) -> DepositRefundTake:
    """The tests' rules with ``waits`` set past the Python check, to reach the contract's own."""
    rules = drt()
    for name, seconds in waits.items():
        object.__setattr__(rules, name, seconds)
    return rules


# -- the waits -------------------------------------------------------------------------------------

#: (refund_wait, take_wait) pairs that break "refund_wait < take_wait" (at equality anyone could take
#: a deposit the model agrees with in the instant its contributor may first refund it).
REFUND_NOT_BEFORE_TAKE = pytest.mark.parametrize(("refund_wait", "take_wait"), [
    (TAKE_WAIT, TAKE_WAIT), (TAKE_WAIT + 1, TAKE_WAIT),
], ids=["equal", "longer"])


@REFUND_NOT_BEFORE_TAKE
def test_the_rules_refuse_a_refund_wait_not_shorter_than_take_wait(refund_wait, take_wait):
    with pytest.raises(ConfigError, match=rf"refund_wait \({refund_wait} s\) must be shorter than take_wait "
                                          rf"\({take_wait} s\)"):
        drt(refund_wait=refund_wait, take_wait=take_wait)


@REFUND_NOT_BEFORE_TAKE
def test_the_contract_refuses_a_refund_wait_not_shorter_than_take_wait(revm_lab, refund_wait, take_wait):
    sent = len(revm_lab.transactions)
    with revm_lab.reverts("InvalidParameters") as caught:
        revm_lab.deploy(sparse_twin(), unchecked(refund_wait=refund_wait, take_wait=take_wait))
    assert caught.error.error_args == {"costWeight": COST_WEIGHT, "refundWait": refund_wait, "takeWait": take_wait}
    assert len(revm_lab.transactions) == sent + 1, "the creation transaction itself should revert"


def test_a_refund_wait_one_second_shorter_than_take_wait_is_accepted_by_both(revm_lab):
    trainer = revm_lab.deploy(sparse_twin(), drt(refund_wait=TAKE_WAIT - 1))
    assert (trainer.contract.refundWait(), trainer.contract.takeWait()) == (TAKE_WAIT - 1, TAKE_WAIT)


# -- the price -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("quiet", "divisor"), [
    (0, 1), (1, 1), (3, 1), (4, 2), (8, 2), (9, 3), (15, 3), (16, 4), (3600, 60), (86_400, 293),
])
def test_cost_is_weight_times_3600_over_floor_sqrt_of_quiet_seconds(drt_trainer, quiet, divisor):
    last = drt_trainer.contract.lastContributionAt()
    expected = COST_WEIGHT * 3600 // divisor
    assert deposit_cost(COST_WEIGHT, quiet) == expected
    assert drt_trainer.contract.costAt(last + quiet) == expected


@pytest.mark.parametrize("quiet", [1, 4, 15, 3600, 86_400])
def test_a_contribution_pays_the_curve_for_the_quiet_time_before_it(revm_lab, drt_trainer, quiet):
    first = drt_trainer.add_data(*GOOD, sender=revm_lab.accounts.alice)
    if quiet > 1:
        revm_lab.time_travel(seconds=quiet - 1)
    c = drt_trainer.add_data(*GOOD, sender=revm_lab.accounts.bob)
    assert c.added_at - first.added_at == quiet
    assert c.deposit == deposit_cost(COST_WEIGHT, quiet)


def test_zero_cost_weight_makes_contributions_free(revm_lab):
    trainer = revm_lab.deploy(sparse_twin(), drt(cost_weight=0))
    last = trainer.contract.lastContributionAt()
    assert [trainer.contract.costAt(last + dt) for dt in (0, 1, 86_400)] == [0, 0, 0]
    before = revm_lab.balance(revm_lab.accounts.alice)
    assert trainer.add_data(*GOOD, sender=revm_lab.accounts.alice).deposit == 0
    assert revm_lab.balance(revm_lab.accounts.alice) == before


# -- refunds ---------------------------------------------------------------------------------------


def test_refund_returns_the_whole_deposit_and_counts_as_validated(revm_lab, drt_trainer):
    alice = revm_lab.accounts.alice
    c = drt_trainer.add_data(*GOOD, sender=alice)
    ready_to_take(revm_lab, c, after=REFUND_WAIT)
    before = revm_lab.balance(alice)
    drt_trainer.refund(c, sender=alice)
    assert revm_lab.balance(alice) == before + c.deposit
    assert revm_lab.balance(drt_trainer.address) == 0
    assert drt_trainer.contract.validated(alice) == 1
    assert drt_trainer.contract.totalValidated() == 1
    assert (drt_trainer.status(c).remaining, drt_trainer.status(c).settled) == (0, True)
    (event,) = revm_lab.last_tx.events
    assert (event.name, event.args) == ("Refunded", {"id": c.id, "contributor": alice, "amount": c.deposit})


def test_refund_opens_exactly_refund_wait_after_adding(revm_lab, drt_trainer):
    alice = revm_lab.accounts.alice
    c = drt_trainer.add_data(*GOOD, sender=alice)
    ready_to_take(revm_lab, c, after=REFUND_WAIT - 1)
    with revm_lab.reverts("TooEarly") as caught:
        drt_trainer.refund(c, sender=alice)
    assert caught.error.error_args == {"readyAt": c.added_at + REFUND_WAIT}
    drt_trainer.refund(c, sender=alice)
    assert revm_lab.last_tx.timestamp == c.added_at + REFUND_WAIT


def test_no_refund_while_the_model_disagrees(revm_lab, drt_trainer):
    alice = revm_lab.accounts.alice
    c = drt_trainer.add_data(*BAD, sender=alice)
    revm_lab.time_travel(seconds=REFUND_WAIT)
    with revm_lab.reverts("ModelDisagrees") as caught:
        drt_trainer.refund(c, sender=alice)
    assert caught.error.error_args == {"prediction": 1, "label": 0}


def test_refund_after_takes_returns_what_is_left_once_the_model_agrees_again(revm_lab, drt_trainer):
    a = revm_lab.accounts
    give_validated(revm_lab, drt_trainer, {"bob": 1, "carol": 1})
    c = drt_trainer.add_data(NEUTRAL, 0, sender=a.alice)          # the model agrees: predicts 0
    drt_trainer.add_data(NEUTRAL, 1, sender=a.dave)               # ... now it predicts 1
    ready_to_take(revm_lab, c, after=REFUND_WAIT)
    drt_trainer.report(c, sender=a.bob)
    bob_took = taken(revm_lab)
    drt_trainer.add_data(NEUTRAL, 0, sender=a.erin)               # ... and 0 again
    before = revm_lab.balance(a.alice)
    drt_trainer.refund(c, sender=a.alice)
    assert revm_lab.balance(a.alice) == before + c.deposit - bob_took
    assert drt_trainer.status(c).remaining == 0


# -- takes -----------------------------------------------------------------------------------------


def test_each_taker_takes_deposit_times_their_share_of_validated_data(revm_lab, drt_trainer):
    a = revm_lab.accounts
    validated = {"bob": 1, "carol": 2, "dave": 1}
    give_validated(revm_lab, drt_trainer, validated)
    c = drt_trainer.add_data(*BAD, sender=a.alice)
    total = sum(validated.values())
    assert c.deposit % total != 0, "the shares should need rounding down"
    ready_to_take(revm_lab, c, after=REFUND_WAIT)
    left = c.deposit
    for who, mine in validated.items():
        before = revm_lab.balance(getattr(a, who))
        drt_trainer.report(c, sender=getattr(a, who))
        share = c.deposit * mine // total
        assert taken(revm_lab) == share
        assert revm_lab.balance(getattr(a, who)) == before + share
        assert drt_trainer.contract.hasTaken(getattr(a, who), c.id)
        left -= share
    assert drt_trainer.status(c).remaining == left == c.deposit - sum(c.deposit * v // total
                                                                       for v in validated.values())


def test_a_share_is_capped_by_what_is_left(revm_lab, drt_trainer):
    a = revm_lab.accounts
    give_validated(revm_lab, drt_trainer, {"bob": 1, "carol": 1})
    c = drt_trainer.add_data(*BAD, sender=a.alice)
    ready_to_take(revm_lab, c, after=REFUND_WAIT)
    drt_trainer.report(c, sender=a.bob)
    assert taken(revm_lab) == c.deposit // 2
    give_validated(revm_lab, drt_trainer, {"carol": 2})            # carol: 3 of 4, more than is left
    assert c.deposit * 3 // 4 > c.deposit - c.deposit // 2
    drt_trainer.report(c, sender=a.carol)
    assert taken(revm_lab) == c.deposit - c.deposit // 2
    assert drt_trainer.status(c).remaining == 0


@pytest.mark.parametrize("taker", ["alice", "mallory"], ids=["the-contributor", "anyone"])
def test_after_take_wait_anyone_takes_everything_left(revm_lab, drt_trainer, taker):
    a = revm_lab.accounts
    give_validated(revm_lab, drt_trainer, {"bob": 1, "carol": 1})
    c = drt_trainer.add_data(*BAD, sender=a.alice)
    ready_to_take(revm_lab, c, after=REFUND_WAIT)
    drt_trainer.report(c, sender=a.bob)
    left = drt_trainer.status(c).remaining
    ready_to_take(revm_lab, c, after=TAKE_WAIT)
    before = revm_lab.balance(getattr(a, taker))
    drt_trainer.report(c, sender=getattr(a, taker))
    assert taken(revm_lab) == left == c.deposit - c.deposit // 2
    assert revm_lab.balance(getattr(a, taker)) == before + left
    assert drt_trainer.status(c).remaining == 0


def test_after_take_wait_even_a_deposit_the_model_agrees_with_is_taken(revm_lab, drt_trainer):
    a = revm_lab.accounts
    c = drt_trainer.add_data(*GOOD, sender=a.alice)
    ready_to_take(revm_lab, c, after=TAKE_WAIT)
    drt_trainer.report(c, sender=a.mallory)
    assert taken(revm_lab) == c.deposit


# -- money -----------------------------------------------------------------------------------------


def test_money_is_conserved_over_a_scenario(revm_lab, drt_trainer):
    a = revm_lab.accounts
    people = list(a)
    start = {p: revm_lab.balance(p) for p in people}
    give_validated(revm_lab, drt_trainer, {"bob": 2, "carol": 1})
    bad = [drt_trainer.add_data(*BAD, sender=a.alice, value=10**17),
           drt_trainer.add_data(*BAD, sender=a.mallory)]
    good = drt_trainer.add_data(*GOOD_0, sender=a.dave)
    revm_lab.time_travel(seconds=REFUND_WAIT)
    drt_trainer.report(bad[0], sender=a.bob)
    drt_trainer.report(bad[1], sender=a.bob)
    drt_trainer.report(bad[1], sender=a.carol)
    drt_trainer.refund(good, sender=a.dave)
    never_claimed = drt_trainer.add_data(*GOOD, sender=a.erin)
    ready_to_take(revm_lab, bad[0], after=TAKE_WAIT)
    drt_trainer.report(bad[0], sender=a.frank)

    contributions = drt_trainer.contributions()
    paid_in, paid_out = {p: 0 for p in people}, {p: 0 for p in people}
    for c in contributions:
        paid_in[c.payer] += c.deposit
    for tx in revm_lab.transactions:
        for e in tx.events:
            if e.name in ("Refunded", "Taken") and e.address == drt_trainer.address:
                paid_out[e.args.get("contributor", e.args.get("taker"))] += e.args["amount"]
    remaining = sum(drt_trainer.status(c).remaining for c in contributions)
    assert remaining == drt_trainer.status(bad[1]).remaining + never_claimed.deposit > 0
    assert revm_lab.balance(drt_trainer.address) == remaining
    for p in people:
        assert revm_lab.balance(p) == start[p] - paid_in[p] + paid_out[p], p.alias
    assert sum(revm_lab.balance(p) for p in people) + remaining == sum(start.values())
