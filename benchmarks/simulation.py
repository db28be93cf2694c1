"""The seed's deposit-refund-take experiment at full scale, on revm, with a profile.

    .venv/bin/python benchmarks/simulation.py            # 25,000 IMDB-shaped samples (≈23,000 contributions)
    .venv/bin/python benchmarks/simulation.py --samples 2000 --profile

Prints the wall time, the transactions, the outcome against the seed's (honest ≈200 % of its
start, attacker ≈0 %, accuracy held), and where the time went: the engine (EVM execution and
its journal), the Python around it (the trainer handle, ABI), the scheduler, the evaluations
(``--profile``, a second run).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from dcai_lab.simulation import attack, simulate



def _cumulative(stats: dict, file_suffix: str, *functions: str) -> float:
    """Cumulative seconds of the named functions of the file ending in ``file_suffix``."""
    return sum(v[3] for (filename, _, function), v in stats.items()
               if filename.endswith(file_suffix) and function in functions)


def _own(stats: dict, text: str) -> float:
    return sum(v[2] for (_, _, function), v in stats.items() if text in function)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=25_000)
    parser.add_argument("--engine", default="revm")
    parser.add_argument("--profile", action="store_true", help="then run again under cProfile and say where the time went")
    args = parser.parse_args()
    scenario = attack("deposit-refund-take", samples=args.samples, test_samples=args.samples)
    started = time.perf_counter()
    result = simulate(scenario, engine=args.engine)
    wall = time.perf_counter() - started
    s = result.summary()
    actions = result.timeline["action"].value_counts()
    print(f"{args.samples:,} samples on {args.engine}: {wall:.1f} s in all (the run itself "
          f"{s['wall_seconds']:.1f} s, data and setup included), {s['transactions']:,} transactions "
          f"({s['transactions'] / s['wall_seconds']:,.0f}/s): {actions.get('contribute', 0):,} contributions, "
          f"{actions.get('refund', 0):,} refunds, {actions.get('take', 0):,} takes, "
          f"{actions.get('take leftover', 0):,} leftovers taken; {s['simulated_days']:.0f} simulated days")
    for a in s["agents"]:
        print(f"  {a['agent']:8} ({a['role']:8}) ends at {100 * a['end_wei'] / a['start_wei']:6.1f} % of its start")
    acc = s["accuracy"]
    print(f"  accuracy on {s['test_samples']:,} held-out samples: initial {acc['initial']:.3f}, final "
          f"{acc['final']:.3f}, minimum {acc['minimum']:.3f}")
    if not args.profile:
        return
    profile = cProfile.Profile()
    profile.runcall(simulate, scenario, engine=args.engine)
    print("profiled again (cProfile slows Python code about twice, the EVM not at all):")
    stats = pstats.Stats(profile).stats
    total = max(v[3] for v in stats.values())
    handle = _cumulative(stats, "dcai_lab/trainers/trainer.py", "add_data", "refund", "report")
    engine = _cumulative(stats, "dcai_lab/chain/engines/revm.py", "transact")
    evm = _own(stats, "message_call")
    evaluation = _cumulative(stats, "dcai_lab/simulation/_scheduler.py", "_evaluate")
    parts = {"EVM execution (revm message_call)": evm,
             "engine around it (journal, write-back)": engine - evm,
             "trainer handle, ABI, lab (Python)": handle - engine,
             "accuracy evaluations (twin)": evaluation,
             "scheduler, data, setup, rest": total - handle - evaluation}
    print(f"where the time went (cumulative, cProfile, {total:.1f} s in all):")
    for name, seconds in parts.items():
        print(f"  {name:40} {seconds:6.1f} s  {100 * seconds / total:4.0f} %")
    print("top functions by own time:")
    pstats.Stats(profile).sort_stats("tottime").print_stats(8)


if __name__ == "__main__":
    main()
