"""Handles on deployed models and trainers: what ``lab.deploy`` returns and ``lab.attach`` checks.

- ``registry``: which twin, rules and handle belong to each compiled trainer; ``deploy``, ``attach``.
- ``deployed_model``: a model on its own (``DeployedModel``), and chunked initialisation.
- ``trainer``: ``Trainer``, the handle under deposit-refund-take and the base of the others.
- ``points``: ``PointsTrainer`` (validate, leaderboard); ``market``: ``MarketTrainer`` (commit,
  reveal, process, withdraw).
"""

from .deployed_model import DeployedModel
from .market import MarketTrainer
from .points import PointsTrainer
from .trainer import Contribution, ContributionStatus, SignedContribution, Trainer

__all__ = ["Contribution", "ContributionStatus", "DeployedModel", "MarketTrainer", "PointsTrainer",
           "SignedContribution", "Trainer"]
