"""dcai-lab: Decentralized & Collaborative AI on Blockchain, for teaching and research.

    from dcai_lab import Lab
    lab = Lab()                       # an in-memory Ethereum chain, deterministic
    jar = lab.deploy_contract("TipJar", 86_400)
    jar.tip("thanks!", value=10**18, sender=lab.accounts.alice)
    lab.gas                           # what it cost

Where things are, bottom layer first (a module imports only from its own layer and those below;
tests/test_architecture.py checks it):

    errors.py      every error the lab raises on purpose, one hierarchy
    chain/         an EVM and the contracts on it: engines (py-evm, revm, JSON-RPC), anvil, ABI,
                   ``Contract``, the compiled artifacts
    gas/report.py  the record of every transaction and ``lab.gas``'s tables
    models/        the five on-chain models' exact Python twins (scikit-learn style)
    incentives/    each mechanism's rules and payout twin (deposit-refund-take, points, market)
    datasets.py    bundled and generated data; encoders.py: text to what each model takes
    trainers/      handles on deployed models and trainers; registry.py joins a model, a
                   mechanism and a handle, and is where ``lab.deploy`` and ``lab.attach`` go
    lab.py         ``Lab``: a chain, its accounts, deploy and attach, time travel, reverts
    gas/           measuring cost on real contracts: curves, the original's figures, the snapshot
    simulation/    honest and malicious agents on the real contracts; sweeps on Dask
    widgets/       dashboards for JupyterLab; exercises.py: the notebooks' self-checking exercises
    tools/         the build of contracts/, the ``dcai-lab`` command, the pytest plugin
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
