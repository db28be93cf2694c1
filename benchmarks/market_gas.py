"""Gas and calldata of every prediction-market step, against the bounds the contract enforces.

Workload: the bundled sentiment sentences (1,000-word vocabulary); a model pre-trained on 2,000
training sentences; 40 contributions (half with their true label, half flipped) from other
training sentences, 0.01 ETH each; a 1 ETH bounty; engine revm (same gas as py-evm). Two test
sets per model: the test split (5 pieces; as much of it as the model can evaluate within
EVALUATION_GAS_LIMIT) and the largest the contract accepts (test and training sentences, 16 pieces,
up to MAX_EVALUATION_BYTES and EVALUATION_GAS_LIMIT, whichever binds first). For each step: the
gas of its transaction(s) (21,000 intrinsic included) and its calldata in bytes, next to the
bounds: 16,777,216 gas per transaction, 131,072 bytes that public nodes relay, STEP_GAS per
scoring step, EVALUATION_GAS_LIMIT for the baseline evaluation.

Run: ``.venv/bin/python benchmarks/market_gas.py`` (about half a minute).
"""

from __future__ import annotations

import statistics

import pandas as pd

from dcai_lab import Lab
from dcai_lab.datasets import load_sentiment
from dcai_lab.chain.engines._base import TX_GAS_CAP
from dcai_lab.errors import ConfigError
from dcai_lab.incentives.prediction_market import (
    EVALUATION_GAS_LIMIT,
    MAX_EVALUATION_BYTES,
    STEP_GAS,
    PredictionMarket,
)
from dcai_lab.models import NaiveBayes, SparsePerceptron

RELAY_LIMIT = 131_072
RULES = PredictionMarket(min_stake=10**16, scoring_fee=10**14, participation_time=3_600, reveal_time=3_600)


def sentences() -> tuple[list, list, list, list]:
    data = load_sentiment(vocabulary_size=1000)

    def rows(X) -> list[tuple[int, ...]]:
        return [tuple(int(i) for i in X[r].indices) for r in range(X.shape[0])]

    train = [(x, int(y)) for x, y in zip(rows(data.X_train), data.y_train) if x]
    test = [(x, int(y)) for x, y in zip(rows(data.X_test), data.y_test) if x]
    return [x for x, _ in train], [y for _, y in train], [x for x, _ in test], [y for _, y in test]


def largest_test_set(trainer, X: list, y: list, n_pieces: int) -> tuple[list, list]:
    """The longest prefix of (X, y) that ``trainer.commit`` accepts (bytes and evaluation gas)."""
    n = len(X)
    while True:
        with trainer.lab.anchor():
            try:
                trainer.commit(X[:n], y[:n], bounty=10**18, pieces=n_pieces, seed=1)
                return X[:n], y[:n]
            except ConfigError:
                n -= max(1, n // 20)


def calldata(contract, name: str, *args) -> int:
    """Bytes of calldata of one call (selector and ABI-encoded arguments)."""
    return len(getattr(contract, name)._pick(args).encode(args))


def run(model_class, X_train, y_train, X_test, y_test, n_pieces: int) -> list[dict]:
    lab = Lab(engine="revm")
    a = lab.accounts
    model = model_class(n_features=1000).fit(X_train[:2000], y_train[:2000])
    trainer = lab.deploy(model, incentive=RULES, sender=a.deployer)
    rows = [{"step": "deploy (whole stack)", "gas": sum(r.gas_used for r in lab.transactions), "calldata": None}]
    X_test, y_test = largest_test_set(trainer, X_test, y_test, n_pieces)

    def record(step: str, records, data: int | None) -> None:
        gas = [r.gas_used for r in records]
        rows.append({"step": step, "gas": max(gas), "calldata": data, "transactions": len(gas)})

    trainer.commit(X_test, y_test, bounty=10**18, pieces=n_pieces, seed=1, sender=a.deployer)
    pieces = trainer.pieces
    record("commit", [lab.last_tx], calldata(trainer.contract, "commit", [p.hash for p in pieces],
                                              sum(len(p.data) for p in pieces), 0))
    trainer.reveal_chosen_piece(sender=a.deployer)
    chosen = trainer.chosen_piece()
    record("reveal chosen piece", [lab.last_tx], calldata(trainer.contract, "revealChosenPiece", pieces[chosen].data))
    adds = []
    for i in range(2000, 2040):
        label = y_train[i] if i % 2 else 1 - y_train[i]
        trainer.add_data(X_train[i], label, sender=a.alice if i % 2 else a.mallory, value=RULES.min_stake)
        adds.append(lab.last_tx.gas_used)
    rows.append({"step": "addData (median of 40)", "gas": int(statistics.median(adds)), "calldata": None,
                 "transactions": 40})
    lab.time_travel(seconds=RULES.participation_time)
    evaluation = [p.data for i, p in enumerate(pieces) if i != chosen]
    trainer.reveal_test_set(sender=a.deployer)
    reveal = lab.last_tx
    record("reveal test set (+ baseline)", [reveal], calldata(trainer.contract, "revealTestSet", evaluation))
    baseline_gas = int(trainer.contract.evaluationGas())
    contributions = trainer.contributions()
    entries = [(c.id, trainer._encode(c.sample), c.label, c.contributor) for c in contributions]
    batches = trainer.process(sender=a.bob)
    scored = sum(1 for r in batches for e in r.events if e.name == "ContributionScored")
    record(f"process ({scored} contributions)", batches,
           calldata(trainer.contract, "process", entries[:scored // len(batches) + 1], evaluation, 64))
    rows[-1]["gas per contribution"] = sum(r.gas_used for r in batches) // scored
    for who in (a.deployer, a.alice, a.mallory, a.bob):
        if trainer.owed(who):
            trainer.withdraw(sender=who)
    record("withdraw", [lab.last_tx], 4)
    for row in rows:
        row.update(model=model_class.__name__, test_samples=len(X_test), baseline_evaluation_gas=baseline_gas)
    return rows


def main() -> None:
    X_train, y_train, X_test, y_test = sentences()
    # Sentences for the largest test set (only gas is measured on it, so reusing them is harmless).
    big_X, big_y = X_test + X_train[2040:] + X_train[:2000], y_test + y_train[2040:] + y_train[:2000]
    rows = []
    for model_class in (SparsePerceptron, NaiveBayes):
        rows += run(model_class, X_train, y_train, X_test, y_test, 5)
        rows += run(model_class, X_train, y_train, big_X, big_y, 16)
    table = pd.DataFrame(rows).set_index(["model", "test_samples", "step"])
    table["% of tx cap"] = (100 * table["gas"] / TX_GAS_CAP).round(1)
    pd.set_option("display.width", 200)
    print(table.drop(columns=["baseline_evaluation_gas"]).to_string(na_rep="–"))
    print()
    print(table.groupby(level=[0, 1])["baseline_evaluation_gas"].first().rename("baseline evaluation gas").to_string())
    print(f"\nbounds: {TX_GAS_CAP:,} gas per transaction; {RELAY_LIMIT:,} bytes relayed; STEP_GAS {STEP_GAS:,}; "
          f"EVALUATION_GAS_LIMIT {EVALUATION_GAS_LIMIT:,}; test set ≤ {MAX_EVALUATION_BYTES:,} bytes")
    worst_gas, worst_data = table["gas"].max(), table["calldata"].max()
    print(f"largest transaction: {worst_gas:,} gas ({worst_gas / TX_GAS_CAP:.0%} of the cap); "
          f"largest calldata: {int(worst_data):,} bytes ({worst_data / RELAY_LIMIT:.0%} of what nodes relay)")


if __name__ == "__main__":
    main()
