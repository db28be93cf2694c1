"""Twin of contracts/models/NearestCentroid.sol: each class's mean, and the nearest one wins."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError, whole_number
from . import _samples
from ._base import Chunked, OnChainModel, check_estimator_fitted, clamp_margin
from ._samples import SCALE

#: ``NearestCentroid.COORDINATES_PER_WORD``: int64 coordinates packed into one storage word.
COORDINATES_PER_WORD = 4
#: ``NearestCentroid.MAX_CLASS_COUNT``: class counts are uint64.
MAX_CLASS_COUNT = 2**64 - 1
_INT64_MASK = 2**64 - 1


class NearestCentroid(OnChainModel):
    """Puts a sample in the class whose centroid (mean) is nearest in squared Euclidean distance.

    Distances are exact integers, ``Σ (x_j − c_j)²`` in SCALE² units; a tie goes to the lower
    class. ``fit`` computes each class's mean directly, rounded to the nearest fixed-point value
    (half up), as scikit-learn's ``NearestCentroid`` does in floating point. ``partial_fit`` trains
    exactly as the contract's ``update``: ``c ← c + trunc((x − c) / (count + 1))``, the division
    truncating toward zero, then ``count += 1``. A class with no samples keeps its loaded centroid
    (the origin by default) until its first sample, which becomes its centroid.

    Range: feature values and centroids are int64 fixed point (±9.2e9 in real units); counts are
    at most ``MAX_CLASS_COUNT``. Samples need not have norm 1 (0xDeCA10B's version required it).

    Learned: ``centroids_`` (n_classes × n_features, int64, value × SCALE as the samples) and
    ``class_count_`` (samples per class, uint64).
    """

    contract_name = "NearestCentroid"
    sparse = False
    min_gas_per_feature = 750  # measured 792 with two classes: 8 bytes of calldata, a coordinate per class

    def __init__(self, n_features: int) -> None:
        self.n_features = whole_number("n_features", n_features, 1)

    def _init_model(self, n_classes: int) -> None:
        self.n_classes_ = n_classes
        self.centroids_ = np.zeros((n_classes, self.n_features), dtype=np.int64)
        self.class_count_ = np.zeros(n_classes, dtype=np.uint64)

    def fit(self, X: Any, y: Any, classes: Any = None) -> NearestCentroid:
        """Each class's centroid is the mean of its samples in ``X``, rounded half up."""
        samples = self.to_samples(X)
        labels, n_classes = fit_labels(y, classes)
        _samples.one_label_each(samples, labels)
        self._init_model(n_classes)
        for label in range(self.n_classes_):
            members = [s for s, lab in zip(samples, labels, strict=True) if lab == label]
            if members:
                n = len(members)
                sums = np.array(members, dtype=object).sum(axis=0)
                self.centroids_[label] = [(2 * s + n) // (2 * n) for s in sums]
                self.class_count_[label] = n
        return self

    # -- the contract's arithmetic ---------------------------------------------------------------
    def _squared_distances(self, sample: tuple[int, ...]) -> list[int]:
        x = np.array(sample, dtype=object)
        return [int(((x - c.astype(object)) ** 2).sum()) for c in self.centroids_]

    def _predict_sample(self, sample: tuple[int, ...]) -> int:
        distances = self._squared_distances(sample)
        return distances.index(min(distances))  # the first minimum: ties go to the lower class

    def _assess_sample(self, sample: tuple[int, ...], label: int) -> tuple[int, bool]:
        """The nearest other class's squared distance minus the label's (SCALE² units)."""
        distances = self._squared_distances(sample)
        nearest_other = min(d for c, d in enumerate(distances) if c != label)
        return clamp_margin(nearest_other - distances[label]), distances.index(min(distances)) == label

    def _predict_batch(self, X: np.ndarray) -> np.ndarray:
        largest = max((max(-int(a.min()), int(a.max())) for a in (X, self.centroids_) if a.size), default=0)
        if largest >= 2**62:  # differences might not fit an int64: the exact arithmetic, row by row
            return np.array([self._predict_sample(_samples.batch_row(X, i)) for i in range(X.shape[0])], dtype=int)
        distances, error = self._estimated_distances(X)
        return self._settle_near_ties(X, -distances, error, np.arange(self.n_classes_))

    def _estimated_distances(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Floating-point squared distances of every row to every class and how far each may be
        from the exact one, for coordinates below 2^62.

        Each difference is exact in int64, so its square and the sum of ``n_features`` squares in
        float64 are within a relative ``(n_features + 3)·2^-53`` of the exact distance; the error
        returned is four times that.
        """
        distances = np.column_stack([((X - c).astype(float) ** 2).sum(axis=1)
                                     for c in np.asarray(self.centroids_, dtype=np.int64)])
        return distances, distances * ((self.n_features + 3) * 2.0**-51)

    def _update_sample(self, sample: tuple[int, ...], label: int) -> None:
        count = int(self.class_count_[label])
        if count == MAX_CLASS_COUNT:
            raise ConfigError(f"class {label} already counts {MAX_CLASS_COUNT} samples, the most it can hold.")
        new_count = count + 1
        old = [int(c) for c in self.centroids_[label]]
        self.centroids_[label] = [c + _truncating_division(x - c, new_count) for x, c in zip(sample, old)]
        self.class_count_[label] = new_count

    def squared_distances(self, X: Any) -> np.ndarray:
        """Exact squared distance (SCALE² units) from each sample to each class, as the contract's
        ``squaredDistance`` returns it: an (n_samples × n_classes) array of Python ints."""
        self._check_fitted()
        return np.array([self._squared_distances(s) for s in self.to_samples(X)], dtype=object)

    # -- chain ---------------------------------------------------------------------------------
    def _constructor_args(self) -> list:
        return [self.n_features, [int(n) for n in self.class_count_]]

    def _initialisation(self) -> list[Chunked]:
        # A fresh storage slot costs 22,100 gas; a packed word's calldata and the loop ~900 more.
        return [Chunked("setCentroidWords", self._packed_words(), gas_per_item=23_000)]

    def _packed_words(self) -> list[int]:
        """Four int64 coordinates per word, coordinate j of a class in word j // 4, lane j % 4."""
        words = []
        for centroid in self.centroids_:
            lanes = [int(c) & _INT64_MASK for c in centroid]
            for start in range(0, self.n_features, COORDINATES_PER_WORD):
                chunk = lanes[start:start + COORDINATES_PER_WORD]
                words.append(sum(v << (64 * lane) for lane, v in enumerate(chunk)))
        return words

    @classmethod
    def _from_contract(cls, contract) -> NearestCentroid:
        model = cls(contract.numFeatures())
        model._init_model(contract.numClasses())
        model.class_count_[:] = contract.classCounts()
        step = 2_000
        for label in range(model.n_classes_):
            for offset in range(0, model.n_features, step):
                count = min(step, model.n_features - offset)
                model.centroids_[label, offset:offset + count] = contract.centroid(label, offset, count)
        return model

    @classmethod
    def from_sklearn(cls, estimator, *, class_counts: Any) -> NearestCentroid:
        """A twin with a fitted ``sklearn.neighbors.NearestCentroid``'s centroids, quantised.

        scikit-learn keeps no class sizes, so give ``class_counts`` (e.g. ``np.bincount(y)``):
        they weigh later updates. ``quantisation_error_`` is the largest absolute difference
        between a real centroid coordinate and its fixed-point value.
        """
        real, counts = sklearn_centroids(estimator, class_counts, MAX_CLASS_COUNT)
        model = cls(real.shape[1])
        model._init_model(real.shape[0])
        scaled = [[round(float(v) * SCALE) for v in row] for row in real]
        if np.max(np.abs(scaled)) > 2**63 - 1:
            raise ConfigError(f"centroid values must lie within ±{(2**63 - 1) / SCALE:.3g}; scale your data first.")
        model.centroids_[:] = scaled
        model.class_count_[:] = counts
        model.quantisation_error_ = float(np.max(np.abs(real - np.array(scaled, dtype=float) / SCALE)))
        return model


def _truncating_division(a: int, b: int) -> int:
    """a / b rounded toward zero, as Solidity divides signed integers (b > 0)."""
    quotient = abs(a) // b
    return quotient if a >= 0 else -quotient


def fit_labels(y: Any, classes: Any) -> tuple[list[int], int]:
    """The labels as class indices, and the number of classes: ``len(classes)`` when given, else
    one more than the largest label (at least two)."""
    n_classes = len(classes) if classes is not None else None
    labels = _samples.labels(y, n_classes)
    return labels, max(2, n_classes or max(labels, default=0) + 1)


def sklearn_centroids(estimator, class_counts: Any, max_count: int) -> tuple[np.ndarray, list[int]]:
    """The real centroids of a fitted ``sklearn.neighbors.NearestCentroid`` and checked class counts.

    Only plain class means convert: Euclidean metric, no shrinking, and uniform priors (other
    priors make scikit-learn's predict use a different, standardised distance).
    """
    check_estimator_fitted(estimator, "centroids_")
    if getattr(estimator, "metric", "euclidean") != "euclidean" or getattr(estimator, "shrink_threshold", None):
        raise ConfigError("only a NearestCentroid with metric='euclidean' and no shrink_threshold converts: "
                          "its centroids must be the class means.")
    n_classes = len(estimator.classes_)
    if not np.allclose(getattr(estimator, "class_prior_", 1 / n_classes), 1 / n_classes):
        raise ConfigError("only a NearestCentroid with priors='uniform' converts: other priors change how it predicts.")
    if list(estimator.classes_) != list(range(n_classes)):
        raise ConfigError(f"the NearestCentroid's classes must be 0 … {n_classes - 1}, not {list(estimator.classes_)}.")
    counts = np.asarray(class_counts).ravel()
    if counts.shape != (n_classes,) or not np.all(np.mod(counts, 1) == 0) or np.any(counts < 0) \
            or np.any(counts > max_count):
        raise ConfigError(f"class_counts must be {n_classes} whole numbers 0 … {max_count}, one per class "
                          "(e.g. np.bincount(y_train)).")
    return np.asarray(estimator.centroids_, dtype=float), [int(n) for n in counts]
