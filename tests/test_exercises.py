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
        "not yet: the model still predicts 0; call model.update(features, 1) — maybe twice.", "correct"]
