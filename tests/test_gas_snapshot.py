"""The committed gas snapshot holds today's figures, and its check fails when one moves."""

import pytest

from dcai_lab.gas import snapshot
from dcai_lab.tools.cli import main
from dcai_lab.errors import ConfigError


@pytest.fixture(scope="module")
def measured() -> dict[str, int]:
    return snapshot.measure_snapshot()  # py-evm, the default engine: about 25 s


def moved(figures: dict[str, int], name: str, by: int) -> dict[str, int]:
    return {**figures, name: figures[name] + by}


def test_the_committed_snapshot_matches_the_contracts(measured):
    ok, message = snapshot.check(snapshot.SNAPSHOT, measured)
    assert ok, message


def test_the_snapshot_has_a_line_per_operation_of_each_model_and_mechanism(measured):
    names = list(measured)
    for model in snapshot.MODELS:
        for mechanism in snapshot.MECHANISMS:
            assert f"{model}/{mechanism}: deploy" in names
            assert f"{model}/{mechanism}: predict" in names
    assert "NaiveBayes/PredictionMarket: reveal test set" in names
    assert "NaiveBayes/DepositRefundTake: report" in names


def test_a_moved_figure_fails_the_check_with_old_new_and_difference(measured, tmp_path):
    name = "SparsePerceptron/DepositRefundTake: addData, label ≠ prediction"
    path = tmp_path / ".gas-snapshot"
    path.write_text(snapshot.format_snapshot(moved(measured, name, -1234)))
    ok, message = snapshot.check(path, measured)
    assert not ok
    assert f"1 of {len(measured)} figures changed" in message
    old, new = measured[name] - 1234, measured[name]
    line = next(line for line in message.splitlines() if line.startswith(name))
    assert line.split()[-4:] == [str(old), str(new), "1234", str(round(100 * 1234 / old, 2))]


def test_compare_lists_added_and_removed_lines():
    changes = snapshot.compare({"a: x": 10, "b: y": 20}, {"a: x": 10, "c: z": 5})
    assert list(changes.index) == ["b: y", "c: z"]
    assert changes.loc["b: y", "old"] == 20 and changes.loc["b: y", "new"] is snapshot.pd.NA
    assert changes.loc["c: z", "new"] == 5 and changes.loc["c: z", "difference"] is snapshot.pd.NA
    assert snapshot.compare({"a: x": 10}, {"a: x": 10}).empty


def test_write_and_check_from_the_command_line(measured, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(snapshot, "measure_snapshot", lambda: measured)
    path = tmp_path / "snapshot"
    assert main(["gas-snapshot", "--write", "--file", str(path)]) == 0
    assert snapshot.parse_snapshot(path.read_text()) == measured
    assert main(["gas-snapshot", "--check", "--file", str(path)]) == 0
    assert "unchanged" in capsys.readouterr().out
    name = "NaiveBayes/Points: predict"
    path.write_text(snapshot.format_snapshot(moved(measured, name, 1)))
    assert main(["gas-snapshot", "--check", "--file", str(path)]) == 1
    out = capsys.readouterr().out
    assert name in out and "dcai-lab gas-snapshot --write" in out


def test_a_missing_snapshot_fails_the_check(tmp_path):
    ok, message = snapshot.check(tmp_path / "none", {"a: x": 1})
    assert not ok and "--write" in message


def test_a_malformed_line_is_refused():
    with pytest.raises(ConfigError, match="line 2"):
        snapshot.parse_snapshot("A/B: deploy (gas: 5)\nA/B: deploy 5\n")
