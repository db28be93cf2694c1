"""Gas of the whole trainer against microsoft/0xDeCA10B on the reference's own workload.

Workload (as ../shared/reference/0xDeCA10B-gas.md measured the original, optimizer off, Prague):
a 1,000-feature sparse perceptron with weights ``rint(U(-0.5, 0.5))`` (numpy ``default_rng(12345)``,
zeros made 1), intercept 0, learning rate 1, under deposit-refund-take with cost weight 1e15 wei,
refund wait 1 day and take wait 9 days; samples of k distinct random features, n = 7 per cell,
median gas of the receipts (21,000 intrinsic gas included). One warm-up contribution and refund
by another account first. "right": bob adds data labelled with the current prediction and
refunds it after a day. "wrong": alice adds data labelled against the prediction (the model
changes), carol adds the same data with the other label (changing it back), and after a day bob,
who has validated data, takes from alice's contribution. Every contribution sends 1e15 wei more
than the deposit, as the reference did, so the excess refund is included; the "exact" rows pay
exactly ``next_cost()``.

Run: ``python benchmarks/trainer_gas.py`` (py-evm, Prague; about a minute).
"""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd

from dcai_lab import Lab, Trainer
from dcai_lab.engines.pyevm import PyEVMEngine
from dcai_lab.incentives import DepositRefundTake, days
from dcai_lab.models import SparsePerceptron

N_FEATURES = 1000
REPEATS = 7
KS = (10, 50, 100)
EXCESS = 10**15

#: The reference's medians at k = 50 (optimizer off, Prague) and its whole-stack deployment.
REFERENCE = {
    "addData, model unchanged": 349_039,
    "addData, model changed": 529_476,
    "refund": 287_076,
    "report (take)": 290_944,
    "deployment (whole stack)": 30_295_899,
}
TARGETS = {"deployment (whole stack)": 0.35}


def reference_model() -> SparsePerceptron:
    rng = np.random.default_rng(12345)
    model = SparsePerceptron(n_features=N_FEATURES)
    model._init_model(2)
    model.weights_ = [int(w) or 1 for w in np.rint(rng.uniform(-0.5, 0.5, N_FEATURES) * 1_000_000)]
    model.intercept_ = 0
    return model


def deploy_like_the_reference(model) -> tuple[Lab, Trainer, int]:
    """``model`` under the reference's deposit-refund-take rules on py-evm with Prague's gas schedule
    (same accounts and clock): the lab, the trainer and the gas of the whole deployment."""
    lab = Lab(engine=PyEVMEngine(fork="prague"))
    trainer = lab.deploy(model, DepositRefundTake(cost_weight=10**15, refund_wait=days(1), take_wait=days(9)))
    return lab, trainer, sum(r.gas_used for r in lab.transactions)


def measure(excess: int) -> tuple[dict[tuple[str, int], int], int]:
    lab, trainer, deployment = deploy_like_the_reference(reference_model())
    alice, bob, carol, dave = lab.accounts.alice, lab.accounts.bob, lab.accounts.carol, lab.accounts.dave
    rng = np.random.default_rng(7)

    def sample(k: int) -> list[int]:
        return sorted(rng.choice(N_FEATURES, k, replace=False).tolist())

    def add(x, label, sender):
        contribution = trainer.add_data(x, label, sender=sender, value=trainer.next_cost() + excess)
        return contribution, lab.last_tx.gas_used

    gas: dict[tuple[str, int], list[int]] = {}
    right, wrong = [], []
    x = sample(10)
    warm_up, _ = add(x, trainer.predict(x), dave)
    lab.time_travel(seconds=days(1) + 1)
    trainer.refund(warm_up, sender=dave)
    for k in KS:
        for _ in range(REPEATS):
            x = sample(k)
            c, g = add(x, trainer.predict(x), bob)
            right.append((k, c))
            gas.setdefault(("addData, model unchanged", k), []).append(g)
            x = sample(k)
            prediction = trainer.predict(x)
            c, g = add(x, 1 - prediction, alice)
            gas.setdefault(("addData, model changed", k), []).append(g)
            add(x, prediction, carol)
            wrong.append((k, c))
    lab.time_travel(seconds=days(1) + 1)
    for k, c in right:
        gas.setdefault(("refund", k), []).append(trainer.refund(c, sender=bob).gas_used)
    for k, c in wrong:
        gas.setdefault(("report (take)", k), []).append(trainer.report(c, sender=bob).gas_used)
    return {key: int(statistics.median(values)) for key, values in gas.items()}, deployment


def main() -> None:
    rows = []
    for label, excess in (("with 1e15 wei excess (as the reference)", EXCESS), ("exact deposit", 0)):
        medians, deployment = measure(excess)
        for operation, reference in REFERENCE.items():
            ours = deployment if operation.startswith("deployment") else medians[(operation, 50)]
            rows.append({"payment": label, "operation": operation, "0xDeCA10B": reference, "dcai-lab": ours,
                         "ratio": round(ours / reference, 3), "target": TARGETS.get(operation, 0.6)})
        by_k = pd.DataFrame(
            [{"operation": op, "k": k, "median gas": g} for (op, k), g in sorted(medians.items())]
        ).pivot(index="operation", columns="k", values="median gas")
        print(f"\ndcai-lab, {label}, median of {REPEATS} by k:\n{by_k.to_string()}")
    table = pd.DataFrame(rows).set_index(["payment", "operation"])
    table["met"] = table["ratio"] <= table["target"]
    print("\nk = 50, py-evm Prague (reference: optimizer off, Prague; ours: optimizer 200):")
    print(table.to_string())


if __name__ == "__main__":
    main()
