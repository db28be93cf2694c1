"""The prediction market (contracts/trainers/PredictionMarket.sol) against its Python twin.

The twin (``market_outcome``) scores and pays a market from the initial model, the contributions
and the evaluation set alone; every test that runs a market to the end checks that the chain pays
exactly what the twin says, and that no wei appears or disappears (fees are zero on the lab's
chains, so the accounts' and the contract's balances always add up to the same total). Big
scenarios run on revm (same gas as pyevm); the happy path runs on the default ``lab``.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from eth_abi import encode
from eth_utils import keccak

from dcai_lab import Lab
from dcai_lab.build import compile_contracts
from dcai_lab.contract import Contract
from dcai_lab.incentives.prediction_market import (
    MarketEntry,
    MarketTrainer,
    Phase,
    PredictionMarket,
    cancelled_outcome,
    market_outcome,
    split_test_set,
)
from dcai_lab.models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron
from dcai_lab.models._samples import pack_features

RULES = PredictionMarket(min_stake=100, participation_time=1_000, reveal_time=1_000)
BOUNTY = 1_000_001  # odd, so that two equal helpful addresses leave one wei of dust


# -- helpers ---------------------------------------------------------------------------------------
def step_model() -> SparsePerceptron:
    """Four features, all weights 0, intercept −1.5: everything is class 0 until trained."""
    model = SparsePerceptron(n_features=4)
    model._init_model(2)
    model.intercept_ = -1_500_000
    return model


#: Each piece holds the same two samples, so whichever piece is drawn the evaluation is alike:
#: [0] is class 1 (wrong at first), [1] is class 0 (right).
STEP_X, STEP_Y = [[0], [1]] * 3, [1, 0] * 3


def total_wei(lab: Lab, *extra: str) -> int:
    return sum(lab.balance(a) for a in lab.accounts) + sum(lab.balance(x) for x in extra)


def open_market(lab: Lab, model, X_test, y_test, *, pieces: int = 3, bounty: int = BOUNTY,
                rules: PredictionMarket = RULES) -> MarketTrainer:
    provider = lab.accounts[0]
    trainer = lab.deploy(model, incentive=rules, sender=provider)
    trainer.commit(X_test, y_test, bounty=bounty, pieces=pieces, seed=7, sender=provider)
    trainer.reveal_chosen_piece(sender=provider)
    return trainer


def close_participation(lab: Lab, trainer: MarketTrainer) -> None:
    lab.time_travel(seconds=trainer.contract.participationEnd() - lab.timestamp)
    trainer.reveal_pieces(sender=lab.accounts[0])


def withdraw_everything(trainer: MarketTrainer, addresses) -> dict[str, int]:
    """Every address withdraws what it is owed until nothing is left; returns what each got."""
    got: dict[str, int] = {}
    for _ in range(2):  # the provider's dust is credited when the last helpful address withdraws
        for address in addresses:
            if trainer.owed(address):
                before = trainer.lab.balance(address)
                trainer.withdraw(sender=address)
                got[address] = got.get(address, 0) + trainer.lab.balance(address) - before
    return got


def twin_entries(trainer: MarketTrainer) -> list[MarketEntry]:
    return [MarketEntry(c.sample, c.label, c.contributor, c.deposit) for c in trainer.contributions()]


# -- the happy path --------------------------------------------------------------------------------
def test_market_pays_helpful_neutral_and_harmful_contributions_like_the_twin(lab):
    a = lab.accounts
    model = step_model()
    trainer = open_market(lab, model, STEP_X, STEP_Y)
    start = total_wei(lab, trainer.address)
    assert trainer.phase == Phase.PARTICIPATION
    trainer.add_data([0], 1, sender=a[1], value=1_000)  # helpful: [0] becomes right
    trainer.add_data([3], 0, sender=a[2], value=2_000)  # neutral: already right, no update
    trainer.add_data([0], 0, sender=a[3], value=3_000)  # harmful: undoes the first
    trainer.add_data([0], 1, sender=a[4], value=4_000)  # helpful again
    close_participation(lab, trainer)
    assert trainer.phase == Phase.PROCESSING
    trainer.process(sender=a[5])
    assert trainer.phase == Phase.FINISHED

    outcome = trainer.outcome(model)
    assert trainer.scores() == outcome.scores == [2, 0, -2, 2]
    pool = BOUNTY + 3_000
    assert outcome.pool == pool
    assert outcome.payouts == {a[1]: 1_000 + pool // 2, a[2]: 2_000, a[4]: 4_000 + pool // 2, a[0]: pool % 2}
    got = withdraw_everything(trainer, a[:6])
    assert got == outcome.payouts
    assert lab.balance(trainer.address) == 0
    assert total_wei(lab, trainer.address) == start
    assert trainer.local_model().weights_ == outcome.model.weights_


def test_market_events_tell_the_whole_story(revm_lab):
    trainer = open_market(revm_lab, step_model(), STEP_X, STEP_Y)
    trainer.add_data([0], 1, sender=revm_lab.accounts[1], value=500)
    close_participation(revm_lab, trainer)
    (record,) = trainer.process(max_predictions=100)
    names = [e.name for e in record.events]
    assert names == ["BaselineEvaluated", "ContributionScored", "MarketFinished"]
    scored = record.events[1].args
    assert (scored["id"], scored["score"], scored["correct"]) == (0, 2, 4)
    assert set(trainer.revealed_pieces()) == {0, 1, 2}


# -- the twin on random markets --------------------------------------------------------------------
def random_market(rng: random.Random):
    """A random model, test set and contributions (sample, label, contributor index, stake)."""
    kind = rng.choice(["sparse_perceptron", "dense_perceptron", "naive_bayes", "nearest_centroid",
                       "sparse_nearest_centroid"])
    n = rng.randint(3, 12)
    sparse = kind in ("sparse_perceptron", "naive_bayes", "sparse_nearest_centroid")
    classes = 2 if "perceptron" in kind else rng.randint(2, 4)

    def sample():
        if sparse:
            return sorted(rng.sample(range(n), rng.randint(1, n)))
        return [rng.randint(-3, 3) / 2 for _ in range(n)]

    X0 = [sample() for _ in range(12)]
    y0 = [rng.randrange(classes) for _ in X0]
    y0[:classes] = range(classes)
    model = {
        "sparse_perceptron": lambda: SparsePerceptron(n, max_iter=1),
        "dense_perceptron": lambda: DensePerceptron(n, max_iter=1),
        "naive_bayes": lambda: NaiveBayes(n),
        "nearest_centroid": lambda: NearestCentroid(n),
        "sparse_nearest_centroid": lambda: SparseNearestCentroid(n),
    }[kind]().fit(X0, y0)
    X_test = [sample() for _ in range(rng.randint(4, 16))]
    y_test = [rng.randrange(classes) for _ in X_test]
    contributions = [(sample(), rng.randrange(classes), rng.randint(1, 4), rng.randint(100, 10_000))
                     for _ in range(rng.randint(0, 8))]
    return model, X_test, y_test, contributions


@pytest.mark.parametrize("seed", range(12))
def test_random_market_pays_what_the_twin_says(revm_lab, seed):
    rng = random.Random(seed)
    model, X_test, y_test, contributions = random_market(rng)
    a = revm_lab.accounts
    trainer = open_market(revm_lab, model, X_test, y_test, pieces=rng.randint(2, min(5, len(X_test))),
                          bounty=rng.randint(1, 10**9))
    start = total_wei(revm_lab, trainer.address)
    for x, y, who, stake in contributions:
        trainer.add_data(x, y, sender=a[who], value=stake)
    close_participation(revm_lab, trainer)
    trainer.process(max_predictions=rng.randint(1, 40))  # random batches, often mid-evaluation

    outcome = trainer.outcome(model)
    assert trainer.scores() == outcome.scores
    assert withdraw_everything(trainer, a[:5]) == outcome.payouts
    assert total_wei(revm_lab, trainer.address) == start
    assert revm_lab.balance(trainer.address) == 0
    probe = [s for p in trainer.evaluation_set() for s in p.samples]
    assert [trainer.local_model()._predict_sample(s) for s in probe] == \
           [outcome.model._predict_sample(s) for s in probe]


def test_several_batches_give_what_one_batch_gives(revm_lab):
    rng = random.Random(99)
    a = revm_lab.accounts
    model = SparsePerceptron(20, max_iter=1).fit([sorted(rng.sample(range(20), 5)) for _ in range(10)],
                                                 [rng.randint(0, 1) for _ in range(10)])
    X_test = [sorted(rng.sample(range(20), 6)) for _ in range(12)]
    trainer = open_market(revm_lab, model, X_test, [rng.randint(0, 1) for _ in X_test], pieces=4)
    for i in range(10):
        trainer.add_data(sorted(rng.sample(range(20), 6)), rng.randint(0, 1), sender=a[1 + i % 4], value=100 + i)
    close_participation(revm_lab, trainer)

    def finish(**how):
        with revm_lab.anchor():
            records = trainer.process(**how)
            return len(records), trainer.scores(), [trainer.owed(x) for x in a[:5]], trainer.local_model().weights_

    one = finish(max_predictions=10_000)
    per_contribution = finish(batch_size=1)
    by_gas = finish()
    ragged = finish(max_predictions=5)
    assert one[0] == 1 and per_contribution[0] == 10 and ragged[0] == 20  # the baseline rides with #0; 99 predictions by 5
    assert one[1:] == per_contribution[1:] == by_gas[1:] == ragged[1:]


def test_a_contribution_the_model_cannot_take_is_skipped_with_score_zero(revm_lab):
    model = step_model()
    model.weights_[3] = 2**31 - 1 - 500_000  # one more step of 1.0 leaves the int32 range
    model.intercept_ = -(2**31)  # so [3] still predicts 0, and the label 1 asks for that step
    trainer = open_market(revm_lab, model, STEP_X, STEP_Y)
    trainer.add_data([3], 1, sender=revm_lab.accounts[2], value=100)
    trainer.add_data([0], 1, sender=revm_lab.accounts[3], value=100)  # trainable, after the skipped one
    close_participation(revm_lab, trainer)
    (record,) = trainer.process(max_predictions=100)
    names = [e.name for e in record.events]
    assert names[:3] == ["BaselineEvaluated", "TrainingSkipped", "ContributionScored"]
    assert record.events[1].args["reason"][:4] == keccak(text="WeightOutOfRange(uint256,int256)")[:4]
    outcome = trainer.outcome(model)
    assert outcome.skipped == [0]
    assert trainer.scores() == outcome.scores
    assert trainer.scores()[0] == 0
    assert trainer.owed(revm_lab.accounts[2]) == 100


# -- misuse ----------------------------------------------------------------------------------------
@pytest.fixture
def committed(revm_lab) -> MarketTrainer:
    trainer = revm_lab.deploy(step_model(), incentive=RULES, sender=revm_lab.accounts[0])
    trainer.commit(STEP_X, STEP_Y, bounty=BOUNTY, pieces=3, seed=7, sender=revm_lab.accounts[0])
    return trainer


def test_only_the_deployer_commits_once_with_a_bounty_and_pieces(revm_lab):
    a = revm_lab.accounts
    trainer = revm_lab.deploy(step_model(), incentive=RULES, sender=a[0])
    hashes = [p.hash for p in split_test_set([(0,), (1,)], [1, 0], 2, sparse=True)]
    with revm_lab.reverts("NotProvider"):
        trainer.contract.commit(hashes, sender=a[1], value=1)
    with revm_lab.reverts("InvalidBounty"):
        trainer.contract.commit(hashes, sender=a[0])
    with revm_lab.reverts("InvalidPieceCount"):
        trainer.contract.commit(hashes[:1], sender=a[0], value=1)
    trainer.contract.commit(hashes, sender=a[0], value=1)
    with revm_lab.reverts("WrongPhase"):
        trainer.contract.commit(hashes, sender=a[0], value=1)


def test_the_chosen_piece_must_match_its_hash_and_come_from_the_provider(revm_lab, committed):
    a = revm_lab.accounts
    chosen = committed.chosen_piece()
    samples, labels, salt = committed.pieces[chosen].as_args()
    with revm_lab.reverts("NotProvider"):
        committed.contract.revealChosenPiece(samples, labels, salt, sender=a[1])
    with revm_lab.reverts("PieceMismatch"):
        committed.contract.revealChosenPiece(samples, [0, 0], salt, sender=a[0])
    with revm_lab.reverts("PieceMismatch"):
        committed.contract.revealChosenPiece(*committed.pieces[(chosen + 1) % 3].as_args(), sender=a[0])
    committed.reveal_chosen_piece(sender=a[0])
    assert committed.contract.chosenPiece() == chosen
    assert committed.phase == Phase.PARTICIPATION


def test_the_draw_expires_after_256_blocks_and_the_provider_can_only_cancel(revm_lab, committed):
    revm_lab.time_travel(blocks=257)
    with revm_lab.reverts("DrawExpired"):
        committed.reveal_chosen_piece(sender=revm_lab.accounts[0])
    committed.cancel(sender=revm_lab.accounts[0])
    assert committed.phase == Phase.CANCELLED
    assert committed.owed(revm_lab.accounts[0]) == BOUNTY


def test_staking_needs_participation_and_the_minimum_stake(revm_lab, committed):
    a = revm_lab.accounts
    with revm_lab.reverts("WrongPhase"):
        committed.add_data([0], 1, sender=a[1], value=100)
    committed.reveal_chosen_piece(sender=a[0])
    with revm_lab.reverts("StakeTooSmall"):
        committed.add_data([0], 1, sender=a[1], value=99)
    c = committed.add_data([0], 1, sender=a[1], value=12_345)
    assert c.deposit == 12_345
    assert committed.predict([0]) == 0  # not trained yet
    revm_lab.time_travel(seconds=RULES.participation_time)
    with revm_lab.reverts("WrongPhase"):
        committed.add_data([0], 1, sender=a[1], value=100)


def test_pieces_are_revealed_in_the_window_in_order_by_the_provider(revm_lab, committed):
    a = revm_lab.accounts
    committed.reveal_chosen_piece(sender=a[0])
    committed.add_data([0], 1, sender=a[1], value=100)
    following = committed.pieces[committed.contract.nextPieceToReveal()].as_args()
    with revm_lab.reverts("RevealTooEarly"):
        committed.contract.revealPiece(*following, sender=a[0])
    revm_lab.time_travel(seconds=RULES.participation_time)
    with revm_lab.reverts("NotProvider"):
        committed.contract.revealPiece(*following, sender=a[1])
    skipped = [i for i in range(3) if i not in (committed.contract.chosenPiece(),
                                               committed.contract.nextPieceToReveal())][0]
    with revm_lab.reverts("PieceMismatch"):
        committed.contract.revealPiece(*committed.pieces[skipped].as_args(), sender=a[0])
    with revm_lab.reverts("WrongPhase"):
        committed.process()
    committed.contract.revealPiece(*following, sender=a[0])
    revm_lab.time_travel(seconds=RULES.reveal_time)
    last = committed.pieces[committed.contract.nextPieceToReveal()].as_args()
    with revm_lab.reverts("RevealTooLate"):
        committed.contract.revealPiece(*last, sender=a[0])


def test_process_refuses_forged_contributions_and_a_wrong_evaluation_set(revm_lab, committed):
    a = revm_lab.accounts
    committed.reveal_chosen_piece(sender=a[0])
    c0 = committed.add_data([0], 1, sender=a[1], value=100)
    c1 = committed.add_data([1], 0, sender=a[2], value=100)
    with revm_lab.reverts("WrongPhase"):
        committed.contract.process([], [], 10)
    close_participation(revm_lab, committed)
    evaluation = [p.as_args() for p in committed.evaluation_set()]
    real = [(c.id, pack_features(c.sample), c.label, c.contributor) for c in (c0, c1)]
    with revm_lab.reverts("UnknownContribution"):
        committed.contract.process([(0, pack_features((0,)), 1, a[3]), real[1]], evaluation, 100)
    with revm_lab.reverts("UnknownContribution"):
        committed.contract.process([(0, pack_features((0, 1)), 1, a[1])], evaluation, 100)
    with revm_lab.reverts("OutOfOrder"):
        committed.contract.process([real[1], real[0]], evaluation, 100)
    with revm_lab.reverts("WrongEvaluationSet"):
        committed.contract.process(real, evaluation[:1], 100)
    forged = (evaluation[0][0], [0] * len(evaluation[0][1]), evaluation[0][2])
    with revm_lab.reverts("PieceMismatch"):
        committed.contract.process(real, [forged, *evaluation[1:]], 100)
    with revm_lab.reverts("NoProgress"):
        committed.contract.process(real, evaluation, 0)
    size = committed.contract.evaluationSize()
    committed.contract.process(real, evaluation, size + 1)  # the baseline, then c0 half evaluated
    with revm_lab.reverts("MissingEntry"):  # finishing c0's evaluation needs c0's entry to score it
        committed.contract.process([], evaluation, 100)
    committed.contract.process(real, evaluation, 100)
    with revm_lab.reverts("WrongPhase"):
        committed.contract.process(real, evaluation, 100)


def test_a_second_withdrawal_has_nothing_to_withdraw(revm_lab):
    a = revm_lab.accounts
    trainer = open_market(revm_lab, step_model(), STEP_X, STEP_Y)
    trainer.add_data([0], 1, sender=a[1], value=100)
    close_participation(revm_lab, trainer)
    trainer.process()
    trainer.withdraw(sender=a[1])
    with revm_lab.reverts("NothingToWithdraw"):
        trainer.withdraw(sender=a[1])
    with revm_lab.reverts("NothingToWithdraw"):
        trainer.withdraw(sender=a[0])  # one helpful address: no dust, nothing for the provider


def test_the_provider_may_cancel_only_before_anyone_staked(revm_lab, committed):
    a = revm_lab.accounts
    committed.reveal_chosen_piece(sender=a[0])
    with revm_lab.anchor():
        committed.cancel(sender=a[0])
        with revm_lab.reverts("WrongPhase"):
            committed.add_data([0], 1, sender=a[1], value=100)
        got = withdraw_everything(committed, a[:2])
        assert got == {a[0]: BOUNTY}
    committed.add_data([0], 1, sender=a[1], value=100)
    with revm_lab.reverts("CannotCancel"):
        committed.cancel(sender=a[0])


def test_a_provider_who_never_reveals_pays_the_bounty_to_the_participants(revm_lab, committed):
    a = revm_lab.accounts
    start = total_wei(revm_lab, committed.address)
    committed.reveal_chosen_piece(sender=a[0])
    for i, who in enumerate([1, 2, 1, 3]):
        committed.add_data([i % 4], i % 2, sender=a[who], value=100 * (i + 1))
    revm_lab.time_travel(seconds=RULES.participation_time + RULES.reveal_time)
    assert committed.phase == Phase.CANCELLED
    with revm_lab.reverts("RevealTooLate"):
        committed.reveal_pieces(sender=a[0])
    assert committed.owed(a[1]) == 0  # credited when settled
    committed.process(batch_size=3)  # two transactions
    expected = cancelled_outcome(twin_entries(committed), BOUNTY, a[0])
    assert expected == {a[1]: 100 + 300 + 2 * (BOUNTY // 4) + BOUNTY % 4,
                        a[2]: 200 + BOUNTY // 4, a[3]: 400 + BOUNTY // 4}
    assert withdraw_everything(committed, a[:4]) == expected
    assert total_wei(revm_lab, committed.address) == start
    with revm_lab.reverts("NoProgress"):
        committed.contract.process([], [], 0)


def test_an_empty_market_gives_the_bounty_back(revm_lab):
    trainer = open_market(revm_lab, step_model(), STEP_X, STEP_Y)
    close_participation(revm_lab, trainer)
    assert trainer.phase == Phase.FINISHED
    assert trainer.owed(revm_lab.accounts[0]) == BOUNTY
    assert market_outcome(step_model(), [], [], BOUNTY, revm_lab.accounts[0]).payouts == {revm_lab.accounts[0]: BOUNTY}


def test_piece_hashes_are_the_contracts(revm_lab, committed):
    for i, piece in enumerate(committed.pieces):
        assert committed.contract.pieceHash(i) == piece.hash
    piece = committed.pieces[0]
    packed = [b"".join(f.to_bytes(4, "big") for f in s) for s in piece.samples]
    assert piece.hash == keccak(encode(["bytes[]", "uint256[]", "bytes32"], [packed, list(piece.labels), piece.salt]))


# -- reentrancy -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def attacker_artifact() -> dict:
    return compile_contracts(Path(__file__).parent.parent / "contracts")["MarketAttacker"]


def test_a_reentrant_withdrawal_reverts_and_changes_nothing(revm_lab, attacker_artifact):
    a = revm_lab.accounts
    trainer = open_market(revm_lab, step_model(), STEP_X, STEP_Y)
    creation = bytes.fromhex(attacker_artifact["bytecode"].removeprefix("0x")) + encode(["address"], [trainer.address])
    receipt = revm_lab._engine.transact(a[0], None, creation, 0, None)
    attacker = revm_lab._register(Contract(revm_lab, "MarketAttacker", receipt.contract_address, attacker_artifact["abi"]))
    attacker.stake(pack_features((0,)), 1, sender=a[1], value=5_000)
    close_participation(revm_lab, trainer)
    trainer.process()
    owed = trainer.owed(attacker.address)
    assert owed == 5_000 + BOUNTY
    attacker.setReenter(True)
    with revm_lab.reverts("ReentrantCall"):
        attacker.withdrawFromMarket()
    assert trainer.owed(attacker.address) == owed
    assert revm_lab.balance(trainer.address) == owed
    attacker.setReenter(False)
    attacker.withdrawFromMarket()
    assert revm_lab.balance(attacker.address) == owed
    assert revm_lab.balance(trainer.address) == 0


def test_scores_match_numpy_accuracy_deltas(revm_lab):
    """A sanity check of the twin itself: scores are differences of right answers."""
    rng = np.random.default_rng(3)
    model = SparsePerceptron(10, max_iter=1).fit([[i] for i in range(10)], rng.integers(0, 2, 10))
    evaluation = [((i,), int(v)) for i, v in enumerate(rng.integers(0, 2, 10))]
    entries = [MarketEntry((i,), 1 - evaluation[i][1], "0x" + "1" * 40, 1) for i in range(3)]
    out = market_outcome(model, entries, evaluation, 10, "0x" + "2" * 40)
    assert out.baseline + sum(out.scores) == sum(out.model._predict_sample(s) == y for s, y in evaluation)
