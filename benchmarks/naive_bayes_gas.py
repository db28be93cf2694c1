"""Gas of naive Bayes under deposit-refund-take against microsoft/0xDeCA10B's NaiveBayesClassifier.

Workload (as ../shared/reference/0xDeCA10B-gas.md measured the original, optimizer off, Prague):
2 classes × 1,000 features, every (class, feature) count ``U{1..20}`` (numpy ``default_rng(12345)``),
100 samples per class, α = 1, under deposit-refund-take with cost weight 1e15 wei, refund wait 1
day and take wait 9 days; samples of k distinct random features, n = 7 per cell, median gas of the
receipts (21,000 intrinsic gas included). One warm-up contribution by another account first.
"predict": the trainer's ``predict`` sent as a transaction (the reference's row is its exact
``eth_estimateGas``, which equals the receipt's gas). "addData": bob adds the same sample labelled
with the prediction, sending 1e15 wei more than the deposit as the reference did (naive Bayes
learns from every sample, so every contribution writes the counts); the "exact" rows pay exactly
``next_cost()``.

The issue "Gas cost analysis" set its predict target against 174,606, which is the reference's
sparse perceptron predict at k = 50; its naive Bayes predict is 361,713. Both are compared.

Run: ``python benchmarks/naive_bayes_gas.py`` (py-evm, Prague; about ten seconds).
"""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd

from dcai_lab.models import NaiveBayes
from trainer_gas import deploy_like_the_reference  # the same stack, rules and fork

N_FEATURES = 1000
SAMPLES_PER_CLASS = 100
REPEATS = 7
KS = (10, 50, 100)
EXCESS = 10**15
TARGETS = {"addData": 0.6, "predict": 0.6}  # the issue's; none for deployment

#: The reference's figures (optimizer off, Prague): medians at k = 50, and its deployment.
REFERENCE = [
    ("addData", "NaiveBayesClassifier addData, label = prediction", 512_999),
    ("predict", "NaiveBayesClassifier predict", 361_713),
    ("predict", "SparsePerceptron predict (the issue's target)", 174_606),
    ("deployment (whole stack)", "NaiveBayesClassifier deploy + init", 56_828_990),
]


def reference_model() -> NaiveBayes:
    rng = np.random.default_rng(12345)
    model = NaiveBayes(n_features=N_FEATURES, alpha=1.0)
    model._init_model(2)
    model.class_count_[:] = SAMPLES_PER_CLASS
    model.feature_count_[:] = rng.integers(1, 21, (2, N_FEATURES))
    return model


def measure(excess: int) -> tuple[dict[tuple[str, int], int], int]:
    lab, trainer, deployment = deploy_like_the_reference(reference_model())
    bob, dave = lab.accounts.bob, lab.accounts.dave
    rng = np.random.default_rng(7)

    def sample(k: int) -> list[int]:
        return sorted(rng.choice(N_FEATURES, k, replace=False).tolist())

    def add(x, sender) -> int:
        trainer.add_data(x, trainer.predict(x), sender=sender, value=trainer.next_cost() + excess)
        return lab.last_tx.gas_used

    def predict_tx(x) -> int:
        data = trainer.contract.predict.overloads[0].encode([trainer._encode(trainer._to_sample(x))])
        receipt = lab._engine.transact(bob, trainer.address, data)
        assert receipt.success, receipt
        return receipt.gas_used

    add(sample(10), dave)
    gas: dict[tuple[str, int], list[int]] = {}
    for k in KS:
        for _ in range(REPEATS):
            x = sample(k)
            gas.setdefault(("predict", k), []).append(predict_tx(x))
            gas.setdefault(("addData", k), []).append(add(x, bob))
    return {key: int(statistics.median(values)) for key, values in gas.items()}, deployment


def main() -> None:
    rows = []
    for label, excess in (("with 1e15 wei excess (as the reference)", EXCESS), ("exact deposit", 0)):
        medians, deployment = measure(excess)
        by_k = pd.DataFrame(
            [{"operation": op, "k": k, "median gas": g} for (op, k), g in sorted(medians.items())]
        ).pivot(index="operation", columns="k", values="median gas")
        print(f"\nNaiveBayes 2×1000 with deposit-refund-take, {label}, median of {REPEATS} by k:\n{by_k.to_string()}")
        for operation, reference_name, reference in REFERENCE:
            ours = deployment if operation.startswith("deployment") else medians[(operation, 50)]
            target = TARGETS.get(operation)
            rows.append({"payment": label, "operation": operation, "0xDeCA10B": reference_name,
                         "reference gas": reference, "dcai-lab": ours, "ratio": round(ours / reference, 3),
                         "target": target, "met": "–" if target is None else ours / reference <= target})
    print("\nk = 50, py-evm Prague (reference: optimizer off, Prague; ours: optimizer 200):")
    with pd.option_context("display.width", 200):
        print(pd.DataFrame(rows).set_index(["payment", "operation"]).to_string(na_rep="–"))


if __name__ == "__main__":
    main()
