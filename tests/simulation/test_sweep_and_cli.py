"""Sweeps on a Dask local cluster, and the ``dcai-lab simulate`` / ``sweep`` commands."""

from __future__ import annotations

import json

import pytest

from dcai_lab.tools.cli import main
from dcai_lab.errors import ConfigError
from dcai_lab.simulation import SCENARIOS, grid, sweep


def test_grid_is_every_combination_and_refuses_unknown_parameters():
    assert grid(seed=[0, 1], attacker_wait=[1800, 3600]) == [
        {"seed": 0, "attacker_wait": 1800}, {"seed": 0, "attacker_wait": 3600},
        {"seed": 1, "attacker_wait": 1800}, {"seed": 1, "attacker_wait": 3600}]
    with pytest.raises(ConfigError, match="cannot vary colour"):
        grid(colour=["red"])


def test_a_sweep_on_a_local_dask_cluster_gathers_one_row_per_run():
    points = grid(seed=[0, 1], mechanism=["deposit-refund-take", "points"], samples=[40])
    table = sweep(points, workers=2)
    assert list(table["seed"]) == [0, 0, 1, 1]
    assert list(table["mechanism"]) == ["deposit-refund-take", "points"] * 2
    assert (table["transactions"] > 0).all()
    # Each row is its own run: the seed changes what happens.
    assert table.loc[0, "alice_end_percent"] != table.loc[2, "alice_end_percent"]


def test_simulate_writes_timeline_summary_and_report(tmp_path, capsys):
    assert main(["simulate", "points", "--samples", "60", "--seed", "2", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "summary.json", "timeline.csv"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["engine"] == "revm" and summary["transactions"] > 0
    assert set(summary["accuracy"]) == {"initial", "final", "minimum"}
    assert {a["agent"] for a in summary["agents"]} == {"alice", "mallory"}
    assert all({"start_wei", "end_wei"} <= set(a) for a in summary["agents"])
    report = (tmp_path / "report.html").read_text()
    assert "Plotly.newPlot" in report and 'src="http' not in report  # plotly.js inline: works offline
    assert len(report) > 1_000_000  # the library itself
    assert "timeline.csv" in capsys.readouterr().out


def test_simulate_help_lists_the_scenarios(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in SCENARIOS)
