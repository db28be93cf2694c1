"""The standard gas workload: one model under one mechanism, each operation once, gas per operation.

The gas snapshot, the comparison table and the scaling curves all measure the same thing, so they
share this one definition of it (``STANDARD`` states it in words). Every operation is measured on
a fresh chain from the same seed, so the figures are the same on every run and on every engine
whose gas is exact (py-evm, revm).

Workload: a two-class model trained off-chain on 60 seeded random samples (sparse: with the
workload's present features, at most half the model's), deployed with its
mechanism (chunked initialisation included). A warm-up contribution by dave first, as the
reference's harness did (the first contribution ever pays for slots written for the first time).
Then, with samples of ``present`` random features (dense models: every feature, random values):

- deposit-refund-take (cost weight 1e15 wei, refund after 1 day, take after 9) and points
  (validation after 1 day): bob adds a sample labelled with the model's prediction ("label =
  prediction": a perceptron does not change); alice adds another against the prediction ("label ≠
  prediction"); carol adds alice's sample with the predicted label until the model predicts it
  again; a day later bob settles his (refund / validate) and reports alice's (take / report).
- the prediction market (stake 0.01 ether, fee 1e14 wei, one hour each to participate and to
  reveal): the deployer commits a test set of 8 samples in 2 pieces with a 1 ether bounty and
  reveals the chosen piece; bob and alice stake as above; after the hour the deployer reveals the
  rest (the contract evaluates the initial model on 4 samples); then each contribution is scored
  in a transaction of its own (bob's is "settle"; alice's, which trains, "settle, model changes")
  and bob withdraws.
- predict: the model's ``predict`` sent as a transaction (a call is free; this is what it would cost
  a contract that asks).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..chain.engines._base import TX_GAS_CAP
from ..errors import ConfigError, DcaiLabError
from ..incentives import DepositRefundTake, Points, PredictionMarket, days, hours
from ..lab import Lab
from ..models._base import OnChainModel
from ..trainers import registry

#: The five models and three mechanisms, in the order tables list them.
MODELS = tuple(registry.MODELS)
MECHANISMS = tuple(registry.INCENTIVES)

#: The operations measured, in order. ``settle`` is the refund (deposit-refund-take), the validation
#: (points) or the scoring of the contribution (prediction market) whose label was the prediction.
OPERATIONS = ("deploy", "deploy transactions", "largest deploy transaction", "addData, label = prediction",
              "addData, label ≠ prediction", "settle", "settle, model changes", "report", "predict",
              "commit", "reveal chosen piece", "reveal test set", "withdraw")

_INCENTIVES = {
    "DepositRefundTake": DepositRefundTake(cost_weight=10**15, refund_wait=days(1), take_wait=days(9)),
    "Points": Points(validation_wait=days(1)),
    "PredictionMarket": PredictionMarket(min_stake=10**16, scoring_fee=10**14, participation_time=hours(1),
                                         reveal_time=hours(1)),
}
_TRAINING_SAMPLES = 60
_TEST_SAMPLES = 8
_UNDO_ATTEMPTS = 20


@dataclass(frozen=True)
class Workload:
    """What is measured: a model of ``n_features`` features, samples with ``present`` of them
    (sparse models; dense samples have every feature), everything drawn from ``seed``."""

    n_features: int = 1000
    present: int = 50
    seed: int = 0

    def __str__(self) -> str:
        return f"2 classes × {self.n_features:,} features, k = {self.present} present (sparse models)"


#: The workload of the snapshot and the comparison table.
STANDARD = Workload()


def trained_model(name: str, workload: Workload = STANDARD) -> OnChainModel:
    """Model ``name`` trained on the workload's seeded random samples, ready to deploy."""
    cls = registry.model_class(name)
    rng = np.random.default_rng(workload.seed)
    n = workload.n_features
    if cls.sparse:  # at most half the features each, so that no two training samples are alike
        X = np.zeros((_TRAINING_SAMPLES, n), dtype=int)
        for row in X:
            row[rng.choice(n, min(workload.present, max(1, n // 2)), replace=False)] = 1
    else:
        X = rng.normal(0, 1, (_TRAINING_SAMPLES, n)) / np.sqrt(n)
    y = np.arange(_TRAINING_SAMPLES) % 2
    return cls(n).partial_fit(X, y, classes=[0, 1])


def samples(model: OnChainModel, workload: Workload, count: int, seed: int) -> list:
    """``count`` samples as the model takes them: lists of present features, or dense vectors."""
    rng = np.random.default_rng(seed)
    n = workload.n_features
    if model.sparse:
        return [sorted(int(i) for i in rng.choice(n, workload.present, replace=False)) for _ in range(count)]
    return list(rng.normal(0, 1, (count, n)) / np.sqrt(n))


@dataclass
class Measurement:
    """The gas of each operation that ran, in order; ``failure`` says which operation did not fit
    and why (the lab's error message), or is None when every one did."""

    gas: dict[str, int] = field(default_factory=dict)
    failure: str | None = None
    #: The operation running now: a failure is charged to it.
    current: str = "deploy"

    def step(self, operation: str, send: Callable[[], Any]) -> Any:
        """Run ``send`` (it sends one transaction and returns its record) and keep its gas."""
        self.current = operation
        record = send()
        self.gas[operation] = record.gas_used
        return record


def measure(model_name: str, mechanism: str, workload: Workload = STANDARD, *,
            engine: str = "revm") -> Measurement:
    """Gas of each operation of the workload (the names in ``OPERATIONS`` that the mechanism has),
    up to the first that does not fit (above the per-transaction cap: ``OutOfGasError``; a sample
    or test set too large: ``ConfigError``), which ``failure`` then names."""
    model = trained_model(model_name, workload)
    lab = Lab(engine=engine)
    result = Measurement()
    try:
        trainer = lab.deploy(model, _INCENTIVES[mechanism], sender=lab.accounts.deployer)
        deployment = [r.gas_used for r in lab.transactions]
        result.gas.update({"deploy": sum(deployment), "deploy transactions": len(deployment),
                           "largest deploy transaction": max(deployment)})
        x_right, x_wrong, x_warm, *test = samples(model, workload, 3 + _TEST_SAMPLES, workload.seed + 1)
        if mechanism == "PredictionMarket":
            _market(lab, trainer, result, x_right, x_wrong, test)
        else:
            _deposit_or_points(lab, trainer, result, x_right, x_wrong, x_warm)
        result.step("predict", lambda: _predict_as_transaction(lab, trainer, x_right))
    except DcaiLabError as error:
        result.failure = f"{result.current}: {error}"
    return result


def _deposit_or_points(lab: Lab, trainer, result: Measurement, x_right, x_wrong, x_warm) -> None:
    a = lab.accounts
    result.current = "addData, label = prediction"  # the warm-up is one
    trainer.add_data(x_warm, trainer.predict(x_warm), sender=a.dave)
    warm_up = trainer._added(lab.last_tx)
    lab.time_travel(seconds=days(1) + 1)
    trainer.refund(warm_up, sender=a.dave)
    label = trainer.predict(x_right)
    right = trainer._added(result.step("addData, label = prediction",
                                       lambda: _add(trainer, x_right, label, a.bob)))
    predicted = trainer.predict(x_wrong)
    wrong = trainer._added(result.step("addData, label ≠ prediction",
                                       lambda: _add(trainer, x_wrong, 1 - predicted, a.alice)))
    for _ in range(_UNDO_ATTEMPTS):  # carol undoes it, so the model disagrees with alice
        if trainer.predict(x_wrong) == predicted:
            break
        trainer.add_data(x_wrong, predicted, sender=a.carol)
    else:
        raise ConfigError(f"{_UNDO_ATTEMPTS} contributions did not undo alice's: there is nothing to report.")
    lab.time_travel(seconds=days(1) + 1)
    result.step("settle", lambda: trainer.refund(right, sender=a.bob))
    result.step("report", lambda: trainer.report(wrong, sender=a.bob))


def _market(lab: Lab, trainer, result: Measurement, x_right, x_wrong, test) -> None:
    a = lab.accounts
    result.step("commit", lambda: trainer.commit(test, np.arange(len(test)) % 2, bounty=10**18, pieces=2,
                                                 seed=1, sender=a.deployer))
    result.step("reveal chosen piece", lambda: trainer.reveal_chosen_piece(sender=a.deployer))
    label = trainer.predict(x_right)
    result.step("addData, label = prediction", lambda: _add(trainer, x_right, label, a.bob))
    label = 1 - trainer.predict(x_wrong)
    result.step("addData, label ≠ prediction", lambda: _add(trainer, x_wrong, label, a.alice))
    lab.time_travel(seconds=_INCENTIVES["PredictionMarket"].participation_time)
    result.step("reveal test set", lambda: trainer.reveal_test_set(sender=a.deployer))
    for operation in ("settle", "settle, model changes"):
        result.step(operation, lambda: trainer.process(max_contributions=1, transactions=1, sender=a.bob)[0])
    result.step("withdraw", lambda: trainer.withdraw(sender=a.bob))


def _add(trainer, x, label: int, sender: str):
    """Contribute ``(x, label)`` and return the transaction's record."""
    trainer.add_data(x, label, sender=sender)
    return trainer.lab.last_tx


def _predict_as_transaction(lab: Lab, trainer, x, undo: bool = True):
    """Send ``predict(x)`` as a transaction from bob and return its record; undone afterwards when
    ``undo`` (otherwise it stays mined, moving the clock on by a block like any transaction)."""
    function = trainer.contract.predict.overloads[0]
    data = function.encode([trainer._encode(trainer._to_sample(x))])
    with lab.anchor() if undo else contextlib.nullcontext():
        _, record = lab._send(trainer.contract.contract_name, trainer.address, "predict", data,
                              sender=lab.accounts.bob, value=0, gas=TX_GAS_CAP)
    return record
