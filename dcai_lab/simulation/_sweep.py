"""Parameter sweeps on Dask (``dask.distributed``): a local cluster by default, or any running
scheduler by its address (``tcp://host:8786``), e.g. one started with ``dask scheduler`` and
``dask worker`` on the machines of a real cluster. Each point of the grid is one simulation of
the attack scenario (``attack``), run by a worker; the summaries come back as one DataFrame.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from ..errors import ConfigError
from ._scenarios import attack
from ._scheduler import simulate

#: Parameters a sweep may vary (the keywords of ``attack``), plus ``engine``.
SWEEP_PARAMETERS = ("mechanism", "samples", "seed", "model", "cost_weight", "refund_wait", "take_wait",
                    "attacker_deposit", "attacker_wait", "pretrain", "learning_rate", "engine")


def grid(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """Every combination of the given values: ``grid(seed=range(4), attacker_wait=[1800, 3600])``."""
    unknown = sorted(set(axes) - set(SWEEP_PARAMETERS))
    if unknown:
        raise ConfigError(f"a sweep cannot vary {', '.join(unknown)}; it varies {', '.join(SWEEP_PARAMETERS)}.")
    names = list(axes)
    return [dict(zip(names, values)) for values in itertools.product(*(list(axes[n]) for n in names))]


def run_point(point: dict[str, Any]) -> dict[str, Any]:
    """One simulation of the sweep: the point's parameters, then its summary row."""
    params = dict(point)
    engine = params.pop("engine", "revm")
    mechanism = params.pop("mechanism", "deposit-refund-take")
    result = simulate(attack(mechanism, **params), engine=engine)
    return {**result.row(), **point}  # the point's names win (``mechanism`` as the grid spells it)


def sweep(points: list[dict[str, Any]], *, address: str | None = None, workers: int = 2,
          progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run every point (see ``grid``) on a Dask cluster and gather one row per run, in grid order.

    Without ``address`` a ``LocalCluster`` of ``workers`` processes (one thread each: a simulation
    holds the GIL) starts and stops here; with one, the points go to that scheduler's workers, which
    need dcai-lab installed.
    """
    from dask.distributed import Client, LocalCluster, as_completed

    for point in points:
        grid(**{k: [v] for k, v in point.items()})  # refuses unknown parameters before anything starts
    cluster = None if address else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                dashboard_address=None)
    client = Client(address or cluster)
    try:
        futures = client.map(run_point, points, pure=False)
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress:
                progress(done, len(points))
        rows = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return pd.DataFrame(rows)
