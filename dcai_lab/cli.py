"""The ``dcai-lab`` command: ``build`` the contracts, check the ``gas-snapshot``, run a headless ``demo``,
or open the ``lab``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def demo() -> int:
    """A two-minute tour without a browser: a chain, a contract, a revert, time travel, gas, and
    a model that anyone may train under deposits."""
    from . import Lab, RevertError
    from .incentives import DepositRefundTake
    from .models import SparsePerceptron

    lab = Lab()
    alice, bob = lab.accounts.alice, lab.accounts.bob
    print(f"A fresh in-memory chain on the {lab.engine} engine, block {lab.block_number}, "
          f"time {lab.timestamp}. Accounts:\n{lab.accounts}\n")
    jar = lab.deploy_contract("TipJar", 86_400)
    print(f"Deployed {jar}; it unlocks one day from now.")
    jar.tip("great lecture", value=10**18, sender=alice)
    jar.tip("thanks", value=2 * 10**17, sender=bob)
    print(f"Two tips later the jar holds {lab.balance(jar) / 1e18} ETH.")
    try:
        jar.withdraw(10**18)
    except RevertError as error:
        print(f"Withdrawing now reverts: {error.reason}")
    lab.time_travel(days=1)
    jar.withdraw(10**18)
    print(f"After a day the owner withdraws; the jar holds {lab.balance(jar) / 1e18} ETH.\n")

    mallory = lab.accounts.mallory
    model = SparsePerceptron(n_features=4).fit([[0, 1], [2, 3]] * 3, [1, 0] * 3)  # features 0, 1 say 1
    trainer = lab.deploy(model, DepositRefundTake(cost_weight=10**14))
    print(f"A perceptron anyone may train, with deposits: {trainer}.")
    good = trainer.add_data([0, 1], 1, sender=alice)
    bad = trainer.add_data([2, 3], 1, sender=mallory)
    fix = trainer.add_data([2, 3], 0, sender=bob)
    print(f"alice, mallory and bob each deposit {good.deposit / 1e18:.2f}, {bad.deposit / 1e18:.2f} and "
          f"{fix.deposit / 1e18:.2f} ETH; mallory's label is wrong and bob's undoes it.")
    lab.time_travel(days=1)
    trainer.refund(good, sender=alice)
    trainer.refund(fix, sender=bob)
    taken = [next(e["amount"] for e in trainer.report(bad, sender=who).events if e.name == "Taken")
             for who in (alice, bob)]
    print(f"A day later alice and bob get their deposits back, and each takes half of mallory's: "
          f"{taken[0] / 1e18:.2f} + {taken[1] / 1e18:.2f} ETH.\n")
    print(lab.gas)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dcai-lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="compile contracts/ into dcai_lab/artifacts/ (add --check to only verify)")
    sub.add_parser("demo", help="a short headless tour of the lab")
    sub.add_parser("gas-snapshot", help="check (--check) or rewrite (--write) the committed gas snapshot")
    sub.add_parser("lab", help="open JupyterLab on the notebooks (other options go to `jupyter lab`)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "build":
        from .build import main as build_main

        return build_main(rest)
    if args.command == "gas-snapshot":
        from .gas_snapshot import main as snapshot_main

        return snapshot_main(rest)
    if args.command == "demo":
        if rest:
            parser.error(f"demo takes no options, not {' '.join(rest)}")
        return demo()
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={NOTEBOOKS}", *rest])


if __name__ == "__main__":
    sys.exit(main())
