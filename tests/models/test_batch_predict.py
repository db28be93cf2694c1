"""A twin's ``predict`` and ``assess`` work on the whole batch at once (NumPy/SciPy) and give exactly
what the contract's arithmetic gives sample by sample (``_predict_sample``, ``_assess_sample``), on
every model, with the values at the edges of each fixed-point range and with exact ties; bad input
fails as it did."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dcai_lab.errors import ConfigError
from dcai_lab.models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron
from dcai_lab.models._samples import SCALE
from dcai_lab.models.naive_bayes import MAX_COUNT

from .conftest import with_parameters

BATCH = settings(max_examples=150, deadline=None)
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def one_at_a_time(model, X) -> list[int]:
    """What ``predict`` answered before it was vectorised: the contract's arithmetic, sample by sample."""
    return [model._predict_sample(s) for s in model.to_samples(X)]


def assert_batch_is_exact(model, X) -> None:
    """``predict`` and ``assess`` of the whole batch give exactly the one-sample answers (``assess``
    with every row labelled each of up to three classes in turn)."""
    predicted = model.predict(X)
    assert predicted.dtype.kind == "i" and predicted.tolist() == one_at_a_time(model, X)
    samples = model.to_samples(X)
    for shift in range(min(model.n_classes_, 3)):
        labels = [(i + shift) % model.n_classes_ for i in range(len(samples))]
        assert model.assess(X, labels) == [model._assess_sample(s, y) for s, y in zip(samples, labels)]


def edgy(small: st.SearchStrategy[int], low: int, high: int) -> st.SearchStrategy[int]:
    """Mostly ``small`` values, sometimes a bound of the range or any value in it."""
    return small | st.sampled_from([low, high, low + 1, high - 1]) | st.integers(low, high)


# -- sparse samples: present features --------------------------------------------------------------

@st.composite
def sparse_batches(draw, n_features: int):
    """1 … 8 samples, each a non-empty set of features, given as a list of index lists, a CSR matrix
    (with an explicitly stored zero now and then) or a dense array of values (non-zero = present)."""
    rows = draw(st.lists(st.sets(st.integers(0, n_features - 1), min_size=1).map(sorted), min_size=1, max_size=8))
    form = draw(st.sampled_from(["indices", "csr", "dense"]))
    if form == "indices":
        return rows
    values = [draw(st.lists(st.sampled_from([1, 2, -1, 0.5]), min_size=len(r), max_size=len(r))) for r in rows]
    if form == "dense":
        dense = np.zeros((len(rows), n_features))
        for i, (row, value) in enumerate(zip(rows, values)):
            dense[i, row] = value
        return dense
    absent = [sorted(set(range(n_features)) - set(row))[:1] if draw(st.booleans()) else [] for row in rows]
    indices = [sorted(row + extra) for row, extra in zip(rows, absent)]  # an explicitly stored zero is absent
    data = [[0.0 if f in extra else value[row.index(f)] for f in index]
            for row, value, extra, index in zip(rows, values, absent, indices)]
    indptr = np.cumsum([0] + [len(i) for i in indices])
    return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=(len(rows), n_features))


@BATCH
@given(data=st.data())
def test_sparse_perceptron(data):
    n = data.draw(st.integers(1, 12))
    half_units = st.integers(-6, 6).map(lambda v: v * 500_000)  # scores often exactly zero
    model = with_parameters(SparsePerceptron(n), 2,
                            weights_=data.draw(st.lists(edgy(half_units, *INT32), min_size=n, max_size=n)),
                            intercept_=data.draw(edgy(half_units, *INT64)))
    assert_batch_is_exact(model, data.draw(sparse_batches(n)))


@st.composite
def count_tables(draw, *, max_classes: int, max_class_count: int, max_features: int = 6):
    """Class counts and per-class feature counts (each ≤ its class count), often with a class copied
    (exact ties) and with empty classes."""
    n_features = draw(st.integers(1, max_features))
    n_classes = draw(st.integers(2, max_classes))
    class_counts = [draw(edgy(st.integers(0, 6), 0, max_class_count)) for _ in range(n_classes)]
    feature_counts = [[draw(edgy(st.integers(0, min(n, 6)), 0, n)) for _ in range(n_features)] for n in class_counts]
    if draw(st.booleans()):
        source, target = draw(st.integers(0, n_classes - 1)), draw(st.integers(0, n_classes - 1))
        class_counts[target], feature_counts[target] = class_counts[source], list(feature_counts[source])
    return np.array(feature_counts, dtype=np.int64), class_counts


@BATCH
@given(data=st.data())
def test_naive_bayes(data):
    features, classes = data.draw(count_tables(max_classes=5, max_class_count=MAX_COUNT))
    model = with_parameters(NaiveBayes(features.shape[1], alpha=data.draw(st.sampled_from([1.0, 0.5, 1e-9, 3.25, 1e6]))),
                            len(classes), feature_count_=features, class_count_=classes)
    assert_batch_is_exact(model, data.draw(sparse_batches(features.shape[1])))


@BATCH
@given(data=st.data())
def test_sparse_nearest_centroid(data):
    features, classes = data.draw(count_tables(max_classes=5, max_class_count=2**32 - 1))
    model = with_parameters(SparseNearestCentroid(features.shape[1]), len(classes), feature_count_=features,
                            class_count_=classes, sum_squared_counts_=[sum(int(c) ** 2 for c in row) for row in features])
    assert_batch_is_exact(model, data.draw(sparse_batches(features.shape[1])))


# -- dense samples: real vectors -------------------------------------------------------------------

#: Real values on a grid of halves (exact ties and zero scores), any small value, and the largest
#: magnitudes a dense sample may have (value × SCALE just inside int64).
DENSE_VALUES = (st.integers(-6, 6).map(lambda v: v / 2) | st.floats(-8, 8, allow_nan=False, allow_subnormal=False)
                | st.sampled_from([9.2e9, -9.2e9, 9.223372036e9]))


@st.composite
def dense_batches(draw, n_features: int):
    rows = draw(st.lists(st.lists(DENSE_VALUES, min_size=n_features, max_size=n_features), min_size=1, max_size=8))
    form = draw(st.sampled_from(["list", "array", "csr"]))
    return rows if form == "list" else np.array(rows) if form == "array" else sp.csr_matrix(np.array(rows))


@BATCH
@given(data=st.data())
def test_dense_perceptron(data):
    n = data.draw(st.integers(1, 6))
    weights = st.integers(-5 * 10**6, 5 * 10**6)
    model = with_parameters(DensePerceptron(n), 2, weights_=data.draw(st.lists(edgy(weights, *INT64), min_size=n, max_size=n)),
                            intercept_=data.draw(edgy(st.integers(-3, 3).map(lambda v: v * 500_000), *INT64)))
    assert_batch_is_exact(model, data.draw(dense_batches(n)))


@BATCH
@given(data=st.data())
def test_nearest_centroid(data):
    n, n_classes = data.draw(st.integers(1, 5)), data.draw(st.integers(2, 4))
    coordinate = edgy(st.integers(-6, 6).map(lambda v: v * SCALE // 2), *INT64)  # on the samples' grid: ties
    centroids = [data.draw(st.lists(coordinate, min_size=n, max_size=n)) for _ in range(n_classes)]
    if data.draw(st.booleans()):
        centroids[-1] = centroids[0]
    model = with_parameters(NearestCentroid(n), n_classes, centroids_=np.array(centroids, dtype=np.int64),
                            class_count_=[1] * n_classes)
    assert_batch_is_exact(model, data.draw(dense_batches(n)))


# -- the same on real data, and the same errors ----------------------------------------------------

def test_every_model_predicts_real_data_exactly(sentiment_split):
    from dcai_lab.datasets import load_digits
    from dcai_lab.encoders import FixedPointScaler

    X, y, X_test, _ = sentiment_split
    for model in (SparsePerceptron(X.shape[1], max_iter=1), NaiveBayes(X.shape[1]), SparseNearestCentroid(X.shape[1])):
        assert_batch_is_exact(model.fit(X, y), X_test)
    digits = load_digits()
    scaler = FixedPointScaler().fit(digits.X_train)
    X, X_test = scaler.transform(digits.X_train), scaler.transform(digits.X_test)
    assert_batch_is_exact(DensePerceptron(64).fit(X, digits.y_train % 2), X_test)
    assert_batch_is_exact(NearestCentroid(64).fit(X, digits.y_train), X_test)


BAD_SPARSE = [np.array([[1, 0], [0, 0]]), sp.csr_matrix(np.array([[1.0, np.nan]])), np.ones((1, 3)),
              [[0], ["a"]], [[0, 0]], np.array([["1", "0"]]), [[5]], [1, 0]]
BAD_DENSE = [np.array([[1.0, np.inf]]), np.ones((2, 3)), [[1e10, 0.0]], np.array([["1", "0"]]), [1.0, 0.0]]


@pytest.mark.parametrize("X", BAD_SPARSE)
def test_bad_sparse_input_fails_as_it_did_one_sample_at_a_time(X):
    model = SparsePerceptron(2).fit([[0], [1]], [0, 1])
    with pytest.raises(ConfigError) as one:
        one_at_a_time(model, X)
    with pytest.raises(type(one.value), match=f"^{re.escape(str(one.value))}$"):
        model.predict(X)


@pytest.mark.parametrize("X", BAD_DENSE)
def test_bad_dense_input_fails_as_it_did_one_sample_at_a_time(X):
    model = NearestCentroid(2).fit([[0.0, 0.0], [1.0, 1.0]], [0, 1])
    with pytest.raises(ConfigError) as one:
        one_at_a_time(model, X)
    with pytest.raises(type(one.value), match=f"^{re.escape(str(one.value))}$"):
        model.predict(X)


def test_an_empty_batch_predicts_nothing():
    model = SparsePerceptron(3).fit([[0], [1]], [0, 1])
    assert model.predict(sp.csr_matrix((0, 3))).tolist() == [] == model.predict(np.zeros((0, 3))).tolist()


# -- the floating-point estimates are as close to the exact scores as promised -------------------------

@BATCH
@given(data=st.data())
def test_naive_bayes_estimates_are_within_their_error(data):
    features, classes = data.draw(count_tables(max_classes=4, max_class_count=MAX_COUNT, max_features=40))
    model = with_parameters(NaiveBayes(features.shape[1], alpha=data.draw(st.sampled_from([1.0, 1e-9, 1e6]))),
                            len(classes), feature_count_=features, class_count_=classes)
    X = model.to_batch(data.draw(sparse_batches(features.shape[1])))
    present = np.flatnonzero(model.class_count_)
    assume(len(present))  # with no samples at all, predict answers 0 without estimates
    estimates, error = model._estimated_scores(X, present)
    for i, sample in enumerate(model.to_samples(X)):
        exact = np.array(model._scores(sample), dtype=object)[present].astype(float)
        assert np.all(np.abs(estimates[i] - exact) <= error[i])


@BATCH
@given(data=st.data())
def test_nearest_centroid_estimates_are_within_their_error(data):
    n, n_classes = data.draw(st.integers(1, 8)), data.draw(st.integers(2, 4))
    coordinate = edgy(st.integers(-6, 6).map(lambda v: v * SCALE // 2), -(2**61), 2**61)
    model = with_parameters(NearestCentroid(n), n_classes, class_count_=[1] * n_classes, centroids_=np.array(
        [data.draw(st.lists(coordinate, min_size=n, max_size=n)) for _ in range(n_classes)], dtype=np.int64))
    rows = data.draw(dense_batches(n))
    assume(np.abs(model.to_batch(rows)).max() < 2**62)  # larger coordinates are never estimated
    distances, error = model._estimated_distances(model.to_batch(rows))
    for i, sample in enumerate(model.to_samples(rows)):
        exact = model._squared_distances(sample)
        assert all(abs(int(d) - e) <= int(err) + 1 for d, e, err in zip(distances[i], exact, error[i]))
