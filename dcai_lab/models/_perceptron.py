"""What the sparse and dense perceptron twins share: hyper-parameters, ``fit``, fixed-point
ranges, the update rule's checks, conversion from scikit-learn and reading back from the chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError, real_number, whole_number
from ._base import Chunked, OnChainModel, check_estimator_fitted, clamp_margin

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+; annotations only, so 3.10 runs too

#: Fixed-point scale of both perceptrons' weights, intercept and learning rate
#: (``WEIGHT_SCALE`` in SparsePerceptron.sol and DensePerceptron.sol): 1.0 is stored as 1e6.
WEIGHT_SCALE = 10**6


def _int_range(bits: int) -> tuple[int, int]:
    """Lowest and highest value of a signed integer of ``bits`` bits."""
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


#: Most features a perceptron may have: sparse samples carry each index in 4 bytes.
MAX_FEATURES = 2**32

#: The intercept of both perceptrons is an int64.
_INTERCEPT_RANGE = _int_range(64)


def exact_dot(X: np.ndarray | sp.csr_matrix, weights: list[int], offset: int) -> np.ndarray:
    """``X @ weights + offset`` exactly, as Python ints would compute it: in int64 when the largest
    possible |value| stays below 2^63 (sparse 0/1 rows: at most the row's length times the largest
    weight), else with Python ints in an object array."""
    w = np.asarray(weights, dtype=np.int64)
    largest_weight = max(-int(w.min()), int(w.max())) if len(w) else 0
    if sp.issparse(X):
        largest_x, terms = 1, int(np.diff(X.indptr).max(initial=0))
    else:
        largest_x, terms = (max(-int(X.min()), int(X.max())) if X.size else 0), X.shape[1]
    bound = largest_x * largest_weight * terms
    if bound < 2**63:
        dots = X @ w
    else:
        dense = X.toarray() if sp.issparse(X) else X
        dots = dense.astype(object) @ np.array(weights, dtype=object)
    if bound + abs(offset) < 2**63:
        return dots + offset
    return dots.astype(object) + offset


def _pack(values: list[int], per_word: int) -> list[list[int]]:
    """``values`` in groups of ``per_word`` (the contract's storage words), the last one zero-padded."""
    padded = values + [0] * (-len(values) % per_word)
    return [padded[i:i + per_word] for i in range(0, len(padded), per_word)]


class _Perceptron(OnChainModel):
    """What the sparse and dense perceptron twins share; each adds its score and its update."""

    #: Bits of one stored weight (int32 or int64); the intercept is always an int64.
    weight_bits: ClassVar[int]
    #: Weights per 256-bit storage word, as ``setWeights`` takes them.
    weights_per_word: ClassVar[int]
    #: Upper bound on the gas of loading one word (fresh slot, calldata, packing).
    gas_per_word: ClassVar[int]

    def __init__(self, n_features: int, learning_rate: float = 1.0, max_iter: int = 5) -> None:
        self.n_features = whole_number("n_features", n_features, 1, MAX_FEATURES)
        self.learning_rate = learning_rate
        self.max_iter = whole_number("max_iter", max_iter, 1)
        self._scaled_learning_rate()  # a bad learning rate fails where it is written

    def _scaled_learning_rate(self) -> int:
        """The learning rate times ``WEIGHT_SCALE``, checked as the constructor checks it."""
        step = round(real_number("learning_rate", self.learning_rate, 0) * WEIGHT_SCALE)
        highest = _int_range(self.weight_bits)[1]
        if not 1 <= step <= highest:
            raise ConfigError(f"learning_rate must be positive and at most {highest / WEIGHT_SCALE}, "
                              f"not {self.learning_rate!r}.")
        return step

    def _init_model(self, n_classes: int) -> None:
        if n_classes != 2:
            raise ConfigError(f"a perceptron has exactly two classes (0 and 1), not {n_classes}.")
        self._scaled_learning_rate()  # a bad learning rate fails now, not at deployment
        self.n_classes_ = 2
        self.weights_ = [0] * self.n_features
        self.intercept_ = 0

    def fit(self, X: Any, y: Any) -> Self:
        """Start from zero and make ``max_iter`` passes over ``X`` in order (no shuffling)."""
        self._init_model(2)
        for _ in range(self.max_iter):
            self.partial_fit(X, y)
        return self

    def _predict_sample(self, sample: tuple[int, ...]) -> int:
        return 1 if self._score(sample) > 0 else 0

    def _assess_sample(self, sample: tuple[int, ...], label: int) -> tuple[int, bool]:
        score = self._score(sample)  # signed towards the label: for label 0 a negative score is right
        return clamp_margin(score if label == 1 else -score), (score > 0) == (label == 1)

    def _assess_batch(self, X: np.ndarray | sp.csr_matrix, labels: list[int]) -> list[tuple[int, bool]]:
        scores = self._batch_scores(X)
        return [(clamp_margin(int(s) if label == 1 else -int(s)), (s > 0) == (label == 1))
                for s, label in zip(scores.tolist(), labels)]

    def _update_sample(self, sample: tuple[int, ...], label: int) -> None:
        if self._predict_sample(sample) == label:
            return
        step = self._scaled_learning_rate() * (1 if label == 1 else -1)
        # Check everything before changing anything: the contract reverts the whole update.
        changed = self._moved_weights(sample, step)
        low, high = _int_range(self.weight_bits)
        for feature, weight in changed.items():
            if not low <= weight <= high:
                raise ConfigError(f"this update would move weight {feature} to {weight / WEIGHT_SCALE}, outside "
                                  f"the int{self.weight_bits} range ±{high / WEIGHT_SCALE} (the contract reverts "
                                  "with WeightOutOfRange); use a smaller learning_rate or smaller features.")
        intercept = self.intercept_ + step
        if not _INTERCEPT_RANGE[0] <= intercept <= _INTERCEPT_RANGE[1]:
            raise ConfigError(f"this update would move the intercept to {intercept / WEIGHT_SCALE}, outside the "
                              "int64 range (the contract reverts with InterceptOutOfRange).")
        for feature, weight in changed.items():
            self.weights_[feature] = weight
        self.intercept_ = intercept

    def _predict_batch(self, X: np.ndarray | sp.csr_matrix) -> np.ndarray:
        return (self._batch_scores(X) > 0).astype(int)

    def _score(self, sample: tuple[int, ...]) -> int:
        """The contract's score of one compact sample; class 1 when it is above zero."""
        raise NotImplementedError

    def _batch_scores(self, X: np.ndarray | sp.csr_matrix) -> np.ndarray:
        """``_score`` of every row of a batch, exactly (int64 where nothing can overflow)."""
        raise NotImplementedError

    def _moved_weights(self, sample: tuple[int, ...], step: int) -> dict[int, int]:
        """The new value of every weight an update with ``step`` (±learning rate) changes."""
        raise NotImplementedError

    # -- chain ---------------------------------------------------------------------------------
    def _constructor_args(self) -> list:
        return [self.n_features, self._scaled_learning_rate(), self.intercept_]

    def _initialisation(self) -> list[Chunked]:
        words = _pack(list(self.weights_), self.weights_per_word)
        return [Chunked("setWeights", words, gas_per_item=self.gas_per_word)]

    @classmethod
    def _from_contract(cls, contract) -> Self:
        n_features = contract.numFeatures()
        model = cls(n_features, learning_rate=contract.learningRate() / WEIGHT_SCALE)
        model.n_classes_ = 2
        model.intercept_ = contract.intercept()
        model.weights_ = []
        step = 4_000
        for offset in range(0, n_features, step):
            model.weights_ += contract.weights(offset, min(step, n_features - offset))
        return model

    @classmethod
    def from_sklearn(cls, estimator: Any, learning_rate: float | None = None) -> Self:
        """A twin with a fitted ``sklearn.linear_model.Perceptron``'s weights, quantised.

        ``learning_rate`` defaults to the estimator's ``eta0``. ``quantisation_error_`` is the
        largest absolute difference between a real parameter and its fixed-point value.
        """
        check_estimator_fitted(estimator, "coef_")
        coef = np.asarray(estimator.coef_, dtype=float)
        if coef.shape[0] != 1:
            raise ConfigError(f"only a binary Perceptron (two classes) converts to a {cls.__name__}.")
        if list(estimator.classes_) != [0, 1]:
            raise ConfigError(f"the Perceptron's classes must be [0, 1], not {list(estimator.classes_)}.")
        rate = learning_rate if learning_rate is not None else float(estimator.eta0)
        model = cls(coef.shape[1], learning_rate=rate)
        model._init_model(2)
        real = np.append(coef[0], float(estimator.intercept_[0]))
        scaled = [round(v * WEIGHT_SCALE) for v in real]
        low, high = _int_range(model.weight_bits)
        if min(scaled[:-1]) < low or max(scaled[:-1]) > high:
            raise ConfigError(f"the Perceptron's weights exceed ±{high / WEIGHT_SCALE}, the range of a "
                              f"{cls.__name__} weight.")
        if not _INTERCEPT_RANGE[0] <= scaled[-1] <= _INTERCEPT_RANGE[1]:
            raise ConfigError(f"the Perceptron's intercept exceeds the range of a {cls.__name__} intercept.")
        model.weights_, model.intercept_ = scaled[:-1], scaled[-1]
        model.quantisation_error_ = float(np.max(np.abs(real - np.array(scaled) / WEIGHT_SCALE)))
        return model
