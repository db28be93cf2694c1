"""SparsePerceptron: the contract and its twin agree exactly, training follows the documented rule
(weights AND intercept move, only on mistakes), limits revert instead of wrapping, and a model
converted from scikit-learn is as accurate on chain as in scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Perceptron

from dcai_lab.errors import ConfigError
from dcai_lab.models import SparsePerceptron
from dcai_lab.trainers.deployed_model import CHUNK_CALLDATA_LIMIT
from dcai_lab.models.sparse_perceptron import WEIGHT_SCALE
from dcai_lab.models._samples import pack_features

from .conftest import LAB_PROPERTY, sparse_samples, with_parameters

PROPERTY = settings(LAB_PROPERTY, max_examples=20)
INT32_MAX = 2**31 - 1
#: How many test reviews are predicted on chain (calls are ~50/s on pyevm); the twin does them all.
ON_CHAIN_SUBSET = 150


def make_model(weights, intercept: int = 0, learning_rate: float = 1.0) -> SparsePerceptron:
    """A twin with the given fixed-point weights and intercept (× WEIGHT_SCALE)."""
    return with_parameters(SparsePerceptron(len(weights), learning_rate=learning_rate), 2,
                           weights_=list(weights), intercept_=intercept)


@st.composite
def models(draw, max_features=12):
    """Random twins whose scores are often exactly zero (weights are multiples of half a unit)."""
    n_features = draw(st.integers(1, max_features))
    half_units = st.integers(-6, 6).map(lambda v: v * WEIGHT_SCALE // 2)
    weights = draw(st.lists(half_units | st.integers(-3 * WEIGHT_SCALE, 3 * WEIGHT_SCALE),
                            min_size=n_features, max_size=n_features))
    learning_rate = draw(st.sampled_from([1.0, 0.5, 2.0, 0.000123]))
    return make_model(weights, draw(half_units), learning_rate)


def words(model: SparsePerceptron):
    """The 8-weight groups that `setWeights` takes."""
    return model._initialisation()[0].items


@pytest.fixture(scope="module")
def sentiment(sentiment_split):
    """Sentiment data and a scikit-learn Perceptron fitted on it (reviews with no vocabulary word dropped)."""
    X_train, y_train, X_test, y_test = sentiment_split
    return Perceptron(random_state=0).fit(X_train, y_train), X_test, y_test


# -- the contract and the twin agree ---------------------------------------------------------------

@PROPERTY
@given(data=st.data())
def test_predictions_match_twin_on_random_models(checks, data):
    checks.random_predictions_agree(data, models(), sparse_samples, max_samples=5)


@PROPERTY
@given(data=st.data())
def test_updates_leave_contract_and_twin_with_equal_parameters(checks, data):
    checks.random_updates_agree(data, models(), sparse_samples, also=("learning_rate",), mistake_driven=True)


@PROPERTY
@given(data=st.data())
def test_assessments_match_twin_on_random_models(checks, data):
    checks.random_assessments_agree(data, models(), sparse_samples, max_samples=5)


def test_margin_is_the_score_signed_towards_the_label(lab):
    model = make_model([WEIGHT_SCALE, -3 * WEIGHT_SCALE, 2 * WEIGHT_SCALE], intercept=WEIGHT_SCALE // 2)
    handle = lab.deploy(model)
    # score of [0, 2]: 0.5 + 1 + 2 = 3.5; of [1]: 0.5 - 3 = -2.5
    expected = [([0, 2], 1, (3_500_000, True)), ([0, 2], 0, (-3_500_000, False)),
                ([1], 0, (2_500_000, True)), ([1], 1, (-2_500_000, False))]
    for x, label, assessment in expected:
        assert handle.assess(x, label) == model.assess([x], [label])[0] == assessment


def test_a_score_of_exactly_zero_has_margin_zero_and_is_right_only_for_class_zero(lab):
    model = make_model([WEIGHT_SCALE, -WEIGHT_SCALE, 0], intercept=0)
    handle = lab.deploy(model)
    assert handle.assess([0, 1], 0) == model.assess([[0, 1]], [0])[0] == (0, True)
    assert handle.assess([0, 1], 1) == model.assess([[0, 1]], [1])[0] == (0, False)


def test_larger_model_matches_twin_after_updates(lab, checks):
    rng = np.random.default_rng(3)
    model = make_model([int(v) for v in rng.integers(-2 * WEIGHT_SCALE, 2 * WEIGHT_SCALE, 1000)], 250_000)
    handle = lab.deploy(model)
    for _ in range(8):
        x = sorted(int(i) for i in rng.choice(1000, 50, replace=False))
        checks.update_both(handle, model, x, 1 - handle.predict(x))  # a mistake, so that the model changes
    checks.assert_same_parameters(handle, model)
    checks.assert_predictions_agree(handle, model, [sorted(int(i) for i in rng.choice(1000, 40, replace=False))
                                                    for _ in range(10)])


def test_fit_and_partial_fit_passes_give_the_same_model():
    X = [[0, 1], [1, 2], [0, 2], [2]]
    y = [1, 0, 1, 0]
    fitted = SparsePerceptron(3, max_iter=2).fit(X, y)
    trained = SparsePerceptron(3).partial_fit(X, y).partial_fit(X, y)
    assert (fitted.weights_, fitted.intercept_) == (trained.weights_, trained.intercept_)


# -- the training rule ---------------------------------------------------------------------------

def test_score_of_exactly_zero_predicts_class_zero(lab):
    model = make_model([WEIGHT_SCALE, -WEIGHT_SCALE, 0], intercept=0)
    handle = lab.deploy(model)
    assert handle.predict([0, 1]) == model.predict([[0, 1]])[0] == 0
    assert handle.predict([0]) == 1


def test_a_right_prediction_changes_nothing(lab):
    model = make_model([WEIGHT_SCALE, 0, 0], intercept=0)
    handle = lab.deploy(model)
    handle.update([0, 2], 1)
    chain = handle.local_model()
    assert (chain.weights_, chain.intercept_) == ([WEIGHT_SCALE, 0, 0], 0)


def test_a_mistake_moves_present_weights_and_the_intercept_by_the_learning_rate(lab):
    # The reference never moved the intercept; here it moves with the weights.
    model = make_model([0, 0, 0, 0], intercept=0, learning_rate=0.25)
    handle = lab.deploy(model)
    handle.update([1, 3], 1)
    chain = handle.local_model()
    assert chain.weights_ == [0, 250_000, 0, 250_000]
    assert chain.intercept_ == 250_000
    handle.update([0, 1, 2, 3], 0)
    chain = handle.local_model()
    assert chain.weights_ == [-250_000, 0, -250_000, 0]
    assert chain.intercept_ == 0


def test_features_sharing_a_storage_word_all_move(lab):
    # 0 … 7 share word 0, 8 starts word 1: the word-at-a-time update must not drop any of them.
    model = make_model([0] * 20, intercept=-1)
    handle = lab.deploy(model)
    x = [0, 3, 7, 8, 15, 16, 19]
    handle.update(x, 1)
    assert [f for f, w in enumerate(handle.local_model().weights_) if w == WEIGHT_SCALE] == x


# -- limits: revert, never wrap ------------------------------------------------------------------

def test_weight_leaving_int32_reverts_and_twin_refuses(lab, checks):
    model = make_model([INT32_MAX - 10, 5], intercept=-(2**62))
    handle = lab.deploy(model)
    caught = checks.assert_both_refuse_update(handle, model, [0, 1], 1, error="WeightOutOfRange",
                                              match="WeightOutOfRange")
    assert caught.error_args == {"feature": 0, "weightScaled": INT32_MAX - 10 + WEIGHT_SCALE}
    assert (model.weights_, model.intercept_) == ([INT32_MAX - 10, 5], -(2**62))


def test_weight_falling_below_int32_reverts_and_twin_refuses(lab, checks):
    model = make_model([3, -(2**31) + 10], intercept=2**62)
    checks.assert_both_refuse_update(lab.deploy(model), model, [0, 1], 0, error="WeightOutOfRange",
                                     match="WeightOutOfRange")


@pytest.mark.parametrize("learning_rate", [0, -1.0, 2148.0])
def test_learning_rate_outside_its_range_is_refused(learning_rate):
    with pytest.raises(ConfigError, match="learning_rate"):
        SparsePerceptron(4, learning_rate=learning_rate).fit([[0]], [1])


@pytest.mark.parametrize("learning_rate_scaled", [0, -5, 2**31])
def test_contract_refuses_a_learning_rate_outside_its_range(lab, learning_rate_scaled):
    with lab.reverts("InvalidLearningRate"):
        lab.deploy_contract("SparsePerceptron", 4, learning_rate_scaled, 0)


# -- input validation: Python explains first, the contract reverts anyway -----------------------

@pytest.fixture
def deployed(lab):
    return lab.deploy(make_model([WEIGHT_SCALE, -WEIGHT_SCALE, 0, 2 * WEIGHT_SCALE, 0]))


@pytest.mark.parametrize(("x", "label", "match"), [
    ([0, 5], 1, "out of range"),
    ([], 1, "empty"),
    ([1, 1], 1, "twice"),
    (np.ones(6), 1, "vector of 5"),
    ([0, 1], 2, "label 2"),
])
def test_bad_input_is_explained_before_sending(checks, deployed, x, label, match):
    checks.assert_explained_before_sending(deployed.update, x, label, match=match)


@pytest.mark.parametrize(("x", "label", "error"), [
    ([0, 5], 1, "FeatureOutOfRange"),
    ([], 1, "EmptySample"),
    ([3, 1], 1, "FeaturesNotIncreasing"),
    ([1, 1], 1, "FeaturesNotIncreasing"),
    ([0, 1], 2, "UnknownLabel"),
])
def test_bad_input_sent_straight_to_the_contract_reverts(checks, deployed, x, label, error):
    checks.reverts_on_chain(deployed.contract.update, pack_features(x), label, error=error)


@pytest.mark.parametrize(("x", "error"), [([0, 5], "FeatureOutOfRange"), ([], "EmptySample"),
                                          ([2, 1], "FeaturesNotIncreasing")])
def test_bad_input_to_predict_reverts(checks, deployed, x, error):
    checks.reverts_on_chain(deployed.contract.predict, pack_features(x), error=error)


@pytest.mark.parametrize("raw", [b"\x00\x00\x01", pack_features([0, 1]) + b"\x02", pack_features(range(6))])
def test_a_sample_that_is_not_whole_indices_or_longer_than_the_vocabulary_is_malformed(checks, deployed, raw):
    checks.reverts_on_chain(deployed.contract.predict, raw, error="MalformedSample")


def test_only_the_owner_may_train(lab, deployed):
    with lab.reverts("NotOwner"):
        deployed.update([0], 0, sender=lab.accounts.alice)


def test_reading_weights_past_the_last_feature_reverts(lab, deployed):
    with lab.reverts("ChunkTooLong"):
        deployed.contract.weights(3, 3)


# -- deployment in chunks ------------------------------------------------------------------------

def test_thousand_feature_model_deploys_with_every_transaction_under_the_cap(checks):
    rng = np.random.default_rng(5)
    model = make_model([int(v) for v in rng.integers(-WEIGHT_SCALE, WEIGHT_SCALE, 1000)], -123_456)
    handle, deployment = checks.deploy_under_the_cap(model)
    assert sum(tx.gas_used for tx in deployment) < 5_000_000
    checks.assert_same_parameters(handle, model)


def test_model_loaded_in_many_chunks_equals_the_twin(checks):
    model = make_model([(-1) ** f * f * 1000 for f in range(100)], 7)
    model.gas_per_word = 2_000_000  # pretend words are expensive: 8 words per transaction
    handle, deployment = checks.deploy_under_the_cap(model)
    assert [tx.method for tx in deployment].count("setWeights") == 2
    checks.assert_same_parameters(handle, model)


def test_a_wide_model_loads_in_chunks_that_public_nodes_relay(lab):
    """24,000 weights would fit two transactions by gas, but each chunk's calldata would pass the
    131,072 bytes public nodes relay; chunks are cut by both."""
    model = make_model([(f % 7) * WEIGHT_SCALE for f in range(24_000)], 0)
    before = len(lab.transactions)
    handle = lab.deploy(model)
    sent = [len(record.data) for record in lab.transactions[before:]]
    assert len(sent) > 3 and max(sent[1:]) <= CHUNK_CALLDATA_LIMIT < 131_072  # the creation aside
    assert max(sent[1:]) > CHUNK_CALLDATA_LIMIT * 0.9  # chunks are as large as the limit allows
    assert handle.local_model().weights_ == model.weights_


def test_chunk_not_starting_where_the_last_ended_reverts(lab):
    model = make_model(list(range(1, 33)))
    contract = lab.deploy_contract("SparsePerceptron", *model._constructor_args())
    contract.setWeights(0, words(model)[:2])
    with lab.reverts("ChunkOutOfOrder"):
        contract.setWeights(1, words(model)[1:])


def test_chunk_past_the_last_word_reverts(lab):
    model = make_model(list(range(1, 17)))
    contract = lab.deploy_contract("SparsePerceptron", *model._constructor_args())
    with lab.reverts("ChunkTooLong"):
        contract.setWeights(0, words(model) + [[0] * 8])


def test_weights_are_frozen_after_initialisation(lab, deployed):
    with lab.reverts("AlreadyInitialised"):
        deployed.contract.setWeights(1, [[0] * 8])


# -- gas -----------------------------------------------------------------------------------------

def test_update_of_fifty_features_stays_within_its_gas_budget(lab):
    model = make_model([(-1) ** f * 1000 for f in range(1000)])
    handle = lab.deploy(model)
    # 50 features in 50 different storage words, the worst case: every word is read cold (2,100 gas)
    # and, when the model changes, rewritten (2,900 gas).
    x = list(range(3, 1000, 20))
    agreeing = handle.update(x, handle.predict(x)).gas_used
    changing = handle.update(x, 1 - handle.predict(x)).gas_used
    assert agreeing < 160_000
    assert changing < 330_000


# -- scikit-learn --------------------------------------------------------------------------------

def test_from_sklearn_quantises_weights_and_reports_the_error():
    estimator = Perceptron(random_state=0).fit([[1, 0, 1], [0, 1, 0], [1, 1, 0]], [1, 0, 1])
    estimator.coef_ = np.array([[0.1234567, -2.0, 3.5]])
    estimator.intercept_ = np.array([-0.25])
    model = SparsePerceptron.from_sklearn(estimator)
    assert model.weights_ == [123_457, -2_000_000, 3_500_000]
    assert model.intercept_ == -250_000
    assert model.quantisation_error_ == pytest.approx(3e-7)


def test_from_sklearn_refuses_more_than_two_classes():
    estimator = Perceptron().fit([[1, 0], [0, 1], [1, 1]], [0, 1, 2])
    with pytest.raises(ConfigError, match="binary"):
        SparsePerceptron.from_sklearn(estimator)


def test_twin_accuracy_on_sentiment_is_within_a_point_of_sklearn_and_the_chain_agrees_on_a_subset(lab, checks, sentiment):
    estimator, X_test, y_test = sentiment
    model = SparsePerceptron.from_sklearn(estimator)
    checks.assert_predictions_agree(lab.deploy(model), model, X_test[:ON_CHAIN_SUBSET])
    accuracy = model.score(X_test, y_test)
    assert abs(accuracy - estimator.score(X_test, y_test)) <= 0.01
    assert accuracy > 0.74
