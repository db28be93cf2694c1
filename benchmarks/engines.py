"""Engine benchmark: the same workload on pyevm, revm and a real anvil node.

Workload: deploy a 1,000-word WordCounter, then N ``count`` transactions of 50 random words
(each writes 50 storage slots, like a sparse model's update) and M free ``score`` calls. Every
engine sends the same samples in the same order; the faster engines just send more of them.
Prints transactions/s, calls/s and the ratio to pyevm; then compares gas on the transactions
every engine sent (the first N of the smallest run), transaction by transaction.

    python benchmarks/engines.py            # N and M per engine as below
    python benchmarks/engines.py --quick    # a smaller run
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from dcai_lab import Lab
from dcai_lab.chain.anvil import Anvil

WORDS_PER_SAMPLE = 50
VOCABULARY = 1_000


def workload(lab: Lab, n_tx: int, n_calls: int, seed: int = 0) -> dict:
    rng = random.Random(seed)  # the same samples on every engine, so gas can be compared
    samples = [sorted(rng.sample(range(VOCABULARY), WORDS_PER_SAMPLE)) for _ in range(n_tx)]
    senders = [lab.accounts[1 + i % 9] for i in range(n_tx)]
    counter = lab.deploy_contract("WordCounter", VOCABULARY)
    start = time.perf_counter()
    for words, sender in zip(samples, senders):
        counter.count(words, sender=sender)
    tx_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(n_calls):
        counter.score(samples[i % n_tx])
    call_seconds = time.perf_counter() - start
    gas = [r.gas_used for r in lab.transactions if r.method == "count"]
    return {"tx/s": n_tx / tx_seconds, "calls/s": n_calls / call_seconds, "gas": gas}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer transactions per engine")
    args = parser.parse_args()
    sizes = {"pyevm": (40, 40), "revm": (500, 500), "rpc": (100, 100)} if args.quick else \
            {"pyevm": (200, 200), "revm": (5_000, 5_000), "rpc": (500, 500)}
    results = {}
    for engine, (n_tx, n_calls) in sizes.items():
        if engine == "rpc":
            with Anvil() as node, Lab(node.url) as lab:
                results[engine] = workload(lab, n_tx, n_calls)
        else:
            results[engine] = workload(Lab(engine=engine), n_tx, n_calls)
        print(f"{engine}: {n_tx} transactions, {n_calls} calls done", flush=True)

    base = results["pyevm"]
    print(f"\nWorkload: WordCounter.count with {WORDS_PER_SAMPLE} of {VOCABULARY} words per transaction")
    print(f"{'engine':<8}{'transactions':>14}{'tx/s':>10}{'× pyevm':>10}{'calls/s':>10}{'× pyevm':>10}")
    for engine, r in results.items():
        print(f"{engine:<8}{len(r['gas']):>14,}{r['tx/s']:>10.1f}{r['tx/s'] / base['tx/s']:>10.1f}"
              f"{r['calls/s']:>10.1f}{r['calls/s'] / base['calls/s']:>10.1f}")
    print(compare_gas({engine: r["gas"] for engine, r in results.items()}))


def compare_gas(gas: dict[str, list[int]]) -> str:
    """Gas of the transactions every engine sent (the same samples, in the same order), compared
    one by one; the first transactions cost more than later ones (they write fresh slots), so
    only the same transactions can be compared."""
    common = min(len(g) for g in gas.values())
    reference, *others = gas
    differing = {engine: next((i for i in range(common) if g[i] != gas[reference][i]), None)
                 for engine, g in gas.items() if engine in others}
    shared = gas[reference][:common]
    summary = (f"median {statistics.median(shared):,.0f}, min {min(shared):,}, max {max(shared):,} gas "
               f"per transaction")
    if all(i is None for i in differing.values()):
        return (f"Gas: identical on every engine, transaction by transaction, over the {common} transactions "
                f"every engine sent: {summary}.")
    lines = [f"Gas of the {common} transactions all engines sent ({reference}: {summary}):"]
    for engine, i in differing.items():
        lines.append(f"  {engine}: " + ("identical to " + reference if i is None else
                                        f"differs from transaction {i} on: {gas[engine][i]:,} against "
                                        f"{gas[reference][i]:,}"))
    return "\n".join(lines)

if __name__ == "__main__":
    main()
