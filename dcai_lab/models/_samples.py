"""Turning what a user has (NumPy rows, SciPy sparse rows, lists) into what a contract takes.

Sparse models take the strictly increasing indices of the present features; dense models take
``numFeatures`` fixed-point integers, each the real value times ``SCALE``. Every check the contract
makes is made here first, so a mistake is explained in Python instead of paid for in gas.
"""

from __future__ import annotations

import numbers
import struct
from collections.abc import Iterable, Sequence, Sized
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ArgumentTypeError, ConfigError

#: Fixed-point scale of dense feature values (``DenseClassifier.SCALE``): 1.0 is stored as 1e9.
SCALE = 10**9
_INT64 = (-(2**63), 2**63 - 1)


def _is_compact(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def sparse_sample(x: Any, n_features: int) -> tuple[int, ...]:
    """Indices of the present features of one sample, strictly increasing.

    Accepts a 1-D array of length ``n_features`` (non-zero means present), a one-row SciPy sparse
    matrix, or the compact form itself: a list or tuple of feature indices (any order).
    """
    if sp.issparse(x):
        row = sp.csr_matrix(x)
        if row.shape != (1, n_features):
            raise ConfigError(f"a sparse sample must be one row of {n_features} columns, not {row.shape}.")
        _check_values(row.data)
        row.eliminate_zeros()
        indices = sorted(int(i) for i in row.indices)
    elif _is_compact(x):
        if all(type(i) is int for i in x):  # the usual case, checked in one pass
            indices = sorted(x)
        else:
            bad = next((i for i in x if not isinstance(i, (int, np.integer)) or isinstance(i, bool)), None)
            if bad is not None:
                raise ArgumentTypeError(f"a list sample holds the indices of the present features (whole numbers), "
                                        f"not {bad!r}; for a vector of {n_features} values pass a NumPy array.")
            indices = sorted(int(i) for i in x)
        if len(set(indices)) != len(indices):
            twice = next(a for a, b in zip(indices, indices[1:]) if a == b)
            looks_dense = len(x) == n_features and set(indices) <= {0, 1}
            hint = (f" This looks like a 0/1 vector: pass it as np.array(…), or list the present features "
                    f"({[i for i, v in enumerate(x) if v][:5]}…)." if looks_dense else "")
            raise ConfigError(f"feature {twice} appears twice; a sparse sample lists each present feature once."
                              f"{hint}")
    else:
        if isinstance(x, (str, bytes)) or isinstance(x, numbers.Number):
            raise ArgumentTypeError(f"a sample is a list of present feature indices or a vector of {n_features} "
                                    f"values, not {x!r}.")
        row = np.asarray(x)
        if row.ndim != 1 or row.shape[0] != n_features:
            raise ConfigError(f"a sample must be a vector of {n_features} values, not shape {row.shape}; "
                              "or give the list of present feature indices.")
        _check_values(row)
        indices = [int(i) for i in np.flatnonzero(row)]
    if not indices:
        raise ConfigError("the sample is empty: a sparse sample needs at least one present feature.")
    if indices[0] < 0 or indices[-1] >= n_features:
        bad = indices[0] if indices[0] < 0 else indices[-1]
        raise ConfigError(f"feature index {bad} is out of range: this model has features 0 … {n_features - 1}.")
    return tuple(indices)


def dense_sample(x: Any, n_features: int) -> tuple[int, ...]:
    """One dense sample as fixed-point integers (value × SCALE, rounded to nearest)."""
    row = x.toarray().ravel() if sp.issparse(x) else np.asarray(x)
    if row.ndim != 1 or row.shape[0] != n_features:
        raise ConfigError(f"a sample must be a vector of {n_features} values, not shape {row.shape}.")
    _check_values(row)
    scaled = np.rint(row.astype(float) * SCALE)  # as round(v * SCALE): doubles, halves to even
    if int(scaled.min()) < _INT64[0] or int(scaled.max()) > _INT64[1]:
        raise ConfigError(f"dense feature values must lie within ±{_INT64[1] / SCALE:.3g}; scale your data first.")
    return tuple(scaled.astype(np.int64).tolist())


def _check_values(values: np.ndarray) -> None:
    """Feature values are real numbers: not text, not NaN or infinity."""
    if values.dtype.kind not in "biuf":
        bad = next((v for v in values.ravel() if isinstance(v, (str, bytes)) or not isinstance(v, numbers.Real)),
                   values.ravel()[0])
        raise ArgumentTypeError(f"feature values must be numbers, not {_plain(bad)!r}; turn text into numbers first "
                                "(e.g. dcai_lab.datasets.sentence_features, or sklearn's CountVectorizer).")
    if not np.all(np.isfinite(values)):
        raise ConfigError("the sample contains NaN or infinity: fill in or drop missing values first.")


def rows(X: Any) -> Iterable[Any]:
    """The samples of a 2-D input: a NumPy array, a SciPy sparse matrix, a DataFrame or a list of
    samples."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        return (X[i] for i in range(X.shape[0]))
    if hasattr(X, "to_numpy") and getattr(X, "ndim", 2) == 2:  # a pandas DataFrame
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise ConfigError(f"X must be 2-D (samples × features), not shape {X.shape}; for one sample x, "
                              "pass [x] or x.reshape(1, -1).")
        return iter(X)
    if isinstance(X, Sequence) and not isinstance(X, (str, bytes)):
        if any(isinstance(x, numbers.Number) for x in X):
            raise ConfigError(f"X is a list of samples, one per row, but it holds numbers: {list(X)[:6]!r}. For "
                              "one sample x, pass [x].")
        return iter(X)
    raise ArgumentTypeError(f"cannot read samples from a {type(X).__name__}; pass a 2-D array, a sparse matrix "
                            "or a list of samples.")


def _numeric_matrix(X: Any) -> np.ndarray | sp.csr_matrix | None:
    """``X`` as a 2-D numeric array or CSR matrix when it is one already (or a DataFrame of
    numbers); None for anything else (lists of samples, text, …)."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
    elif hasattr(X, "to_numpy") and getattr(X, "ndim", 2) == 2:  # a pandas DataFrame
        X = X.to_numpy()
    if not isinstance(X, (np.ndarray, sp.csr_matrix)) or X.ndim != 2 or X.dtype.kind not in "biuf":
        return None
    values = X.data if sp.issparse(X) else X
    return X if np.all(np.isfinite(values)) else None


def sparse_batch(X: Any, n_features: int) -> sp.csr_matrix:
    """Every sample of ``X`` as one CSR matrix of 0/1 (int8, indices sorted): row i holds 1 at the
    features of ``sparse_sample(row i)``. A numeric matrix is converted in one pass; anything else,
    or a matrix that ``sparse_sample`` would refuse, goes through it row by row (and its error)."""
    matrix = _numeric_matrix(X)
    if matrix is not None and matrix.shape[1] == n_features:
        presence = sp.csr_matrix(matrix != 0, dtype=np.int8)
        if presence.shape[0] == 0 or np.diff(presence.indptr).min() > 0:
            presence.sort_indices()
            return presence
    samples = [sparse_sample(x, n_features) for x in rows(X)]
    indptr = np.cumsum([0] + [len(s) for s in samples])
    indices = np.fromiter((f for s in samples for f in s), dtype=np.int64, count=indptr[-1])
    return sp.csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(len(samples), n_features))


def dense_batch(X: Any, n_features: int) -> np.ndarray:
    """Every sample of ``X`` as one int64 array of fixed-point values, row i equal to
    ``dense_sample(row i)``: value × SCALE rounded to nearest, ties to even, as Python's ``round``."""
    matrix = _numeric_matrix(X)
    if matrix is not None and matrix.shape[1] == n_features:
        values = matrix.toarray() if sp.issparse(matrix) else matrix
        scaled = np.rint(values.astype(float) * SCALE)
        if scaled.size == 0 or (scaled.min() >= -(2.0**63) and scaled.max() < 2.0**63):
            return scaled.astype(np.int64)
    samples = [dense_sample(x, n_features) for x in rows(X)]
    return np.array(samples, dtype=np.int64).reshape(len(samples), n_features)


def batch_row(X: np.ndarray | sp.csr_matrix, i: int) -> tuple[int, ...]:
    """Row ``i`` of a ``sparse_batch`` or ``dense_batch`` in the compact form of one sample."""
    if sp.issparse(X):
        return tuple(X.indices[X.indptr[i]:X.indptr[i + 1]].tolist())
    return tuple(X[i].tolist())


def labels(y: Any, n_classes: int | None) -> list[int]:
    """Labels as plain ints, each a class index 0 … n_classes - 1 (any n ≥ 0 when None)."""
    if isinstance(y, list) and all(type(v) is int and 0 <= v and (n_classes is None or v < n_classes) for v in y):
        return list(y)  # already what is asked for: no need to go through NumPy
    classes = "0 or more" if n_classes is None else f"0 … {n_classes - 1}"
    values = np.asarray(y).ravel()
    if values.dtype.kind not in "biuf":
        bad = next((v for v in values if not isinstance(v, (numbers.Real, np.bool_))), None)
        if bad is not None:
            raise ArgumentTypeError(f"labels are class indices, whole numbers {classes}, not {_plain(bad)!r} "
                                    f"({type(_plain(bad)).__name__}); turn class names into indices first (e.g. with "
                                    "sklearn's LabelEncoder).")
        values = values.astype(float)
    if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
        bad = next(v for v in values if not float(v).is_integer())
        raise ConfigError(f"labels are class indices, whole numbers {classes}, not {_plain(bad)!r}.")
    out = [int(v) for v in values]
    for v in out:
        if v < 0 or (n_classes is not None and v >= n_classes):
            raise ConfigError(f"label {v} is not one of this model's classes ({classes}).")
    return out


def one_label_each(samples: Sized, labels: list[int]) -> list[int]:
    """``labels``, after checking that there is one for each of ``samples``."""
    if len(labels) != len(samples):
        raise ConfigError(f"X has {len(samples)} samples but y has {len(labels)} label"
                          f"{'' if len(labels) == 1 else 's'}: give one label per sample.")
    return labels


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds, so messages show ``'a'``, not ``np.str_('a')``."""
    return value.item() if isinstance(value, np.generic) else value


def pack(sample: tuple[int, ...], sparse: bool) -> bytes:
    """A compact sample as the contracts take it: each feature index as 4 big-endian bytes
    (sparse), or each value × SCALE as an 8-byte two's-complement int64 (dense)."""
    try:  # struct packs a whole sample at once; it refuses what does not fit, and so does the loop
        return struct.pack(f">{len(sample)}{'I' if sparse else 'q'}", *sample)
    except struct.error:
        pass
    if sparse:
        return b"".join(int(f).to_bytes(4, "big") for f in sample)
    return b"".join(int(v).to_bytes(8, "big", signed=True) for v in sample)


def unpack(data: bytes, sparse: bool) -> tuple[int, ...]:
    """The compact sample that ``pack`` turned into ``data``."""
    width = 4 if sparse else 8
    if len(data) % width == 0:
        return struct.unpack(f">{len(data) // width}{'I' if sparse else 'q'}", data)
    return tuple(int.from_bytes(data[i:i + width], "big", signed=not sparse) for i in range(0, len(data), width))


def pack_features(sample: Any) -> bytes:
    """Feature indices packed as a sparse model takes them."""
    return pack(tuple(sample), sparse=True)
