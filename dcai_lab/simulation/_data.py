"""The data a simulation runs on: a pre-training slice, the stream the agents contribute from (in
order, shared by all, as in the original), and a held-out test set for accuracy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import datasets
from ..errors import ConfigError

#: Data sources a scenario may name.
SOURCES = ("sentiment",)


@dataclass(frozen=True)
class SimulationData:
    """Compact samples (present feature indices) and labels; ``X_test`` stays a sparse matrix so
    accuracy is one batch ``score``."""

    init_samples: list[tuple[int, ...]]
    init_labels: list[int]
    stream_samples: list[tuple[int, ...]]
    stream_labels: list[int]
    X_test: sp.csr_matrix
    y_test: np.ndarray
    n_features: int


def compact_rows(X: sp.csr_matrix) -> list[tuple[int, ...]]:
    """Each row's present features, increasing; rows with none are dropped by the caller."""
    X = sp.csr_matrix(X)
    X.sort_indices()
    return [tuple(int(i) for i in X.indices[a:b][X.data[a:b] != 0]) for a, b in zip(X.indptr, X.indptr[1:])]


def load(source: str, samples: int, test_samples: int, pretrain: float, seed: int,
         vocabulary_size: int = 1000) -> SimulationData:
    """``samples`` training samples (the first ``pretrain`` share pre-trains the model, the rest is
    the stream) and ``test_samples`` held-out ones, from ``source``."""
    if source != "sentiment":
        raise ConfigError(f"unknown data source {source!r}; choose one of {', '.join(SOURCES)}.")
    data = datasets.load_sentiment(vocabulary_size=vocabulary_size, seed=seed)
    X_train, y_train, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    if samples > X_train.shape[0]:
        raise ConfigError(f"the {source} data has {X_train.shape[0]:,} training samples, fewer than samples="
                          f"{samples:,}.")
    rows = compact_rows(X_train[:samples])
    labels = [int(v) for v in y_train[:samples]]
    kept = [i for i, r in enumerate(rows) if r]  # a sparse model takes no empty sample
    rows, labels = [rows[i] for i in kept], [labels[i] for i in kept]
    n_init = max(2, int(len(rows) * pretrain))
    X_test, y_test = sp.csr_matrix(X_test[:test_samples]), np.asarray(y_test[:test_samples])
    present = np.diff(X_test.indptr) > 0  # nor predicts one
    X_test, y_test = X_test[present], y_test[present]
    return SimulationData(rows[:n_init], labels[:n_init], rows[n_init:], labels[n_init:],
                          X_test, y_test, X_train.shape[1])
