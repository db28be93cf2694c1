"""Speed of the trainer handle on revm, against the engine alone on the same transactions.

Workload (the simulations' hot loop): a 1,000-feature sparse perceptron under deposit-refund-take,
N contributions of 50 random features each from nine accounts in turn, labelled by a hidden
perceptron (so some change the model); a day later every contribution the model still agrees with is
refunded by its contributor and every other one is reported (taken) by the next account, which
by then has validated contributions. Each transaction is mined one second after the last, so
every deposit is the same and the engine alone can replay the exact calldata.

Each run goes twice through the workload on a fresh lab with the same genesis: through the public
handle (``trainer.add_data``, ``trainer.refund``, ``trainer.report``), then the same calldata
straight into ``lab._engine.transact`` — the EVM and its gas bookkeeping with nothing of the handle
around it. The machine is shared, so absolute rates move from run to run: the fastest of several
runs counts, and the ratio of the two (handle ÷ engine) is the figure to compare across versions.
Every receipt's gas is summed and hashed, so that two versions of the code can be shown to charge
the same gas.

    python benchmarks/trainer_speed.py                       # N = 3,000, fastest of 3 runs
    python benchmarks/trainer_speed.py -n 2000 --profile     # and a cProfile summary of the handle
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import pstats
import time

import numpy as np

from dcai_lab import Lab
from dcai_lab.incentives import DepositRefundTake, days
from dcai_lab.models import SparsePerceptron

N_FEATURES = 1_000
FEATURES_PER_SAMPLE = 50
COST_WEIGHT = 10**12
SEED = 0


def workload(n: int) -> tuple[list[tuple[int, ...]], list[int]]:
    """``n`` samples of 50 distinct features and their labels by a hidden perceptron (seeded)."""
    rng = np.random.default_rng(SEED)
    truth = rng.normal(size=N_FEATURES)
    samples = [tuple(sorted(int(i) for i in rng.choice(N_FEATURES, FEATURES_PER_SAMPLE, replace=False)))
               for _ in range(n)]
    labels = [int(truth[list(s)].sum() > 0) for s in samples]
    return samples, labels


def deployed() -> tuple[Lab, object]:
    """A fresh revm lab with the untrained model deployed under deposit-refund-take."""
    rng = np.random.default_rng(SEED + 1)
    model = SparsePerceptron(n_features=N_FEATURES)
    model._init_model(2)
    model.weights_ = [int(w) or 1 for w in np.rint(rng.uniform(-0.5, 0.5, N_FEATURES) * 1_000_000)]
    model.intercept_ = 0
    lab = Lab(engine="revm")
    return lab, lab.deploy(model, DepositRefundTake(cost_weight=COST_WEIGHT, refund_wait=days(1),
                                                    take_wait=days(9)))


def contributor(i: int) -> int:
    return 1 + i % 9


class Clock:
    """Times the phases of a run (transactions, seconds each), with a profiler on only meanwhile."""

    def __init__(self, profiler: cProfile.Profile | None = None) -> None:
        self.times: dict[str, tuple[int, float]] = {}
        self.profiler = profiler

    @contextlib.contextmanager
    def phase(self, name: str, transactions: int):
        if self.profiler:
            self.profiler.enable()
        start = time.perf_counter()
        yield
        self.times[name] = (transactions, time.perf_counter() - start)
        if self.profiler:
            self.profiler.disable()


def through_the_handle(samples, labels, clock: Clock) -> tuple[list[int], list[tuple]]:
    """Add, refund and report through the trainer handle, timed by ``clock``: every receipt's gas,
    and every transaction as (sender, to, calldata, value, method) for the engine-only replay."""
    lab, trainer = deployed()
    accounts = lab.accounts
    first = len(lab.transactions)
    with clock.phase("add_data", len(samples)):
        contributions = [trainer.add_data(x, y, sender=accounts[contributor(i)]) for i, (x, y) in
                         enumerate(zip(samples, labels))]
    lab.time_travel(seconds=days(1))
    twin = trainer.local_model()
    agreed = twin.predict([list(c.sample) for c in contributions]) == np.array(labels)
    kept = [c for c, ok in zip(contributions, agreed) if ok]
    taken = [(i, c) for i, (c, ok) in enumerate(zip(contributions, agreed)) if not ok]
    with clock.phase("refund", len(kept)):
        for c in kept:
            trainer.refund(c, sender=c.contributor)
    with clock.phase("report", len(taken)):
        for i, c in taken:
            trainer.report(c, sender=accounts[contributor(i + 1)])
    records = lab.transactions[first:]
    return [r.gas_used for r in records], [(r.sender, r.address, r.data, r.value, r.method) for r in records]


def through_the_engine(replay, clock: Clock) -> list[int]:
    """The same transactions, in the same order and at the same times, sent straight to the engine,
    timed by ``clock``: every receipt's gas."""
    lab, _ = deployed()
    engine, gas = lab._engine, []
    for method, phase in {"addData": "add_data", "refund": "refund", "report": "report"}.items():
        if method == "refund":
            engine.mine(1, days(1))
        batch = [tx for tx in replay if tx[4] == method]
        with clock.phase(phase, len(batch)):
            for sender, to, data, value, _ in batch:
                gas.append(engine.transact(sender, to, data, value).gas_used)
    return gas


def fingerprint(gas: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, gas)).encode()).hexdigest()[:16]


def best(runs: list[dict[str, tuple[int, float]]]) -> dict[str, tuple[int, float]]:
    """Per phase, the fastest of several runs: other work on a shared machine only slows a run down."""
    return {phase: min((run[phase] for run in runs), key=lambda r: r[1]) for phase in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3_000, help="contributions (default 3,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, the fastest counts (default 3)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of one run of the handle")
    args = parser.parse_args()
    samples, labels = workload(args.n)
    handle_runs, engine_runs, gas_runs = [], [], []
    for _ in range(args.repeat):  # alternated, so that both see the same load on the machine
        handle_runs.append(Clock())
        handle_gas, replay = through_the_handle(samples, labels, handle_runs[-1])
        engine_runs.append(Clock())
        gas_runs += [handle_gas, through_the_engine(replay, engine_runs[-1])]
    handle, engine = best([c.times for c in handle_runs]), best([c.times for c in engine_runs])
    print(f"revm, {args.n:,} contributions of {FEATURES_PER_SAMPLE} of {N_FEATURES:,} features "
          f"(sparse perceptron, deposit-refund-take), fastest of {args.repeat} runs")
    print(f"{'operation':<10} {'txs':>7} {'handle/s':>10} {'engine/s':>10} {'handle ÷ engine':>16}")
    for phase in ("add_data", "refund", "report"):
        (n, t_handle), (_, t_engine) = handle[phase], engine[phase]
        print(f"{phase:<10} {n:>7,} {n / t_handle:>10,.0f} {n / t_engine:>10,.0f} {t_engine / t_handle:>16.2f}")
    n_all = sum(n for n, _ in handle.values())
    t_handle, t_engine = sum(t for _, t in handle.values()), sum(t for _, t in engine.values())
    print(f"{'all':<10} {n_all:>7,} {n_all / t_handle:>10,.0f} {n_all / t_engine:>10,.0f} "
          f"{t_engine / t_handle:>16.2f}")
    print(f"gas: {len(handle_gas):,} receipts, total {sum(handle_gas):,}, fingerprint {fingerprint(handle_gas)}; "
          f"every run and the engine's replays {'identical' if all(g == handle_gas for g in gas_runs) else 'DIFFERENT'}")
    if args.profile:  # the timed phases only, not the deployment
        profiler = cProfile.Profile()
        through_the_handle(samples, labels, Clock(profiler))
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())


if __name__ == "__main__":
    main()
