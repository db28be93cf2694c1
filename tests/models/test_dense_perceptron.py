"""DensePerceptron: the contract and its twin agree exactly (including the rounding of a training
step), the intercept counts at the right scale, limits revert instead of wrapping, and a model
converted from scikit-learn is as accurate on chain as in scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Perceptron
from sklearn.preprocessing import StandardScaler

from dcai_lab.datasets import load_breast_cancer
from dcai_lab.errors import ConfigError
from dcai_lab.models import SCALE, DensePerceptron
from dcai_lab.models._base import MARGIN_LIMIT
from dcai_lab.models._perceptron import WEIGHT_SCALE

from .conftest import LAB_PROPERTY, pack_values, with_parameters

PROPERTY = settings(LAB_PROPERTY, max_examples=20)
INT64_MAX = 2**63 - 1


def make_model(weights, intercept: int = 0, learning_rate: float = 1.0) -> DensePerceptron:
    """A twin with the given fixed-point weights and intercept (× WEIGHT_SCALE)."""
    return with_parameters(DensePerceptron(len(weights), learning_rate=learning_rate), 2,
                           weights_=list(weights), intercept_=intercept)


@st.composite
def models(draw, max_features=6):
    n_features = draw(st.integers(1, max_features))
    weights = draw(st.lists(st.integers(-5 * WEIGHT_SCALE, 5 * WEIGHT_SCALE), min_size=n_features, max_size=n_features))
    intercept = draw(st.integers(-3, 3).map(lambda v: v * WEIGHT_SCALE // 2))
    learning_rate = draw(st.sampled_from([1.0, 0.1, 3.0, 0.000007]))
    return make_model(weights, intercept, learning_rate)


def samples(n_features: int):
    """Real-valued vectors, with exact zeros and values that do not divide evenly."""
    value = st.sampled_from([0.0, 1.0, -1.0]) | st.floats(-8, 8, allow_nan=False, allow_subnormal=False)
    return st.lists(value, min_size=n_features, max_size=n_features)


@pytest.fixture(scope="module")
def breast_cancer():
    """Standardised breast-cancer data (training mean and std) and a scikit-learn Perceptron fitted on it."""
    data = load_breast_cancer()
    scaler = StandardScaler().fit(data.X_train)
    X_train, X_test = scaler.transform(data.X_train), scaler.transform(data.X_test)
    return Perceptron(random_state=0).fit(X_train, data.y_train), X_test, data.y_test


# -- the contract and the twin agree ---------------------------------------------------------------

@PROPERTY
@given(data=st.data())
def test_predictions_match_twin_on_random_models(checks, data):
    checks.random_predictions_agree(data, models(), samples, max_samples=5)


@PROPERTY
@given(data=st.data())
def test_updates_leave_contract_and_twin_with_equal_parameters(checks, data):
    checks.random_updates_agree(data, models(), samples, also=("learning_rate",), mistake_driven=True)


@PROPERTY
@given(data=st.data())
def test_assessments_match_twin_on_random_models(checks, data):
    checks.random_assessments_agree(data, models(), samples, max_samples=5)


def test_margin_is_the_exact_score_signed_towards_the_label(lab):
    model = make_model([WEIGHT_SCALE, 2 * WEIGHT_SCALE], intercept=-WEIGHT_SCALE)
    handle = lab.deploy(model)
    # score of [2, 0.25] at WEIGHT_SCALE·SCALE: (-1 + 2 + 0.5) · 1e15
    assert handle.assess([2.0, 0.25], 1) == model.assess([[2.0, 0.25]], [1])[0] == (1_500_000 * SCALE, True)
    assert handle.assess([2.0, 0.25], 0) == model.assess([[2.0, 0.25]], [0])[0] == (-1_500_000 * SCALE, False)


def test_a_score_of_exactly_zero_has_margin_zero_and_is_right_only_for_class_zero(lab):
    model = make_model([WEIGHT_SCALE, 2 * WEIGHT_SCALE], intercept=0)
    handle = lab.deploy(model)
    assert handle.assess([2.0, -1.0], 0) == model.assess([[2.0, -1.0]], [0])[0] == (0, True)
    assert handle.assess([2.0, -1.0], 1) == model.assess([[2.0, -1.0]], [1])[0] == (0, False)


def test_a_score_beyond_the_margin_limit_is_clamped(lab):
    model = make_model([INT64_MAX] * 8)
    handle = lab.deploy(model)
    x = [9e9] * 8  # each product near 2^126: the score is near 2^129
    assert model._score(model.to_sample(x)) > MARGIN_LIMIT
    assert handle.assess(x, 1) == model.assess([x], [1])[0] == (MARGIN_LIMIT, True)
    assert handle.assess(x, 0) == model.assess([x], [0])[0] == (-MARGIN_LIMIT, False)


def test_larger_model_matches_twin_after_updates(lab, checks):
    rng = np.random.default_rng(11)
    model = make_model([int(v) for v in rng.integers(-WEIGHT_SCALE, WEIGHT_SCALE, 70)], 100_000, learning_rate=0.3)
    handle = lab.deploy(model)
    for _ in range(6):
        x = rng.normal(0, 2, 70)
        checks.update_both(handle, model, x, 1 - handle.predict(x))  # a mistake, so that the model changes
    checks.assert_same_parameters(handle, model, also=("learning_rate",))
    checks.assert_predictions_agree(handle, model, rng.normal(0, 2, (10, 70)))


# -- the arithmetic --------------------------------------------------------------------------------

def test_intercept_counts_at_the_scale_of_the_weighted_sum(lab):
    # score = -0.5 + 1.0·x: the reference added the intercept 1e9 times too small and said 1 for both.
    handle = lab.deploy(make_model([WEIGHT_SCALE], intercept=-WEIGHT_SCALE // 2))
    assert [handle.predict([0.6]), handle.predict([0.4])] == [1, 0]


def test_score_of_exactly_zero_predicts_class_zero(lab):
    model = make_model([WEIGHT_SCALE, 2 * WEIGHT_SCALE], intercept=0)
    handle = lab.deploy(model)
    assert handle.predict([2.0, -1.0]) == model.predict([[2.0, -1.0]])[0] == 0
    assert handle.predict([2.0, -0.999]) == 1


def test_training_step_is_truncated_toward_zero(lab):
    # learning_rate·x = 1.000001 × -1.5 = -1.5000015 → -1.500001 (truncated), where a floor gives -1.500002.
    model = make_model([0, 0], intercept=-1, learning_rate=1.000001)
    handle = lab.deploy(model)
    handle.update([-1.5, 0.0], 1)
    model.partial_fit([[-1.5, 0.0]], [1])
    assert handle.local_model().weights_ == model.weights_ == [-1_500_001, 0]


def test_a_mistake_moves_weights_by_learning_rate_times_x_and_the_intercept_by_the_learning_rate(lab):
    handle = lab.deploy(make_model([0, 0, 0], intercept=0, learning_rate=0.5))
    handle.update([3.0, -4.0, 0.0], 1)  # norm 5: samples need not be normalised
    chain = handle.local_model()
    assert chain.weights_ == [1_500_000, -2_000_000, 0]
    assert chain.intercept_ == 500_000


def test_a_right_prediction_changes_nothing(lab):
    handle = lab.deploy(make_model([WEIGHT_SCALE, 0], intercept=0))
    handle.update([1.0, 5.0], 1)
    chain = handle.local_model()
    assert (chain.weights_, chain.intercept_) == ([WEIGHT_SCALE, 0], 0)


def test_twin_converts_real_inputs_like_the_contract_expects():
    model = make_model([WEIGHT_SCALE])
    assert model.to_sample([0.25]) == (SCALE // 4,)


# -- limits: revert, never wrap ------------------------------------------------------------------

def test_weight_leaving_int64_reverts_and_twin_refuses(lab, checks):
    model = make_model([INT64_MAX - 10, 0], intercept=-(2**63))
    caught = checks.assert_both_refuse_update(lab.deploy(model), model, [1.0, 0.0], 1, error="WeightOutOfRange",
                                              match="WeightOutOfRange")
    assert caught.error_args == {"feature": 0, "weightScaled": INT64_MAX - 10 + WEIGHT_SCALE}
    assert model.weights_ == [INT64_MAX - 10, 0]


def test_intercept_leaving_int64_reverts_and_twin_refuses(lab, checks):
    model = make_model([-INT64_MAX], intercept=INT64_MAX - 10)
    checks.assert_both_refuse_update(lab.deploy(model), model, [2.0], 1, error="InterceptOutOfRange",
                                     match="InterceptOutOfRange")
    assert (model.weights_, model.intercept_) == ([-INT64_MAX], INT64_MAX - 10)


@pytest.mark.parametrize("learning_rate_scaled", [0, -5, 2**63])
def test_contract_refuses_a_learning_rate_outside_its_range(lab, learning_rate_scaled):
    with lab.reverts("InvalidLearningRate"):
        lab.deploy_contract("DensePerceptron", 4, learning_rate_scaled, 0)


def test_twin_refuses_a_non_positive_learning_rate():
    with pytest.raises(ConfigError, match="learning_rate"):
        DensePerceptron(2, learning_rate=0).fit([[1.0, 2.0]], [1])


# -- input validation: Python explains first, the contract reverts anyway -----------------------

@pytest.fixture
def deployed(lab):
    return lab.deploy(make_model([WEIGHT_SCALE, -WEIGHT_SCALE, 0]))


@pytest.mark.parametrize(("x", "label", "match"), [
    ([1.0, 2.0], 1, "vector of 3"),
    ([1.0, float("nan"), 2.0], 1, "NaN"),
    ([1e10, 0.0, 0.0], 1, "within"),
    ([1.0, 2.0, 3.0], 2, "label 2"),
])
def test_bad_input_is_explained_before_sending(checks, deployed, x, label, match):
    checks.assert_explained_before_sending(deployed.update, x, label, match=match)


@pytest.mark.parametrize(("x", "label", "error"), [
    ([SCALE, 2 * SCALE], 1, "WrongLength"),
    ([], 1, "WrongLength"),
    ([SCALE, 0, 0], 2, "UnknownLabel"),
])
def test_bad_input_sent_straight_to_the_contract_reverts(checks, deployed, x, label, error):
    checks.reverts_on_chain(deployed.contract.update, pack_values(x), label, error=error)


def test_a_sample_that_is_not_whole_int64_values_is_malformed(checks, deployed):
    checks.reverts_on_chain(deployed.contract.predict, pack_values([SCALE] * 3) + b"\x01", error="MalformedSample")


def test_wrong_length_to_predict_reverts(checks, deployed):
    checks.reverts_on_chain(deployed.contract.predict, pack_values([SCALE] * 4), error="WrongLength")


def test_only_the_owner_may_train(lab, deployed):
    with lab.reverts("NotOwner"):
        deployed.update([1.0, 1.0, 1.0], 0, sender=lab.accounts.alice)


# -- deployment in chunks ------------------------------------------------------------------------

def test_thousand_feature_model_deploys_with_every_transaction_under_the_cap(checks):
    rng = np.random.default_rng(5)
    model = make_model([int(v) for v in rng.integers(-10 * WEIGHT_SCALE, 10 * WEIGHT_SCALE, 1000)], -123_456)
    handle, _ = checks.deploy_under_the_cap(model)
    checks.assert_same_parameters(handle, model)
    checks.assert_predictions_agree(handle, model, [rng.normal(0, 1, 1000)])


def test_model_loaded_in_many_chunks_equals_the_twin(checks):
    model = make_model([(-1) ** i * i * 1000 for i in range(50)], 7)
    model.gas_per_word = 2_000_000  # pretend words are expensive: 8 words per transaction
    handle, deployment = checks.deploy_under_the_cap(model)
    assert [tx.method for tx in deployment].count("setWeights") == 2
    checks.assert_same_parameters(handle, model)


def test_chunk_not_starting_where_the_last_ended_reverts(lab):
    model = make_model(list(range(1, 13)))
    words = model._initialisation()[0].items
    contract = lab.deploy_contract("DensePerceptron", *model._constructor_args())
    contract.setWeights(0, words[:1])
    with lab.reverts("ChunkOutOfOrder"):
        contract.setWeights(2, words[2:])


# -- scikit-learn --------------------------------------------------------------------------------

def test_from_sklearn_quantises_weights_and_reports_the_error():
    estimator = Perceptron(random_state=0).fit([[1.0, 0.0], [0.0, 1.0]], [1, 0])
    estimator.coef_ = np.array([[0.1234567, -2.0]])
    estimator.intercept_ = np.array([0.75])
    model = DensePerceptron.from_sklearn(estimator)
    assert model.weights_ == [123_457, -2_000_000]
    assert model.intercept_ == 750_000
    assert model.quantisation_error_ == pytest.approx(3e-7)


def test_breast_cancer_accuracy_on_chain_is_within_a_point_of_sklearn(lab, checks, breast_cancer):
    estimator, X_test, y_test = breast_cancer
    model = DensePerceptron.from_sklearn(estimator)
    checks.assert_predictions_agree(lab.deploy(model), model, X_test)
    accuracy = model.score(X_test, y_test)
    assert abs(accuracy - estimator.score(X_test, y_test)) <= 0.01
    assert accuracy > 0.9
