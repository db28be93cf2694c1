"""The notebooks' self-checks accept a right answer and explain a wrong one."""

import pytest

from dcai_lab import exercises

ETHER = 10**18


@pytest.fixture
def jar(lab):
    jar = lab.deploy_contract("TipJar", 86_400)
    jar.tip("x", value=ETHER // 5, sender=lab.accounts.bob)
    return jar


def test_carol_tip(lab, jar, capsys):
    exercises.check_carol_tipped(lab, jar)
    jar.tip("for the TA", value=ETHER // 4, sender=lab.accounts.carol)
    exercises.check_carol_tipped(lab, jar)
    jar.tip("for the TA", value=ETHER // 2, sender=lab.accounts.carol)
    exercises.check_carol_tipped(lab, jar)
    assert capsys.readouterr().out.splitlines() == [
        "not yet: no tip from carol yet; call jar.tip(note, value=…, sender=carol).",
        "not yet: the amount is off: 0.5 ether is 5 * 10**17 wei.",
        "correct",
    ]


def test_deploy_gas(lab, jar, capsys):
    exercises.check_deploy_gas(lab, None)
    exercises.check_deploy_gas(lab, 1)
    exercises.check_deploy_gas(lab, lab.transactions[0].gas_used)
    assert capsys.readouterr().out.splitlines()[-1] == "correct"


def test_what_if_withdrawal(lab, jar, capsys):
    owner = lab.accounts.deployer
    with lab.anchor():
        lab.time_travel(days=30)
        jar.withdraw(lab.balance(jar))
        answer = lab.balance(owner)
    exercises.check_what_if_withdrawal(lab, jar, answer, jar_should_hold=ETHER // 5)
    lab.time_travel(days=30)
    jar.withdraw(1)
    exercises.check_what_if_withdrawal(lab, jar, answer, jar_should_hold=ETHER // 5)
    assert capsys.readouterr().out.splitlines() == [
        "correct",
        "not yet: the jar's balance changed: did the withdrawal happen outside `with lab.anchor():`?",
    ]


@pytest.fixture(scope="module")
def sentiment():
    from dcai_lab.datasets import load_sentiment

    return load_sentiment()


@pytest.fixture
def sentiment_model(lab, sentiment):
    from sklearn.linear_model import Perceptron

    from dcai_lab.models import SparsePerceptron

    keep = sentiment.X_train.getnnz(axis=1) > 0
    twin = SparsePerceptron.from_sklearn(Perceptron(random_state=0).fit(sentiment.X_train[keep], sentiment.y_train[keep]))
    return lab.deploy(twin)


def test_first_mistake(sentiment_model, sentiment, capsys):
    exercises.check_first_mistake(sentiment_model, sentiment, None)
    exercises.check_first_mistake(sentiment_model, sentiment, 0)  # the model gets sentence 0 right
    exercises.check_first_mistake(sentiment_model, sentiment, 1)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not yet") and out[1].startswith("not yet: sentence 0") and out[2] == "correct"


def test_taught(sentiment_model, sentiment, capsys):
    from dcai_lab.datasets import sentence_features

    features = sentence_features("no complaints", sentiment.feature_names)
    exercises.check_taught(sentiment_model, features, label=1)
    while sentiment_model.predict(features) != 1:
        sentiment_model.update(features, 1)
    exercises.check_taught(sentiment_model, features, label=1)
    assert capsys.readouterr().out.splitlines() == [
        "not yet: the model still predicts 0; call model.update(features, 1) until it predicts 1: one update may not "
        "be enough.", "correct"]


@pytest.fixture
def small_trainer(lab):
    """A four-word perceptron that predicts 1 for word 0 and 0 for word 1, under deposit, refund, take."""
    from dcai_lab.incentives import DepositRefundTake
    from dcai_lab.models import SparsePerceptron

    twin = SparsePerceptron(n_features=4).fit([[0], [1]], [1, 0])
    return lab.deploy(twin, DepositRefundTake(cost_weight=10**15))


def test_deposit_after(capsys):
    for answer in (None, 120.0, 10**15, 120 * 10**15):
        exercises.check_deposit_after(answer, cost_weight=10**15, seconds=900)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["not yet", "not yet", "not yet", "correct"]
    assert "//" in out[1] and "isqrt" in out[2]


def test_take_share(lab, small_trainer, capsys):
    alice, bob = lab.accounts.alice, lab.accounts.bob
    mine = [small_trainer.add_data([0], 1, sender=who) for who in (alice, alice, bob)]
    lab.time_travel(days=1)
    for c, who in zip(mine, (alice, alice, bob)):
        small_trainer.refund(c, sender=who)
    for answer in (None, 3 * 10**16, 2 * 10**16):
        exercises.check_take_share(small_trainer, bob, 6 * 10**16, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "not yet: set bob_takes to a whole number of wei."
    assert out[1].startswith("not yet: 30000000000000000 is not it") and out[2] == "correct"


def test_refunded(lab, small_trainer, capsys):
    carol = lab.accounts.carol
    exercises.check_refunded(small_trainer, carol)
    c = small_trainer.add_data([0], 1, sender=carol)
    exercises.check_refunded(small_trainer, carol)
    lab.time_travel(days=1)
    small_trainer.refund(c, sender=carol)
    exercises.check_refunded(small_trainer, carol)
    assert capsys.readouterr().out.splitlines() == [
        "not yet: carol has not contributed yet: trainer.add_data(x, label, sender=carol).",
        "not yet: carol contributed; travel past the refund wait (lab.time_travel(days=1)) and call "
        "trainer.refund(c, sender=carol).",
        "correct",
    ]


@pytest.fixture
def small_game(lab):
    """The four-word perceptron under Points: free contributions, validated after a day."""
    from dcai_lab.incentives import Points
    from dcai_lab.models import SparsePerceptron

    return lab.deploy(SparsePerceptron(n_features=4).fit([[0], [1]], [1, 0]), Points())


def test_badge(lab, small_game, capsys):
    erin = lab.accounts.erin
    exercises.check_badge(small_game, erin, "first point")
    c = small_game.add_data([0], 1, sender=erin)
    exercises.check_badge(small_game, erin, "first point")
    lab.time_travel(days=1)
    small_game.refund(c, sender=erin)
    exercises.check_badge(small_game, erin, "first point")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "not yet: erin has not contributed yet: trainer.add_data(x, label, sender=erin)."
    assert out[1].startswith("not yet: erin has 0 points") and out[2] == "correct"


def test_sponsored(lab, small_game, capsys):
    frank, grace = lab.accounts.frank, lab.accounts.grace
    exercises.check_sponsored(small_game, frank, grace)
    small_game.add_data([0], 1, sender=frank)
    exercises.check_sponsored(small_game, frank, grace)
    small_game.add_data_for(small_game.sign_contribution([1], 0, frank), sender=grace)
    exercises.check_sponsored(small_game, frank, grace)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not yet: nothing is credited to frank yet")
    assert out[1].startswith("not yet: frank is credited, but grace did not submit it") and out[2] == "correct"


@pytest.fixture
def small_market(lab):
    """A finished prediction market on the four-word perceptron (weights 1e6, −1e6, 0, 0; intercept 0), fee
    10**15; the evaluation set is [0], [1], [2], [3] labelled 1, 0, 1, 0: margins 1e6, 1e6, 0, 0, so the
    margin scale is 1e6, the points 1,000 + 1,000 + 0 + 0 and the price 8 * 10**16 / (4,000 − 2,000) =
    4 * 10**13 wei per point. Alice's one contribution, [2] as 1, adds 1e6 to w2 and the intercept: [1]
    drops to 0 points and [3] to −1,000 while [2] rises to 1,000, so it scores −1,000 and is undone."""
    from dcai_lab.incentives.prediction_market import PredictionMarket
    from dcai_lab.models import SparsePerceptron

    market = lab.deploy(SparsePerceptron(n_features=4).fit([[0], [1]], [1, 0]),
                        PredictionMarket(min_stake=10**16, scoring_fee=10**15, participation_time=100, reveal_time=100))
    market.commit([[0], [1], [2], [3]] * 2, [1, 0, 1, 0] * 2, bounty=8 * 10**16, pieces=2, seed=1)
    market.reveal_chosen_piece()
    market.add_data([2], 1, sender=lab.accounts.alice, value=10**16)
    lab.time_travel(seconds=market.contract.participationEnd() - lab.timestamp)
    market.reveal_test_set()
    market.process()
    return market


def test_payout(small_market, capsys):
    assert small_market.scores() == [-1_000] and small_market.contract.pricePerPoint() == 4 * 10**13
    stake, at_risk = 2 * 10**16, 2 * 10**16 - 10**15
    right = at_risk + at_risk  # a score of 3,000 is worth 1.2 * 10**17 wei, capped at what is at risk
    for answer in (None, 0.038, stake + at_risk, at_risk + 3_000 * 4 * 10**13, right - 1, right):
        exercises.check_payout(small_market, stake, 3_000, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "not yet: set dave_withdraws to a whole number of wei."
    assert out[1].startswith("not yet: 0.038 is not a whole number")
    assert "forgets the scoring fee" in out[2] and "forgets the cap" in out[3]
    assert out[4].startswith(f"not yet: {right - 1:,} wei is not it") and out[5] == "correct"


def test_payout_of_a_loss(small_market, capsys):
    exercises.check_payout(small_market, 5 * 10**16, -100, 5 * 10**16 - 10**15 - 100 * 4 * 10**13)
    assert capsys.readouterr().out == "correct\n"


def test_drawn_piece(lab, small_market, capsys):
    block_hash = lab.w3.eth.get_block(small_market.contract.commitBlock())["hash"]
    right = int.from_bytes(block_hash, "big") % 6
    for answer in (None, (right + 1) % 6, right):
        exercises.check_drawn_piece(small_market, 6, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "not yet: set piece_of_6 to a piece index."
    assert out[1].startswith(f"not yet: piece {(right + 1) % 6} is not it") and out[2] == "correct"


def test_next_losers(small_market, capsys):
    # After the market (the model as it started): [1] as 1 moves w1 and the intercept by +1e6: [1] and
    # [3] go from 1,000 and 0 points to −1,000 each, [2] from 0 to 1,000 (−2,000, twice). [3] as 1
    # moves w3 and the intercept: [1] to 0, [2] to 1,000, [3] to −1,000 (−1,000). [3] as 0 and [0] as 1
    # are already predicted: no change (0). Three would lose; five score 0 or less; none would gain.
    X, y = [[1], [1], [3], [3], [0]], [1, 1, 1, 0, 1]
    for answer in (None, 5, 0, 2, 3):
        exercises.check_next_losers(small_market, X, y, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "not yet: set losers to a whole number: how many candidates would score below 0."
    assert "counts the scores of 0 too" in out[1] and "counts the ones that would gain" in out[2]
    assert out[3].startswith("not yet: 2 is not it;") and out[4] == "correct"


def test_usd_cost(lab, jar, capsys):
    from dcai_lab.gas.report import example_prices

    event = example_prices().loc["Ethereum, during an event (early 2026)"]
    gas = int(lab.gas.transactions().loc[1, "prague"])
    right = gas * 10.1 * 1e-9 * 2000
    for answer in (None, gas * 10 * 1e-9 * 2000, right * 1e9, right / 3, right):
        exercises.check_usd_cost(lab, 1, event, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not yet: set usd")
    assert "priority fee" in out[1] and "10⁹" in out[2] and out[3].startswith("not yet: $")
    assert out[4] == "correct"


def test_largest_estimate(capsys):
    found = {"largest": 10_000}
    for answer in (None, 8_000, 11_400):
        exercises.check_largest_estimate(found, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not yet") and out[1].startswith("not yet: 8,000 is more than 15%")
    assert out[2] == "correct"


def test_cheapest(capsys):
    import pandas as pd

    index = pd.MultiIndex.from_tuples([("A", "DepositRefundTake"), ("B", "DepositRefundTake"), ("A", "Points")],
                                      names=["model", "mechanism"])
    table = pd.DataFrame({"addData, label ≠ prediction": [300, 100, 1], "report": [10, 250, 1]}, index=index)
    for answer in (None, "C", "B", "A"):
        exercises.check_cheapest(table, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not yet") and "not one of the models" in out[1]
    assert out[2] == "not yet: B is not it: its contribution and take cost 350 gas; add the two columns for every " \
        "model under DepositRefundTake and take the smallest."
    assert out[3] == "correct"


def test_simulation_checks(capsys):
    from dcai_lab.simulation import attack, simulate

    result = simulate(attack("deposit-refund-take", samples=50, test_samples=100))
    takes = int(((result.timeline["agent"] == "alice") & (result.timeline["action"] == "take")).sum())
    exercises.check_alice_takes(result, None)
    exercises.check_alice_takes(result, takes + 1)
    exercises.check_alice_takes(result, takes)
    exercises.check_faster_attacker(None)
    exercises.check_faster_attacker(result)
    exercises.check_faster_attacker(simulate(attack("deposit-refund-take", samples=50, test_samples=100,
                                                    attacker_wait=20 * 60)))
    assert capsys.readouterr().out.splitlines() == [
        "not yet: set alice_takes to a number.",
        f"not yet: {takes + 1} is not it; select rows with agent == 'alice' and action == 'take', then count them.",
        "correct",
        "not yet: set faster to what simulate(...) returns.",
        "not yet: the attacker does not contribute every 20 minutes: pass attacker_wait=20 * 60 (seconds).",
        "correct",
    ]


# -- notebook 08: the notebook's own contract, compiler helper, deploy helper and twin ---------------

#: Cells of notebooks/08_bring_your_own.ipynb that define MAJORITY_VOTE, compile_source and
#: MajorityVoteTwin; the tests run them, so they test what the notebook teaches.
NOTEBOOK_08_DEFINITIONS = ("b8000003", "b8000005", "b8000027")


@pytest.fixture(scope="module")
def notebook_08():
    """The names notebook 08 defines, and its MajorityVote compiled as written and with a triple deposit."""
    from pathlib import Path

    import nbformat

    cells = nbformat.read(Path(__file__).parents[1] / "notebooks" / "08_bring_your_own.ipynb", as_version=4).cells
    names: dict = {}
    for cell in cells:
        if cell.id in NOTEBOOK_08_DEFINITIONS:
            exec(cell.source, names)
    source = names["MAJORITY_VOTE"]
    names["double"] = names["compile_source"](source, "MajorityVote.sol")["MajorityVote"]
    names["triple"] = names["compile_source"](source.replace("2 * baseDeposit", "3 * baseDeposit"),
                                              "MajorityVote.sol")["MajorityVote"]
    return names


@pytest.fixture
def vote(lab, notebook_08):
    """The notebook's majority vote with a few sentences on chain, and its twin trained alike."""
    vote = lab.deploy_contract(notebook_08["double"], 10**15, 86_400)
    twin = notebook_08["MajorityVoteTwin"](10**15)
    for words, label in [([1, 2, 3], 0), ([2, 3, 4], 0), ([3, 4, 5], 1)]:
        vote.addData(words, label, value=vote.depositFor(words, label), sender=lab.accounts.alice)
        twin.partial_fit(words, label)
    return vote, twin


def test_flips_needed(lab, vote, capsys):
    contract, twin = vote
    words, flips, paid = [2, 3, 9], 0, 0  # votes for 0: 2 + 2, for 1: 0 + 1 → predicts 0
    while twin.predict(words) != 1:
        paid, flips = paid + twin.deposit_for(words, 1), flips + 1
        twin.partial_fit(words, 1)
    assert flips > 1
    for answer in [(None, None), (flips - 1, paid), (flips, paid + 1), (flips, paid)]:
        exercises.check_flips_needed(lab, contract, words, *answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "not yet: set flips and mallory_pays to numbers."
    assert out[1].startswith(f"not yet: {flips - 1} contributions is not it")
    assert out[2].startswith(f"not yet: {paid + 1:,} wei is not it") and out[3] == "correct"
    assert contract.predict(words) == 0, "the check's own contributions were undone"


def test_triple_deposit(lab, notebook_08, vote, capsys):
    exercises.check_triple_deposit(lab, None)
    exercises.check_triple_deposit(lab, vote[0])
    mine = lab.deploy_contract(notebook_08["triple"], 10**15, 86_400)
    exercises.check_triple_deposit(lab, mine)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not yet: set mine")
    assert out[1] == "not yet: a disagreeing contribution pays 2,000,000,000,000,000 wei, 2 × baseDeposit; make it 3 ×."
    assert out[2] == "correct"
    assert len(lab.events("Contributed")) == 3, "the check's contributions were undone"


def test_per_new_word(lab, vote, capsys):
    contract = vote[0]
    fresh = [f for f in range(1000) if contract.votes(f, 0) == contract.votes(f, 1) == 0]
    gas = []
    for words in ([fresh[-2]], fresh[-2:]):  # other words than the check's: a byte or two of calldata differs
        with lab.anchor():
            contract.addData(words, 1, value=contract.depositFor(words, 1), sender=lab.accounts.bob)
            gas.append(lab.last_tx.gas_used)
    for answer in (None, 5_000, gas[1] - gas[0]):
        exercises.check_per_new_word(lab, contract, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not yet: set") and out[1].startswith("not yet: 5,000 gas is not it")
    assert out[2] == "correct"


def test_cheapest_question(capsys):
    import pandas as pd

    index = pd.MultiIndex.from_tuples([("text", "A"), ("text", "B"), ("pixels", "C")], names=["dataset", "model"])
    table = pd.DataFrame({"predict": [500, 40, 1]}, index=index)
    for answer in (None, "C", "A", "B"):
        exercises.check_cheapest_question(table, "text", answer)
    assert capsys.readouterr().out.splitlines() == [
        "not yet: set cheapest_question to a model's name, e.g. 'NaiveBayes'.",
        "not yet: 'C' is not one of the models on the text data: A, B.",
        "not yet: A is not it: its predict costs 500 gas; look at the 'predict' column of the text rows and take "
        "the smallest.",
        "correct",
    ]


def test_twin_follows(lab, capsys):
    from dcai_lab.incentives import DepositRefundTake
    from dcai_lab.models import NaiveBayes

    twin = NaiveBayes(n_features=4).fit([[0], [1], [2]], [0, 1, 2])
    trainer = lab.deploy(twin, DepositRefundTake(cost_weight=10**15))
    bob, x = lab.accounts.bob, [0, 3]
    exercises.check_twin_follows(trainer, twin, x, 0)
    trainer.add_data([1], 1, sender=bob)
    exercises.check_twin_follows(trainer, twin, x, 0)
    trainer.add_data(x, 2, sender=lab.accounts.alice)
    exercises.check_twin_follows(trainer, twin, x, 1)
    trainer.add_data(x, 2, sender=bob)
    exercises.check_twin_follows(trainer, twin, x, 2)
    twin.partial_fit([[1], x, x], [1, 2, 2])
    exercises.check_twin_follows(trainer, twin, x, 2)
    assert capsys.readouterr().out.splitlines() == [
        "not yet: the contract has no new contribution yet: call trainer.add_data(x, label, sender=bob).",
        "not yet: the last contribution is not X_test[0]: add that sample.",
        "not yet: the last contribution is not bob's: pass sender=bob.",
        "not yet: the twin no longer matches the contract: train it on the same sample and label with "
        "twin.partial_fit(X_test[0:1], y_test[0:1]), once.",
        "correct",
    ]


def test_public_words(lab, small_trainer, capsys):
    names = ["good", "bad", "movie", "plot"]
    bob = lab.accounts.bob
    small_trainer.add_data([1], 0, sender=lab.accounts.alice)
    small_trainer.add_data([0, 2, 3], 1, sender=bob)
    for answer in (None, {"good", "movie"}, {"bad"}, ["good", "movie", "plot"]):
        exercises.check_public_words(lab, names, bob, answer)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "not yet: set bobs_words to a set of words, e.g. {'good', 'movie'}."
    assert out[1].startswith("not yet: 1 of the words are missing")
    assert out[2].startswith("not yet: that is not the set of words of that contribution")
    assert out[3] == "correct"


def test_one_flip(lab, capsys):
    import numpy as np
    import scipy.sparse as sp

    from dcai_lab.incentives import DepositRefundTake
    from dcai_lab.models import SparsePerceptron

    # Weights (2, 0, -1, -1) and intercept 1: sentence [0, 1, 2, 3] scores 1 (one update flips it),
    # sentence [0] scores 3 (one update does not).
    twin = SparsePerceptron(n_features=4).fit([[0], [1, 2, 3], [0, 1], [1, 2], [1, 2, 3]], [1, 0, 1, 0, 0])
    trainer = lab.deploy(twin, DepositRefundTake(cost_weight=10**15))
    X_test = sp.csr_matrix(np.array([[1, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]))
    said = twin.predict(X_test[:3])
    y_test = np.array([said[0], said[1], 1 - said[2], 0])
    for answer in (None, 0, 3, 2, 1):
        exercises.check_one_flip(trainer, X_test, y_test, answer, shown=0)
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "not yet: set my_target to the index of a test sentence.",
        "not yet: that is mallory's target; find another one.",
        "not yet: 3 is not the index of a test sentence with at least one vocabulary word.",
        "not yet: the model already answers sentence 2 wrongly; pick one it answers right.",
    ]
    assert out[4].startswith("not yet: one contribution with the wrong label does not flip sentence 1")
    exercises.check_one_flip(trainer, X_test, y_test, 0, shown=1)
    assert capsys.readouterr().out == "correct\n"
