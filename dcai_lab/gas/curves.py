"""How gas grows: scaling curves, the largest model each design fits, and the model × mechanism table.

    from dcai_lab.gas import curves
    frame = curves.scaling("present features", [1, 10, 50, 100, 200])   # a long DataFrame
    curves.figure(frame)                       # a plotly figure, the per-transaction cap drawn
    curves.largest_model("DensePerceptron", "DepositRefundTake")      # and what limits it
    curves.comparison_table()                  # five models × three mechanisms, standard workload

Every figure is measured on real contracts (``dcai_lab.gas._workload``: the same operations as the
gas snapshot), on revm by default: its gas equals py-evm's, and it is some fifty times faster.
(The prediction market's chosen piece is drawn from a block hash, which differs between the
engines, so its figures can differ by which test samples were revealed first.)

Two axes. *Present features* (k): how many features a sample has; only sparse models have a
choice, a dense sample has every feature, so their curve against k is their curve against size.
*Model size* (n): features of the model; sparse samples keep k = 50. Along present features a
sparse model has max(1,000, k) features.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from ._workload import MECHANISMS, MODELS, OPERATIONS, STANDARD, Workload, measure
from ..chain.engines._base import TX_GAS_CAP
from ..errors import ConfigError
from ..trainers.registry import model_class

__all__ = ["AXES", "MECHANISMS", "MODELS", "comparison_table", "figure", "largest_model", "operation_names",
           "scaling"]

#: The two axes a curve runs along.
AXES = ("present features", "model size")

#: What the workload's generic operations are called under each mechanism.
_NAMES = {
    "DepositRefundTake": {"settle": "refund", "settle, model changes": None, "report": "take"},
    "Points": {"settle": "validate", "settle, model changes": None, "report": "report"},
    "PredictionMarket": {"addData, label = prediction": "addData (a stake)", "addData, label ≠ prediction": None,
                         "settle": "scoring, model unchanged", "settle, model changes": "scoring, model changes"},
}
#: Operations a curve shows: those that grow with the model or the sample.
_CURVE_OPERATIONS = ("deploy", "largest deploy transaction", "addData, label = prediction",
                     "addData, label ≠ prediction", "settle", "settle, model changes", "report", "predict",
                     "reveal test set")


def operation_names(mechanism: str) -> dict[str, str]:
    """The workload's operations under ``mechanism``, by what that mechanism calls them (refund, take,
    validate, scoring…); operations it does not have are left out."""
    names = _NAMES[_mechanism(mechanism)]
    return {op: names.get(op, op) for op in OPERATIONS if names.get(op, op) is not None}


def scaling(axis: str, values: list[int], *, models: tuple[str, ...] = MODELS,
            mechanism: str = "DepositRefundTake", engine: str = "revm") -> pd.DataFrame:
    """Gas of each operation against ``axis`` (``"present features"`` or ``"model size"``) at each of
    ``values``: one row per (model, x, operation), with the mechanism's own operation names.

    A point that does not fit (an operation above the per-transaction cap, a sample too large)
    has no gas; its ``failure`` column says which operation failed and why, and the curve stops."""
    if axis not in AXES:
        raise ConfigError(f"axis={axis!r} is not one of {', '.join(AXES)}.")
    mechanism = _mechanism(mechanism)
    names = operation_names(mechanism)
    rows = []
    for model in models:
        sparse = model_class(_model(model)).sparse
        if axis == "present features" and not sparse:
            continue  # a dense sample has every feature: see its curve against model size
        for x in sorted(values):
            result = measure(model, mechanism, _workload(axis, x), engine=engine)
            for operation, gas in result.gas.items():
                if operation in _CURVE_OPERATIONS and operation in names:
                    if axis == "present features" and operation.startswith(("deploy", "largest deploy")):
                        continue  # the model's size is fixed along this axis
                    rows.append({"model": model, "mechanism": mechanism, "axis": axis, "x": x,
                                 "operation": names[operation], "gas": gas, "failure": None})
            if result.failure:
                rows.append({"model": model, "mechanism": mechanism, "axis": axis, "x": x,
                             "operation": names.get(result.failure.split(":")[0], "deploy"), "gas": None,
                             "failure": result.failure})
                break
    frame = pd.DataFrame(rows, columns=["model", "mechanism", "axis", "x", "operation", "gas", "failure"])
    return frame.astype({"gas": "Int64"})


def figure(frame: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The curves of a ``scaling`` frame, one panel per operation, on log-log axes, with the
    per-transaction cap (16,777,216 gas, EIP-7825) drawn in every panel."""
    measured = frame.dropna(subset=["gas"]).astype({"gas": "int64"})
    if measured.empty:
        raise ConfigError("the frame has no measured points to draw.")
    axis, mechanism = measured["axis"].iloc[0], measured["mechanism"].iloc[0]
    fig = px.line(measured, x="x", y="gas", color="model", facet_col="operation", facet_col_wrap=3,
                  markers=True, log_x=True, log_y=True, facet_row_spacing=0.12,
                  title=title or f"Gas against {axis}, {mechanism}",
                  labels={"x": axis, "gas": "gas"})
    fig.add_hline(y=TX_GAS_CAP, line_dash="dash", line_color="red", row="all", col="all",
                  annotation_text=f"per-transaction cap {TX_GAS_CAP:,}", annotation_position="bottom right",
                  annotation_font_size=9)
    fig.for_each_annotation(lambda a: a.update(text=a.text.replace("operation=", "")))
    fig.update_yaxes(range=[4, 8.5])  # 10,000 … 300 million gas: every panel shows the cap
    fig.update_layout(height=300 * ((measured["operation"].nunique() + 2) // 3) + 100)
    return fig


def largest_model(model: str, mechanism: str, *, engine: str = "revm", start: int = 16,
                  bracket: tuple[int, int] | None = None, resolution: float = 0.02) -> dict:
    """The largest model each design deploys and updates within the per-transaction cap, and what
    limits it: searched on the model's size n, with samples that have every feature present (the
    most one update of that model can be asked to do; a sparse model with k = 50 is not limited by
    its size, since deployment is chunked). The search doubles from ``start`` until the workload
    fails (or starts from ``bracket``: a size that fits and one that does not), then bisects until
    the two are within ``resolution`` (2 %) of each other. Returns the ``largest`` size that fits, the
    size it ``fails at``, the gas of the workload at the largest, and ``limited by``: the operation
    that failed, with the lab's reason."""
    mechanism = _mechanism(mechanism)
    _model(model)
    axis = "model size, every feature present"

    def run(x: int):
        return measure(model, mechanism, Workload(n_features=x, present=x), engine=engine)

    good, bad = bracket or (start, start * 2)
    fits, failed = run(good), run(bad)
    if fits.failure:
        raise ConfigError(f"{model} under {mechanism} does not fit even at {axis} = {good}: {fits.failure}")
    while not failed.failure:
        if bracket:
            raise ConfigError(f"{model} under {mechanism} still fits at {axis} = {bad}: not a bracket.")
        good, fits, bad = bad, failed, bad * 2
        failed = run(bad)
    while bad - good > max(1, resolution * good):
        middle = (good + bad) // 2
        result = run(middle)
        if result.failure:
            bad, failed = middle, result
        else:
            good, fits = middle, result
    return {"model": model, "mechanism": mechanism, "axis": axis, "largest": good, "fails at": bad,
            "limited by": failed.failure, "gas": fits.gas}


def comparison_table(*, engine: str = "revm", operations: tuple[str, ...] = (
        "deploy", "deploy transactions", "addData, label = prediction", "addData, label ≠ prediction",
        "settle", "settle, model changes", "report", "predict")) -> pd.DataFrame:
    """Five models × three mechanisms on the standard workload (``dcai_lab.gas._workload.STANDARD``):
    one row per (model, mechanism), one column per operation in its generic name. ``settle`` is the
    refund (deposit-refund-take), the validation (points) or the scoring (prediction market) of a
    contribution labelled with the prediction; ``settle, model changes`` the market's scoring of one
    that trains the model; ``report`` the take or the report. <NA>: the mechanism has no such step."""
    rows = []
    for model in MODELS:
        for mechanism in MECHANISMS:
            result = measure(model, mechanism, STANDARD, engine=engine)
            if result.failure:
                raise ConfigError(f"the standard workload does not fit: {model}/{mechanism} {result.failure}")
            rows.append({"model": model, "mechanism": mechanism, **{op: result.gas.get(op) for op in operations}})
    return pd.DataFrame(rows).set_index(["model", "mechanism"]).astype("Int64")


def _workload(axis: str, x: int) -> Workload:
    """The workload at ``x`` along ``axis``: k = x present features in a model of max(1,000, k), or a
    model of n = x features with samples of min(50, n) present."""
    if axis == "present features":
        return Workload(n_features=max(STANDARD.n_features, x), present=x)
    return Workload(n_features=x, present=min(STANDARD.present, x))


def _model(name: str) -> str:
    if name not in MODELS:
        raise ConfigError(f"model={name!r} is not one of {', '.join(MODELS)}.")
    return name


def _mechanism(name: str) -> str:
    if name not in MECHANISMS:
        raise ConfigError(f"mechanism={name!r} is not one of {', '.join(MECHANISMS)}.")
    return name
