"""What the tests of the trainer and the incentive mechanisms share.

Labs: ``revm_lab`` and ``pyevm_lab`` are one session lab per engine, each test inside
``lab.anchor()`` (so each test starts from genesis); ``engine_lab`` runs a test on both.
Models: two small twins whose every prediction a test can work out by hand (see
``sparse_twin`` and ``dense_twin``). Trainers: ``drt_trainer`` and ``points_trainer`` deploy the
sparse twin under each mechanism on ``revm_lab``. ``test_artifacts`` compiles the test-only
contracts of ``tests/contracts/`` that these tests deploy with ``lab.deploy_contract(artifact, …)``.

Import the plain helpers (``from .conftest import GOOD, learned_parameters``): ``tests/incentives``
is a package.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dcai_lab import Lab
from dcai_lab.tools.build import compile_contracts
from dcai_lab.incentives import DepositRefundTake, Points, days
from dcai_lab.models import NearestCentroid, SparsePerceptron
from dcai_lab.models.sparse_perceptron import WEIGHT_SCALE
from dcai_lab.trainers.trainer import Trainer

#: Deposit weight (wei): right after another contribution a deposit is 3600 times this, an hour later 60 times.
COST_WEIGHT = 10**12
REFUND_WAIT = days(1)
TAKE_WAIT = days(9)
VALIDATION_WAIT = days(1)

#: The sparse twin's features 0 and 1 speak for class 1 and 2 and 3 for class 0, each with weight
#: 50 (the learning rate is 1): dozens of wrong labels cannot change its mind about them.
#: Features 4 … 7 weigh nothing, so one contribution there moves the model (see ``NEUTRAL``).
N_SPARSE_FEATURES = 8
STRONG_WEIGHT = 50 * WEIGHT_SCALE

#: (sample, label) pairs for the sparse twin. The model agrees with GOOD ones and keeps agreeing;
#: it disagrees with BAD ones and keeps disagreeing, however often they are added.
GOOD = ((0, 1), 1)
GOOD_0 = ((2, 3), 0)
BAD = ((0, 1), 0)
BAD_1 = ((2, 3), 1)
#: A neutral feature: the model predicts 0 for it until a contribution labels it 1 (the perceptron
#: then moves weight 4 and the intercept by +1 and predicts 1), and back again after one labelled 0.
NEUTRAL = (4,)


def sparse_twin() -> SparsePerceptron:
    """A binary sparse perceptron over 8 features with hand-set weights (see ``STRONG_WEIGHT``)."""
    model = SparsePerceptron(n_features=N_SPARSE_FEATURES, learning_rate=1.0)
    model._init_model(2)
    model.weights_ = [STRONG_WEIGHT] * 2 + [-STRONG_WEIGHT] * 2 + [0] * 4
    model.intercept_ = 0
    return model


def dense_twin() -> NearestCentroid:
    """A nearest-centroid model over 2 features: class 0 near (0, 0), class 1 near (4, 4)."""
    X = [[0, 0], [0.5, 0], [0, 0.5], [4, 4], [4.5, 4], [4, 4.5]]
    return NearestCentroid(n_features=2).fit(X, [0, 0, 0, 1, 1, 1])


def learned_parameters(model: Any) -> dict[str, Any]:
    """Every learned attribute of a twin (name ending in ``_``), arrays as lists, for ``==``."""
    parameters = {name: value.tolist() if isinstance(value, np.ndarray) else copy.deepcopy(value)
                  for name, value in vars(model).items() if name.endswith("_") and not name.startswith("_")}
    assert parameters, f"{type(model).__name__} has no learned attributes"
    return parameters


def encoded(trainer: Trainer, sample: tuple[int, ...]) -> bytes:
    """A compact sample as the trainer contract's own functions take it (for raw calls)."""
    return trainer._encode(tuple(sample))


def drt(**overrides: int) -> DepositRefundTake:
    """The tests' Deposit-Refund-Take rules, with ``overrides``."""
    rules = {"cost_weight": COST_WEIGHT, "refund_wait": REFUND_WAIT, "take_wait": TAKE_WAIT, **overrides}
    return DepositRefundTake(**rules)


# -- labs ------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def revm_session() -> Iterator[Lab]:
    lab = Lab(engine="revm")
    yield lab
    lab.close()


@pytest.fixture(scope="session")
def pyevm_session() -> Iterator[Lab]:
    lab = Lab(engine="pyevm")
    yield lab
    lab.close()


@pytest.fixture
def revm_lab(revm_session: Lab) -> Iterator[Lab]:
    """A lab on revm (fast), at genesis; everything the test does is undone afterwards."""
    with revm_session.anchor():
        yield revm_session


@pytest.fixture
def pyevm_lab(pyevm_session: Lab) -> Iterator[Lab]:
    """A lab on py-evm (the reference engine), at genesis; undone afterwards."""
    with pyevm_session.anchor():
        yield pyevm_session


@pytest.fixture(params=["pyevm", "revm"])
def engine_lab(request: pytest.FixtureRequest) -> Lab:
    """The test runs once on each in-memory engine (keep it small: py-evm is slow)."""
    return request.getfixturevalue(f"{request.param}_lab")


# -- twins and trainers ----------------------------------------------------------------------------

@pytest.fixture
def sparse_model() -> SparsePerceptron:
    return sparse_twin()


@pytest.fixture
def dense_model() -> NearestCentroid:
    return dense_twin()


@pytest.fixture
def drt_trainer(revm_lab: Lab) -> Trainer:
    """The sparse twin under Deposit-Refund-Take (``COST_WEIGHT``, ``REFUND_WAIT``, ``TAKE_WAIT``)."""
    return revm_lab.deploy(sparse_twin(), drt())


@pytest.fixture
def points_trainer(revm_lab: Lab) -> Trainer:
    """The sparse twin under Points (``VALIDATION_WAIT``)."""
    return revm_lab.deploy(sparse_twin(), Points(validation_wait=VALIDATION_WAIT))


# -- test-only contracts ---------------------------------------------------------------------------

#: Test-only contracts the incentive tests deploy (compiled alone: compiling every test contract
#: takes longer).
TEST_CONTRACTS = ("ReentrantReceiver.sol",)


@pytest.fixture(scope="session")
def test_artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """``TEST_CONTRACTS`` compiled with the pinned compiler, by contract name."""
    folder = tmp_path_factory.mktemp("incentive_contracts")
    for name in TEST_CONTRACTS:
        shutil.copy(Path(__file__).parents[1] / "contracts" / name, folder / name)
    return compile_contracts(folder)
