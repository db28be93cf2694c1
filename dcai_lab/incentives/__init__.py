"""Incentive mechanisms: the rules under which anyone may train a model on chain.

Each module holds one mechanism's rules (a frozen dataclass that ``lab.deploy(model,
incentive=…)`` turns into constructor arguments) and its payout twin where it has one; the handle
that drives a deployed trainer is in ``dcai_lab.trainers``.
"""

from ._base import Incentive, days, hours, minutes
from .deposit_refund_take import DepositRefundTake
from .points import Points
from .prediction_market import PredictionMarket
__all__ = ["DepositRefundTake", "Incentive", "Points", "PredictionMarket", "days", "hours", "minutes"]
