"""Twin of contracts/models/SparsePerceptron.sol: a binary perceptron over present features."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError
from ._base import Chunked, OnChainModel

#: Fixed-point scale of weights, intercept and learning rate (``SparsePerceptron.WEIGHT_SCALE``).
WEIGHT_SCALE = 10**9


class SparsePerceptron(OnChainModel):
    """Predicts 1 when ``intercept + Σ weight[f]`` over the present features is above zero.

    Training on a wrongly predicted sample moves each present weight and the intercept by
    ``learning_rate`` towards the right class; a right prediction changes nothing. ``fit`` runs
    ``max_iter`` passes over the data in order (no shuffling, so it is reproducible).

    Learned: ``weights_`` and ``intercept_`` as fixed-point ints (real value × ``WEIGHT_SCALE``).
    """

    contract_name = "SparsePerceptron"
    sparse = True

    def __init__(self, n_features: int, learning_rate: float = 1.0, max_iter: int = 5) -> None:
        self.n_features = n_features
        self.learning_rate = learning_rate
        self.max_iter = max_iter

    @property
    def _step(self) -> int:
        return round(self.learning_rate * WEIGHT_SCALE)

    def _init_model(self, n_classes: int) -> None:
        if n_classes != 2:
            raise ConfigError(f"a perceptron has exactly two classes (0 and 1), not {n_classes}.")
        self.n_classes_ = 2
        self.weights_ = [0] * self.n_features
        self.intercept_ = 0

    def fit(self, X: Any, y: Any) -> SparsePerceptron:
        """Start from zero weights and make ``max_iter`` passes over ``X``."""
        self._init_model(2)
        for _ in range(self.max_iter):
            self.partial_fit(X, y)
        return self

    def _score(self, sample: tuple[int, ...]) -> int:
        return self.intercept_ + sum(self.weights_[f] for f in sample)

    def _predict_sample(self, sample: tuple[int, ...]) -> int:
        return 1 if self._score(sample) > 0 else 0

    def _update_sample(self, sample: tuple[int, ...], label: int) -> None:
        if self._predict_sample(sample) == label:
            return
        step = self._step if label == 1 else -self._step
        for f in sample:
            self.weights_[f] += step
        self.intercept_ += step

    # -- chain ---------------------------------------------------------------------------------
    def _constructor_args(self) -> list:
        return [self.n_features, self._step, self.intercept_]

    def _initialisation(self) -> list[Chunked]:
        # A fresh storage slot costs 22,100 gas; the rest is calldata and the loop.
        return [Chunked("setWeights", list(self.weights_), gas_per_item=23_500)]

    @classmethod
    def _from_contract(cls, contract) -> SparsePerceptron:
        n_features = contract.numFeatures()
        model = cls(n_features, learning_rate=contract.learningRate() / WEIGHT_SCALE)
        model.n_classes_ = 2
        model.intercept_ = contract.intercept()
        model.weights_ = []
        step = 2_000
        for offset in range(0, n_features, step):
            model.weights_ += contract.weights(offset, min(step, n_features - offset))
        return model

    @classmethod
    def from_sklearn(cls, estimator, learning_rate: float | None = None) -> SparsePerceptron:
        """A twin with a fitted ``sklearn.linear_model.Perceptron``'s weights, quantised.

        ``quantisation_error_`` is the largest absolute difference between a real weight and its
        fixed-point value.
        """
        coef = np.asarray(estimator.coef_, dtype=float)
        if coef.shape[0] != 1:
            raise ConfigError("only a binary Perceptron (two classes) converts to a SparsePerceptron.")
        if list(estimator.classes_) != [0, 1]:
            raise ConfigError(f"the Perceptron's classes must be [0, 1], not {list(estimator.classes_)}.")
        rate = learning_rate if learning_rate is not None else float(estimator.eta0)
        model = cls(coef.shape[1], learning_rate=rate)
        model.n_classes_ = 2
        real = np.append(coef[0], float(estimator.intercept_[0]))
        scaled = [round(v * WEIGHT_SCALE) for v in real]
        model.weights_, model.intercept_ = scaled[:-1], scaled[-1]
        model.quantisation_error_ = float(np.max(np.abs(real - np.array(scaled) / WEIGHT_SCALE)))
        return model
