"""Encoders: from text or word counts to what the on-chain models take, the same on every run."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from dcai_lab import ConfigError, datasets
from dcai_lab.encoders import FixedPointScaler, HashedWords, TopWords, present_features, present_features_by_row
from dcai_lab.models import DensePerceptron, SparsePerceptron

TEXTS = ["The film was great, great fun", "An awful film", "Great cast, awful script", "fun"]


def _as_texts(data: datasets.Dataset, X) -> list[str]:
    """Each count row written out as a text: every word repeated as often as it is counted."""
    coo = sp.coo_matrix(X)
    texts = [[] for _ in range(coo.shape[0])]
    for row, column, count in zip(coo.row, coo.col, coo.data):
        texts[row] += [data.feature_names[column]] * int(count)
    return [" ".join(t) for t in texts]


def test_top_words_ranks_by_count_with_ties_alphabetical():
    encoder = TopWords(3).fit(TEXTS)
    assert encoder.vocabulary_ == ["great", "awful", "film"]  # 3, then 2 each: awful < film < fun
    assert encoder.counts_.tolist() == [3, 2, 2]
    X = encoder.transform(["great great film", "nothing known"])
    assert isinstance(X, sp.csr_matrix) and X.dtype == np.int8
    assert X.toarray().tolist() == [[1, 0, 1], [0, 0, 0]]  # presence, not counts


def test_top_words_from_counts_matches_top_words_from_the_same_texts():
    data = datasets.imdb_like(200, 50, vocabulary_size=300, seed=2)
    from_counts = TopWords(40).fit(data.X_train, feature_names=data.feature_names)
    from_texts = TopWords(40).fit(_as_texts(data, data.X_train))
    assert from_counts.vocabulary_ == from_texts.vocabulary_
    assert (from_counts.transform(data.X_test) != from_texts.transform(_as_texts(data, data.X_test))).nnz == 0


def test_top_words_breaks_count_ties_by_column():
    counts = sp.csr_matrix(np.array([[1, 2, 0, 2], [0, 0, 3, 0]]))
    assert TopWords(3).fit(counts).columns_.tolist() == [2, 1, 3]


def test_top_words_refuses_a_matrix_of_another_width():
    encoder = TopWords(2).fit(np.eye(3))
    with pytest.raises(ConfigError, match="3 columns"):
        encoder.transform(np.eye(4))


def test_hashed_words_are_murmurhash3_as_published():
    # The reference's check values: MurmurHash3_32 (seed 0) of "hey", "you" and "blockchain",
    # unsigned; scikit-learn takes |signed hash| mod n.
    n = 2**20
    published = {"hey": 318325784, "you": 814527388, "blockchain": 3905957473}
    expected = sorted(abs(h - 2**32 if h >= 2**31 else h) % n for h in published.values())
    assert HashedWords(n).fit_transform(["Hey you, BLOCKCHAIN!"]).indices.tolist() == expected


def test_hashed_words_do_not_depend_on_pythons_hash_seed():
    program = ("from dcai_lab.encoders import HashedWords; "
               "print(HashedWords(97).transform(['some words to hash']).indices.tolist())")
    runs = {subprocess.run([sys.executable, "-c", program], env={"PYTHONHASHSEED": seed}, capture_output=True,
                           text=True, check=True).stdout for seed in ("1", "2")}
    assert len(runs) == 1


def test_hashing_counts_by_feature_name_matches_hashing_the_texts():
    data = datasets.imdb_like(100, 2, vocabulary_size=500, seed=5)
    from_counts = HashedWords(64, feature_names=data.feature_names).fit_transform(data.X_train)
    from_texts = HashedWords(64).transform(_as_texts(data, data.X_train))
    assert from_counts.shape == (100, 64) and (from_counts != from_texts).nnz == 0


def test_hashed_words_refuse_a_feature_name_that_is_not_one_word():
    with pytest.raises(ConfigError, match="'two words'"):
        HashedWords(8, feature_names=["one", "two words"]).fit()


def test_fixed_point_scaler_keeps_dense_samples_in_range():
    train = np.array([[0.0, -5e10], [10.0, 5e10], [5.0, 0.0]])  # the second column is out of range as is
    scaler = FixedPointScaler().fit(train)
    assert scaler.transform(train).min() == -1 and scaler.transform(train).max() == 1
    assert scaler.transform([[20.0, -1e15]]).tolist() == [[1.0, -1.0]]  # clipped, not refused
    with pytest.raises(ConfigError, match="scale your data"):
        DensePerceptron(2).fit(train, [0, 1, 1])
    DensePerceptron(2).fit(scaler.transform(train), [0, 1, 1])  # the scaled samples are accepted


def test_fixed_point_scaler_refuses_a_range_outside_int64():
    with pytest.raises(ConfigError, match="int64"):
        FixedPointScaler(feature_range=(-1e10, 1e10)).fit(np.eye(2))


def test_present_features_are_what_a_sparse_model_takes():
    X = TopWords(5).fit_transform(TEXTS)
    rows = present_features_by_row(X)
    assert rows == [np.flatnonzero(r).tolist() for r in X.toarray()]
    model = SparsePerceptron(5)
    assert [model.to_sample(r) for r in rows[:3]] == [model.to_sample(X[i]) for i in range(3)]
    assert present_features(X[1]) == rows[1] == present_features(X[1].toarray().ravel())
    with pytest.raises(ConfigError, match="present_features_by_row"):
        present_features(X)
