"""From text or word counts to what each on-chain model takes.

Sparse models (perceptron, naive Bayes, sparse nearest centroid) take the present features of a
sample; dense models (dense perceptron, nearest centroid) take real vectors that they store as
fixed-point integers (value × ``SCALE`` = 1e9, within int64). The encoders speak scikit-learn
(``fit``/``transform``, learned attributes ending in ``_``), so they slot into a ``Pipeline``:

    TopWords(k)          the k most frequent words (the paper: 1,000), as 0/1 presence
    HashedWords(n)       every word hashed into n features (MurmurHash3: the same on every machine)
    FixedPointScaler()   real features into [-1, 1], well inside the dense models' range

``present_features`` / ``present_features_by_row`` turn rows of their output into the lists of
feature indices that ``trainer.add_data`` takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.preprocessing import MinMaxScaler

from .datasets import words
from .errors import ArgumentTypeError, ConfigError, whole_number
from .models._samples import SCALE

__all__ = ["FixedPointScaler", "HashedWords", "TopWords", "present_features", "present_features_by_row"]

#: The largest magnitude of a dense feature value: value × SCALE must fit an int64.
DENSE_LIMIT = (2**63 - 1) / SCALE


def _is_texts(X: Any) -> bool:
    return isinstance(X, Sequence) and not isinstance(X, (str, bytes)) and all(isinstance(t, str) for t in X)


def _count_matrix(X: Any, n_columns: int | None = None) -> sp.csr_matrix:
    """``X`` as a CSR matrix of counts, checked: 2-D, numbers, ``n_columns`` columns when given."""
    if isinstance(X, str) or (not sp.issparse(X) and np.ndim(X) != 2):
        raise ConfigError("give a list of texts or a 2-D matrix of word counts (one row per document).")
    matrix = sp.csr_matrix(X)
    if matrix.dtype.kind not in "biuf":
        raise ArgumentTypeError(f"word counts must be numbers, not {matrix.dtype}.")
    if n_columns is not None and matrix.shape[1] != n_columns:
        raise ConfigError(f"this encoder was fitted on {n_columns} columns; X has {matrix.shape[1]}.")
    return matrix


def _presence(matrix: sp.spmatrix) -> sp.csr_matrix:
    """0/1 (int8) presence of each non-zero entry, explicit zeros dropped."""
    out = sp.csr_matrix(matrix, copy=True)
    out.eliminate_zeros()
    out.data = np.ones(len(out.data), dtype=np.int8)
    out.sort_indices()
    return out


def _tokenizing(vectorizer: type, **options: Any):
    """A scikit-learn vectorizer that splits text exactly as ``dcai_lab.datasets.words`` does."""
    return vectorizer(tokenizer=words, token_pattern=None, lowercase=False, **options)


class TopWords(TransformerMixin, BaseEstimator):
    """Presence (0/1) of the ``k`` most frequent words: the paper's bag of words (k = 1,000).

    ``fit`` takes either texts (split by ``dcai_lab.datasets.words``) or a word-count matrix such
    as ``imdb_like().X_train`` (give its ``feature_names`` to name the chosen words). Words rank by
    their total count in the fitting data, as Keras' ``num_words`` ranks IMDB; ties go to the
    word that comes first (alphabetically for texts, by column for a matrix), so the choice is the
    same on every run. Output column j is the (j+1)-th most frequent word.

    Learned: ``columns_`` (the chosen words' columns in the fitting matrix or in
    ``vectorizer_``'s vocabulary), ``vocabulary_`` (their names), ``counts_`` (their counts).
    """

    def __init__(self, k: int = 1000) -> None:
        self.k = k

    def fit(self, X: Any, y: Any = None, feature_names: Sequence[str] | None = None) -> TopWords:
        """Choose the ``k`` most frequent words of ``X`` (texts, or a count matrix)."""
        k = whole_number("k", self.k, 1)
        if _is_texts(X):
            self.vectorizer_ = _tokenizing(CountVectorizer, dtype=np.int64)
            counts = self.vectorizer_.fit_transform(X)
            names = self.vectorizer_.get_feature_names_out().tolist()
        else:
            self.__dict__.pop("vectorizer_", None)
            counts = _count_matrix(X)
            names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(counts.shape[1])]
            if len(names) != counts.shape[1]:
                raise ConfigError(f"feature_names names {len(names)} columns; X has {counts.shape[1]}.")
        self.n_features_in_ = counts.shape[1]
        totals = np.asarray(counts.sum(axis=0)).ravel()
        order = np.lexsort((np.arange(len(totals)), -totals))  # most frequent first, ties by column
        self.columns_ = order[:k]
        self.vocabulary_ = [names[c] for c in self.columns_]
        self.counts_ = totals[self.columns_]
        return self

    def transform(self, X: Any) -> sp.csr_matrix:
        """A CSR int8 matrix, one row per document, 1 where the document has the chosen word."""
        if not hasattr(self, "columns_"):
            raise ConfigError("this TopWords is not fitted yet: call fit first.")
        if hasattr(self, "vectorizer_"):
            if not _is_texts(X):
                raise ArgumentTypeError("this TopWords was fitted on texts: transform a list of texts.")
            counts = self.vectorizer_.transform(X)
        else:
            counts = _count_matrix(X, self.n_features_in_)
        return _presence(counts[:, self.columns_])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(self.vocabulary_, dtype=object)


class HashedWords(TransformerMixin, BaseEstimator):
    """Presence (0/1) of hashed words: word w sets feature ``|MurmurHash3_32(w)| mod n_features``.

    No vocabulary to learn or to ship with a model: any word, seen or not, has a feature. The hash
    is scikit-learn's ``HashingVectorizer`` (MurmurHash3, seed 0, on the UTF-8 bytes), so the
    features are the same on every run and machine, unlike Python's salted ``hash``. Distinct words
    may share a feature; fewer features, more sharing.

    Give ``feature_names`` to hash the columns of word-count matrices (such as ``imdb_like``'s)
    instead of texts: each column goes where its name would, so a text and its counts encode alike.
    """

    def __init__(self, n_features: int = 1024, feature_names: Sequence[str] | None = None) -> None:
        self.n_features = n_features
        self.feature_names = feature_names

    def _vectorizer(self) -> HashingVectorizer:
        n = whole_number("n_features", self.n_features, 1, 2**31 - 1)
        return _tokenizing(HashingVectorizer, n_features=n, alternate_sign=False, norm=None, binary=True,
                           dtype=np.int8)

    def fit(self, X: Any = None, y: Any = None) -> HashedWords:
        """Nothing to learn; checks the parameters and fixes the column map of ``feature_names``."""
        vectorizer = self._vectorizer()
        if self.feature_names is not None:
            columns = vectorizer.transform(list(self.feature_names))
            lengths = np.diff(columns.indptr)
            if np.any(lengths != 1):
                bad = self.feature_names[int(np.flatnonzero(lengths != 1)[0])]
                raise ConfigError(f"feature name {bad!r} is not one word as dcai_lab.datasets.words splits text.")
            self.column_map_ = columns.indices.copy()
        return self

    def transform(self, X: Any) -> sp.csr_matrix:
        """A CSR int8 matrix, one row per text (or per count row), ``n_features`` columns."""
        if self.feature_names is None:
            if not _is_texts(X):
                raise ArgumentTypeError("HashedWords transforms a list of texts; to hash the columns of a count "
                                        "matrix, give HashedWords(feature_names=…) their names.")
            return _presence(self._vectorizer().transform(X))
        if not hasattr(self, "column_map_"):
            self.fit()
        counts = _count_matrix(X, len(self.column_map_)).tocoo()
        hashed = sp.csr_matrix((counts.data, (counts.row, self.column_map_[counts.col])),
                               shape=(counts.shape[0], self.n_features))
        return _presence(hashed)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([f"hash{i}" for i in range(self.n_features)], dtype=object)


class FixedPointScaler(MinMaxScaler):
    """Scales each feature into ``feature_range`` (default [-1, 1]) for the dense models.

    The dense models store value × 1e9 as an int64, so a value must lie within ±9.2e9 and
    keeps nine decimal places; a feature in [-1, 1] uses them all and leaves the weights and
    distances (products and squares of such values) far from their int64 limits. Values outside the
    fitted minimum and maximum (in test data) are clipped to the range, so no sample is refused.
    scikit-learn's ``MinMaxScaler`` underneath; sparse input comes out dense, as dense models take it.
    """

    def __init__(self, feature_range: tuple[float, float] = (-1.0, 1.0), *, copy: bool = True,
                 clip: bool = True) -> None:
        super().__init__(feature_range=feature_range, copy=copy, clip=clip)

    def fit(self, X: Any, y: Any = None) -> FixedPointScaler:
        low, high = self.feature_range
        if not -DENSE_LIMIT <= low < high <= DENSE_LIMIT:
            raise ConfigError(f"feature_range must be (low, high) with -{DENSE_LIMIT:.3g} ≤ low < high ≤ "
                              f"{DENSE_LIMIT:.3g}: dense models store value × 1e9 as an int64.")
        return super().fit(X.toarray() if sp.issparse(X) else X, y)

    def transform(self, X: Any) -> np.ndarray:
        return super().transform(X.toarray() if sp.issparse(X) else X)


def present_features(row: Any) -> list[int]:
    """The indices of the non-zero entries of one row (a 1 × n sparse matrix or a 1-D array),
    increasing: what a sparse model's ``add_data`` / ``predict`` take."""
    if sp.issparse(row):
        if row.shape[0] != 1:
            raise ConfigError(f"give one row (1 × n), not a {row.shape[0]} × {row.shape[1]} matrix; for every row "
                              "use present_features_by_row.")
        return present_features_by_row(row)[0]
    values = np.asarray(row)
    if values.ndim != 1:
        raise ConfigError(f"give one row (a 1-D array), not shape {values.shape}; for every row use "
                          "present_features_by_row.")
    return np.flatnonzero(values).tolist()


def present_features_by_row(X: Any) -> list[list[int]]:
    """``present_features`` of every row of a matrix, in one pass over its CSR arrays."""
    matrix = _presence(_count_matrix(X))
    return [indices.tolist() for indices in np.split(matrix.indices, matrix.indptr[1:-1])]
