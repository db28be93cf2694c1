"""The ``dcai-lab`` command: ``build`` the contracts, run a headless ``demo``, or open the ``lab``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def demo() -> int:
    """A two-minute tour without a browser: a chain, a contract, a revert, time travel, gas."""
    from . import Lab, RevertError

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
    print(lab.gas)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dcai-lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="compile contracts/ into dcai_lab/artifacts/ (add --check to only verify)")
    sub.add_parser("demo", help="a short headless tour of the lab")
    sub.add_parser("lab", help="open JupyterLab on the notebooks")
    args, rest = parser.parse_known_args(argv)
    if args.command == "build":
        from .build import main as build_main

        return build_main(rest)
    if args.command == "demo":
        return demo()
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={NOTEBOOKS}", *rest])


if __name__ == "__main__":
    sys.exit(main())
