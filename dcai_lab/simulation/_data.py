"""The data a simulation runs on: a pre-training slice, the stream the agents contribute from (in
order, shared by all, as in the original), and a held-out test set for accuracy.

``"imdb-like"`` (the default) is ``datasets.imdb_like``: IMDB-shaped synthetic reviews, any size,
encoded as the paper does (presence of the 1,000 most frequent training words). ``"sentiment"``
is the bundled 3,000 real review sentences (``datasets.load_sentiment``, 2,250 for training).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import datasets
from ..encoders import TopWords, present_features_by_row
from ..errors import ConfigError

#: Data sources a scenario may name.
SOURCES = ("imdb-like", "sentiment")
#: The paper's vocabulary: the 1,000 most frequent words.
VOCABULARY_SIZE = 1000


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


def _split(source: str, samples: int, test_samples: int, seed: int) -> tuple:
    """Train and test presence matrices and labels, ``samples`` and ``test_samples`` long."""
    if source == "imdb-like":
        data = datasets.imdb_like(samples, test_samples, seed=seed)
        encoder = TopWords(VOCABULARY_SIZE).fit(data.X_train)
        return encoder.transform(data.X_train), data.y_train, encoder.transform(data.X_test), data.y_test
    if source == "sentiment":
        data = datasets.load_sentiment(vocabulary_size=VOCABULARY_SIZE, seed=seed)
        if samples > data.X_train.shape[0]:
            raise ConfigError(f"the sentiment data has {data.X_train.shape[0]:,} training samples, fewer than "
                              f"samples={samples:,}; use the imdb-like data for more.")
        return data.X_train[:samples], data.y_train[:samples], data.X_test[:test_samples], data.y_test[:test_samples]
    raise ConfigError(f"unknown data source {source!r}; choose one of {', '.join(SOURCES)}.")


def load(source: str, samples: int, test_samples: int, pretrain: float, seed: int) -> SimulationData:
    """``samples`` training samples (the first ``pretrain`` share pre-trains the model, the rest is
    the stream) and ``test_samples`` held-out ones, from ``source``. Samples without any of the
    vocabulary's words are dropped: a sparse model takes no empty sample."""
    X_train, y_train, X_test, y_test = _split(source, samples, test_samples, seed)
    rows = present_features_by_row(X_train)
    kept = [i for i, r in enumerate(rows) if r]
    rows, labels = [tuple(rows[i]) for i in kept], [int(y_train[i]) for i in kept]
    n_init = max(2, int(len(rows) * pretrain))
    X_test = sp.csr_matrix(X_test)
    present = np.diff(X_test.indptr) > 0
    return SimulationData(rows[:n_init], labels[:n_init], rows[n_init:], labels[n_init:],
                          X_test[present], np.asarray(y_test)[present], X_train.shape[1])
