"""Gas of ``assess(sample, label)`` next to ``predict(sample)``, per model.

Workload: the gas snapshot's (``dcai_lab.gas._workload.STANDARD``): each model trained on seeded
random samples of 1,000 features (sparse samples with 50 present), then three further samples,
each sent as a transaction (21,000 intrinsic gas included) to ``predict`` and to ``assess`` with
its label 0 and 1; engine revm (same gas as py-evm). ``assess`` computes what ``predict`` does
plus the margin, and the nearest-centroid models read every centroid in full where ``predict``
stops early on a class that cannot win.

Run: ``.venv/bin/python benchmarks/assess_gas.py`` (a few seconds).
"""

from __future__ import annotations

import statistics

from dcai_lab import Lab
from dcai_lab.gas._workload import STANDARD, samples, trained_model
from dcai_lab.chain.engines._base import TX_GAS_CAP

MODELS = ("SparsePerceptron", "DensePerceptron", "NaiveBayes", "NearestCentroid", "SparseNearestCentroid")


def gas_of(lab: Lab, handle, method: str, *args) -> int:
    """Gas of ``method(*args)`` sent as a transaction, undone afterwards."""
    function = getattr(handle.contract, method).overloads[0]
    with lab.anchor():
        _, record = lab._send(handle.contract.contract_name, handle.address, method, function.encode(list(args)),
                              sender=lab.accounts.bob, value=0, gas=TX_GAS_CAP)
    return record.gas_used


def main() -> None:
    print(f"{'model':<22} {'predict':>10} {'assess':>10} {'extra':>8}")
    for name in MODELS:
        model = trained_model(name, STANDARD)
        lab = Lab(engine="revm")
        handle = lab.deploy(model)
        predict, assess = [], []
        for x in samples(model, STANDARD, 3, STANDARD.seed + 1):
            packed = handle._encode(handle._to_sample(x))
            predict.append(gas_of(lab, handle, "predict", packed))
            assess += [gas_of(lab, handle, "assess", packed, label) for label in (0, 1)]
        p, a = statistics.mean(predict), statistics.mean(assess)
        print(f"{name:<22} {p:>10,.0f} {a:>10,.0f} {a - p:>8,.0f}")


if __name__ == "__main__":
    main()
