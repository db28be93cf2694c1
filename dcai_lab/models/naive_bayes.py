"""Twin of contracts/models/NaiveBayes.sol: multinomial naive Bayes over present features."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError, real_number, whole_number
from ._base import MARGIN_LIMIT, Chunked, OnChainModel, check_estimator_fitted

#: Fixed-point scale of the smoothing α (``NaiveBayes.ALPHA_SCALE``): 1.0 is stored as 1e9.
ALPHA_SCALE = 10**9
#: Logs are log2 values times 2**LOG_FRACTION_BITS (``NaiveBayes.LOG_FRACTION_BITS``).
LOG_FRACTION_BITS = 16
#: Largest sample count of a class and largest count of a (class, feature) (``NaiveBayes.MAX_COUNT``).
MAX_COUNT = 2**21 - 1
#: Largest vocabulary: features are uint32 indices.
MAX_FEATURES = 2**32
#: Number of 21-bit counts in one storage slot (``NaiveBayes.COUNTS_PER_SLOT``).
COUNTS_PER_SLOT = 12
#: The score of a class without samples (``type(int256).min`` on chain): it is never predicted.
NO_SAMPLES_SCORE = -(2**255)
#: Largest α this twin converts exactly to and from ``alphaScaled`` (the contract takes up to
#: ``MAX_ALPHA_SCALED / ALPHA_SCALE`` ≈ 9.2e9).
MAX_ALPHA = 10**6

# Constants of log2_scaled, all with 64 fraction bits (1.0 is 2**64), rounded down; the contract
# spells out the same numbers.
_ONE = 2**64
_TWO = 2**65
_SQRT2 = 26087635650665564424
_ONE_THIRD = _ONE // 3
_ONE_FIFTH = _ONE // 5
_ONE_SEVENTH = _ONE // 7
_TWO_OVER_LN2 = 53226052391377289966
_COUNT_BITS = 21
#: Gas bound per slot loaded by ``setCounts``: a fresh storage slot (22,100), its calldata and the
#: loop over its twelve lanes (measured ≤ 26,520 with all twelve lanes at MAX_COUNT).
_GAS_PER_SLOT = 27_000


def log2_scaled(x: int) -> int:
    """ℓ(x) ≈ log2(x) × 2^16, rounded down, exactly as ``NaiveBayes.log2Scaled`` computes it.

    ``log2 x = n + log2 m`` with ``n`` the bit length minus one and ``m = x / 2^n`` in [1, 2) held
    with 64 fraction bits; ``log2 m = (2 / ln 2) · atanh(s)`` with ``s = (m − 1) / (m + 1)``, and
    four terms of ``atanh(s) = s + s³/3 + s⁵/5 + s⁷/7 + …`` suffice because ``m / 2`` and ``n + 1``
    are used when ``m ≥ √2``, keeping ``|s| ≤ 0.17``. Unsigned integer arithmetic rounded down at
    every step; the result is within one unit of ``⌊log2(x) × 2^16⌋`` and never decreases as x grows.
    """
    if x < 1:
        raise ConfigError(f"log2 needs a positive integer, not {x}.")
    n = x.bit_length() - 1
    m = x << (64 - n) if n < 64 else x >> (n - 64)
    negative = m >= _SQRT2
    if negative:
        n += 1
        s = ((_TWO - m) << 64) // (m + _TWO)
    else:
        s = ((m - _ONE) << 64) // (m + _ONE)
    s2 = (s * s) >> 64
    t = _ONE_FIFTH + ((s2 * _ONE_SEVENTH) >> 64)
    t = _ONE_THIRD + ((s2 * t) >> 64)
    t = _ONE + ((s2 * t) >> 64)
    mantissa_log = ((s * t) >> 64) * _TWO_OVER_LN2
    total = (n << 128) - mantissa_log if negative else (n << 128) + mantissa_log
    return total >> (128 - LOG_FRACTION_BITS)


def _alpha_scaled(alpha: float) -> int:
    return round(real_number("alpha", alpha, 1e-9, MAX_ALPHA) * ALPHA_SCALE)


def log_product(factors) -> int:
    """L ≈ 2^16 · log2 of the product of positive integer factors, as ``NaiveBayes`` computes it.

    The product is kept as a mantissa below 2^128 times 2^E: whenever the mantissa reaches 2^128 it
    drops its low 64 bits and E grows by 64. One log at the end: ``ℓ(mantissa) + 2^16 · E``.
    """
    mantissa, exponent = 1, 0
    for factor in factors:
        mantissa *= factor
        if mantissa >> 128:
            mantissa >>= 64
            exponent += 64
    return log2_scaled(mantissa) + (exponent << LOG_FRACTION_BITS)


class NaiveBayes(OnChainModel):
    """Multinomial naive Bayes over present features, any number of classes.

    A sample is the set of its present features; each counts once. Training adds the sample to its
    class: ``class_count_[y] += 1`` and ``feature_count_[y, f] += 1`` for every present f (always,
    whatever the model predicted). ``predict`` returns the class with the largest
    ``log P(c) + Σ_{f∈x} log((count_cf + α) / (total_c + α·V))``, where
    ``total_c = feature_count_[c].sum()`` and ``V = n_features``, evaluated as the contract does:
    in base-2 fixed-point logs ``ℓ(v) ≈ log2(v) × 2^16`` rounded down (:func:`log2_scaled`), with α
    quantised to ``alpha_scaled = round(α × 1e9)``. For a sample of k features the contract
    compares, per class, ``ℓ(n_c) − k·ℓ(total_c·1e9 + alpha_scaled·V) + L_c`` with
    ``L_c = log_product(count_cf·1e9 + alpha_scaled for f in x)`` (:func:`log_product`: one log of
    the whole product) — the true score up to a constant shared by all classes. Ties go to the
    lowest class; a class without samples is never predicted, and a model without any samples
    predicts 0.

    Supported range, as on chain: ``1 ≤ n_features ≤ 2^32``, ``1e-9 ≤ α ≤ 1e6``, every class and
    (class, feature) count ≤ ``2^21 − 1``; training past a limit raises ``ConfigError`` (the
    contract reverts with ``SampleCountLimit`` / ``FeatureCountLimit``).

    Learned: ``class_count_`` (samples per class) and ``feature_count_`` (classes × features), both
    int64 arrays equal to the contract's counters. ``class_log_prior_`` and ``feature_log_prob_``
    are the fixed-point logs converted to natural-log floats, for comparison with scikit-learn.
    """

    contract_name = "NaiveBayes"
    sparse = True
    min_gas_per_feature = 750  # measured 760 with two classes: a count and a product step per class

    def __init__(self, n_features: int, alpha: float = 1.0) -> None:
        self.n_features = whole_number("n_features", n_features, 1, MAX_FEATURES)
        self.alpha = alpha
        _alpha_scaled(alpha)  # a bad alpha fails where it is written

    @property
    def alpha_scaled(self) -> int:
        """α × ALPHA_SCALE, rounded: the contract's ``alphaScaled``."""
        return _alpha_scaled(self.alpha)

    def _init_model(self, n_classes: int) -> None:
        _alpha_scaled(self.alpha)
        self.n_classes_ = n_classes
        self.class_count_ = np.zeros(n_classes, dtype=np.int64)
        self.feature_count_ = np.zeros((n_classes, self.n_features), dtype=np.int64)

    def fit(self, X: Any, y: Any) -> NaiveBayes:
        """Forget what was learned, then count every sample of ``X`` once."""
        for name in ("n_classes_", "class_count_", "feature_count_"):
            self.__dict__.pop(name, None)
        return self.partial_fit(X, y)

    # -- the contract's arithmetic -------------------------------------------------------------
    def _class_terms(self, label: int) -> tuple[int, int]:
        """ℓ(n_c) (0 when n_c = 0) and ℓ(total_c × ALPHA_SCALE + alphaScaled × V)."""
        n = int(self.class_count_[label])
        total = int(self.feature_count_[label].sum())
        log_prior = log2_scaled(n) if n else 0
        return log_prior, log2_scaled(total * ALPHA_SCALE + self.alpha_scaled * self.n_features)

    def _scores(self, sample: tuple[int, ...]) -> list[int]:
        alpha_scaled = self.alpha_scaled
        scores = []
        for c in range(self.n_classes_):
            if self.class_count_[c] == 0:
                scores.append(NO_SAMPLES_SCORE)
                continue
            log_prior, log_denominator = self._class_terms(c)
            counts = self.feature_count_[c]
            log_numerator = log_product(int(counts[f]) * ALPHA_SCALE + alpha_scaled for f in sample)
            scores.append(log_prior - len(sample) * log_denominator + log_numerator)
        return scores

    def scores(self, X: Any) -> list[list[int]]:
        """Each class's score for each sample, exactly the contract's ``scores``.

        The score is ``2^16 · log2 P(c, x)`` up to a constant shared by all classes (fixed point,
        see the class docstring); a class without samples scores ``NO_SAMPLES_SCORE`` (−2^255).
        """
        self._check_fitted()
        return [self._scores(sample) for sample in self.to_samples(X)]

    def _predict_sample(self, sample: tuple[int, ...]) -> int:
        scores = self._scores(sample)
        # The first of the highest scores; a class without samples never wins, and with none at all
        # every score is NO_SAMPLES_SCORE and the answer is class 0.
        return scores.index(max(scores))

    def _assess_sample(self, sample: tuple[int, ...], label: int) -> tuple[int, bool]:
        """The label's score minus the best other class's, among classes with samples: −MARGIN_LIMIT
        when the label's class has none, +MARGIN_LIMIT when no other class has any."""
        scores = self._scores(sample)
        right = scores.index(max(scores)) == label
        others = [s for c, s in enumerate(scores) if c != label and s != NO_SAMPLES_SCORE]
        if scores[label] == NO_SAMPLES_SCORE:
            return -MARGIN_LIMIT, right
        if not others:
            return MARGIN_LIMIT, right
        return scores[label] - max(others), right  # within ±2^58: no clamp needed

    def _predict_batch(self, X) -> np.ndarray:
        classes = np.flatnonzero(self.class_count_)  # a class without samples is never predicted
        if not len(classes):
            return np.zeros(X.shape[0], dtype=int)
        return self._settle_near_ties(X, *self._estimated_scores(X, classes), classes)

    def _estimated_scores(self, X, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Floating-point scores of every row for ``classes`` and how far each may be from the exact one.

        The exact score's one log of the product, ``ℓ(mantissa) + 2^16·E``, is within 2 units of
        ``2^16·log2 Π factors`` (ℓ is within one unit of its floor; dropping the mantissa's low bits
        loses less than 2^-64 of it each time); summing the k float logs adds less than
        ``k²·2^-28`` units more (each term is below 2^16·128).
        """
        factors = self.feature_count_[classes].astype(float) * ALPHA_SCALE + self.alpha_scaled
        logs = np.log2(factors) * 2**LOG_FRACTION_BITS
        log_prior, log_denominator = np.array([self._class_terms(int(c)) for c in classes], dtype=float).T
        k = np.diff(X.indptr).astype(float)[:, None]
        estimates = X @ logs.T + log_prior - k * log_denominator
        return estimates, np.broadcast_to(4 + k**2 * 2.0**-28, estimates.shape)

    def _update_sample(self, sample: tuple[int, ...], label: int) -> None:
        if self.class_count_[label] >= MAX_COUNT:
            raise ConfigError(f"class {label} already has {MAX_COUNT} samples, the most the contract can count.")
        counts = self.feature_count_[label]
        full = [f for f in sample if counts[f] >= MAX_COUNT]
        if full:
            raise ConfigError(f"feature {full[0]} of class {label} already has the largest count the "
                              f"contract supports ({MAX_COUNT}).")
        self.class_count_[label] += 1
        counts[list(sample)] += 1

    # -- natural-log views, for comparison with scikit-learn ----------------------------------------
    @property
    def feature_log_prob_(self) -> np.ndarray:
        """log((count_cf + α) / (total_c + α·V)) as a difference of two fixed-point logs, in nats.

        This is the term scikit-learn adds per feature; ``predict`` adds the same terms, except that
        it takes one log of the product of the numerators (:func:`log_product`) instead of one each.
        """
        self._check_fitted()
        alpha_scaled = self.alpha_scaled
        out = np.empty(self.feature_count_.shape)
        for c in range(self.n_classes_):
            _, log_denominator = self._class_terms(c)
            for f, count in enumerate(self.feature_count_[c]):
                out[c, f] = log2_scaled(int(count) * ALPHA_SCALE + alpha_scaled) - log_denominator
        return out * (math.log(2) / 2**LOG_FRACTION_BITS)

    @property
    def class_log_prior_(self) -> np.ndarray:
        """log(n_c / Σ n) from the fixed-point logs, in natural-log units (-inf for an empty class)."""
        self._check_fitted()
        n_total = int(self.class_count_.sum())
        if n_total == 0:
            return np.full(self.n_classes_, -np.inf)
        log_total = log2_scaled(n_total)
        return np.array([(log2_scaled(int(n)) - log_total) * (math.log(2) / 2**LOG_FRACTION_BITS) if n else -np.inf
                         for n in self.class_count_])

    # -- chain ---------------------------------------------------------------------------------
    def _count_slots(self) -> list[int]:
        """The contract's count slots, packed as in its storage layout, without trailing zero slots.

        With C ≤ 12 classes, ⌊12 / C⌋ consecutive features share a slot and count_cf sits in lane
        ``(f mod F)·C + c``; with more classes each feature takes ⌈C / 12⌉ slots of twelve classes.
        """
        n_classes = self.n_classes_
        classes_per_slot = min(n_classes, COUNTS_PER_SLOT)
        features_per_slot = COUNTS_PER_SLOT // classes_per_slot
        class_groups = -(-n_classes // COUNTS_PER_SLOT)
        n_feature_groups = -(-self.n_features // features_per_slot)
        slots = [0] * (n_feature_groups * class_groups)
        rows, columns = np.nonzero(self.feature_count_)
        for c, f in zip(rows.tolist(), columns.tolist()):
            key = f // features_per_slot * class_groups + c // COUNTS_PER_SLOT
            lane = f % features_per_slot * classes_per_slot + c % COUNTS_PER_SLOT
            slots[key] |= int(self.feature_count_[c, f]) << (_COUNT_BITS * lane)
        while slots and slots[-1] == 0:
            slots.pop()
        return slots

    def _constructor_args(self) -> list:
        return [self.n_features, self.n_classes_, self.alpha_scaled, [int(n) for n in self.class_count_]]

    def _initialisation(self) -> list[Chunked]:
        return [Chunked("setCounts", self._count_slots(), gas_per_item=_GAS_PER_SLOT)]

    @classmethod
    def _from_contract(cls, contract) -> NaiveBayes:
        n_features, n_classes = contract.numFeatures(), contract.numClasses()
        model = cls(n_features, alpha=contract.alphaScaled() / ALPHA_SCALE)
        model._init_model(n_classes)
        sample_counts, _ = contract.classCounts()
        model.class_count_[:] = sample_counts
        step = 2_000
        for c in range(n_classes):
            for offset in range(0, n_features, step):
                counts = contract.featureCounts(c, offset, min(step, n_features - offset))
                model.feature_count_[c, offset:offset + len(counts)] = counts
        return model

    @classmethod
    def from_sklearn(cls, estimator) -> NaiveBayes:
        """A twin with a fitted ``sklearn.naive_bayes.MultinomialNB``'s counts and α.

        The counts must be whole numbers (they are when the estimator was fitted on 0/1 presence
        data without sample weights), and the prior must be the empirical one (``fit_prior=True``,
        no ``class_prior``). Only the logs are approximated: ``quantisation_error_`` is the largest
        absolute difference, in natural-log units, between the estimator's ``feature_log_prob_`` /
        ``class_log_prior_`` and the twin's fixed-point ones.
        """
        check_estimator_fitted(estimator, "classes_")
        if not estimator.fit_prior or estimator.class_prior is not None:
            raise ConfigError("only a MultinomialNB with the empirical prior (fit_prior=True, class_prior=None) "
                              "converts.")
        n_classes = len(estimator.classes_)
        if list(estimator.classes_) != list(range(n_classes)):
            raise ConfigError(f"the classes must be 0 … {n_classes - 1}, not {list(estimator.classes_)}.")
        class_count = np.asarray(estimator.class_count_, dtype=float)
        feature_count = np.asarray(estimator.feature_count_, dtype=float)
        if np.any(np.mod(class_count, 1)) or np.any(np.mod(feature_count, 1)):
            raise ConfigError("the estimator's counts are not whole numbers: fit it on 0/1 presence data "
                              "without sample weights.")
        if np.ndim(estimator.alpha) != 0:
            raise ConfigError("only a single smoothing alpha (not one per feature) converts.")
        model = cls(feature_count.shape[1], alpha=float(estimator.alpha))
        model._init_model(max(n_classes, 2))
        model.class_count_[:n_classes] = class_count.astype(np.int64)
        model.feature_count_[:n_classes] = feature_count.astype(np.int64)
        if model.class_count_.max() > MAX_COUNT or model.feature_count_.max() > MAX_COUNT:
            raise ConfigError(f"a count exceeds {MAX_COUNT}, the largest the contract supports.")
        model.quantisation_error_ = float(max(
            np.max(np.abs(estimator.feature_log_prob_ - model.feature_log_prob_[:n_classes])),
            np.max(np.abs(estimator.class_log_prior_ - model.class_log_prior_[:n_classes])),
        ))
        return model
