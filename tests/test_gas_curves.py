"""Scaling curves, the largest model and the model × mechanism table, measured on real contracts."""

import pytest

from dcai_lab.gas import curves, snapshot
from dcai_lab.gas._workload import Workload, measure
from dcai_lab.chain.engines._base import TX_GAS_CAP
from dcai_lab.errors import ConfigError


def curve(frame, model, operation):
    rows = frame[(frame["model"] == model) & (frame["operation"] == operation)].dropna(subset=["gas"])
    return list(rows["gas"])


@pytest.fixture(scope="module")
def by_present_features():
    return curves.scaling("present features", [1, 10, 100, 300], models=("SparsePerceptron", "NaiveBayes",
                                                                                "DensePerceptron"))


def test_sparse_costs_grow_with_present_features(by_present_features):
    for model in ("SparsePerceptron", "NaiveBayes"):
        for operation in ("addData, label ≠ prediction", "refund", "take", "predict"):
            gas = curve(by_present_features, model, operation)
            assert len(gas) == 4 and gas == sorted(gas) and gas[0] < gas[-1], (model, operation, gas)


def test_a_dense_model_has_no_present_features_curve(by_present_features):
    assert "DensePerceptron" not in set(by_present_features["model"])
    assert "deploy" not in set(by_present_features["operation"])  # the model's size is fixed along k


def test_deployment_grows_with_model_size_and_a_dense_update_stops_at_the_cap():
    frame = curves.scaling("model size", [100, 1000, 10_000], models=("DensePerceptron", "NaiveBayes"))
    for model in ("DensePerceptron", "NaiveBayes"):
        deploy = curve(frame, model, "deploy")
        assert deploy == sorted(deploy) and deploy[0] < deploy[-1]
    assert len(curve(frame, "NaiveBayes", "deploy")) == 3  # deploys in chunks at every size
    dense = frame[frame["model"] == "DensePerceptron"]
    failed = dense[dense["failure"].notna()]
    assert list(failed["x"]) == [10_000]
    assert "16,777,216" in failed["failure"].iloc[0] and failed["operation"].iloc[0].startswith("addData")
    assert max(curve(frame, "DensePerceptron", "addData, label ≠ prediction")) < TX_GAS_CAP


def test_the_figure_draws_the_cap_in_every_panel(by_present_features):
    fig = curves.figure(by_present_features)
    panels = by_present_features["operation"].nunique()
    caps = [s for s in fig.layout.shapes if s.y0 == TX_GAS_CAP == s.y1]
    assert len(caps) == panels
    assert {t.name for t in fig.data} == {"SparsePerceptron", "NaiveBayes"}
    assert len(fig.data) == 2 * panels


def test_the_market_names_its_own_steps():
    frame = curves.scaling("present features", [10], models=("NaiveBayes",), mechanism="PredictionMarket")
    assert {"scoring, model unchanged", "scoring, model changes", "addData (a stake)"} <= set(frame["operation"])
    assert "refund" not in set(frame["operation"])


def test_the_largest_dense_perceptron_fits_and_one_step_more_does_not():
    found = curves.largest_model("DensePerceptron", "DepositRefundTake", start=4096)
    assert found["largest"] < found["fails at"] <= found["largest"] * 1.02 + 1
    fits = measure("DensePerceptron", "DepositRefundTake", Workload(n_features=found["largest"], present=50))
    per_transaction = {op: gas for op, gas in fits.gas.items() if op not in ("deploy", "deploy transactions")}
    assert fits.failure is None and max(per_transaction.values()) <= TX_GAS_CAP
    assert fits.gas["deploy"] > TX_GAS_CAP  # the whole deployment does not fit one transaction: it is chunked
    assert found["limited by"].startswith("addData") and "16,777,216" in found["limited by"]


def test_a_sparse_market_is_limited_by_its_test_set():
    found = curves.largest_model("SparsePerceptron", "PredictionMarket", bracket=(1024, 8192), resolution=0.1)
    assert found["limited by"].startswith("commit") and "65,536" in found["limited by"]


def test_a_bracket_must_hold_a_failure():
    with pytest.raises(ConfigError, match="not a bracket"):
        curves.largest_model("NaiveBayes", "Points", bracket=(10, 20))


def test_the_table_is_five_models_by_three_mechanisms_and_agrees_with_the_snapshot():
    table = curves.comparison_table()
    assert table.shape[0] == 15 and set(table.index.get_level_values("mechanism")) == set(curves.MECHANISMS)
    figures = snapshot.parse_snapshot(snapshot.SNAPSHOT.read_text())
    for (model, mechanism), row in table.iterrows():
        if mechanism == "PredictionMarket":  # its chosen piece comes from a block hash, which differs on revm
            assert row.isna()["report"] and not row.isna()["settle, model changes"]
            continue
        for operation, gas in row.dropna().items():
            if operation != "deploy transactions":
                assert figures[f"{model}/{mechanism}: {operation}"] == gas  # revm's gas is py-evm's


def test_unknown_names_are_refused():
    with pytest.raises(ConfigError, match="axis"):
        curves.scaling("depth", [1])
    with pytest.raises(ConfigError, match="mechanism"):
        curves.largest_model("NaiveBayes", "Auction")
    with pytest.raises(ConfigError, match="model"):
        curves.scaling("model size", [10], models=("Transformer",))
