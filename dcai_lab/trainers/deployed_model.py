"""A model on chain: deploy a trained twin in chunks, predict for free, read it back.

Until a trainer owns the model (the incentive mechanisms), the deployer owns it and may call
``update`` directly; the handle keeps that seam small so a trainer can take its place.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from ..chain.engines._base import TX_GAS_CAP
from ..models import _samples
from ..models._base import OnChainModel

if TYPE_CHECKING:
    from ..chain.contract import Contract
    from ..gas.report import TxRecord
    from ..lab import Lab

#: Gas kept free in every initialisation transaction for the call itself (intrinsic gas, calldata
#: head, loop set-up), on top of the per-item bound.
_CHUNK_OVERHEAD = 200_000
#: Most calldata bytes of one initialisation transaction: public nodes relay transactions of up to
#: 131,072 bytes, and a wide model's chunk can reach that before it reaches the gas cap.
CHUNK_CALLDATA_LIMIT = 120_000


def chunk_size(gas_per_item: int, cap: int = TX_GAS_CAP) -> int:
    """How many items of a parameter table fit in one transaction under ``cap``."""
    return max(1, (cap - _CHUNK_OVERHEAD) // gas_per_item)


class DeployedModel:
    """A classifier contract with the twin class that mirrors it."""

    def __init__(self, lab: Lab, contract: Contract, model_class: type[OnChainModel]) -> None:
        self.lab = lab
        self.contract = contract
        self.model_class = model_class
        self.n_features: int = contract.numFeatures()
        self.n_classes: int = contract.numClasses()
        convert = _samples.sparse_sample if model_class.sparse else _samples.dense_sample
        self._convert = partial(convert, n_features=self.n_features)

    @classmethod
    def deploy(cls, lab: Lab, model: OnChainModel, *, sender: str | None = None) -> DeployedModel:
        """Deploy ``model``'s contract, load its parameters in chunks, then freeze them."""
        contract = deploy_contract_in_chunks(lab, model, model.contract_name, [], sender=sender)
        return cls(lab, contract, type(model))

    def _to_sample(self, x: Any) -> tuple[int, ...]:
        """One sample as the contract takes it, checked as the contract checks it, and small
        enough for one transaction."""
        sample = self._convert(x)
        self.model_class.check_fits_one_transaction(len(sample))
        return sample

    def _encode(self, sample: tuple[int, ...]) -> bytes:
        """A sample as the model's functions take it: packed indices (sparse) or values (dense)."""
        return _samples.pack(sample, self.model_class.sparse)

    @property
    def address(self) -> str:
        return self.contract.address

    def predict(self, x: Any) -> int:
        """The contract's prediction for one sample (a free call)."""
        return int(self.contract.predict(self._encode(self._to_sample(x))))

    def assess(self, x: Any, y: int) -> tuple[int, bool]:
        """The contract's ``(margin, right)`` for one labelled sample (a free call): its signed
        preference for ``y`` over the best other class, and whether it predicts ``y``."""
        (label,) = _samples.labels([y], self.n_classes)
        margin, right = self.contract.assess(self._encode(self._to_sample(x)), label)
        return int(margin), bool(right)

    def update(self, x: Any, y: int, *, sender: str | None = None) -> TxRecord:
        """Train the on-chain model on one sample (the owner only)."""
        (label,) = _samples.labels([y], self.n_classes)
        self.contract.update(self._encode(self._to_sample(x)), label, sender=sender)
        return self.lab.last_tx

    def local_model(self) -> OnChainModel:
        """A twin rebuilt from the contract's current parameters: free, identical predictions."""
        return self.model_class._from_contract(self.contract)

    def __repr__(self) -> str:
        return f"<deployed {self.model_class.__name__} at {self.address}>"


def deploy_contract_in_chunks(lab: Lab, model: OnChainModel, name: str, extra_args: list, *,
                              sender: str | None = None) -> Contract:
    """Deploy contract ``name`` (``model``'s, or a trainer built on it) with the model's constructor
    arguments plus ``extra_args``, load the parameters in chunks, then freeze them."""
    model._check_fitted()
    if not model.sparse:  # every sample has every feature: a model too wide for any call is of no use
        model.check_fits_one_transaction(model.n_features)
    contract = lab.deploy_contract(name, *model._constructor_args(), *extra_args, sender=sender)
    for table in model._initialisation():
        function = getattr(contract, table.function)
        offset = 0
        while offset < len(table.items):
            step = _largest_chunk(function, table, offset)
            function(*table.leading, offset, table.items[offset:offset + step], sender=sender)
            offset += step
    contract.finishInitialisation(sender=sender)
    return contract


def _largest_chunk(function, table, offset: int) -> int:
    """How many items from ``offset`` one initialisation transaction takes: as many as fit the gas
    cap and CHUNK_CALLDATA_LIMIT (at least one)."""
    def fits(step: int) -> bool:
        args = (*table.leading, offset, table.items[offset:offset + step])
        return len(function._pick(args).encode(args)) <= CHUNK_CALLDATA_LIMIT

    low, high = 1, min(chunk_size(table.gas_per_item), len(table.items) - offset)
    if fits(high):  # the usual case: gas, not calldata, bounds the chunk; one encoding instead of a dozen
        return high
    while low < high:  # the largest step that fits, by bisection
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low
