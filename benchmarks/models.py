"""Gas of every on-chain model: deployment, update (changing and not changing the model), predict.

Each model is trained off-chain on random data, deployed in chunks on the default engine, and then
measured on samples with k present features (sparse) or all features (dense). "Agrees" means the
label equals the model's prediction; for a perceptron that leaves the model unchanged, for the
counting models (naive Bayes, nearest centroid) every update changes the counts.

    python benchmarks/models.py
"""

from __future__ import annotations

import statistics

import numpy as np

from dcai_lab import Lab
from dcai_lab import models

SAMPLES_PER_CELL = 3
SEED = 0


def random_data(n_features: int, n_classes: int, sparse: bool, rng, n: int = 60):
    if sparse:
        X = (rng.random((n, n_features)) < 0.05).astype(int)
        X[:, 0] = 1  # no empty sample
    else:
        X = rng.normal(0, 1, (n, n_features)) / np.sqrt(n_features)
    return X, rng.integers(0, n_classes, n)


def sample(n_features: int, k: int, sparse: bool, rng):
    if sparse:
        return sorted(int(i) for i in rng.choice(n_features, k, replace=False))
    return rng.normal(0, 1, n_features) / np.sqrt(n_features)


def tx_gas(lab: Lab, function, *args) -> int:
    """Gas of sending ``function`` as a transaction (for a view: what the call would cost)."""
    contract = function.contract
    (abi,) = function.overloads
    receipt = lab._engine.transact(lab.accounts[0], contract.address, abi.encode(args))
    assert receipt.success, receipt
    return receipt.gas_used


def measure(name: str, model, ks: list[int]) -> list[dict]:
    rng = np.random.default_rng(SEED)
    lab = Lab()
    handle = lab.deploy(model)
    deploy = [r.gas_used for r in lab.transactions]
    rows = []
    for k in ks:
        cell = {"agrees": [], "disagrees": [], "predict": []}
        for _ in range(SAMPLES_PER_CELL):
            x = sample(model.n_features, k, model.sparse, rng)
            compact = handle._encode(handle._to_sample(x))
            predicted = handle.predict(x)
            other = (predicted + 1) % model.n_classes_
            with lab.anchor():
                cell["predict"].append(tx_gas(lab, handle.contract.predict, compact))
                cell["agrees"].append(tx_gas(lab, handle.contract.update, compact, predicted))
            with lab.anchor():
                cell["disagrees"].append(tx_gas(lab, handle.contract.update, compact, other))
        rows.append({"model": name, "k": k, "deploy": sum(deploy), "txs": len(deploy), "largest tx": max(deploy),
                     **{f"update ({key})": int(statistics.median(v)) for key, v in cell.items() if key != "predict"},
                     "predict": int(statistics.median(cell["predict"]))})
    return rows


def configurations():
    rng = np.random.default_rng(SEED)
    for name, cls, n_features, n_classes, ks in [
        ("SparsePerceptron", "SparsePerceptron", 1000, 2, [10, 50, 100]),
        ("DensePerceptron", "DensePerceptron", 1000, 2, [1000]),
        ("NaiveBayes 2×1000", "NaiveBayes", 1000, 2, [10, 50, 100]),
        ("NaiveBayes 10×64", "NaiveBayes", 64, 10, [10, 30]),
        ("NearestCentroid 2×1000", "NearestCentroid", 1000, 2, [1000]),
        ("NearestCentroid 10×64", "NearestCentroid", 64, 10, [64]),
        ("SparseNearestCentroid 2×1000", "SparseNearestCentroid", 1000, 2, [10, 50, 100]),
        ("SparseNearestCentroid 10×64", "SparseNearestCentroid", 64, 10, [10, 30]),
    ]:
        model_class = getattr(models, cls)
        X, y = random_data(n_features, n_classes, model_class.sparse, rng)
        yield name, model_class(n_features).partial_fit(X, y, classes=list(range(n_classes))), ks


def main() -> None:
    import pandas as pd

    rows = [row for name, model, ks in configurations() for row in measure(name, model, ks)]
    table = pd.DataFrame(rows).set_index(["model", "k"])
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(float_format="{:,.0f}".format))


if __name__ == "__main__":
    main()
