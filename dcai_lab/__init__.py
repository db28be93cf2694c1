"""dcai-lab: Decentralized & Collaborative AI on Blockchain, for teaching and research.

    from dcai_lab import Lab
    lab = Lab()                       # an in-memory Ethereum chain, deterministic
    jar = lab.deploy_contract("TipJar", 86_400)
    jar.tip("thanks!", value=10**18, sender=lab.accounts.alice)
    lab.gas                           # what it cost
"""

from .chain.contract import Contract
from .errors import BuildError, ConfigError, DcaiLabError, NotSupportedError, RevertError
from .gas.report import GasReport, TxRecord
from .lab import Account, Lab
from .trainers.trainer import Trainer

__all__ = [
    "Account",
    "BuildError",
    "ConfigError",
    "Contract",
    "DcaiLabError",
    "GasReport",
    "Lab",
    "NotSupportedError",
    "RevertError",
    "Trainer",
    "TxRecord",
]

__version__ = "0.1.0"
