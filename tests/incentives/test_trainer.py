"""The trainer handle and the CollaborativeTrainer contract, whatever the mechanism: deployment
wiring, paying for a contribution, the dataset rebuilt from events and sponsored contributions
(``lab.attach`` has its own tests, in test_attach.py)."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from dcai_lab.gas.report import DEPLOY
from dcai_lab.incentives.deposit_refund_take import deposit_cost

from .conftest import (BAD, BAD_1, COST_WEIGHT, GOOD, GOOD_0, NEUTRAL, dense_twin, drt, encoded, learned_parameters,
                       sparse_twin)

DEAD = "0x000000000000000000000000000000000000dEaD"

# -- deployment ------------------------------------------------------------------------------------


def test_deployment_creates_one_contract(revm_lab):
    sent = len(revm_lab.transactions)
    trainer = revm_lab.deploy(sparse_twin(), drt())
    deployment = revm_lab.transactions[sent:]
    assert [tx.method for tx in deployment].count(DEPLOY) == 1
    assert {tx.address for tx in deployment} == {trainer.address}


def test_deployed_trainer_is_initialised_and_owns_itself(drt_trainer):
    assert drt_trainer.contract.initialised()
    assert drt_trainer.contract.owner() == drt_trainer.address


@pytest.mark.parametrize("call", [
    lambda t, sender: t.contract.update(encoded(t, GOOD[0]), GOOD[1], sender=sender),
    lambda t, sender: t.contract.setWeights(0, [[0] * 8], sender=sender),
    lambda t, sender: t.contract.finishInitialisation(sender=sender),
    lambda t, sender: t.contract.transferOwnership(DEAD, sender=sender),
], ids=["update", "setWeights", "finishInitialisation", "transferOwnership"])
def test_deployer_cannot_touch_the_model_after_deployment(revm_lab, drt_trainer, call):
    deployer = revm_lab.accounts.deployer
    with revm_lab.reverts("NotOwner") as caught:
        call(drt_trainer, deployer)
    assert caught.error.error_args == {"caller": deployer, "owner": drt_trainer.address}


# -- paying for a contribution ---------------------------------------------------------------------


@pytest.mark.parametrize("quiet", [3, 4])
def test_add_data_pays_exactly_next_cost(revm_lab, drt_trainer, quiet):
    """``next_cost`` prices the next transaction's block time, to the second: ⌊√Δt⌋ steps from 1 to 2
    between 3 and 4 seconds of quiet, so a price taken one second late (quiet 3) is too small and
    the contribution reverts, and one taken a second early (quiet 4) pays twice the deposit."""
    alice = revm_lab.accounts.alice
    first = drt_trainer.add_data(*GOOD, sender=revm_lab.accounts.bob)
    revm_lab.time_travel(seconds=quiet - 1)
    cost = drt_trainer.next_cost()
    before = revm_lab.balance(alice), revm_lab.balance(drt_trainer.address)
    c = drt_trainer.add_data(*GOOD, sender=alice)
    assert c.added_at - first.added_at == quiet
    assert c.deposit == cost == deposit_cost(COST_WEIGHT, quiet)
    assert revm_lab.balance(alice) == before[0] - cost
    assert revm_lab.balance(drt_trainer.address) == before[1] + cost


def test_excess_payment_comes_back_in_the_same_transaction(revm_lab, drt_trainer):
    alice = revm_lab.accounts.alice
    cost = drt_trainer.next_cost()
    before, sent = revm_lab.balance(alice), len(revm_lab.transactions)
    c = drt_trainer.add_data(*GOOD, sender=alice, value=cost + 123_456_789)
    assert len(revm_lab.transactions) == sent + 1
    assert revm_lab.last_tx.value == cost + 123_456_789
    assert c.deposit == cost
    assert revm_lab.balance(alice) == before - cost
    assert revm_lab.balance(drt_trainer.address) == cost


def test_the_raw_sample_is_in_the_event(revm_lab, drt_trainer):
    c = drt_trainer.add_data((1, 5, 7), 1, sender=revm_lab.accounts.alice)
    (event,) = [e for e in revm_lab.last_tx.events if e.name == "ContributionAdded"]
    assert event.args["sample"] == b"".join(i.to_bytes(4, "big") for i in (1, 5, 7))
    assert c.sample == (1, 5, 7)


def test_a_dense_sample_is_in_the_event_as_signed_fixed_point(revm_lab):
    trainer = revm_lab.deploy(dense_twin(), drt())
    c = trainer.add_data([-0.25, 3.5], 1, sender=revm_lab.accounts.alice)
    (event,) = [e for e in revm_lab.last_tx.events if e.name == "ContributionAdded"]
    assert event.args["sample"] == (-250_000_000).to_bytes(8, "big", signed=True) + (3_500_000_000).to_bytes(8, "big")
    assert c.sample == (-250_000_000, 3_500_000_000)


def test_contributions_are_rebuilt_from_events(revm_lab, drt_trainer):
    a = revm_lab.accounts
    added = [drt_trainer.add_data(*GOOD, sender=a.alice)]
    revm_lab.time_travel(hours=2)
    added.append(drt_trainer.add_data(*BAD, sender=a.bob, value=10**18))
    added.append(drt_trainer.add_data(*GOOD_0, sender=a.carol))
    assert drt_trainer.contributions() == added
    assert [c.id for c in added] == [0, 1, 2]
    assert [c.contributor for c in added] == [a.alice, a.bob, a.carol]
    assert added[1].deposit == COST_WEIGHT * 3600 // 84  # ⌊√7201⌋ = 84
    samples, labels = drt_trainer.dataset()
    assert samples == [GOOD[0], BAD[0], GOOD_0[0]]
    assert labels.tolist() == [GOOD[1], BAD[1], GOOD_0[1]]


def _contribute_mixed(trainer, lab, twin, n):
    """``n`` contributions the model partly disagrees with, so that it learns from some."""
    if twin.sparse:
        data = [BAD, (NEUTRAL, 1), GOOD, BAD_1, (NEUTRAL, 0), ((4, 5, 6), 1), ((5, 7), 0), ((6,), 1)]
    else:
        data = [([0.2, 0.1], 1), ([3.0, 2.5], 1), ([0.0, 0.0], 0), ([5.0, -1.0], 0), ([-1.5, 2.0], 1),
                ([4.25, 4.0], 1), ([1.0, 1.0], 0), ([2.0, 2.5], 0)]
    senders = lab.accounts[1:]
    for i in range(n):
        x, y = data[i % len(data)]
        trainer.add_data(x, y, sender=senders[i % len(senders)])


@pytest.mark.parametrize("make_twin", [sparse_twin, dense_twin], ids=["sparse", "dense"])
def test_replaying_the_dataset_reproduces_the_model(engine_lab, make_twin):
    initial = make_twin()
    trainer = engine_lab.deploy(copy.deepcopy(initial), drt())
    _contribute_mixed(trainer, engine_lab, initial, 4 if engine_lab.engine == "pyevm" else 24)
    on_chain = learned_parameters(trainer.local_model())
    assert on_chain != learned_parameters(initial), "the contributions should have trained the model"
    replayed = copy.deepcopy(initial).partial_fit(*trainer.dataset())
    assert on_chain == learned_parameters(replayed)


# -- sponsored contributions -----------------------------------------------------------------------


def test_sponsored_contribution_credits_the_contributor_and_the_sponsor_pays(revm_lab, drt_trainer):
    a = revm_lab.accounts
    signed = drt_trainer.sign_contribution(*GOOD, a.alice)
    cost = drt_trainer.next_cost()
    alice_before, erin_before = revm_lab.balance(a.alice), revm_lab.balance(a.erin)
    c = drt_trainer.add_data_for(signed, sender=a.erin, value=cost + 5)
    assert (c.contributor, c.payer, c.deposit) == (a.alice, a.erin, cost)
    assert revm_lab.balance(a.alice) == alice_before
    assert revm_lab.balance(a.erin) == erin_before - cost
    assert drt_trainer.contract.nonces(a.alice) == 1


def test_only_the_contributor_refunds_a_sponsored_contribution(revm_lab, drt_trainer):
    a = revm_lab.accounts
    c = drt_trainer.add_data_for(drt_trainer.sign_contribution(*GOOD, a.alice), sender=a.erin)
    revm_lab.time_travel(days=1)
    with revm_lab.reverts("UnknownContribution"):
        drt_trainer.contract.refund(encoded(drt_trainer, c.sample), c.label, c.id, sender=a.erin)
    alice_before, erin_before = revm_lab.balance(a.alice), revm_lab.balance(a.erin)
    drt_trainer.refund(c, sender=a.alice)
    assert revm_lab.balance(a.alice) == alice_before + c.deposit
    assert revm_lab.balance(a.erin) == erin_before
    assert drt_trainer.contract.validated(a.alice) == 1
    assert drt_trainer.contract.validated(a.erin) == 0


def test_a_signature_is_valid_up_to_its_deadline(revm_lab, drt_trainer):
    alice = revm_lab.accounts.alice
    signed = drt_trainer.sign_contribution(*GOOD, alice, deadline=revm_lab.timestamp + 1)
    c = drt_trainer.add_data_for(signed, sender=revm_lab.accounts.erin)
    assert c.added_at == signed.deadline


def _replayed(lab, trainer):
    signed = trainer.sign_contribution(*GOOD, lab.accounts.alice)
    trainer.add_data_for(signed, sender=lab.accounts.erin)
    return signed


def _expired(lab, trainer):
    return trainer.sign_contribution(*GOOD, lab.accounts.alice, deadline=lab.timestamp)


def _signed_by_someone_else(lab, trainer):
    by_bob = trainer.sign_contribution(*GOOD, lab.accounts.bob)
    return dataclasses.replace(by_bob, contributor=lab.accounts.alice)


def _tampered_label(lab, trainer):
    return dataclasses.replace(trainer.sign_contribution(*GOOD, lab.accounts.alice), label=0)


@pytest.mark.parametrize(("make_signed", "error", "args"), [
    (_replayed, "InvalidSignature", lambda lab, s: {"contributor": lab.accounts.alice}),
    (_expired, "SignatureExpired", lambda lab, s: {"deadline": s.deadline}),
    (_signed_by_someone_else, "InvalidSignature", lambda lab, s: {"contributor": lab.accounts.alice}),
    (_tampered_label, "InvalidSignature", lambda lab, s: {"contributor": lab.accounts.alice}),
], ids=["replayed", "expired", "signed-by-someone-else", "tampered-label"])
def test_a_bad_sponsored_contribution_reverts(revm_lab, drt_trainer, make_signed, error, args):
    signed = make_signed(revm_lab, drt_trainer)
    added = drt_trainer.contract.numContributions()
    with revm_lab.reverts(error) as caught:
        drt_trainer.add_data_for(signed, sender=revm_lab.accounts.erin)
    assert caught.error.error_name == error
    assert caught.error.error_args == args(revm_lab, signed)
    assert drt_trainer.contract.numContributions() == added
