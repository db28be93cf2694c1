"""The registry: every compiled trainer has its twin, rules and handle, and unknown names say what is known."""

import pytest

from dcai_lab import ConfigError, Lab
from dcai_lab.chain._artifacts import artifact_names
from dcai_lab.errors import UnknownNameError
from dcai_lab.incentives import Points
from dcai_lab.models import SparsePerceptron
from dcai_lab.trainers import PointsTrainer, registry


def test_every_model_and_mechanism_pair_is_compiled_and_every_trainer_artifact_is_registered():
    compiled = {name for name in artifact_names() if "With" in name}
    registered = {registry.trainer_name(m, i) for m in registry.MODELS for i in registry.INCENTIVES}
    assert compiled == registered
    assert set(registry.HANDLES) == set(registry.INCENTIVES)


def test_the_registry_names_match_the_classes_contract_names():
    assert all(cls.contract_name == name for name, cls in registry.MODELS.items())
    assert all(cls.contract_name == name for name, cls in registry.INCENTIVES.items())


@pytest.mark.parametrize("lookup, name, known", [
    (registry.model_class, "Perceptron", "SparsePerceptron, DensePerceptron"),
    (registry.incentive_class, "Stakes", "DepositRefundTake, Points, PredictionMarket"),
    (registry.handle_class, "points", "DepositRefundTake, Points, PredictionMarket"),
])
def test_an_unknown_name_is_a_config_error_that_lists_the_known_ones(lookup, name, known):
    with pytest.raises(UnknownNameError, match=f"called '{name}'; the lab knows .*{known}") as caught:
        lookup(name)
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, KeyError)


def test_lab_deploy_returns_the_registered_handle():
    lab = Lab(engine="revm")
    model = SparsePerceptron(8).fit([[0, 1], [2, 3]], [0, 1])
    trainer = lab.deploy(model, Points(validation_wait=60))
    assert type(trainer) is PointsTrainer and trainer.contract.contract_name == "SparsePerceptronWithPoints"
    assert type(lab.attach(trainer.address)) is PointsTrainer
