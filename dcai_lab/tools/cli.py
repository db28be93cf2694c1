"""The ``dcai-lab`` command: ``build`` the contracts, check the ``gas-snapshot``, run a headless ``demo``,
``simulate`` a scenario, ``sweep`` a grid of simulations on Dask, or open the ``lab``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def demo() -> int:
    """A two-minute tour without a browser: a chain, a contract, a revert, time travel, gas, and
    a model that anyone may train under deposits."""
    from .. import Lab, RevertError
    from ..incentives import DepositRefundTake
    from ..models import SparsePerceptron

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


def _progress_bar(unit: str):
    """A tqdm bar on stderr and the ``progress(done, total)`` callback that drives it."""
    from tqdm import tqdm

    bar = tqdm(unit=unit, dynamic_ncols=True, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar.total != total or done < bar.n:
            bar.reset(total=total)
        bar.update(done - bar.n)

    return bar, progress


def simulate(args: argparse.Namespace) -> int:
    """Run one named scenario and write timeline.csv, summary.json and report.html."""
    from ..simulation import run

    bar, progress = _progress_bar("sample")
    with bar:
        result = run(args.scenario, engine=args.engine, samples=args.samples, seed=args.seed, progress=progress)
    out = result.write(args.out)
    summary = result.summary()
    print(f"{args.scenario} on {args.engine}: {summary['transactions']:,} transactions in "
          f"{summary['wall_seconds']:.1f} s; wrote {out / 'timeline.csv'}, {out / 'summary.json'}, {out / 'report.html'}")
    return 0


def _values(text: str) -> tuple[str, list]:
    """``name=v1,v2`` as the name and its values (whole numbers where they are)."""
    name, _, values = text.partition("=")
    if not values:
        raise argparse.ArgumentTypeError(f"write --vary NAME=V1,V2,…, not {text!r}")
    return name, [int(v) if v.lstrip("-").isdigit() else v for v in values.split(",")]


def sweep(args: argparse.Namespace) -> int:
    """Run a grid of the attack scenario on Dask; write sweep.csv, summary.json and report.html."""
    import json

    import plotly.express as px

    from ..simulation import grid
    from ..simulation import sweep as run_sweep
    from ..simulation._results import write_report

    axes = {"mechanism": args.mechanism, "seed": list(range(args.seeds)), "engine": [args.engine],
            **({"samples": [args.samples]} if args.samples else {}), **dict(args.vary)}
    points = grid(**axes)
    bar, progress = _progress_bar("run")
    with bar:
        table = run_sweep(points, address=args.scheduler, workers=args.workers, progress=progress)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "sweep.csv", index=False)
    varied = [k for k, v in axes.items() if len(v) > 1 and k != "seed"] or ["mechanism"]
    summary = {"runs": len(table), "scheduler": args.scheduler or f"LocalCluster({args.workers} workers)",
               "grid": {k: v for k, v in axes.items()},
               "mean_by_" + "_".join(varied): json.loads(
                   table.groupby(varied).mean(numeric_only=True).reset_index().to_json(orient="records"))}
    figure = px.box(table, x=varied[0], y="accuracy_final", points="all",
                    title="final accuracy on held-out data, every run of the sweep")
    write_report(out, table, summary, [figure])
    (out / "timeline.csv").unlink()
    print(f"{len(table)} runs; wrote {out / 'sweep.csv'}, {out / 'summary.json'}, {out / 'report.html'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from ..simulation import DESCRIPTIONS, MECHANISMS

    parser = argparse.ArgumentParser(prog="dcai-lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="compile contracts/ into dcai_lab/artifacts/ (add --check to only verify)")
    sub.add_parser("demo", help="a short headless tour of the lab")
    sub.add_parser("gas-snapshot", help="check (--check) or rewrite (--write) the committed gas snapshot")
    sub.add_parser("lab", help="open JupyterLab on the notebooks (other options go to `jupyter lab`)")
    listing = "scenarios:\n" + "\n".join(f"  {name:22} {text}" for name, text in DESCRIPTIONS.items())
    sim = sub.add_parser("simulate", help=f"run a scenario ({', '.join(DESCRIPTIONS)})", epilog=listing,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Simulate honest and malicious contributors on the real contracts.")
    sim.add_argument("scenario", choices=list(DESCRIPTIONS), metavar="SCENARIO", help="one of the scenarios below")
    sweeping = sub.add_parser("sweep", help="run a grid of simulations of the attack on Dask",
                              description="Run the honest-vs-attacker scenario over a grid of parameters on a Dask "
                                          "cluster (a local one unless --scheduler gives an address).")
    sweeping.add_argument("--mechanism", nargs="+", default=["deposit-refund-take"], choices=MECHANISMS)
    sweeping.add_argument("--seeds", type=int, default=4, help="seeds 0 … N-1 for every point (default 4)")
    sweeping.add_argument("--vary", type=_values, action="append", default=[], metavar="NAME=V1,V2",
                          help="also vary cost_weight, refund_wait, take_wait, attacker_deposit, attacker_wait "
                               "(wei, seconds) or model")
    sweeping.add_argument("--scheduler", help="a Dask scheduler's address (tcp://host:8786); default: a local cluster")
    sweeping.add_argument("--workers", type=int, default=2, help="workers of the local cluster (default 2)")
    for command in (sim, sweeping):
        command.add_argument("--engine", default="revm", choices=["revm", "pyevm"], help="default: revm")
        command.add_argument("--samples", type=int, help="training samples (default: the scenario's small size)")
        command.add_argument("--out", required=True, help="folder for the results")
    sim.add_argument("--seed", type=int, default=None, help="default 0")
    args, rest = parser.parse_known_args(argv)
    if args.command in ("simulate", "sweep"):
        if rest:
            parser.error(f"{args.command} does not take {' '.join(rest)}")
        return simulate(args) if args.command == "simulate" else sweep(args)
    if args.command == "build":
        from .build import main as build_main

        return build_main(rest)
    if args.command == "gas-snapshot":
        from ..gas.snapshot import main as snapshot_main

        return snapshot_main(rest)
    if args.command == "demo":
        if rest:
            parser.error(f"demo takes no options, not {' '.join(rest)}")
        return demo()
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={NOTEBOOKS}", *rest])


if __name__ == "__main__":
    sys.exit(main())
