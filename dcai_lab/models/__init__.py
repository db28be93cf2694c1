"""On-chain models and their exact Python twins.

Each twin speaks scikit-learn and reproduces its contract's integer arithmetic exactly; deploy
one with ``lab.deploy(model)``.
"""

from ._base import OnChainModel
from ._samples import SCALE
from .dense_perceptron import DensePerceptron
from .naive_bayes import NaiveBayes
from .nearest_centroid import NearestCentroid
from .sparse_nearest_centroid import SparseNearestCentroid
from .sparse_perceptron import SparsePerceptron
__all__ = [
    "SCALE",
    "DensePerceptron",
    "NaiveBayes",
    "NearestCentroid",
    "OnChainModel",
    "SparseNearestCentroid",
    "SparsePerceptron",
]
