"""What every on-chain model's Python twin shares.

A twin speaks scikit-learn (hyper-parameters in ``__init__``, ``fit``/``partial_fit``/``predict``,
learned attributes ending in ``_``) and reproduces its contract's integer arithmetic exactly:
same predictions, same parameters after the same updates, same tie-breaks. Each model supplies
small hooks (among them predicting one sample, and predicting a whole batch with NumPy/SciPy to
exactly the same answers); everything else — input conversion, label checks, deployment in chunks,
reading a model back from the chain — is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ..chain.engines._base import TX_GAS_CAP
from ..errors import ConfigError
from . import _samples

if TYPE_CHECKING:
    from ..chain.contract import Contract


#: ``Classifier.MARGIN_LIMIT``: ``assess`` clamps every margin to ±2^128, so a sum of fewer than
#: 2^64 margins never overflows an int256 on chain.
MARGIN_LIMIT = 2**128


def clamp_margin(margin: int) -> int:
    """``margin`` limited to ±``MARGIN_LIMIT``, as ``Classifier._clampMargin``."""
    return max(-MARGIN_LIMIT, min(MARGIN_LIMIT, margin))


@dataclass(frozen=True)
class Chunked:
    """A parameter table loaded by ``function(*leading, offset, items[offset:offset + n])`` calls.

    ``gas_per_item`` is an upper bound on what one item costs; the deployer sizes each chunk from it
    so that no transaction comes near the per-transaction gas cap.
    """

    function: str
    items: list
    gas_per_item: int
    leading: tuple = ()


def check_estimator_fitted(estimator: Any, attribute: str) -> None:
    """Refuse to convert a scikit-learn estimator that was never fitted (it lacks ``attribute``)."""
    if not hasattr(estimator, attribute):
        raise ConfigError(f"the {type(estimator).__name__} is not fitted yet: call its fit first.")


class OnChainModel:
    """Base class of the Python twins of the on-chain models."""

    #: Name of the contract artifact this twin mirrors.
    contract_name: ClassVar[str]
    #: True when samples are sets of present features (indices), False for dense vectors.
    sparse: ClassVar[bool]
    #: The least gas one present feature adds to predicting or training on chain (reading its
    #: parameters and scoring it), measured in the cheapest case: every parameter non-zero, the
    #: features next to each other. A sample whose features cost more than ``TX_GAS_CAP`` at this
    #: rate fits no transaction or call, so it is refused before anything is sent.
    min_gas_per_feature: ClassVar[int]

    n_features: int
    n_classes_: int

    # -- the hooks each model implements -------------------------------------------------------
    def _predict_sample(self, sample: tuple[int, ...]) -> int:
        """The class index the contract's ``predict`` returns for one compact sample."""
        raise NotImplementedError

    def _predict_batch(self, X: np.ndarray | sp.csr_matrix) -> np.ndarray:
        """``_predict_sample`` of every row of ``X`` (from ``to_batch``), computed for all at once."""
        raise NotImplementedError

    def _assess_sample(self, sample: tuple[int, ...], label: int) -> tuple[int, bool]:
        """The contract's ``assess`` of one compact sample and class index: ``(margin, right)``.

        ``right`` is exactly ``_predict_sample(sample) == label``; ``margin`` is the model's signed
        preference for ``label`` over the best other class (> 0 prefers the label), in the model's
        own integer units, clamped to ±``MARGIN_LIMIT``. A prediction market scores data by these
        margins, so they must equal the chain's to the last unit.
        """
        raise NotImplementedError

    def _assess_batch(self, X: np.ndarray | sp.csr_matrix, labels: list[int]) -> list[tuple[int, bool]]:
        """``_assess_sample`` of every row of ``X`` (from ``to_batch``) with its label; a model may
        compute them all at once, to exactly the same integers."""
        return [self._assess_sample(_samples.batch_row(X, i), label) for i, label in enumerate(labels)]

    def _update_sample(self, sample: tuple[int, ...], label: int) -> None:
        """Apply the contract's ``update`` to one compact sample and class index."""
        raise NotImplementedError

    def _init_model(self, n_classes: int) -> None:
        """Create empty learned parameters for ``n_classes`` classes."""
        raise NotImplementedError

    def _constructor_args(self) -> list:
        """Arguments of the contract's constructor."""
        raise NotImplementedError

    def _initialisation(self) -> list[Chunked]:
        """The parameter tables to load after the constructor, in order."""
        raise NotImplementedError

    @classmethod
    def _from_contract(cls, contract: Contract) -> OnChainModel:
        """A twin whose parameters are read from a deployed contract."""
        raise NotImplementedError

    # -- scikit-learn vocabulary ---------------------------------------------------------------
    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> OnChainModel:
        """Train on each sample in order, exactly as the contract's ``update`` would."""
        samples = self.to_samples(X)
        if not hasattr(self, "n_classes_"):
            n_classes = len(classes) if classes is not None else max(_samples.labels(y, None), default=1) + 1
            self._init_model(max(n_classes, 2))
        for sample, label in zip(samples, _samples.one_label_each(samples, _samples.labels(y, self.n_classes_))):
            self._update_sample(sample, label)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Class of each sample, as the contract would predict it: every sample at once, with
        NumPy/SciPy arithmetic that gives exactly ``_predict_sample`` of each."""
        self._check_fitted()
        return np.asarray(self._predict_batch(self.to_batch(X)), dtype=int)

    def assess(self, X: Any, y: Any) -> list[tuple[int, bool]]:
        """``(margin, right)`` for each labelled sample, exactly as the contract's ``assess``: the
        signed preference for the label over the best other class (clamped to ±``MARGIN_LIMIT``)
        and whether ``predict`` gives the label."""
        self._check_fitted()
        batch = self.to_batch(X)
        labels = _samples.one_label_each(range(batch.shape[0]), _samples.labels(y, self.n_classes_))
        return self._assess_batch(batch, labels)

    def score(self, X: Any, y: Any) -> float:
        """Mean accuracy on ``X`` and ``y``."""
        predicted = self.predict(X)
        return float(np.mean(predicted == np.array(_samples.one_label_each(predicted, _samples.labels(y, None)))))

    def _settle_near_ties(self, X: np.ndarray | sp.csr_matrix, estimates: np.ndarray, error: np.ndarray,
                          classes: np.ndarray) -> np.ndarray:
        """The class of each row's highest estimate, where every estimate lies within ``error`` (same
        shape) of the exact score of ``classes[column]``. A row whose best two estimates are within
        their errors of each other may rank otherwise exactly: it is predicted one sample at a time."""
        if estimates.shape[1] == 1:
            return np.full(estimates.shape[0], classes[0], dtype=int)
        order = np.argsort(estimates, axis=1)
        top, second = order[:, -1:], order[:, -2:-1]
        gap = np.take_along_axis(estimates, top, 1) - np.take_along_axis(estimates, second, 1)
        near = (gap <= np.take_along_axis(error, top, 1) + np.take_along_axis(error, second, 1)).ravel()
        predictions = np.asarray(classes)[top.ravel()].astype(int)
        for i in np.flatnonzero(near):
            predictions[i] = self._predict_sample(_samples.batch_row(X, i))
        return predictions

    @property
    def classes_(self) -> np.ndarray:
        self._check_fitted()
        return np.arange(self.n_classes_)

    # -- samples -------------------------------------------------------------------------------
    def to_sample(self, x: Any) -> tuple[int, ...]:
        """One sample in the contract's compact form, checked as the contract checks it."""
        if self.sparse:
            return _samples.sparse_sample(x, self.n_features)
        return _samples.dense_sample(x, self.n_features)

    def to_samples(self, X: Any) -> list[tuple[int, ...]]:
        return [self.to_sample(x) for x in _samples.rows(X)]

    def to_batch(self, X: Any) -> np.ndarray | sp.csr_matrix:
        """All samples, checked as ``to_sample`` checks each: a CSR 0/1 matrix of present features
        (sparse models) or an int64 array of fixed-point values (dense models)."""
        if self.sparse:
            return _samples.sparse_batch(X, self.n_features)
        return _samples.dense_batch(X, self.n_features)

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_classes_"):
            raise ConfigError(f"this {type(self).__name__} has not been trained yet: call fit or partial_fit first.")

    @classmethod
    def check_fits_one_transaction(cls, n_present: int) -> None:
        """Refuse a sample with more present features than any transaction or call can read."""
        most = TX_GAS_CAP // cls.min_gas_per_feature
        if n_present <= most:
            return
        cost = f"each costs at least {cls.min_gas_per_feature:,} gas and one transaction or call may use {TX_GAS_CAP:,}"
        if cls.sparse:
            raise ConfigError(f"this sample has {n_present:,} present features, more than a {cls.__name__} can read "
                              f"on chain ({most:,}): {cost}. Use fewer features per sample (a smaller vocabulary, "
                              "or only the most informative ones).")
        raise ConfigError(f"a {cls.__name__} with {n_present:,} features cannot predict or train on chain: it reads "
                          f"every feature of a sample, {cost} (at most {most:,} features). Use fewer features, e.g. "
                          "reduce them with sklearn's PCA.")

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_"))
        return f"{type(self).__name__}({params})"
