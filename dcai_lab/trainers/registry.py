"""Where a model, an incentive mechanism and the handle for their trainer meet.

Every compiled trainer is one contract, ``<Model>With<Mechanism>``: the model's contract joined to
the mechanism's (the build generates each composition, see contracts/README.md). This module
knows them all: which twin mirrors each model contract, which rules describe each mechanism, and
which handle drives a trainer with that mechanism. ``lab.deploy`` and ``lab.attach`` come here.

To add a model or a mechanism, add its contract and its Python class, then list the class below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..chain._artifacts import artifact_names
from ..errors import ArgumentTypeError, ConfigError, UnknownNameError
from ..incentives import DepositRefundTake, Incentive, Points, PredictionMarket
from ..models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron
from ..models._base import OnChainModel
from ._creation import check_creation, matching_artifact
from .deployed_model import DeployedModel, deploy_contract_in_chunks
from .market import MarketTrainer
from .points import PointsTrainer
from .trainer import Trainer

if TYPE_CHECKING:
    from ..lab import Lab

__all__ = ["HANDLES", "INCENTIVES", "MODELS", "attach", "deploy", "handle_class", "incentive_class", "model_class",
           "trainer_name"]

#: The twin class of each model contract, by contract name.
MODELS: dict[str, type[OnChainModel]] = {
    cls.contract_name: cls
    for cls in (SparsePerceptron, DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid)
}
#: The rules class of each mechanism contract, by contract name.
INCENTIVES: dict[str, type[Incentive]] = {
    cls.contract_name: cls for cls in (DepositRefundTake, Points, PredictionMarket)
}
#: The handle ``lab.deploy`` returns for a trainer under each mechanism.
HANDLES: dict[str, type[Trainer]] = {"DepositRefundTake": Trainer, "Points": PointsTrainer,
                                     "PredictionMarket": MarketTrainer}


def model_class(contract_name: str) -> type[OnChainModel]:
    """The twin class of a model contract, by its name (``"SparsePerceptron"``)."""
    return _lookup(MODELS, contract_name, "model")


def incentive_class(contract_name: str) -> type[Incentive]:
    """The rules class of a mechanism contract, by its name (``"Points"``)."""
    return _lookup(INCENTIVES, contract_name, "incentive mechanism")


def handle_class(contract_name: str) -> type[Trainer]:
    """The handle class for a trainer under the mechanism ``contract_name``."""
    return _lookup(HANDLES, contract_name, "incentive mechanism")


def trainer_name(model: str, incentive: str) -> str:
    """The compiled trainer that joins model contract ``model`` to mechanism contract ``incentive``."""
    return f"{model_class(model).contract_name}With{incentive_class(incentive).contract_name}"


def deploy(lab: Lab, model: Any, incentive: Any = None, *,
           sender: str | None = None) -> DeployedModel | Trainer:
    """``lab.deploy``: a model on its own (``DeployedModel``), or joined to ``incentive`` as a trainer
    (chunked initialisation, then frozen and owned by the trainer itself)."""
    if not isinstance(model, OnChainModel):
        hint = " Convert a fitted scikit-learn model first, e.g. SparsePerceptron.from_sklearn(estimator)." \
            if hasattr(model, "get_params") else ""
        raise ArgumentTypeError(f"lab.deploy takes one of dcai_lab.models' twins (SparsePerceptron, NaiveBayes, …), "
                                f"not {_kind(model)}.{hint}")
    if incentive is None:
        return DeployedModel.deploy(lab, model, sender=sender)
    if not isinstance(incentive, Incentive):
        raise ArgumentTypeError(f"incentive= takes one of dcai_lab.incentives' mechanisms with its rules, e.g. "
                                f"DepositRefundTake(refund_wait=days(1)) or Points(), not {_kind(incentive)}.")
    name = trainer_name(model.contract_name, incentive.contract_name)
    contract = deploy_contract_in_chunks(lab, model, name, incentive._constructor_args(), sender=sender)
    return handle_class(incentive.contract_name)(lab, contract, type(model), incentive.contract_name)


def attach(lab: Lab, address: str) -> Trainer:
    """``lab.attach``: a handle on a trainer already on chain, after checking that it is one.

    Its code must be one of the lab's trainer artifacts (immutables aside), created by a
    transaction that ran exactly that artifact's creation code with its constructor arguments
    (``_creation.check_creation``), its parameters frozen, and the model owned by the trainer
    itself — so nobody can change the model except through contributions. Anything else is refused
    with the reason.
    """
    address = lab._address(address)
    code = lab._engine.code(address)
    if not code:
        raise ConfigError(f"there is no contract at {address} on this chain.")
    compiled = set(artifact_names())
    names = [trainer_name(m, i) for m in MODELS for i in INCENTIVES]
    name = matching_artifact(code, [n for n in names if n in compiled])
    if name is None:
        raise ConfigError(f"the code at {address} is not one of dcai-lab's trainer contracts "
                          f"(compared with every trainer artifact, immutables masked).")
    check_creation(lab, address, name)
    contract = lab.at(name, address)
    if not contract.initialised():
        raise ConfigError(f"{name} at {address} is still being initialised: its parameters are not frozen yet.")
    owner = contract.owner()
    if owner != address:
        raise ConfigError(f"{name} at {address} is owned by {owner}, not by itself: that owner could "
                          f"change the model outside the incentive mechanism.")
    model_name, incentive_name = name.split("With")
    return handle_class(incentive_name)(lab, contract, model_class(model_name), incentive_name)


def _lookup(table: dict[str, Any], name: str, what: str) -> Any:
    if name not in table:
        raise UnknownNameError(f"there is no {what} called {name!r}; the lab knows {', '.join(table)}.")
    return table[name]


def _kind(value: Any) -> str:
    """What a person passed: "the class Points" (they forgot the brackets) or "a Perceptron"."""
    return f"the class {value.__name__} (call it: {value.__name__}(…))" if isinstance(value, type) else \
        f"a {type(value).__name__}"
