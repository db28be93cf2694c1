"""What a simulation leaves: a tidy timeline, a summary, and figures in the paper's form.

The timeline has one row per event: ``time`` (block time), ``day`` (days since the run began),
``agent``, ``action`` (contribute, refund, take, take leftover, validate, report, withdraw,
commit bounty, refused by model, evaluate), ``contribution`` (its id), ``amount`` (wei received,
negative when paid), ``balance`` (the agent's wei after the event), ``points`` (Points only) and
``accuracy`` (on the held-out test set, on ``evaluate`` rows).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..incentives.prediction_market import BURN_ADDRESS

if TYPE_CHECKING:
    from ._scheduler import _Run

COLUMNS = ["time", "agent", "action", "contribution", "amount", "balance", "points", "accuracy"]
_DAY = 86_400
#: Line styles of the paper's figure: honest agents green and dotted, attackers red and dashed.
_STYLE = {"honest": ("seagreen", "dot"), "attacker": ("firebrick", "dash"), "provider": ("royalblue", "dashdot")}


@dataclass
class SimulationResult:
    """One run: its timeline (``pandas.DataFrame``), agents and summary numbers."""

    scenario: str
    mechanism: str
    engine: str
    timeline: pd.DataFrame
    agents: list[dict[str, Any]]
    transactions: int
    wall_seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, run: _Run, wall_seconds: float) -> SimulationResult:
        # Wei stay Python integers (object columns): float64 would round them, int64 may overflow.
        timeline = pd.DataFrame(run.rows, columns=COLUMNS, dtype=object).astype(
            {"time": "int64", "contribution": "Int64", "points": "Int64", "accuracy": "float64"})
        timeline.insert(1, "day", (timeline["time"] - run.start_time) / _DAY)
        agents = [{"agent": a.account, "role": a.role, "labels": a.labels.kind, "start_wei": a.start_balance,
                   "end_wei": b, "points": p} for a, b, p in zip(run.agents, run.balances, run.points)]
        provider = run.scenario.provider
        details: dict[str, Any] = {"contributions": run.contributions, "stream_samples": len(run.data.stream_samples),
                                   "pretrain_samples": len(run.data.init_samples),
                                   "test_samples": int(run.data.X_test.shape[0]),
                                   "setup_transactions": run.setup_transactions,
                                   "wei_in_play": {"start": run.wei_total, "end": run._wei_on_chain()}}
        if provider:
            agents.append({"agent": provider.account, "role": "provider", "labels": "", "start_wei": provider.bounty,
                           "end_wei": run.provider_balance, "points": None})
            details["market_test_samples"] = run.market_test_samples
            details["burned_wei"] = run.lab.balance(BURN_ADDRESS)
        return cls(run.scenario.name, type(run.incentive).__name__, run.engine, timeline, agents,
                   len(run.lab.transactions) - run.setup_transactions, wall_seconds, details)

    # -- numbers -----------------------------------------------------------------------------------
    @property
    def accuracy(self) -> pd.Series:
        """Held-out accuracy at each evaluation, indexed by day."""
        rows = self.timeline[self.timeline["action"] == "evaluate"]
        return pd.Series(rows["accuracy"].to_numpy(), index=rows["day"].to_numpy(), name="accuracy")

    def balances(self) -> pd.DataFrame:
        """Each agent's balance as % of its start, after each of its events (wide: one column per agent)."""
        start = {a["agent"]: a["start_wei"] for a in self.agents}
        rows = self.timeline.dropna(subset=["agent"])
        percent = rows["balance"].astype(float) / rows["agent"].map(start).astype(float) * 100
        return pd.DataFrame({"day": rows["day"], "agent": rows["agent"], "percent": percent})

    def summary(self) -> dict[str, Any]:
        """What summary.json holds: agents' start and end balances (wei), accuracy initial / final /
        minimum, transactions, wall seconds, engine."""
        accuracy = self.accuracy
        return {
            "scenario": self.scenario, "mechanism": self.mechanism, "engine": self.engine,
            "agents": self.agents,
            "accuracy": {"initial": float(accuracy.iloc[0]), "final": float(accuracy.iloc[-1]),
                         "minimum": float(accuracy.min())},
            "transactions": self.transactions, "wall_seconds": round(self.wall_seconds, 3),
            "simulated_days": round(float(self.timeline["day"].max()), 3), **self.details,
        }

    def row(self) -> dict[str, Any]:
        """The summary flattened to one table row (sweeps gather these)."""
        s = self.summary()
        flat = {k: v for k, v in s.items() if k not in ("agents", "accuracy", "wei_in_play")}
        flat["wei_conserved"] = s["wei_in_play"]["start"] == s["wei_in_play"]["end"]
        flat.update({f"accuracy_{k}": v for k, v in s["accuracy"].items()})
        for a in s["agents"]:
            flat[f"{a['agent']}_end_percent"] = 100 * a["end_wei"] / a["start_wei"]
            if self.mechanism == "Points" and a["points"] is not None:
                flat[f"{a['agent']}_points"] = a["points"]
        return flat

    # -- figures -----------------------------------------------------------------------------------
    def figure(self) -> go.Figure:
        """The paper's figure: balances as % of start and accuracy (%), over days."""
        fig = go.Figure()
        roles = {a["agent"]: a["role"] for a in self.agents}
        balances = self.balances()
        for agent, rows in balances.groupby("agent", sort=False):
            color, dash = _STYLE.get(roles[agent], ("gray", "solid"))
            fig.add_scatter(x=rows["day"], y=rows["percent"], name=f"{agent} ({roles[agent]}) balance",
                            line={"color": color, "dash": dash}, mode="lines")
        accuracy = self.accuracy
        fig.add_scatter(x=accuracy.index, y=accuracy.to_numpy() * 100, name="accuracy on held-out data",
                        line={"color": "black"}, mode="lines")
        fig.update_layout(title=f"{self.scenario}: balances & accuracy on a hidden test set ({self.mechanism})",
                          xaxis_title="time (days)", yaxis_title="%", template="plotly_white")
        return fig

    def points_figure(self) -> go.Figure | None:
        """Points over days (Points runs only)."""
        rows = self.timeline[self.timeline["action"] == "validate"]
        if rows.empty:
            return None
        fig = go.Figure()
        for agent, group in rows.groupby("agent", sort=False):
            fig.add_scatter(x=group["day"], y=group["points"], name=f"{agent} points", mode="lines")
        fig.update_layout(title=f"{self.scenario}: points over time", xaxis_title="time (days)",
                          yaxis_title="points", template="plotly_white")
        return fig

    def figures(self) -> list[go.Figure]:
        return [f for f in (self.figure(), self.points_figure()) if f is not None]

    # -- files -------------------------------------------------------------------------------------
    def write(self, out: str | Path) -> Path:
        """Write ``timeline.csv``, ``summary.json`` and ``report.html`` (plotly inline: works offline)."""
        return write_report(out, self.timeline.assign(mechanism=self.mechanism), self.summary(), self.figures())


@dataclass
class Comparison:
    """Several runs of one attack under different mechanisms."""

    scenario: str
    runs: list[SimulationResult]

    @property
    def timeline(self) -> pd.DataFrame:
        return pd.concat([r.timeline.assign(mechanism=r.mechanism) for r in self.runs], ignore_index=True)

    def summary(self) -> dict[str, Any]:
        runs = [r.summary() for r in self.runs]
        return {"scenario": self.scenario, "engine": self.runs[0].engine, "runs": runs,
                "transactions": sum(r["transactions"] for r in runs),
                "wall_seconds": round(sum(r["wall_seconds"] for r in runs), 3)}

    def table(self) -> pd.DataFrame:
        """One row per mechanism: accuracy and each agent's end balance (% of start) or points."""
        rows = []
        for r in self.runs:
            flat = r.row()
            rows.append({"mechanism": r.mechanism, **{k: v for k, v in flat.items()
                                                      if k.startswith("accuracy") or k.endswith(("_percent", "_points"))}})
        return pd.DataFrame(rows)

    def figure(self) -> go.Figure:
        """Accuracy under each mechanism, and each agent's balance (% of start), over days."""
        fig = make_subplots(rows=1, cols=len(self.runs), subplot_titles=[r.mechanism for r in self.runs],
                            shared_yaxes=True)
        for col, run in enumerate(self.runs, start=1):
            for trace in run.figure().data:
                trace.showlegend = col == 1
                fig.add_trace(trace, row=1, col=col)
        fig.update_layout(title=f"{self.scenario}: the same attack under each mechanism", template="plotly_white",
                          yaxis_title="%")
        fig.update_xaxes(title_text="time (days)")
        return fig

    def figures(self) -> list[go.Figure]:
        return [self.figure()]

    def write(self, out: str | Path) -> Path:
        return write_report(out, self.timeline, self.summary(), self.figures(), self.table())


def write_report(out: str | Path, timeline: pd.DataFrame, summary: dict[str, Any], figures: list[go.Figure],
                 table: pd.DataFrame | None = None) -> Path:
    """``out``/timeline.csv, summary.json and report.html (the figures, plotly.js inline)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timeline.to_csv(out / "timeline.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    parts = [f.to_html(full_html=False, include_plotlyjs=i == 0) for i, f in enumerate(figures)]
    if table is not None:
        parts.append(table.to_html(index=False))
    parts.append(f"<h2>Summary</h2><pre>{html.escape(json.dumps(summary, indent=2))}</pre>")
    title = html.escape(str(summary.get("scenario", "simulation")))
    (out / "report.html").write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
                                     f"</head><body><h1>{title}</h1>{''.join(parts)}</body></html>\n")
    return out
