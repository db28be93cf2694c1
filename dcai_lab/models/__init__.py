"""On-chain models and their exact Python twins.

Each twin speaks scikit-learn and reproduces its contract's integer arithmetic exactly; deploy
one with ``lab.deploy(model)``.
"""

from ._base import OnChainModel
from ._deployed import DeployedModel
from ._samples import SCALE
from .sparse_perceptron import SparsePerceptron

__all__ = ["DeployedModel", "OnChainModel", "SCALE", "SparsePerceptron"]
