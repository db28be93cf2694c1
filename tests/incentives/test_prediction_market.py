"""The prediction market (contracts/trainers/PredictionMarket.sol) against its rules and its twin.

The twin (``market_outcome``) scores and pays a market from the initial model, the contributions
and the evaluation set alone; the tests that run a market to the end check that the chain credits
exactly what the twin says, and that no wei appears or disappears (fees are zero on the lab's
chains, so the accounts', the trainer's and the burn address's balances always add up to the same
total). Big scenarios run on revm (same gas as py-evm); the happy path runs on the default ``lab``.

The section "the findings" holds one test per finding of the issue this market answers: each
asserts the outcome that the old market (before 3d87161) violated.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from eth_utils import keccak

from dcai_lab import Lab
from dcai_lab.tools.build import compile_contracts
from dcai_lab.chain.engines._base import TX_GAS_CAP
from dcai_lab.errors import ConfigError, RevertError
from dcai_lab.incentives import PredictionMarket
from dcai_lab.incentives.prediction_market import (
    BURN_ADDRESS,
    EVALUATION_GAS_LIMIT,
    MAX_EVALUATION_BYTES,
    MAX_SAMPLE_BYTES,
    MarketEntry,
    Phase,
    Piece,
    lapsed_outcome,
    right_answers,
    split_test_set,
)
from dcai_lab.trainers import MarketTrainer
from dcai_lab.models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron
from dcai_lab.models._samples import pack_features

from .conftest import encoded, learned_parameters

#: Small amounts, so that a payout can be worked out by hand.
RULES = PredictionMarket(min_stake=1_000, scoring_fee=10, participation_time=1_000, reveal_time=1_000)
BOUNTY = 1_000_001
ETHER = 10**18
#: The findings' amounts: 0.01-ether stakes, the default 1e14-wei scoring fee.
ETHER_RULES = PredictionMarket(min_stake=ETHER // 100, participation_time=1_000, reveal_time=1_000)
#: Most bytes of calldata public nodes relay in one transaction.
RELAYED_CALLDATA = 131_072


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
#: The same samples, both class 1 (both wrong at first): training on [0] → 1, then on [1] → 1,
#: each gains 2,000 points, out of the 6,000 the model could gain.
BOTH_ONES = [1, 1] * 3


def open_market(lab: Lab, model, X_test, y_test, *, pieces: int = 3, bounty: int = BOUNTY,
                rules: PredictionMarket = RULES, points_bought: int = 0) -> MarketTrainer:
    """Deploy, commit and reveal the chosen piece: participation is open."""
    trainer = initialised_market(lab, model, rules)
    trainer.commit(X_test, y_test, bounty=bounty, pieces=pieces, points_bought=points_bought, seed=7,
                   sender=lab.accounts[0])
    trainer.reveal_chosen_piece(sender=lab.accounts[0])
    return trainer


def end_participation(lab: Lab, trainer) -> None:
    """Move the clock to the end of participation (the next transaction runs in the reveal window)."""
    lab.time_travel(seconds=trainer.contract.participationEnd() - lab.timestamp)


def reveal(lab: Lab, trainer: MarketTrainer) -> None:
    end_participation(lab, trainer)
    trainer.reveal_test_set(sender=lab.accounts[0])


def total_wei(lab: Lab, trainer) -> int:
    """Every account's, the trainer's and the burn address's wei: constant on the lab's chains."""
    return sum(lab.balance(a) for a in lab.accounts) + lab.balance(trainer) + lab.balance(BURN_ADDRESS)


def withdraw_everything(trainer: MarketTrainer, addresses: Iterable[str]) -> dict[str, int]:
    """Every address owed something withdraws it; returns what each received."""
    got = {}
    for address in addresses:
        if trainer.owed(address):
            before = trainer.lab.balance(address)
            trainer.withdraw(sender=address)
            got[address] = trainer.lab.balance(address) - before
    return got


def process_once(trainer: MarketTrainer, max_contributions: int, sender: str):
    """One ``process`` transaction of at most ``max_contributions``, sent by ``sender`` (the
    handle's ``process`` sends every batch from one account)."""
    start = trainer.progress()[0]
    entries = [(c.id, encoded(trainer, c.sample), c.label, c.contributor)
               for c in trainer.contributions()[start:start + max_contributions]]
    pieces = [p.data for p in trainer.evaluation_set()]
    trainer.contract.process(entries, pieces, max_contributions, sender=sender)
    return trainer.lab.last_tx


def initialised_market(lab: Lab, model, rules: PredictionMarket = RULES) -> MarketTrainer:
    """A trainer whose market is not committed yet (the provider is ``lab.accounts[0]``)."""
    return lab.deploy(model, incentive=rules, sender=lab.accounts[0])


def commit_directly(lab: Lab, trainer: MarketTrainer, pieces: list[Piece], bounty: int) -> int:
    """Commit and reveal the chosen piece through the contract alone, bypassing the handle's
    checks; returns the chosen piece's index."""
    provider = lab.accounts[0]
    trainer.contract.commit([p.hash for p in pieces], sum(len(p.data) for p in pieces), 0, value=bounty,
                            sender=provider)
    lab.time_travel(blocks=1)
    chosen = int(trainer.contract.drawnPiece())
    trainer.contract.revealChosenPiece(pieces[chosen].data, sender=provider)
    return chosen


# -- the happy path --------------------------------------------------------------------------------
def test_market_pays_helpful_neutral_and_harmful_contributions_by_the_rules(lab):
    a = lab.accounts
    model = step_model()
    trainer = open_market(lab, model, STEP_X, STEP_Y)
    start = total_wei(lab, trainer)
    assert trainer.phase == Phase.PARTICIPATION
    trainer.add_data([0], 1, sender=a[1], value=1_000_000)  # helpful: [0] becomes right, [1] stays right
    trainer.add_data([3], 0, sender=a[2], value=2_000)  # neutral: already right, no update
    trainer.add_data([0], 0, sender=a[3], value=3_000)  # harmful: would undo the first; undone itself
    trainer.add_data([0], 1, sender=a[4], value=4_000)  # the model already agrees: neutral
    reveal(lab, trainer)
    assert trainer.phase == Phase.SCORING
    # Two pieces of two samples are evaluated: [0] (label 1) and [1] (label 0), each twice. Every
    # score is intercept −1,500,000: margins −1.5e6 (wrong) and +1.5e6 (right), so the margin scale
    # is twice the mean |margin|, 3e6, each sample is worth ∓500 points, and the baseline is 0 points.
    c = trainer.contract
    assert (c.baseline(), c.marginScale(), c.baselinePoints()) == (2, 3_000_000, 0)
    assert c.pricePerPoint() == BOUNTY // 4_000  # up to 4 × 1,000 points can be gained
    trainer.process(sender=a[5])
    assert trainer.phase == Phase.FINISHED

    # Training on [0] → 1 moves its weight and the intercept by +1e6: both samples' scores are now
    # ±0.5e6 on the right side, 166 points each (500,000 · 1,000 / 3e6, rounded down).
    assert trainer.scores() == [664, 0, -664, 0]
    assert trainer.progress() == (4, 4, 664)
    fee, price = RULES.scoring_fee, BOUNTY // 4_000
    expected = {
        a[0]: BOUNTY - 664 * price,  # the unspent bounty
        a[1]: 1_000_000 - fee + 664 * price,  # gains score × price (below the cap)
        a[2]: 2_000 - fee,
        a[3]: 0,  # loses min(664 × price, stake − fee): everything but the fee
        a[4]: 4_000 - fee,
        a[5]: 4 * fee,  # the scorer
    }
    assert {x: trainer.owed(x) for x in a[:6]} == expected
    assert trainer.outcome(model).credits == {x: v for x, v in expected.items() if v}
    burned_before = lab.balance(BURN_ADDRESS)
    assert withdraw_everything(trainer, a[:6]) == {x: v for x, v in expected.items() if v}
    assert lab.balance(trainer) == 0
    assert lab.balance(BURN_ADDRESS) == burned_before  # the loss was burned when scoring ended
    assert total_wei(lab, trainer) == start
    assert trainer.predict([0]) == 1 and trainer.predict([1]) == 0


def test_would_score_says_the_score_the_next_scoring_step_gives(lab):
    a = lab.accounts
    trainer = open_market(lab, step_model(), STEP_X, STEP_Y)
    for x, y in (([0], 1), ([0], 0), ([1], 0)):  # helpful, then harmful after it, then neutral
        trainer.add_data(x, y, sender=a[1])
    reveal(lab, trainer)
    for i, (x, y) in enumerate((([0], 1), ([0], 0), ([1], 0))):
        predicted = trainer.would_score(x, y)
        trainer.process(max_contributions=1, transactions=1, sender=a[2])
        assert trainer.scores()[i] == predicted
    assert trainer.scores() == [664, -664, 0]


def test_a_gain_is_cut_to_what_is_left_of_the_bounty(revm_lab):
    """Rule 6 with few points bought: kept scores add up to more than the bounty buys, so the
    gain that reaches the end of the bounty gets what is left, the provider gets nothing back,
    and a loss after that is taken at the same price as ever."""
    a = revm_lab.accounts
    model = step_model()
    trainer = open_market(revm_lab, model, STEP_X, BOTH_ONES, points_bought=3_000)
    start = total_wei(revm_lab, trainer)
    trainer.add_data([0], 1, sender=a[1], value=1_000_000)  # [0] becomes right: 2,000 points
    trainer.add_data([1], 1, sender=a[2], value=1_000_000)  # [1] becomes right: 2,000 more
    trainer.add_data([0], 0, sender=a[3], value=1_000_000)  # would make [0] wrong again: −2,000
    reveal(revm_lab, trainer)
    # Four samples evaluated, all wrong with margin −1.5e6 at a scale of 3e6: −500 points each, so
    # the room is 4 × 1,000 + 2,000 = 6,000 points; 3,000 are bought, at ⌊1,000,001 / 3,000⌋ wei.
    c = trainer.contract
    assert (c.baselinePoints(), c.pointsBought(), c.pricePerPoint()) == (-2_000, 3_000, 333)
    (scored,) = trainer.process(sender=a[5])
    # [0] → 1: w0 = 1e6, intercept −0.5e6 (margins ±0.5e6, ±166 points); [1] → 1: w1 = 1e6,
    # intercept 0.5e6 (margins 1.5e6, 500 points each); [0] → 0: back to ±166.
    assert trainer.scores() == [2_000, 2_000, -2_000]
    fee, at_risk = RULES.scoring_fee, 1_000_000 - RULES.scoring_fee
    first = 2_000 * 333  # 666,000: within the stake and the bounty
    rest = BOUNTY - first  # 334,001: the second gain (666,000 by the price) is cut to it
    assert [e.args["payout"] for e in scored.events if e.name == "ContributionScored"] == [first, rest, -first]
    finished = scored.events[-1]
    assert (finished.name, finished.args["bountyPaid"], finished.args["refund"], finished.args["burned"]) == (
        "MarketFinished", BOUNTY, 0, first)
    expected = {a[1]: at_risk + first, a[2]: at_risk + rest, a[3]: at_risk - first, a[5]: 3 * fee}
    assert {x: trainer.owed(x) for x in a if trainer.owed(x)} == expected  # the provider: nothing back
    assert trainer.outcome(model).credits == expected
    assert withdraw_everything(trainer, a) == expected
    assert revm_lab.balance(trainer) == 0 and total_wei(revm_lab, trainer) == start


@pytest.mark.parametrize("points_bought", [6_001, 2**32 - 1])
def test_more_points_bought_than_the_room_buys_the_room(revm_lab, points_bought):
    """Rule 4: a commitment to more points than the model could gain (6,000 here) prices the
    points as a commitment to 0 does, and every payout follows."""
    a = revm_lab.accounts
    ended = {}
    for bought in (0, points_bought):
        with revm_lab.anchor():
            trainer = open_market(revm_lab, step_model(), STEP_X, BOTH_ONES, points_bought=bought)
            trainer.add_data([0], 1, sender=a[1], value=1_000_000)
            trainer.add_data([1], 1, sender=a[2], value=1_000_000)
            reveal(revm_lab, trainer)
            trainer.process(sender=a[5])
            assert trainer.contract.pointsBought() == bought
            ended[bought] = (trainer.contract.pricePerPoint(), {x: trainer.owed(x) for x in a})
    assert ended[0][0] == BOUNTY // 6_000
    assert ended[points_bought] == ended[0]


def test_the_handle_checks_the_points_bought(revm_lab):
    """``points_bought`` is a whole number 0 … 2^32 − 1, and the bounty pays at least 1 wei for
    each point bought; nothing is sent otherwise."""
    trainer = initialised_market(revm_lab, step_model())
    sent = len(revm_lab.transactions)
    for wrong in (-1, 2**32, 1.5, True, "10"):
        with pytest.raises(ConfigError, match="points_bought"):
            trainer.commit(STEP_X, STEP_Y, bounty=BOUNTY, points_bought=wrong, sender=revm_lab.accounts[0])
    with pytest.raises(ConfigError, match="post at least 5,000 wei"):
        trainer.commit(STEP_X, STEP_Y, bounty=4_999, points_bought=5_000, sender=revm_lab.accounts[0])
    assert len(revm_lab.transactions) == sent
    trainer.commit(STEP_X, STEP_Y, bounty=5_000, points_bought=5_000, sender=revm_lab.accounts[0])
    assert trainer.contract.pointsBought() == 5_000


def test_market_events_tell_the_whole_story(revm_lab):
    a = revm_lab.accounts
    trainer = initialised_market(revm_lab, step_model())
    committed = trainer.commit(STEP_X, STEP_Y, bounty=BOUNTY, pieces=3, seed=7, sender=a[0])
    opened = trainer.reveal_chosen_piece(sender=a[0])
    trainer.add_data([0], 1, sender=a[1], value=5_000)
    end_participation(revm_lab, trainer)
    revealed = trainer.reveal_test_set(sender=a[0])
    (scored,) = trainer.process(sender=a[2])
    withdrawn = trainer.withdraw(sender=a[1])

    assert [e.name for e in committed.events] == ["MarketCommitted"]
    assert committed.events[0].args["pieceHashes"] == [p.hash for p in trainer.pieces]
    assert committed.events[0].args["pointsBought"] == 0
    assert [e.name for e in opened.events] == ["PieceRevealed", "ParticipationOpened"]
    assert [e.name for e in revealed.events] == ["PieceRevealed", "PieceRevealed", "TestSetRevealed"]
    args = revealed.events[-1].args
    assert (args["evaluationSize"], args["baseline"], args["baselinePoints"], args["marginScale"],
            args["pricePerPoint"]) == (4, 2, 0, 3_000_000, BOUNTY // 4_000)
    assert args["evaluationGas"] == trainer.contract.evaluationGas() > 0
    assert [e.name for e in scored.events] == ["ContributionScored", "MarketFinished"]
    args = scored.events[0].args
    assert (args["id"], args["contributor"], args["score"], args["correct"], args["points"], args["kept"],
            args["scorer"]) == (0, a[1], 664, 4, 664, True, a[2])
    assert args["payout"] == 5_000 - RULES.scoring_fee  # capped by the stake
    assert [e.name for e in withdrawn.events] == ["Withdrawal"]
    assert trainer.revealed_pieces() == dict(enumerate(trainer.pieces))  # the whole test set, from events


def test_money_leaves_only_once_the_market_has_ended(revm_lab):
    a = revm_lab.accounts
    trainer = open_market(revm_lab, step_model(), STEP_X, STEP_Y)
    trainer.add_data([0], 1, sender=a[1], value=5_000)
    trainer.add_data([1], 0, sender=a[2], value=5_000)
    with revm_lab.reverts("MarketNotOver"):
        trainer.withdraw(sender=a[1])  # participation
    end_participation(revm_lab, trainer)
    with revm_lab.reverts("MarketNotOver"):
        trainer.withdraw(sender=a[1])  # the reveal window
    trainer.reveal_test_set(sender=a[0])
    process_once(trainer, 1, sender=a[3])
    assert trainer.owed(a[1]) > 5_000  # scored and credited ...
    with revm_lab.reverts("MarketNotOver"):
        trainer.withdraw(sender=a[1])  # ... but not every contribution is scored yet
    process_once(trainer, 1, sender=a[3])
    assert trainer.phase == Phase.FINISHED
    trainer.withdraw(sender=a[1])
    assert trainer.owed(a[1]) == 0


def test_piece_hashes_are_the_contracts(revm_lab):
    trainer = initialised_market(revm_lab, step_model())
    trainer.commit([[0], [1, 2], [3]], [1, 0, 1], bounty=BOUNTY, pieces=2, seed=5, sender=revm_lab.accounts[0])
    for i, piece in enumerate(trainer.pieces):
        assert trainer.contract.pieceHash(i) == piece.hash
    piece = trainer.pieces[1]  # [1, 2] labelled 0 and [3] labelled 1, by hand: label, length, features
    assert piece.data == piece.salt + bytes.fromhex("0000" "0008" "00000001" "00000002" "0001" "0004" "00000003")
    assert trainer.contract.totalBytes() == sum(len(p.data) for p in trainer.pieces)


# -- the twin on random markets --------------------------------------------------------------------
MODEL_KINDS = ("SparsePerceptron", "DensePerceptron", "NaiveBayes", "NearestCentroid", "SparseNearestCentroid")


def random_market(kind: str, rng: random.Random):
    """A random model of ``kind``, test set and contributions (sample, label, contributor index, stake)."""
    n = rng.randint(3, 12)
    sparse = kind in ("SparsePerceptron", "NaiveBayes", "SparseNearestCentroid")
    classes = 2 if "Perceptron" in kind else rng.randint(2, 4)

    def sample():
        if sparse:
            return sorted(rng.sample(range(n), rng.randint(1, n)))
        return [rng.randint(-3, 3) / 2 for _ in range(n)]

    X0 = [sample() for _ in range(12)]
    y0 = [rng.randrange(classes) for _ in X0]
    y0[:classes] = range(classes)
    model = {
        "SparsePerceptron": lambda: SparsePerceptron(n, max_iter=1),
        "DensePerceptron": lambda: DensePerceptron(n, max_iter=1),
        "NaiveBayes": lambda: NaiveBayes(n),
        "NearestCentroid": lambda: NearestCentroid(n),
        "SparseNearestCentroid": lambda: SparseNearestCentroid(n),
    }[kind]().fit(X0, y0)
    X_test = [sample() for _ in range(rng.randint(4, 16))]
    y_test = [rng.randrange(classes) for _ in X_test]
    contributions = [(sample(), rng.randrange(classes), rng.randint(1, 4), rng.randint(1_000, 400_000))
                     for _ in range(rng.randint(1, 10))]
    return model, X_test, y_test, contributions


@pytest.mark.parametrize("kind", MODEL_KINDS)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("points", ["all", "a few"])
def test_random_market_pays_what_the_twin_says_to_the_wei(revm_lab, kind, seed, points):
    """``points``: the bounty buys every point the model could gain (0), or a few (1 … 3,000; the
    price is high, and a bounty of a few stakes often runs out before the gains do)."""
    rng = random.Random(f"{kind}-{seed}")
    model, X_test, y_test, contributions = random_market(kind, rng)
    a = revm_lab.accounts
    pieces, bounty = rng.randint(2, min(5, len(X_test))), rng.randint(1_000, 10**7)
    bought = 0
    if points == "a few":  # and a bounty of a few stakes, which runs out
        bought, bounty = random.Random(f"{kind}-{seed}-bought").randint(1, 3_000), 1_000 + bounty // 20
    trainer = open_market(revm_lab, model, X_test, y_test, pieces=pieces, bounty=bounty, points_bought=bought)
    start = total_wei(revm_lab, trainer)
    for x, y, who, stake in contributions:
        trainer.add_data(x, y, sender=a[who], value=stake)
    reveal(revm_lab, trainer)
    while trainer.phase == Phase.SCORING:  # random batches by random scorers
        process_once(trainer, rng.randint(1, 4), sender=a[rng.choice([0, 5, 6])])

    outcome = trainer.outcome(model)
    assert trainer.scores() == outcome.scores
    assert {x: trainer.owed(x) for x in a if trainer.owed(x)} == outcome.credits
    assert learned_parameters(trainer.local_model()) == learned_parameters(outcome.model)
    assert trainer.progress()[1:] == (outcome.final, outcome.final_points)
    assert (trainer.contract.marginScale(), trainer.contract.pricePerPoint()) == (outcome.margin_scale, outcome.price)
    burned = revm_lab.balance(BURN_ADDRESS)
    assert withdraw_everything(trainer, a) == outcome.credits
    assert revm_lab.balance(trainer) == 0
    assert total_wei(revm_lab, trainer) == start
    assert burned == outcome.burned  # the only wei the burn address ever received here


def test_several_batches_give_what_one_batch_gives(revm_lab):
    rng = random.Random(99)
    a = revm_lab.accounts
    model = SparsePerceptron(20, max_iter=1).fit([sorted(rng.sample(range(20), 5)) for _ in range(10)],
                                                 [rng.randint(0, 1) for _ in range(10)])
    X_test = [sorted(rng.sample(range(20), 6)) for _ in range(12)]
    trainer = open_market(revm_lab, model, X_test, [rng.randint(0, 1) for _ in X_test], pieces=4)
    for i in range(10):
        trainer.add_data(sorted(rng.sample(range(20), 6)), rng.randint(0, 1), sender=a[1 + i % 4], value=1_000 + i)
    reveal(revm_lab, trainer)

    def finish(max_contributions: int | None):
        with revm_lab.anchor():
            records = trainer.process(max_contributions=max_contributions, sender=a[5])
            return (len(records), trainer.scores(), [trainer.owed(x) for x in a[:6]],
                    learned_parameters(trainer.local_model()))

    one, each, threes = finish(None), finish(1), finish(3)
    assert (one[0], each[0], threes[0]) == (1, 10, 4)
    assert one[1:] == each[1:] == threes[1:]

    with revm_lab.anchor():  # a scorer may stop after some transactions; another carries on
        first = trainer.process(max_contributions=3, transactions=2, sender=a[5])
        assert len(first) == 2 and trainer.progress()[0] == 6 and trainer.phase == Phase.SCORING
        trainer.process(sender=a[6])
        assert (trainer.owed(a[5]), trainer.owed(a[6])) == (6 * RULES.scoring_fee, 4 * RULES.scoring_fee) \
            and one[2][5] == 10 * RULES.scoring_fee
        assert trainer.scores() == one[1]


def test_a_contribution_the_model_refuses_is_skipped_with_score_zero_and_not_kept(revm_lab):
    a = revm_lab.accounts
    model = step_model()
    model.weights_[3] = 2**31 - 1 - 500_000  # one more step of 1.0 leaves the int32 range
    model.intercept_ = -(2**31)  # so [3] still predicts 0, and the label 1 asks for that step
    trainer = open_market(revm_lab, model, STEP_X, STEP_Y)
    trainer.add_data([3], 1, sender=a[2], value=1_000)
    trainer.add_data([0], 1, sender=a[3], value=1_000)  # trainable, after the skipped one
    reveal(revm_lab, trainer)
    (record,) = trainer.process(sender=a[4])

    assert [e.name for e in record.events] == ["TrainingSkipped", "ContributionScored", "ContributionScored",
                                                "MarketFinished"]
    assert record.events[0].args["reason"][:4] == keccak(text="WeightOutOfRange(uint256,int256)")[:4]
    skipped = record.events[1].args
    assert (skipped["score"], skipped["kept"], skipped["payout"]) == (0, False, 0)
    assert trainer.local_model().weights_[3] == model.weights_[3]  # not kept
    outcome = trainer.outcome(model)
    assert outcome.skipped == [0] and outcome.kept == [False, True]
    assert trainer.scores() == outcome.scores == [0, 0]  # [0] never moves past a −2147 intercept
    assert trainer.owed(a[2]) == 1_000 - RULES.scoring_fee


# -- the model the market leaves behind ------------------------------------------------------------
N_PROPERTY_FEATURES = 6
PROPERTY_TEST = [(0, 1), (2,), (3, 4), (5,), (1, 2), (0, 5), (3,), (4, 5)]
PROPERTY_LABELS = [1, 0, 1, 0, 1, 0, 1, 0]
property_samples = st.sets(st.integers(0, N_PROPERTY_FEATURES - 1), min_size=1, max_size=3).map(
    lambda s: tuple(sorted(s)))
#: A contribution: a sample and its label, or a test sample with its label flipped (the attack
#: that hurts the most).
property_contributions = st.one_of(
    st.tuples(property_samples, st.integers(0, 1)),
    st.sampled_from(range(len(PROPERTY_TEST))).map(lambda i: (PROPERTY_TEST[i], 1 - PROPERTY_LABELS[i])),
)


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(("SparsePerceptron", "NaiveBayes", "SparseNearestCentroid")),
       contributions=st.lists(st.tuples(property_contributions, st.integers(1, 4)), min_size=1, max_size=12))
def test_the_model_left_behind_is_never_worse_on_the_evaluation_set(revm_session, kind, contributions):
    model = {"SparsePerceptron": SparsePerceptron, "NaiveBayes": NaiveBayes,
             "SparseNearestCentroid": SparseNearestCentroid}[kind](N_PROPERTY_FEATURES)
    model.fit([(0,), (2,), (3,), (5,)], [1, 0, 1, 0])
    with revm_session.anchor():
        a = revm_session.accounts
        trainer = open_market(revm_session, model, PROPERTY_TEST, PROPERTY_LABELS, pieces=4)
        for (x, y), who in contributions:
            trainer.add_data(x, y, sender=a[who], value=RULES.min_stake)
        reveal(revm_session, trainer)
        trainer.process(sender=a[5])
        evaluation = [(s, label) for p in trainer.evaluation_set() for s, label in zip(p.samples, p.labels)]
        baseline = trainer.contract.baseline()
        assert baseline == right_answers(model, evaluation)
        assert right_answers(trainer.local_model(), evaluation) == trainer.progress()[1] >= baseline


# -- reentrancy ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def attacker_artifact(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("market_attacker")
    shutil.copy(Path(__file__).parents[1] / "contracts" / "MarketAttacker.sol", folder)
    return compile_contracts(folder)["MarketAttacker"]


def test_a_reentrant_withdrawal_reverts_and_changes_nothing(revm_lab, attacker_artifact):
    a = revm_lab.accounts
    trainer = open_market(revm_lab, step_model(), STEP_X, STEP_Y)
    attacker = revm_lab.deploy_contract(attacker_artifact, trainer.address, sender=a[0])
    attacker.stake(pack_features((0,)), 1, sender=a[1], value=5_000)
    reveal(revm_lab, trainer)
    trainer.process(sender=a[2])
    owed = trainer.owed(attacker.address)
    assert owed == 5_000 - RULES.scoring_fee + min(2 * (BOUNTY // 4), 5_000 - RULES.scoring_fee)
    held = revm_lab.balance(trainer)
    attacker.setReenter(True)
    with revm_lab.reverts("ReentrantCall"):
        attacker.withdrawFromMarket()
    assert trainer.owed(attacker.address) == owed
    assert revm_lab.balance(trainer) == held
    attacker.setReenter(False)
    attacker.withdrawFromMarket()
    assert revm_lab.balance(attacker.address) == owed
    assert revm_lab.balance(trainer) == held - owed


# -- the findings ----------------------------------------------------------------------------------
#: Finding 1: a 40-feature sparse perceptron; a hidden concept (a sign per feature) labels samples.
FLIP_FEATURES = 40
FLIP_MARKETS = 10
FLIP_CONTRIBUTIONS = 10  # each, honest and attacker


def _concept_sample(rng: random.Random, signs: list[int]) -> tuple[tuple[int, ...], int]:
    """A sample of 3 … 8 features, labelled by the sign of its features' sum (a tie: a coin)."""
    x = tuple(sorted(rng.sample(range(FLIP_FEATURES), rng.randint(3, 8))))
    total = sum(signs[f] for f in x)
    return x, int(total > 0) if total else rng.randint(0, 1)


def _label_flipping_market(lab: Lab, seed: int, interleaved: bool) -> int:
    """One market with an honest contributor and an attacker who flips labels, as many
    contributions each; returns the attacker's net gain in wei, after withdrawing."""
    rng = random.Random(seed)
    a = lab.accounts
    honest, attacker, stake = a[1], a[2], ETHER // 100
    signs = [rng.choice((-1, 1)) for _ in range(FLIP_FEATURES)]
    model = SparsePerceptron(FLIP_FEATURES, max_iter=1).fit(*map(list, zip(*[_concept_sample(rng, signs)
                                                                              for _ in range(6)])))
    X_test, y_test = zip(*[_concept_sample(rng, signs) for _ in range(40)])
    trainer = open_market(lab, model, list(X_test), list(y_test), pieces=4, bounty=ETHER, rules=ETHER_RULES)
    start = lab.balance(attacker)
    if interleaved:  # the attacker flips the label of the very sample the honest one just added
        for _ in range(FLIP_CONTRIBUTIONS):
            x, y = _concept_sample(rng, signs)
            trainer.add_data(x, y, sender=honest, value=stake)
            trainer.add_data(x, 1 - y, sender=attacker, value=stake)
    else:
        order = [honest] * FLIP_CONTRIBUTIONS + [attacker] * FLIP_CONTRIBUTIONS
        rng.shuffle(order)
        for who in order:
            x, y = _concept_sample(rng, signs)
            trainer.add_data(x, y if who == honest else 1 - y, sender=who, value=stake)
    reveal(lab, trainer)
    trainer.process(sender=a[5])
    withdraw_everything(trainer, (attacker,))
    return lab.balance(attacker) - start


@pytest.mark.parametrize("interleaved", [False, True], ids=["random_order", "interleaved"])
def test_finding_1_a_label_flipping_attacker_loses_money(revm_lab, interleaved):
    """Old: the attacker profited in 20 of 20 random markets."""
    nets = []
    for seed in range(FLIP_MARKETS):
        with revm_lab.anchor():
            nets.append(_label_flipping_market(revm_lab, seed, interleaved))  # the attacker's
    fees = FLIP_CONTRIBUTIONS * ETHER_RULES.scoring_fee
    assert sum(net < 0 for net in nets) >= FLIP_MARKETS - 1, nets
    assert sum(nets) / FLIP_MARKETS < -fees, nets  # the harm costs more than the scoring fees


def test_finding_2_no_single_contribution_locks_the_market(revm_lab):
    """Old: on a 24,000-feature sparse model, a sample with ~3,000 present features was accepted
    and `process` reverted forever."""
    a = revm_lab.accounts
    model = SparsePerceptron(24_000)
    model._init_model(2)
    model.intercept_ = -500_000  # everything is class 0 ...
    model.weights_[1] = -2_000_000  # ... and [1] stays so after one update with label 1
    trainer = open_market(revm_lab, model, [[0], [1]] * 2, [1, 0] * 2, pieces=2, bounty=ETHER, rules=ETHER_RULES)
    stake, fee = ETHER_RULES.min_stake, ETHER_RULES.scoring_fee
    start = total_wei(revm_lab, trainer)

    huge = tuple(range(0, 24_000, 8))  # 3,000 features: 12,000 bytes
    sent = len(revm_lab.transactions)
    with pytest.raises(ConfigError, match="8,192"):
        trainer.add_data(huge, 1, sender=a[1], value=stake)
    assert len(revm_lab.transactions) == sent  # refused before sending
    with revm_lab.reverts("SampleTooLarge"):
        trainer.contract.addData(pack_features(huge), 1, sender=a[1], value=stake)

    # 2,000 fresh features in 750 weight words (8,000 bytes): training alone needs ~15 M gas.
    unscoreable = tuple(range(0, 6_000, 3))
    assert len(pack_features(unscoreable)) <= MAX_SAMPLE_BYTES
    trainer.add_data(unscoreable, 1, sender=a[1], value=stake)
    trainer.add_data([0], 1, sender=a[2], value=stake)  # an ordinary contribution after it
    reveal(revm_lab, trainer)
    records = trainer.process(sender=a[3])

    assert trainer.phase == Phase.FINISHED
    assert [e.args["id"] for r in records for e in r.events if e.name == "Unscoreable"] == [0]
    scored = [e.args for r in records for e in r.events if e.name == "ContributionScored"]
    assert [(s["id"], s["kept"], s["payout"]) for s in scored] == [(0, False, -(stake - fee)), (1, True, stake - fee)]
    assert trainer.local_model().weights_[3] == 0  # the unscoreable sample never reached the model
    assert trainer.owed(a[1]) == 0  # its stake is forfeited: the fee to the scorer, the rest burned
    withdraw_everything(trainer, a)
    assert revm_lab.balance(trainer) == 0
    assert total_wei(revm_lab, trainer) == start


def test_a_sample_within_max_sample_bytes_never_locks_scoring(revm_lab):
    """1,100 features in 1,100 distinct weight words (4,400 bytes, within MAX_SAMPLE_BYTES) on a
    16,384-feature sparse perceptron: whatever its fate (kept, undone, unscoreable), the market
    must finish and pay out."""
    a = revm_lab.accounts
    model = SparsePerceptron(16_384)
    model._init_model(2)
    model.intercept_ = -500_000
    trainer = open_market(revm_lab, model, [[0], [1], [2], [3]], [1, 0, 1, 0], pieces=2, bounty=ETHER,
                          rules=ETHER_RULES)
    spread = tuple(range(0, 8 * 1_100, 8))
    assert len(pack_features(spread)) <= MAX_SAMPLE_BYTES
    trainer.add_data(spread, 1, sender=a[1], value=ETHER_RULES.min_stake)
    reveal(revm_lab, trainer)
    try:
        trainer.process(sender=a[3])
    except RevertError as error:
        revm_lab.time_travel(days=365)
        with revm_lab.reverts("MarketNotOver"):
            trainer.withdraw(sender=a[1])
        pytest.fail(f"scoring is stuck: process, sent with the whole {TX_GAS_CAP:,} gas, reverts with "
                    f"{error.reason} at the first step of its batch, where every batch starts; a year later "
                    f"the market is still {trainer.phase.name}, withdrawals revert MarketNotOver, and "
                    f"{revm_lab.balance(trainer):,} wei are locked")
    assert trainer.phase == Phase.FINISHED
    withdraw_everything(trainer, a)
    assert revm_lab.balance(trainer) == 0


def test_finding_3_a_test_set_too_costly_to_carry_or_evaluate_is_refused(revm_lab):
    """Old: 20,000 one-word test samples were accepted at commit, and a single-prediction
    `process` needed ~32 M gas."""
    a = revm_lab.accounts
    model = SparsePerceptron(64)
    model._init_model(2)
    trainer = initialised_market(revm_lab, model, ETHER_RULES)
    sent = len(revm_lab.transactions)
    one_feature = [(i % 64,) for i in range(20_000)]
    with pytest.raises(ConfigError, match="65,536"):
        trainer.commit(one_feature, [i % 2 for i in range(20_000)], bounty=ETHER, pieces=64, sender=a[0])
    # 6,000 one-feature samples fit the bytes (50,048) but their evaluation does not fit the gas.
    with pytest.raises(ConfigError, match=f"{EVALUATION_GAS_LIMIT:,}"):
        trainer.commit(one_feature[:6_000], [i % 2 for i in range(6_000)], bounty=ETHER, pieces=64, sender=a[0])
    assert len(revm_lab.transactions) == sent  # refused before sending

    hashes = [bytes(32)] * 64
    with revm_lab.reverts("InvalidTotalBytes"):
        trainer.contract.commit(hashes, MAX_EVALUATION_BYTES + 1, 0, value=ETHER, sender=a[0])
    with revm_lab.reverts("InvalidTotalBytes"):
        trainer.contract.commit(hashes, 64 * 36 - 1, 0, value=ETHER, sender=a[0])  # less than 64 salts and headers

    pieces = split_test_set(one_feature[:6_000], [i % 2 for i in range(6_000)], 64, sparse=True, seed=1)
    chosen = commit_directly(revm_lab, trainer, pieces, ETHER)
    end_participation(revm_lab, trainer)
    with revm_lab.reverts("EvaluationTooCostly") as caught:
        trainer.contract.revealTestSet([p.data for i, p in enumerate(pieces) if i != chosen], sender=a[0])
    assert caught.error.error_args["limit"] == EVALUATION_GAS_LIMIT
    assert EVALUATION_GAS_LIMIT < revm_lab.last_tx.gas_used < TX_GAS_CAP  # stopped at the limit, not the end


#: The evaluation sets at the limits: the most bytes (64 pieces of 120-feature samples, 64,000 in
#: all), and the costliest evaluation the handle accepts (3,400 one-feature samples, ~5.9 M gas on chain; the handle measures each piece with its storage cold, so it overestimates).
LIMIT_TEST_SETS = {
    "most_bytes": ([tuple(range(i % 50, i % 50 + 120)) for i in range(128)], [1] * 128),
    "costliest_evaluation": ([(i % 64,) for i in range(3_400)], [1] * 3_400),
}


@pytest.mark.parametrize("test_set", LIMIT_TEST_SETS)
def test_every_market_transaction_at_the_limits_fits_a_transaction_and_a_relay(revm_lab, test_set):
    a = revm_lab.accounts
    model = SparsePerceptron(4_096)
    model._init_model(2)
    model.intercept_ = -500_000  # everything is class 0; one update with label 1 makes it class 1
    trainer = initialised_market(revm_lab, model, ETHER_RULES)
    first = len(revm_lab.transactions)  # the market's transactions from here on
    trainer.commit(*LIMIT_TEST_SETS[test_set], bounty=ETHER, pieces=64, seed=1, sender=a[0])
    trainer.reveal_chosen_piece(sender=a[0])
    # 2,048 features, 8,192 bytes; trained on, then evaluated: it makes every test sample right, so it is kept
    largest = list(range(MAX_SAMPLE_BYTES // 4))
    trainer.add_data(largest, 1, sender=a[1])
    for i in range(300):  # the model then agrees with these: a full batch of cheap steps
        trainer.add_data([i], 1, sender=a[2])
    reveal(revm_lab, trainer)
    records = trainer.process(sender=a[3])
    withdraw_everything(trainer, a[:4])

    market = revm_lab.transactions[first:]
    calldata = [len(r.data) for r in market]
    assert len(market) > 300
    assert all(r.success for r in market)
    assert max(r.gas_used for r in market) < TX_GAS_CAP
    assert max(calldata) < RELAYED_CALLDATA
    assert sum(len(p.data) for p in trainer.pieces) > {"most_bytes": 63_999, "costliest_evaluation": 29_000}[test_set]
    assert max(calldata) > sum(len(p.data) for p in trainer.evaluation_set())  # the test set was carried whole
    assert trainer.contract.evaluationGas() > {"most_bytes": 0, "costliest_evaluation": 5_500_000}[test_set]
    scored = [sum(e.name == "ContributionScored" for e in r.events) for r in records]
    assert sum(scored) == 301 and max(scored) > 100  # one transaction scored a full batch


def test_finding_4_a_provider_who_never_reveals_loses_the_bounty_whatever_accounts_it_controls(revm_lab):
    """Old: a provider who never revealed got back 9.68 of its 10-ether bounty through 60 minimum
    stakes from a second account."""
    a = revm_lab.accounts
    provider, sybil, honest = a[0], a[9], a[1]
    bounty, stake = 10 * ETHER, ETHER_RULES.min_stake
    start = {x: revm_lab.balance(x) for x in (provider, sybil, honest)}
    burned = revm_lab.balance(BURN_ADDRESS)
    trainer = open_market(revm_lab, step_model(), STEP_X, STEP_Y, bounty=bounty, rules=ETHER_RULES)
    for _ in range(2):
        trainer.add_data([0], 1, sender=honest, value=stake)
    for i in range(60):
        trainer.add_data([i % 4], i % 2, sender=sybil, value=stake)
    revm_lab.time_travel(seconds=trainer.contract.revealDeadline() - revm_lab.timestamp)
    assert trainer.phase == Phase.CANCELLED
    with revm_lab.reverts("MarketLapsed"):
        trainer.reveal_test_set(sender=provider)
    with revm_lab.reverts("WrongPhase"):
        trainer.process(sender=sybil)

    expected = lapsed_outcome([MarketEntry(c.sample, c.label, c.contributor, c.deposit)
                               for c in trainer.contributions()])
    assert expected == {honest: 2 * stake, sybil: 60 * stake}
    assert withdraw_everything(trainer, (provider, sybil, honest)) == expected
    assert revm_lab.balance(provider) + revm_lab.balance(sybil) == start[provider] + start[sybil] - bounty
    assert revm_lab.balance(honest) == start[honest]
    assert revm_lab.balance(BURN_ADDRESS) - burned == bounty
    assert revm_lab.balance(trainer) == 0


def test_finding_5_scoring_is_paid_by_the_contribution_and_agreement_skips_the_evaluation(revm_lab):
    """Old: scoring could be griefed for free (every contribution, however useless, cost its scorer
    a whole evaluation and paid nothing)."""
    a = revm_lab.accounts
    contributor, scorer, fee, stake = a[1], a[5], RULES.scoring_fee, 5_000
    X_test = [(i % 40,) for i in range(400)]  # 300 samples to evaluate
    model = SparsePerceptron(40)
    model._init_model(2)
    model.intercept_ = -500_000  # everything is class 0
    trainer = open_market(revm_lab, model, X_test, [int(i % 40 == 0) for i in range(400)], pieces=4)
    start = {x: revm_lab.balance(x) for x in (contributor, scorer)}
    for i in range(1, 4):
        trainer.add_data([i], 0, sender=contributor, value=stake)  # the model agrees: no change
    trainer.add_data([0], 1, sender=a[2], value=stake)  # changes the model
    reveal(revm_lab, trainer)
    records = trainer.process(max_contributions=1, sender=scorer)
    withdraw_everything(trainer, (contributor, scorer))

    assert revm_lab.balance(scorer) - start[scorer] == 4 * fee
    assert trainer.scores()[:3] == [0, 0, 0]
    assert revm_lab.balance(contributor) - start[contributor] == -3 * fee  # each stake back but the fee
    gas = [r.gas_used for r in records]  # one contribution per transaction
    assert len(gas) == 4
    assert max(gas[:3]) < trainer.contract.evaluationGas()  # each costs less than one evaluation
    assert max(gas[:3]) * 3 < gas[3], gas


def test_finding_6_re_rolling_the_draw_costs_the_whole_bounty(revm_lab):
    """Old: the provider could cancel and re-commit until the chosen piece suited it."""
    a = revm_lab.accounts
    provider = a[0]
    trainer = initialised_market(revm_lab, step_model())
    start, burned = revm_lab.balance(provider), revm_lab.balance(BURN_ADDRESS)
    trainer.commit(STEP_X, STEP_Y, bounty=BOUNTY, pieces=3, seed=7, sender=provider)
    chosen = trainer.pieces[trainer.chosen_piece()]
    assert not [name for name in dir(trainer.contract) if "cancel" in name.lower()]  # no way back
    with revm_lab.anchor():  # the 256th block after the commitment may still reveal the draw
        revm_lab.time_travel(blocks=255)
        trainer.reveal_chosen_piece(sender=provider)
    revm_lab.time_travel(blocks=256)
    with revm_lab.reverts("MarketLapsed"):
        trainer.contract.revealChosenPiece(chosen.data, sender=provider)  # in the 257th block
    assert trainer.phase == Phase.CANCELLED
    with revm_lab.reverts("NothingToWithdraw"):
        trainer.withdraw(sender=provider)  # the bounty is not the provider's any more
    trainer.lapse(sender=a[3])
    assert revm_lab.balance(provider) == start - BOUNTY
    assert revm_lab.balance(BURN_ADDRESS) - burned == BOUNTY
    assert revm_lab.balance(trainer) == 0
    with revm_lab.reverts("WrongPhase"):
        trainer.contract.commit([p.hash for p in trainer.pieces], 1_000, 0, value=BOUNTY, sender=provider)


def test_finding_7_deposit_refund_take_refuses_equal_refund_and_take_waits(revm_lab):
    """Old: DepositRefundTake accepted take_wait == refund_wait (a contribution became open to
    everyone the moment its contributor could first claim it)."""
    with revm_lab.reverts("InvalidParameters"):
        revm_lab.deploy_contract("SparsePerceptronWithDepositRefundTake", 4, 10**6, 0, 10**12, 86_400, 86_400)
    revm_lab.deploy_contract("SparsePerceptronWithDepositRefundTake", 4, 10**6, 0, 10**12, 86_400, 86_401)
