"""SparseNearestCentroid: the contract and its twin agree exactly, and it is as good as scikit-learn's."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.neighbors import NearestCentroid as SklearnNearestCentroid

from dcai_lab.datasets import load_digits
from dcai_lab.errors import ConfigError
from dcai_lab.models import SparseNearestCentroid
from dcai_lab.models.sparse_nearest_centroid import MAX_CLASS_COUNT
from dcai_lab.models._samples import pack_features

from .conftest import LAB_PROPERTY, count_tables, sparse_samples, with_parameters

# scikit-learn warns that some features never vary within a class; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:self.within_class_std_dev_:UserWarning")


def make_model(feature_counts, class_counts) -> SparseNearestCentroid:
    """A twin with the given counts (one row of feature counts per class), Σ count² derived."""
    feature_counts = np.array(feature_counts, dtype=np.int64)
    return with_parameters(SparseNearestCentroid(feature_counts.shape[1]), len(feature_counts),
                           feature_count_=feature_counts, class_count_=class_counts,
                           sum_squared_counts_=[sum(int(c) ** 2 for c in row) for row in feature_counts])


def models():
    """Random twins with 2 … 10 classes."""
    return count_tables(max_features=6, max_classes=10, max_class_count=5).map(lambda tables: make_model(*tables))


# -- the contract and the twin agree ---------------------------------------------------------------

@LAB_PROPERTY
@given(data=st.data())
def test_predictions_match_twin_on_random_models(checks, data):
    checks.random_predictions_agree(data, models(), sparse_samples, max_samples=4)


@LAB_PROPERTY
@given(data=st.data())
def test_assessments_match_twin_on_random_models(checks, data):
    checks.random_assessments_agree(data, models(), sparse_samples, max_samples=4)


@LAB_PROPERTY
@given(data=st.data())
def test_updates_leave_contract_and_twin_with_equal_parameters(checks, data):
    checks.random_updates_agree(data, models(), sparse_samples)


def test_larger_model_matches_twin_after_updates(lab, checks):
    rng = np.random.default_rng(11)
    X = (rng.random((60, 150)) < 0.1).astype(int)
    X[:, 0] = 1
    model = SparseNearestCentroid(150).fit(X, np.arange(60) % 10)
    handle = lab.deploy(model)
    for label in rng.integers(0, 10, 6):
        checks.update_both(handle, model, sorted(rng.choice(150, 12, replace=False).tolist()), int(label))
    checks.assert_same_parameters(handle, model)
    checks.assert_predictions_agree(handle, model, [sorted(rng.choice(150, 15, replace=False).tolist())
                                                    for _ in range(10)])


def test_squared_distance_is_the_exact_fraction(lab):
    model = make_model([[1, 2, 0], [3, 0, 3]], [3, 4])
    handle = lab.deploy(model)
    distances = [Fraction(*handle.contract.squaredDistance(pack_features([0, 2]), c)) for c in range(2)]
    # centroids (1/3, 2/3, 0) and (3/4, 0, 3/4): (2/3)² + (2/3)² + 1² = 17/9 and (1/4)² + (1/4)² = 1/8
    assert distances == list(model.squared_distances([[0, 2]])[0]) == [Fraction(17, 9), Fraction(1, 8)]


def test_extreme_counts_neither_overflow_nor_lose_precision(lab, checks):
    top = MAX_CLASS_COUNT
    model = make_model([[top, top - 1, 0, 1], [0, 1, top - 1, top - 1]], [top, top - 1])
    handle = lab.deploy(model)
    x = [0, 2, 3]
    assert [Fraction(*handle.contract.squaredDistance(pack_features(x), c)) for c in range(2)] == list(model.squared_distances([x])[0])
    assert handle.predict(x) == model.predict([x])[0]
    checks.update_both(handle, model, x, 1)
    checks.assert_same_parameters(handle, model)


def test_fit_and_partial_fit_give_the_same_counts():
    X = [[0, 1], [1, 2], [0, 2], [2]]
    y = [0, 1, 1, 0]
    fitted = SparseNearestCentroid(3).fit(X, y)
    trained = SparseNearestCentroid(3).partial_fit(X, y)
    assert fitted.feature_count_.tolist() == trained.feature_count_.tolist() == [[1, 1, 1], [1, 1, 2]]
    assert list(fitted.sum_squared_counts_) == list(trained.sum_squared_counts_) == [3, 6]


# -- the arithmetic, pinned ---------------------------------------------------------------------------

def test_equal_centroids_over_different_counts_tie_to_the_lower_class(lab):
    # 1/2 and 2/4: the same centroid, so an exact tie that fixed point could have broken either way.
    model = make_model([[1, 0], [2, 0], [0, 1]], [2, 4, 1])
    handle = lab.deploy(model)
    assert handle.predict([0]) == model.predict([[0]])[0] == 0
    assert handle.predict([1]) == model.predict([[1]])[0] == 2


# -- how right it is ----------------------------------------------------------------------------------

def test_margin_is_the_nearest_other_rounded_distance_minus_the_labels_among_three_classes(lab, checks):
    model = make_model([[1, 2, 0], [3, 0, 3], [0, 1, 1]], [3, 4, 2])
    handle = lab.deploy(model)
    x = [0, 2]
    distances = [handle.contract.squaredDistance(pack_features(x), c) for c in range(3)]
    rounded = [numerator * 2**32 // denominator for numerator, denominator in distances]
    checks.assert_margins_over_the_best_other(handle, model, x, [-d for d in rounded])  # nearer is better


def test_an_exact_tie_has_margin_zero_and_the_lower_class_is_right(lab):
    model = make_model([[1, 0], [2, 0], [0, 1]], [2, 4, 1])  # centroids 1/2 and 2/4: equal
    handle = lab.deploy(model)
    assert handle.assess([0], 0) == model.assess([[0]], [0])[0] == (0, True)
    assert handle.assess([0], 1) == model.assess([[0]], [1])[0] == (0, False)


def test_right_comes_from_the_exact_distances_not_the_rounded_margin(lab):
    # Class 0 is 1 + 2^-34 from [0], class 1 exactly 1: equal once rounded to 32 fraction bits, yet
    # class 1 is nearer. A rounded comparison would give the tie to class 0.
    model = make_model([[0, 1], [0, 0]], [2**17, 1])
    handle = lab.deploy(model)
    assert handle.predict([0]) == 1
    assert handle.assess([0], 1) == model.assess([[0]], [1])[0] == (0, True)
    assert handle.assess([0], 0) == model.assess([[0]], [0])[0] == (0, False)


def test_a_class_without_samples_has_the_origin_as_centroid(lab):
    model = make_model([[0, 0, 0, 0], [0, 1, 1, 1]], [0, 1])
    handle = lab.deploy(model)
    assert handle.predict([0]) == model.predict([[0]])[0] == 0  # distance 1 to the origin, 4 to class 1
    assert handle.predict([1, 2]) == model.predict([[1, 2]])[0] == 1


def test_first_update_of_an_empty_class_makes_the_sample_its_centroid():
    model = make_model([[0, 0, 0], [1, 1, 1]], [0, 1])
    model.partial_fit([[0, 2]], [0])
    assert model.centroids_[0].tolist() == [1.0, 0.0, 1.0]
    assert list(model.sum_squared_counts_) == [2, 3]


# -- input validation -------------------------------------------------------------------------------

@pytest.fixture
def deployed(lab):
    return lab.deploy(make_model([[1, 0, 1, 0], [0, 1, 0, 1]], [1, 1]))


def test_empty_sample_is_explained_before_sending(checks, deployed):
    checks.assert_explained_before_sending(deployed.update, [], 0, match="the sample is empty")


def test_empty_sample_reverts_on_chain(checks, deployed):
    checks.reverts_on_chain(deployed.contract.update, b"", 0, error="EmptySample")


def test_out_of_range_feature_is_explained_before_sending(checks, deployed):
    checks.assert_explained_before_sending(deployed.predict, [1, 4], match="feature index 4 is out of range")


def test_out_of_range_feature_reverts_on_chain(checks, deployed):
    checks.reverts_on_chain(deployed.contract.predict, pack_features([1, 4]), error="FeatureOutOfRange")


def test_repeated_feature_is_explained_before_sending(checks, deployed):
    checks.assert_explained_before_sending(deployed.update, [2, 2], 0, match="feature 2 appears twice")


def test_features_out_of_order_revert_on_chain(checks, deployed):
    checks.reverts_on_chain(deployed.contract.update, pack_features([2, 1]), 0, error="FeaturesNotIncreasing")


def test_unknown_label_is_explained_before_sending(checks, deployed):
    checks.assert_explained_before_sending(deployed.update, [1], 2, match="label 2 is not one of this model's classes")


def test_unknown_label_reverts_on_chain(checks, deployed):
    checks.reverts_on_chain(deployed.contract.update, pack_features([1]), 2, error="UnknownLabel")


def test_only_the_owner_may_update(lab, checks, deployed):
    checks.reverts_on_chain(deployed.contract.update, pack_features([1]), 0, error="NotOwner", sender=lab.accounts.alice)


def test_parameters_cannot_be_loaded_after_initialisation(lab, deployed):
    with lab.reverts("AlreadyInitialised"):
        deployed.contract.setCountWords(4, [1])


def test_chunks_must_be_loaded_in_order(lab):
    contract = lab.deploy_contract("SparseNearestCentroid", 3, [1, 1])
    with lab.reverts("ChunkOutOfOrder"):
        contract.setCountWords(1, [1])
    contract.setCountWords(0, [1])
    with lab.reverts("ChunkOutOfOrder"):
        contract.setCountWords(0, [1])


def test_loaded_count_above_its_class_count_reverts(lab):
    contract = lab.deploy_contract("SparseNearestCentroid", 3, [1, 1])
    with lab.reverts("CountAboveClassCount"):
        contract.setCountWords(0, [1 + (2 << 32)])  # class 1 would count 2 of its 1 sample


def test_loaded_count_for_a_missing_class_reverts(lab):
    contract = lab.deploy_contract("SparseNearestCentroid", 3, [1, 1, 1])  # 4 lanes per feature
    with lab.reverts("CountOutsideModel"):
        contract.setCountWords(0, [1 << (32 * 3)])  # lane 3 would be class 3 of feature 0


def test_loaded_count_for_a_missing_feature_reverts(lab):
    contract = lab.deploy_contract("SparseNearestCentroid", 3, [1, 1])  # lanes 0 … 5 of word 0
    with lab.reverts("CountOutsideModel"):
        contract.setCountWords(0, [1 << (32 * 6)])  # lane 6 would be class 0 of feature 3


def test_loading_computes_the_sum_of_squared_counts(lab):
    contract = lab.deploy_contract("SparseNearestCentroid", 2, [5, 3])
    contract.setCountWords(0, [4 + (3 << 32) + (2 << 64)])  # feature 0: counts 4 and 3; feature 1: 2 and 0
    sample_counts, sums_of_squared_counts = contract.classTotals()
    assert sample_counts == [5, 3]
    assert sums_of_squared_counts == [4**2 + 2**2, 3**2]


def test_a_model_needs_two_classes(lab):
    with lab.reverts("TooFewClassesOrFeatures"):
        lab.deploy_contract("SparseNearestCentroid", 3, [4])


def test_a_full_class_count_reverts_instead_of_wrapping(lab, checks):
    model = make_model([[0], [0]], [MAX_CLASS_COUNT, 0])
    checks.assert_both_refuse_update(lab.deploy(model), model, [0], 0, error="ClassCountFull",
                                     match="the most it can hold")


# -- scikit-learn and real data -----------------------------------------------------------------------

def test_from_sklearn_recovers_the_counts_of_binary_data(binary_digits):
    X_train, y_train, _, _ = binary_digits
    estimator = SklearnNearestCentroid().fit(X_train, y_train)
    model = SparseNearestCentroid.from_sklearn(estimator, class_counts=np.bincount(y_train))
    fitted = SparseNearestCentroid(64).fit(X_train, y_train)
    assert model.feature_count_.tolist() == fitted.feature_count_.tolist()
    assert list(model.sum_squared_counts_) == list(fitted.sum_squared_counts_)


def test_from_sklearn_refuses_centroids_of_non_binary_data():
    data = load_digits()  # pixel values 0 … 16
    estimator = SklearnNearestCentroid().fit(data.X_train, data.y_train)
    with pytest.raises(ConfigError, match="not fitted on 0/1 data"):
        SparseNearestCentroid.from_sklearn(estimator, class_counts=np.bincount(data.y_train))


def test_binary_digits_accuracy_matches_sklearn_and_chain_agrees(checks, binary_digits):
    checks.assert_as_accurate_as_sklearn(SparseNearestCentroid(64), SklearnNearestCentroid(), binary_digits,
                                         on_chain=40)


def test_sentiment_accuracy_matches_sklearn_and_chain_agrees(checks, sentiment_split):
    checks.assert_as_accurate_as_sklearn(SparseNearestCentroid(1000), SklearnNearestCentroid(), sentiment_split,
                                         on_chain=30)


def test_1000_feature_model_deploys_in_transactions_under_the_cap(checks):
    rng = np.random.default_rng(5)
    model = make_model(rng.integers(0, 2**31, size=(2, 1000)), [2**31, 2**31])  # every lane full
    handle, _ = checks.deploy_under_the_cap(model)
    checks.assert_same_parameters(handle, model)


def test_counts_too_large_for_one_transaction_load_in_chunks(checks):
    rng = np.random.default_rng(6)
    model = make_model(rng.integers(0, 2**31, size=(10, 400)), [2**31] * 10)  # 800 words, mostly full
    handle, deployment = checks.deploy_under_the_cap(model)
    assert len(deployment) > 3  # constructor, several chunks, finishInitialisation
    checks.assert_same_parameters(handle, model)
