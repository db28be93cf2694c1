"""Incentive mechanisms: the rules under which anyone may train a model on chain.

``lab.deploy(model, incentive=DepositRefundTake(...))`` returns a trainer (``dcai_lab.trainer``).
"""

from ._base import Incentive, days, hours, minutes
from .deposit_refund_take import DepositRefundTake
from .points import Points
from .prediction_market import PredictionMarket



def incentive_class(contract_name: str) -> type[Incentive]:
    """The incentive class of a mechanism contract, by its name (``"Points"``)."""
    for cls in Incentive.__subclasses__():
        if cls.contract_name == contract_name:
            return cls
    raise KeyError(contract_name)


__all__ = ["DepositRefundTake", "Incentive", "Points", "PredictionMarket", "days", "hours", "minutes"]
