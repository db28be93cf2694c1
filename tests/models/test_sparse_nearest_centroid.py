"""SparseNearestCentroid: the contract and its twin agree exactly, and it is as good as scikit-learn's."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestCentroid as SklearnNearestCentroid

from dcai_lab.datasets import load_digits, load_sentiment
from dcai_lab.engines._base import TX_GAS_CAP
from dcai_lab.errors import ConfigError
from dcai_lab.models import SparseNearestCentroid
from dcai_lab.models.sparse_nearest_centroid import MAX_CLASS_COUNT

# scikit-learn warns that some features never vary within a class; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:self.within_class_std_dev_:UserWarning")
PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def make_model(feature_counts, class_counts) -> SparseNearestCentroid:
    """A twin with the given counts (one row of feature counts per class), Σ count² derived."""
    feature_counts = np.array(feature_counts, dtype=np.int64)
    model = SparseNearestCentroid(feature_counts.shape[1])
    model._init_model(feature_counts.shape[0])
    model.feature_count_[:] = feature_counts
    model.class_count_[:] = class_counts
    model.sum_squared_counts_[:] = [sum(int(c) ** 2 for c in row) for row in feature_counts]
    return model


@st.composite
def models(draw, max_features=6, max_classes=10):
    n_features = draw(st.integers(1, max_features))
    n_classes = draw(st.integers(2, max_classes))
    class_counts = [draw(st.integers(0, 5)) for _ in range(n_classes)]
    feature_counts = [[draw(st.integers(0, n)) for _ in range(n_features)] for n in class_counts]
    return make_model(feature_counts, class_counts)


def samples(n_features: int):
    return st.sets(st.integers(0, n_features - 1), min_size=1).map(sorted)


# -- the contract and the twin agree ---------------------------------------------------------------

@PROPERTY
@given(data=st.data())
def test_predictions_match_twin_on_random_models(lab, data):
    model = data.draw(models())
    xs = data.draw(st.lists(samples(model.n_features), min_size=1, max_size=4))
    with lab.anchor():
        handle = lab.deploy(model)
        assert [handle.predict(x) for x in xs] == list(model.predict(xs))


@PROPERTY
@given(data=st.data())
def test_updates_leave_contract_and_twin_with_equal_parameters(lab, data):
    model = data.draw(models())
    updates = data.draw(st.lists(st.tuples(samples(model.n_features), st.integers(0, model.n_classes_ - 1)),
                                 min_size=1, max_size=4))
    with lab.anchor():
        handle = lab.deploy(model)
        for x, label in updates:
            handle.update(x, label)
            model.partial_fit([x], [label])
        chain = handle.local_model()
        assert chain.feature_count_.tolist() == model.feature_count_.tolist()
        assert chain.class_count_.tolist() == model.class_count_.tolist()
        assert list(chain.sum_squared_counts_) == list(model.sum_squared_counts_)
        assert [handle.predict(x) for x, _ in updates] == list(model.predict([x for x, _ in updates]))


def test_larger_model_matches_twin_after_updates(lab):
    rng = np.random.default_rng(11)
    X = (rng.random((60, 150)) < 0.1).astype(int)
    X[:, 0] = 1
    model = SparseNearestCentroid(150).fit(X, np.arange(60) % 10)
    handle = lab.deploy(model)
    for label in rng.integers(0, 10, 6):
        x = sorted(rng.choice(150, 12, replace=False).tolist())
        handle.update(x, int(label))
        model.partial_fit([x], [label])
    chain = handle.local_model()
    assert chain.feature_count_.tolist() == model.feature_count_.tolist()
    assert list(chain.sum_squared_counts_) == list(model.sum_squared_counts_)
    test = [sorted(rng.choice(150, 15, replace=False).tolist()) for _ in range(10)]
    assert [handle.predict(x) for x in test] == list(model.predict(test))


def test_squared_distance_is_the_exact_fraction(lab):
    model = make_model([[1, 2, 0], [3, 0, 3]], [3, 4])
    handle = lab.deploy(model)
    distances = [Fraction(*handle.contract.squaredDistance([0, 2], c)) for c in range(2)]
    # centroids (1/3, 2/3, 0) and (3/4, 0, 3/4): (2/3)² + (2/3)² + 1² = 17/9 and (1/4)² + (1/4)² = 1/8
    assert distances == list(model.squared_distances([[0, 2]])[0]) == [Fraction(17, 9), Fraction(1, 8)]


def test_extreme_counts_neither_overflow_nor_lose_precision(lab):
    top = MAX_CLASS_COUNT
    model = make_model([[top, top - 1, 0, 1], [0, 1, top - 1, top - 1]], [top, top - 1])
    handle = lab.deploy(model)
    x = [0, 2, 3]
    assert [Fraction(*handle.contract.squaredDistance(x, c)) for c in range(2)] == list(model.squared_distances([x])[0])
    assert handle.predict(x) == model.predict([x])[0]
    handle.update(x, 1)
    model.partial_fit([x], [1])
    assert list(handle.local_model().sum_squared_counts_) == list(model.sum_squared_counts_)


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


def test_empty_sample_is_explained_before_sending(lab, deployed):
    sent = len(lab.transactions)
    with pytest.raises(ConfigError, match="the sample is empty"):
        deployed.update([], 0)
    assert len(lab.transactions) == sent


def test_empty_sample_reverts_on_chain(lab, deployed):
    with lab.reverts("EmptySample"):
        deployed.contract.update([], 0)


def test_out_of_range_feature_is_explained_before_sending(deployed):
    with pytest.raises(ConfigError, match="feature index 4 is out of range"):
        deployed.predict([1, 4])


def test_out_of_range_feature_reverts_on_chain(lab, deployed):
    with lab.reverts("FeatureOutOfRange"):
        deployed.contract.predict([1, 4])


def test_repeated_feature_is_explained_before_sending(deployed):
    with pytest.raises(ConfigError, match="feature 2 appears twice"):
        deployed.update([2, 2], 0)


def test_features_out_of_order_revert_on_chain(lab, deployed):
    with lab.reverts("FeaturesNotIncreasing"):
        deployed.contract.update([2, 1], 0)


def test_unknown_label_is_explained_before_sending(deployed):
    with pytest.raises(ConfigError, match="label 2 is not one of this model's classes"):
        deployed.update([1], 2)


def test_unknown_label_reverts_on_chain(lab, deployed):
    with lab.reverts("UnknownLabel"):
        deployed.contract.update([1], 2)


def test_only_the_owner_may_update(lab, deployed):
    with lab.reverts("NotOwner"):
        deployed.contract.update([1], 0, sender=lab.accounts.alice)


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


def test_a_full_class_count_reverts_instead_of_wrapping(lab):
    model = make_model([[0], [0]], [MAX_CLASS_COUNT, 0])
    handle = lab.deploy(model)
    with lab.reverts("ClassCountFull"):
        handle.update([0], 0)
    with pytest.raises(ConfigError, match="the most it can hold"):
        model.partial_fit([[0]], [0])


# -- scikit-learn and real data -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def binary_digits():
    data = load_digits()
    return (data.X_train > 4).astype(int), (data.X_test > 4).astype(int), data.y_train, data.y_test


@pytest.fixture(scope="module")
def sentiment():
    data = load_sentiment()
    # A sentence without any vocabulary word is an empty sample, which the contract refuses.
    train = np.asarray(data.X_train.sum(axis=1)).ravel() > 0
    test = np.asarray(data.X_test.sum(axis=1)).ravel() > 0
    return data.X_train[train], data.X_test[test], data.y_train[train], data.y_test[test]


def test_from_sklearn_recovers_the_counts_of_binary_data(binary_digits):
    X_train, _, y_train, _ = binary_digits
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


def test_binary_digits_accuracy_matches_sklearn_and_chain_agrees(lab, binary_digits):
    X_train, X_test, y_train, y_test = binary_digits
    baseline = SklearnNearestCentroid().fit(X_train, y_train).score(X_test, y_test)
    model = SparseNearestCentroid(64).fit(X_train, y_train)
    assert abs(model.score(X_test, y_test) - baseline) <= 0.01
    handle = lab.deploy(model)
    subset = X_test[:40]
    assert [handle.predict(x) for x in subset] == list(model.predict(subset))


def test_sentiment_accuracy_matches_sklearn_and_chain_agrees(lab, sentiment):
    X_train, X_test, y_train, y_test = sentiment
    baseline = SklearnNearestCentroid().fit(X_train, y_train).score(X_test, y_test)
    model = SparseNearestCentroid(1000).fit(X_train, y_train)
    assert abs(model.score(X_test, y_test) - baseline) <= 0.01
    handle = lab.deploy(model)
    subset = X_test[:30]
    assert [handle.predict(x) for x in subset] == list(model.predict(subset))


def test_1000_feature_model_deploys_in_transactions_under_the_cap(lab):
    rng = np.random.default_rng(5)
    model = make_model(rng.integers(0, 2**31, size=(2, 1000)), [2**31, 2**31])  # every lane full
    sent = len(lab.transactions)
    handle = lab.deploy(model)
    assert max(tx.gas_used for tx in lab.transactions[sent:]) < TX_GAS_CAP
    assert handle.local_model().feature_count_.tolist() == model.feature_count_.tolist()


def test_counts_too_large_for_one_transaction_load_in_chunks(lab):
    rng = np.random.default_rng(6)
    model = make_model(rng.integers(0, 2**31, size=(10, 400)), [2**31] * 10)  # 800 words, mostly full
    sent = len(lab.transactions)
    handle = lab.deploy(model)
    deployment = lab.transactions[sent:]
    assert len(deployment) > 3  # constructor, several chunks, finishInitialisation
    assert max(tx.gas_used for tx in deployment) < TX_GAS_CAP
    chain = handle.local_model()
    assert chain.feature_count_.tolist() == model.feature_count_.tolist()
    assert list(chain.sum_squared_counts_) == list(model.sum_squared_counts_)
