"""NearestCentroid: the contract and its twin agree exactly, and the model is as good as scikit-learn's."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.neighbors import NearestCentroid as SklearnNearestCentroid

from dcai_lab.datasets import load_digits
from dcai_lab.errors import ConfigError
from dcai_lab.models import SCALE, NearestCentroid
from dcai_lab.models._base import MARGIN_LIMIT
from dcai_lab.models.nearest_centroid import MAX_CLASS_COUNT

from .conftest import LAB_PROPERTY, Split, pack_values, with_parameters

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
# scikit-learn warns that some digit pixels never vary within a class; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:self.within_class_std_dev_:UserWarning")


def make_model(centroids, counts) -> NearestCentroid:
    """A twin with the given fixed-point centroids (one row per class) and class counts."""
    centroids = np.array(centroids, dtype=np.int64)
    return with_parameters(NearestCentroid(centroids.shape[1]), len(centroids),
                           centroids_=centroids, class_count_=counts)


@st.composite
def models(draw, max_features=5, max_classes=4):
    n_features = draw(st.integers(1, max_features))
    n_classes = draw(st.integers(2, max_classes))
    value = st.integers(-3 * SCALE, 3 * SCALE)
    centroids = [[draw(value) for _ in range(n_features)] for _ in range(n_classes)]
    counts = [draw(st.integers(0, 6)) for _ in range(n_classes)]
    return make_model(centroids, counts)


def samples(n_features: int):
    value = st.floats(-4, 4, allow_nan=False).map(lambda v: round(v, 3))
    return st.lists(value, min_size=n_features, max_size=n_features)


# -- the contract and the twin agree ---------------------------------------------------------------

@LAB_PROPERTY
@given(data=st.data())
def test_predictions_match_twin_on_random_models(checks, data):
    checks.random_predictions_agree(data, models(), samples, max_samples=4)


@LAB_PROPERTY
@given(data=st.data())
def test_assessments_match_twin_on_random_models(checks, data):
    checks.random_assessments_agree(data, models(), samples, max_samples=4)


@LAB_PROPERTY
@given(data=st.data())
def test_updates_leave_contract_and_twin_with_equal_parameters(checks, data):
    checks.random_updates_agree(data, models(), samples)


def test_larger_model_matches_twin_after_updates(lab, checks):
    rng = np.random.default_rng(7)
    model = NearestCentroid(37).fit(rng.normal(size=(40, 37)), np.arange(40) % 5)
    handle = lab.deploy(model)
    for x, label in zip(rng.normal(size=(8, 37)), rng.integers(0, 5, 8)):
        checks.update_both(handle, model, x, int(label))
    checks.assert_same_parameters(handle, model)
    checks.assert_predictions_agree(handle, model, rng.normal(size=(10, 37)))


def test_squared_distances_match_twin(lab):
    model = make_model([[SCALE, -2 * SCALE, 3], [0, 0, 0]], [1, 1])
    handle = lab.deploy(model)
    x = [0.5, 0.25, -1.0]
    sample = list(model.to_sample(x))
    assert [handle.contract.squaredDistance(pack_values(sample), c) for c in range(2)] == list(model.squared_distances([x])[0])


def test_extreme_values_neither_overflow_nor_lose_precision(lab, checks):
    model = make_model([[INT64_MAX, INT64_MIN, INT64_MAX, 0, INT64_MIN], [INT64_MIN, INT64_MAX, 0, 0, 1]], [3, 0])
    handle = lab.deploy(model)
    x = (INT64_MIN, INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN)
    assert handle.contract.squaredDistance(pack_values(x), 0) == model._squared_distances(x)[0]
    assert handle.contract.predict(pack_values(x)) == model._predict_sample(x)
    handle.contract.update(pack_values(x), 0)
    model._update_sample(x, 0)
    checks.assert_same_parameters(handle, model)


# -- the arithmetic, pinned ---------------------------------------------------------------------------

def test_tie_goes_to_the_lower_class(lab):
    model = make_model([[2 * SCALE, 0], [0, 0], [0, 0]], [1, 1, 1])
    handle = lab.deploy(model)
    assert handle.predict([0.0, 1.0]) == model.predict([[0.0, 1.0]])[0] == 1
    assert handle.predict([1.0, 0.0]) == model.predict([[1.0, 0.0]])[0] == 0


# -- how right it is ----------------------------------------------------------------------------------

def test_margin_is_the_nearest_other_distance_minus_the_labels_among_three_classes(lab, checks):
    model = make_model([[SCALE, -2 * SCALE], [0, 0], [3 * SCALE, SCALE]], [1, 2, 3])
    handle = lab.deploy(model)
    x = [0.5, -0.75]
    sample = pack_values(model.to_sample(x))
    distances = [handle.contract.squaredDistance(sample, c) for c in range(3)]
    checks.assert_margins_over_the_best_other(handle, model, x, [-d for d in distances])  # nearer is better


def test_equal_distances_have_margin_zero_and_the_lower_class_is_right(lab):
    model = make_model([[2 * SCALE, 0], [0, 0], [0, 0]], [1, 1, 1])
    handle = lab.deploy(model)
    assert handle.assess([0.0, 1.0], 1) == model.assess([[0.0, 1.0]], [1])[0] == (0, True)
    assert handle.assess([0.0, 1.0], 2) == model.assess([[0.0, 1.0]], [2])[0] == (0, False)


def test_a_margin_beyond_the_limit_is_clamped(lab):
    model = make_model([[INT64_MAX, INT64_MAX], [INT64_MIN, INT64_MIN]], [1, 1])
    handle = lab.deploy(model)
    x = (INT64_MIN, INT64_MIN)  # 2^129 from class 0, on class 1
    assert handle.contract.assess(pack_values(x), 1) == model._assess_sample(x, 1) == (MARGIN_LIMIT, True)
    assert handle.contract.assess(pack_values(x), 0) == model._assess_sample(x, 0) == (-MARGIN_LIMIT, False)


def test_update_truncates_the_step_toward_the_old_centroid(lab):
    model = make_model([[0, 0], [0, 0]], [1, 1])
    handle = lab.deploy(model)
    handle.contract.update(pack_values([-5, 5]), 0)  # steps −5/2 and 5/2 truncate to −2 and 2
    model._update_sample((-5, 5), 0)
    assert handle.local_model().centroids_[0].tolist() == model.centroids_[0].tolist() == [-2, 2]


def test_first_update_of_an_empty_class_makes_the_sample_its_centroid():
    model = make_model([[7, 7], [0, 0]], [0, 3])
    model.partial_fit([[1.5, -2.0]], [0])
    assert model.centroids_[0].tolist() == [1_500_000_000, -2_000_000_000]
    assert model.class_count_.tolist() == [1, 3]


def test_fit_rounds_each_mean_half_up():
    model = NearestCentroid(1).fit([[1e-9], [2e-9], [-1e-9], [-2e-9]], [0, 0, 1, 1])
    assert model.centroids_[:, 0].tolist() == [2, -1]  # 1.5 → 2 and −1.5 → −1
    assert model.class_count_.tolist() == [2, 2]


def test_samples_need_not_have_norm_one(lab):
    model = NearestCentroid(2).fit([[3.0, 4.0], [-30.0, 40.0]], [0, 1])
    handle = lab.deploy(model)
    handle.update([6.0, 8.0], 0)
    assert handle.local_model().centroids_[0].tolist() == [4_500_000_000, 6_000_000_000]


# -- input validation -------------------------------------------------------------------------------

@pytest.fixture
def deployed(lab):
    return lab.deploy(make_model([[0, 0, 0], [SCALE, SCALE, SCALE]], [1, 1]))


def test_wrong_length_is_explained_before_sending(checks, deployed):
    checks.assert_explained_before_sending(deployed.update, [1.0, 2.0], 0, match="vector of 3 values")
    checks.assert_explained_before_sending(deployed.predict, [1.0, 2.0, 3.0, 4.0], match="vector of 3 values")


def test_wrong_length_reverts_on_chain(checks, deployed):
    checks.reverts_on_chain(deployed.contract.update, pack_values([1, 2]), 0, error="WrongLength")
    checks.reverts_on_chain(deployed.contract.predict, pack_values([1, 2, 3, 4]), error="WrongLength")


def test_unknown_label_is_explained_before_sending(checks, deployed):
    checks.assert_explained_before_sending(deployed.update, [1.0, 2.0, 3.0], 2,
                                           match="label 2 is not one of this model's classes")


def test_unknown_label_reverts_on_chain(checks, deployed):
    checks.reverts_on_chain(deployed.contract.update, pack_values([1, 2, 3]), 2, error="UnknownLabel")


def test_only_the_owner_may_update(lab, checks, deployed):
    checks.reverts_on_chain(deployed.contract.update, pack_values([1, 2, 3]), 0, error="NotOwner", sender=lab.accounts.alice)


def test_parameters_cannot_be_loaded_after_initialisation(lab, deployed):
    with lab.reverts("AlreadyInitialised"):
        deployed.contract.setCentroidWords(0, [1])


def test_chunks_must_be_loaded_in_order(lab):
    contract = lab.deploy_contract("NearestCentroid", 3, [1, 1])
    with lab.reverts("ChunkOutOfOrder"):
        contract.setCentroidWords(1, [5])
    contract.setCentroidWords(0, [5])
    with lab.reverts("ChunkOutOfOrder"):
        contract.setCentroidWords(0, [5])


def test_chunk_past_the_end_reverts(lab):
    contract = lab.deploy_contract("NearestCentroid", 5, [1, 1])  # 2 words per class
    with lab.reverts("ChunkTooLong"):
        contract.setCentroidWords(0, [1, 2, 3, 4, 5])


def test_a_model_needs_two_classes(lab):
    with lab.reverts("TooFewClassesOrFeatures"):
        lab.deploy_contract("NearestCentroid", 3, [4])


def test_a_full_class_count_reverts_instead_of_wrapping(lab, checks):
    model = make_model([[0], [0]], [MAX_CLASS_COUNT, 0])
    checks.assert_both_refuse_update(lab.deploy(model), model, [1.0], 0, error="ClassCountFull",
                                     match="the most it can hold")


# -- scikit-learn --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    """The digits with pixel values scaled to 0 … 1."""
    data = load_digits()
    return Split(data.X_train / 16, data.y_train, data.X_test / 16, data.y_test)


def test_from_sklearn_quantises_the_centroids(digits):
    X_train, y_train, X_test, _ = digits
    estimator = SklearnNearestCentroid().fit(X_train, y_train)
    model = NearestCentroid.from_sklearn(estimator, class_counts=np.bincount(y_train))
    assert model.quantisation_error_ <= 0.5 / SCALE
    assert model.class_count_.tolist() == np.bincount(y_train).tolist()
    assert np.array_equal(model.predict(X_test), estimator.predict(X_test))


def test_from_sklearn_rejects_shrunk_centroids(digits):
    X_train, y_train, _, _ = digits
    estimator = SklearnNearestCentroid(shrink_threshold=0.2).fit(X_train, y_train)
    with pytest.raises(ConfigError, match="no shrink_threshold"):
        NearestCentroid.from_sklearn(estimator, class_counts=np.bincount(y_train))


def test_from_sklearn_needs_one_count_per_class(digits):
    X_train, y_train, _, _ = digits
    estimator = SklearnNearestCentroid().fit(X_train, y_train)
    with pytest.raises(ConfigError, match="class_counts must be 10 whole numbers"):
        NearestCentroid.from_sklearn(estimator, class_counts=[1, 2])


def test_digits_accuracy_matches_sklearn_and_chain_agrees(checks, digits):
    checks.assert_as_accurate_as_sklearn(NearestCentroid(64), SklearnNearestCentroid(), digits, on_chain=40)


def test_digits_trained_one_sample_at_a_time_stays_close_to_sklearn(digits):
    X_train, y_train, X_test, y_test = digits
    baseline = SklearnNearestCentroid().fit(X_train, y_train).score(X_test, y_test)
    model = NearestCentroid(64).partial_fit(X_train, y_train, classes=range(10))
    assert abs(model.score(X_test, y_test) - baseline) <= 0.01


# -- deployment ---------------------------------------------------------------------------------------

def test_1000_feature_model_deploys_in_transactions_under_the_cap(checks):
    rng = np.random.default_rng(3)
    model = NearestCentroid(1000).fit(rng.normal(size=(6, 1000)), [0, 1, 0, 1, 0, 1])
    handle, _ = checks.deploy_under_the_cap(model)
    checks.assert_same_parameters(handle, model)


def test_centroids_too_large_for_one_transaction_load_in_chunks(checks):
    rng = np.random.default_rng(4)
    model = make_model(rng.integers(INT64_MIN, INT64_MAX, size=(4, 1000)), [1, 2, 3, 4])  # 1,000 full words
    handle, deployment = checks.deploy_under_the_cap(model)
    assert len(deployment) > 3  # constructor, several chunks, finishInitialisation
    checks.assert_same_parameters(handle, model)
