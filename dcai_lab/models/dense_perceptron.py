"""Twin of contracts/models/DensePerceptron.sol: a binary perceptron over real-valued features."""

from __future__ import annotations

from ._samples import SCALE
from ._perceptron import _Perceptron, exact_dot


def _divide_toward_zero(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (> 0) as Solidity's signed division: truncated toward zero.

    Python's ``//`` floors instead, which differs for negative numerators.
    """
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


class DensePerceptron(_Perceptron):
    """Predicts 1 when ``intercept + Σ weight[i]·x[i]`` is above zero (exactly zero predicts 0).

    Samples are real-valued vectors of ``n_features``; like the contract, the twin sees them as
    fixed-point ints (value × ``SCALE`` = 1e9, rounded to nearest). The score is exact, at
    ``WEIGHT_SCALE·SCALE``: ``intercept·SCALE + Σ weight[i]·x[i]``. Training on a wrongly predicted
    sample moves each weight by ``±(learning_rate·x[i] / SCALE)``, the division truncated toward
    zero, and the intercept by ``±learning_rate``; a right prediction changes nothing. Samples
    need not have norm 1 (the original 0xDeCA10B contract required it): standardise the features
    instead. ``fit`` runs ``max_iter`` passes over the data in order: no shuffling and no early
    stopping, so it is reproducible but not identical to scikit-learn's ``fit``.

    Learned: ``weights_`` and ``intercept_`` as fixed-point ints (real value × ``WEIGHT_SCALE`` =
    1e6), each an int64 (within ±9.2e12); the learning rate lies in (0, 9.2e12]. An update that
    would leave that range raises ``ConfigError``, as the contract reverts with
    ``WeightOutOfRange`` / ``InterceptOutOfRange``.
    """

    contract_name = "DensePerceptron"
    sparse = False
    min_gas_per_feature = 850  # measured 878: 8 bytes of calldata and an int64 weight, four per word
    weight_bits = 64
    weights_per_word = 4
    # Measured: at most 26,100 per word (a fresh slot 22,100; four negative ABI-padded int64
    # values of calldata 4 × 512; reading and packing them).
    gas_per_word = 29_000

    def _score(self, sample: tuple[int, ...]) -> int:
        return self.intercept_ * SCALE + sum(w * x for w, x in zip(self.weights_, sample, strict=True))

    def _batch_scores(self, X):
        return exact_dot(X, self.weights_, self.intercept_ * SCALE)

    def _moved_weights(self, sample: tuple[int, ...], step: int) -> dict[int, int]:
        sign = 1 if step > 0 else -1
        rate = abs(step)
        return {i: w + sign * _divide_toward_zero(rate * x, SCALE)
                for i, (w, x) in enumerate(zip(self.weights_, sample, strict=True))}
