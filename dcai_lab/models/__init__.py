"""On-chain models and their exact Python twins.

Each twin speaks scikit-learn and reproduces its contract's integer arithmetic exactly; deploy
one with ``lab.deploy(model)``.
"""

from ._base import OnChainModel
from ._deployed import DeployedModel
from ._samples import SCALE
from .dense_perceptron import DensePerceptron
from .naive_bayes import NaiveBayes
from .nearest_centroid import NearestCentroid
from .sparse_nearest_centroid import SparseNearestCentroid
from .sparse_perceptron import SparsePerceptron



def model_class(contract_name: str) -> type[OnChainModel]:
    """The twin class of a model contract, by its name (``"SparsePerceptron"``)."""
    for cls in (DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron):
        if cls.contract_name == contract_name:
            return cls
    raise KeyError(contract_name)


__all__ = [
    "SCALE",
    "DensePerceptron",
    "DeployedModel",
    "NaiveBayes",
    "NearestCentroid",
    "OnChainModel",
    "SparseNearestCentroid",
    "SparsePerceptron",
]
