"""Widgets for people who would rather click than type.

- ``contract_panel(contract)``: a form for any function of any contract.
- ``trainer_dashboard(trainer, …)``: try the model, contribute, refund or take, travel in time,
  and watch balances and accuracy move (Deposit-Refund-Take and Points).
- ``market_panel(trainer)``: a prediction market's phases, deadlines, who may do what, payouts.
- ``deploy_panel(lab)``: choose a model, a dataset and a mechanism, deploy, read the gas.
- ``gas_panel(lab)``: the lab's gas report, updated as transactions land.

Every dashboard redraws itself whenever the chain changes (``lab.watch``), whoever sent the
transaction; buttons show what happened, or why the contract refused, in plain words.
"""

from .contract_panel import contract_panel
from .deploy_panel import DeployPanel, deploy_panel
from .gas_panel import GasPanel, gas_panel
from .market_panel import MarketPanel, market_panel
from .trainer_dashboard import TrainerDashboard, trainer_dashboard

__all__ = [
    "DeployPanel",
    "GasPanel",
    "MarketPanel",
    "TrainerDashboard",
    "contract_panel",
    "deploy_panel",
    "gas_panel",
    "market_panel",
    "trainer_dashboard",
]
