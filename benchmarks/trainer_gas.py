"""Gas of the whole trainer against microsoft/0xDeCA10B on the reference's own workload.

The workload and the reference's figures, with their provenance, are in ``dcai_lab.gas.reference``
(a 1,000-feature sparse perceptron and a 2 × 1,000 naive Bayes under deposit-refund-take, samples
of k random features, median of 7). This script measures ours on py-evm under Prague, as the
reference was measured, twice: sending 1e15 wei more than the deposit (as the reference did) and
paying the deposit exactly; it prints every k and the side-by-side with ratios and the targets.

Run: ``python benchmarks/trainer_gas.py`` (py-evm, Prague; about half a minute).
"""

from __future__ import annotations

import pandas as pd

from dcai_lab.gas.reference import EXCESS, measure_ours, side_by_side

#: The issue's targets, as a ratio to the reference.
TARGETS = {("sparse perceptron", "deployment"): 0.35, ("naive Bayes 2×1,000", "addData"): 0.6,
           ("naive Bayes 2×1,000", "predict"): 0.6}


def main() -> None:
    pd.set_option("display.width", 200)
    for label, excess in (("with 1e15 wei excess (as the reference)", EXCESS), ("exact deposit", 0)):
        ours = measure_ours(engine="pyevm", excess=excess)
        by_k = pd.DataFrame([{"model": m, "operation": op, "k": k, "median gas": g}
                             for (m, op, k), g in ours.items() if k is not None])
        print(f"\ndcai-lab, {label}, median of 7 by k (py-evm, Prague):")
        print(by_k.pivot(index=["model", "operation"], columns="k", values="median gas").to_string())
        table = side_by_side(ours)
        targets = [TARGETS.get(index[:2]) for index in table.index]
        table["target"] = ["–" if t is None else t for t in targets]
        table["met"] = ["–" if t is None else r <= t for r, t in zip(table["ratio"], targets)]
        print(f"\nagainst 0xDeCA10B ({label}; reference: optimizer off, Prague; ours: optimizer 200):")
        print(table.to_string(na_rep="–"))


if __name__ == "__main__":
    main()
