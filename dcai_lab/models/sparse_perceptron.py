"""Twin of contracts/models/SparsePerceptron.sol: a binary perceptron over present features."""

from __future__ import annotations

from ._perceptron import WEIGHT_SCALE, _Perceptron, exact_dot

__all__ = ["WEIGHT_SCALE", "SparsePerceptron"]  # WEIGHT_SCALE: the scale users convert with


class SparsePerceptron(_Perceptron):
    """Predicts 1 when ``intercept + Σ weight[f]`` over the present features is above zero.

    A score of exactly zero predicts 0 (scikit-learn's convention). Training on a wrongly
    predicted sample moves each present weight AND the intercept by ``learning_rate`` towards the
    right class; a right prediction changes nothing. (The original 0xDeCA10B perceptron never
    moved the intercept.) ``fit`` runs ``max_iter`` passes over the data in order: no shuffling
    and no early stopping, so it is reproducible but not identical to scikit-learn's ``fit``
    (which, on sparse input, also moves the intercept by only 0.01 × ``eta0``). Use
    ``from_sklearn`` to put a fitted scikit-learn Perceptron on chain.

    Learned: ``weights_`` and ``intercept_`` as fixed-point ints (real value × ``WEIGHT_SCALE`` =
    1e6). A weight is an int32 (within ±2147.483647), the intercept an int64; the learning rate
    lies in (0, 2147.483647]. An update that would leave these ranges raises ``ConfigError``,
    as the contract reverts with ``WeightOutOfRange`` / ``InterceptOutOfRange``.
    """

    contract_name = "SparsePerceptron"
    sparse = True
    min_gas_per_feature = 500  # measured 535: reading an int32 weight, eight per word
    weight_bits = 32
    weights_per_word = 8
    # Measured: at most 29,400 per word (a fresh slot 22,100; eight negative ABI-padded int32
    # values of calldata 8 × 512; reading and packing them).
    gas_per_word = 32_000

    def _score(self, sample: tuple[int, ...]) -> int:
        return self.intercept_ + sum(self.weights_[f] for f in sample)

    def _batch_scores(self, X):
        return exact_dot(X, self.weights_, self.intercept_)

    def _moved_weights(self, sample: tuple[int, ...], step: int) -> dict[int, int]:
        return {f: self.weights_[f] + step for f in sample}
