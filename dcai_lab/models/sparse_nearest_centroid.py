"""Twin of contracts/models/SparseNearestCentroid.sol: nearest class mean over present features."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import ConfigError, whole_number
from ._base import Chunked, OnChainModel, clamp_margin
from .nearest_centroid import fit_labels, sklearn_centroids

#: ``SparseNearestCentroid.LANES_PER_WORD``: uint32 count lanes packed into one storage word.
LANES_PER_WORD = 8
#: ``SparseNearestCentroid.MAX_CLASS_COUNT``: sample counts are uint32.
MAX_CLASS_COUNT = 2**32 - 1
#: Most features: indices are uint32 (``SparseNearestCentroid``'s constructor).
MAX_FEATURES = 2**32 - 1
#: How far a scikit-learn centroid × class count may be from a whole number and still convert.
_COUNT_TOLERANCE = 1e-6


class SparseNearestCentroid(OnChainModel):
    """Puts a set of present features in the class whose mean is nearest (squared Euclidean).

    A sample is a 0/1 vector; the centroid of a class with n samples has coordinate
    ``count_f / n``, where ``count_f`` is how many of them contain feature f. The squared distance
    ``(|x|·n² − 2·n·Σ_{f∈x} count_f + Σ_f count_f²) / n²`` is an exact fraction, so there is no
    fixed point and no rounding; a tie goes to the lower class, and a class with no samples has
    the origin as its centroid. ``fit`` and ``partial_fit`` both just count, exactly as the
    contract's ``update``, so both give identical models.

    Range: class counts at most ``MAX_CLASS_COUNT`` (2^32 − 1), ``count_f ≤ n``, fewer than 2^32
    features.

    Learned: ``feature_count_`` (n_classes × n_features), ``class_count_`` (n per class) and
    ``sum_squared_counts_`` (Σ_f count_f² per class, Python ints), as the contract stores them.
    """

    contract_name = "SparseNearestCentroid"
    sparse = True
    min_gas_per_feature = 1_300  # measured 1,353 with two classes: a count per class

    def __init__(self, n_features: int) -> None:
        self.n_features = whole_number("n_features", n_features, 1, MAX_FEATURES)

    def _init_model(self, n_classes: int) -> None:
        self.n_classes_ = n_classes
        self.feature_count_ = np.zeros((n_classes, self.n_features), dtype=np.int64)
        self.class_count_ = np.zeros(n_classes, dtype=np.int64)
        self.sum_squared_counts_ = np.zeros(n_classes, dtype=object)

    def fit(self, X: Any, y: Any, classes: Any = None) -> SparseNearestCentroid:
        """Count, per class, its samples and how many of them contain each feature."""
        _, n_classes = fit_labels(y, classes)
        self._init_model(n_classes)
        return self.partial_fit(X, y)

    @property
    def centroids_(self) -> np.ndarray:
        """The class means as real numbers, ``feature_count_ / class_count_`` (0 for empty classes)."""
        return self.feature_count_ / np.maximum(self.class_count_, 1)[:, None]

    # -- the contract's arithmetic ---------------------------------------------------------------
    def _squared_distances(self, sample: tuple[int, ...]) -> list[Fraction]:
        present_counts = self.feature_count_[:, list(sample)].sum(axis=1, dtype=np.uint64)
        distances = []
        for n, squares, present in zip(self.class_count_, self.sum_squared_counts_, present_counts):
            n, present = int(n), int(present)
            if n == 0:
                distances.append(Fraction(len(sample)))
            else:
                distances.append(Fraction(len(sample) * n * n + squares - 2 * n * present, n * n))
        return distances

    def _predict_sample(self, sample: tuple[int, ...]) -> int:
        distances = self._squared_distances(sample)
        return distances.index(min(distances))  # the first minimum: ties go to the lower class

    def _assess_sample(self, sample: tuple[int, ...], label: int) -> tuple[int, bool]:
        """The nearest other class's distance minus the label's, each rounded down to 32 fraction
        bits (⌊numerator · 2^32 / denominator⌋, as the contract does); ``right`` from the exact
        fractions, as ``predict`` compares them."""
        distances = self._squared_distances(sample)
        rounded = [(d.numerator << 32) // d.denominator for d in distances]
        nearest_other = min(r for c, r in enumerate(rounded) if c != label)
        return clamp_margin(nearest_other - rounded[label]), distances.index(min(distances)) == label

    def _predict_batch(self, X) -> np.ndarray:
        """Every row's class, comparing the exact fractions ``numerator / n²`` across classes by
        cross-multiplying Python ints (one object array per class; the present counts in int64)."""
        k = np.diff(X.indptr).astype(object)
        present = (X @ self.feature_count_.T).astype(object)
        best = np.zeros(X.shape[0], dtype=int)
        best_numerator, best_denominator = None, None
        for c, (n, squares) in enumerate(zip(self.class_count_.tolist(), self.sum_squared_counts_)):
            numerator = k if n == 0 else k * (n * n) + int(squares) - 2 * n * present[:, c]
            denominator = np.full(len(k), max(n * n, 1), dtype=object)  # Python ints, never float
            if best_numerator is None:
                best_numerator, best_denominator = numerator, denominator
                continue
            closer = numerator * best_denominator < best_numerator * denominator  # ties keep the lower class
            best[closer] = c
            best_numerator = np.where(closer, numerator, best_numerator)
            best_denominator = np.where(closer, denominator, best_denominator)
        return best

    def _update_sample(self, sample: tuple[int, ...], label: int) -> None:
        n = int(self.class_count_[label])
        if n == MAX_CLASS_COUNT:
            raise ConfigError(f"class {label} already counts {MAX_CLASS_COUNT} samples, the most it can hold.")
        present = list(sample)
        self.sum_squared_counts_[label] += int(np.sum(2 * self.feature_count_[label, present] + 1))
        self.feature_count_[label, present] += 1
        self.class_count_[label] = n + 1

    def squared_distances(self, X: Any) -> np.ndarray:
        """Exact squared distance from each sample to each class, as ``Fraction`` s: the contract's
        ``squaredDistance`` returns the same value as (numerator, denominator)."""
        self._check_fitted()
        return np.array([self._squared_distances(s) for s in self.to_samples(X)], dtype=object)

    # -- chain ---------------------------------------------------------------------------------
    @property
    def _lanes_per_feature(self) -> int:
        """``lanesPerFeature``: n_classes rounded up to 2, 4, 8 or a multiple of 8."""
        lanes = 2
        while lanes < min(self.n_classes_, LANES_PER_WORD):
            lanes *= 2
        return lanes if lanes >= self.n_classes_ else -(-self.n_classes_ // LANES_PER_WORD) * LANES_PER_WORD

    def _constructor_args(self) -> list:
        return [self.n_features, [int(n) for n in self.class_count_]]

    def _initialisation(self) -> list[Chunked]:
        # A fresh storage slot costs 22,100 gas, calldata and the loop ~700 more, and checking a
        # count and adding its square ~370 per lane (eight lanes); the per-chunk update of every
        # class's totals (~5,000 gas each) is spread over the ~640 words of a chunk.
        gas_per_item = 26_000 + 10 * self.n_classes_
        return [Chunked("setCountWords", self._packed_words(), gas_per_item=gas_per_item)]

    def _packed_words(self) -> list[int]:
        """The count lanes, eight per word: lane f · L + c holds class c's count of feature f."""
        lanes = np.zeros((self.n_features, self._lanes_per_feature), dtype=object)
        lanes[:, :self.n_classes_] = self.feature_count_.T
        flat = [int(v) for v in lanes.ravel()]
        flat += [0] * (-len(flat) % LANES_PER_WORD)
        return [sum(v << (32 * j) for j, v in enumerate(flat[i:i + LANES_PER_WORD]))
                for i in range(0, len(flat), LANES_PER_WORD)]

    @classmethod
    def _from_contract(cls, contract) -> SparseNearestCentroid:
        model = cls(contract.numFeatures())
        model._init_model(contract.numClasses())
        class_counts, sums = contract.classTotals()
        model.class_count_[:] = class_counts
        model.sum_squared_counts_[:] = [int(s) for s in sums]
        step = 2_000
        for label in range(model.n_classes_):
            for offset in range(0, model.n_features, step):
                count = min(step, model.n_features - offset)
                model.feature_count_[label, offset:offset + count] = contract.featureCounts(label, offset, count)
        return model

    @classmethod
    def from_sklearn(cls, estimator, *, class_counts: Any) -> SparseNearestCentroid:
        """A twin from a ``sklearn.neighbors.NearestCentroid`` fitted on 0/1 data.

        Its centroids are means of 0/1 values, so centroid × class count gives back each feature
        count exactly; give ``class_counts`` (e.g. ``np.bincount(y_train)``), which scikit-learn
        does not keep. A centroid that is not such a fraction means the data was not 0/1.
        """
        real, counts = sklearn_centroids(estimator, class_counts, MAX_CLASS_COUNT)
        counts_real = real * np.array(counts, dtype=float)[:, None]
        feature_counts = np.rint(counts_real)
        if np.max(np.abs(counts_real - feature_counts)) > _COUNT_TOLERANCE or np.any(feature_counts < 0) \
                or np.any(feature_counts > np.array(counts)[:, None]):
            raise ConfigError("the centroids × class_counts are not whole numbers between 0 and the class count: "
                              "the NearestCentroid was not fitted on 0/1 data with these class_counts.")
        model = cls(real.shape[1])
        model._init_model(real.shape[0])
        model.feature_count_[:] = feature_counts.astype(np.int64)
        model.class_count_[:] = counts
        model.sum_squared_counts_[:] = [sum(int(c) ** 2 for c in row) for row in model.feature_count_]
        return model
