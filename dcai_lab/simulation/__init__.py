"""Simulations of honest and malicious contributors on the real contracts.

    from dcai_lab.simulation import run
    result = run("deposit-refund-take", engine="revm")        # small default size; samples= for full scale
    result.timeline                                            # one row per event (pandas)
    result.figure()                                            # balances (% of start) and accuracy over days
    result.write("out/")                                       # timeline.csv, summary.json, report.html

Agents (``Agent`` with a label policy and ``Claims``) act over simulated time on a ``Lab``; every
claim is sent only when the chain's state says it succeeds (see ``_scheduler``). ``sweep`` runs a
grid of parameters on a Dask cluster (local by default) and gathers one DataFrame.
"""

from __future__ import annotations

from ._agents import Agent, Claims, Flip, Honest, Provider, RandomLabels, Targeted
from ._results import Comparison, SimulationResult
from ._scenarios import DESCRIPTIONS, MECHANISMS, MODELS, SCENARIOS, UNIT, Scenario, attack, prediction_market, scenarios
from ._scheduler import Progress, simulate
from ._sweep import grid, sweep


def run(name: str, *, engine: str = "revm", samples: int | None = None, seed: int | None = None,
        progress: Progress | None = None) -> SimulationResult | Comparison:
    """Run the named scenario (one of ``SCENARIOS``); the comparison returns a ``Comparison``."""
    runs = [simulate(s, engine=engine, progress=progress) for s in scenarios(name, samples=samples, seed=seed)]
    return runs[0] if len(runs) == 1 else Comparison(name, runs)


__all__ = [
    "DESCRIPTIONS",
    "MECHANISMS",
    "MODELS",
    "SCENARIOS",
    "UNIT",
    "Agent",
    "Claims",
    "Comparison",
    "Flip",
    "Honest",
    "Progress",
    "Provider",
    "RandomLabels",
    "Scenario",
    "SimulationResult",
    "Targeted",
    "attack",
    "grid",
    "prediction_market",
    "run",
    "scenarios",
    "simulate",
    "sweep",
]
