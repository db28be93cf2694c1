"""Every transaction the lab sends is recorded; ``lab.gas`` turns the records into a table.

The table answers the question a researcher asks first: what does each operation cost, and how
much does that vary? Reverted transactions are mined and use gas too, but they would blur that
answer: they are counted in a column of their own and kept out of the statistics, and the table's
caption says so (every transaction, reverted or not, is in ``lab.transactions``).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ._abi import Event
from .engines._base import Log

#: The method name under which deployments are listed.
DEPLOY = "(deploy)"


@dataclass(frozen=True)
class TxRecord:
    """One mined transaction as the lab saw it."""

    contract: str
    address: str | None
    method: str
    sender: str
    gas_used: int
    block: int
    timestamp: int
    success: bool
    tx_hash: str
    value: int = 0
    reason: str | None = None
    logs: tuple[Log, ...] = field(default=(), repr=False)
    decode_log: Callable[[Log], Event] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def events(self) -> tuple[Event, ...]:
        """The transaction's events by name, decoded on first use: on a fast engine decoding
        every event of every transaction would cost as much as running them."""
        return tuple(self.decode_log(log) for log in self.logs) if self.decode_log else ()


class GasReport:
    """Per-method gas statistics over the recorded transactions.

    ``exact`` is False on an engine whose gas differs from a real node's; the table then says so.
    The caption also says what the columns count (``LEGEND``), so a reader of the table alone
    learns that ``calls`` leaves the reverted transactions out.
    """

    #: What the columns mean, shown under the caption.
    LEGEND = ("calls = calls that succeeded; min, mean, median, max = the gas they used; "
              "reverted = calls that reverted (mined, and they used gas too), counted in no other column.")

    _COLUMNS = ["calls", "min", "mean", "median", "max", "reverted"]

    def __init__(self, records: list[TxRecord], engine: str, exact: bool) -> None:
        self.records = records
        self.engine = engine
        self.exact = exact

    def report(self) -> pd.DataFrame:
        """One row per (contract, method). ``calls`` counts the calls that succeeded, and min, mean,
        median and max are their gas; ``reverted`` counts the calls that reverted, which are in no
        other column. ``calls + reverted`` is every transaction sent to the method."""
        if not self.records:
            index = pd.MultiIndex.from_tuples([], names=["contract", "method"])
            return pd.DataFrame(columns=self._COLUMNS, index=index)
        frame = pd.DataFrame(
            {"contract": r.contract, "method": r.method, "gas": r.gas_used, "ok": r.success}
            for r in self.records
        )
        ok = frame[frame.ok].groupby(["contract", "method"], sort=True)["gas"]
        table = ok.agg(calls="count", min="min", mean="mean", median="median", max="max")
        reverted = (~frame.ok).groupby([frame.contract, frame.method]).sum().rename("reverted")
        table = table.join(reverted, how="outer")
        table["calls"] = table["calls"].fillna(0)
        # Rounded half to even like numpy: a mean of 7.5 shows 8, a median of 2 and 3 shows 2.
        table[["mean", "median"]] = table[["mean", "median"]].round(0)
        # Nullable integers: a method that only ever reverted shows <NA>, not a made-up 0.
        return table[self._COLUMNS].astype("Int64")

    def deployments(self) -> pd.DataFrame:
        """Only the deployments: what it cost to put each contract on chain."""
        table = self.report()
        return table[table.index.get_level_values("method") == DEPLOY]

    @property
    def caption(self) -> str:
        """Which engine measured the gas and whether it is exact, then what the columns mean."""
        return f"{self._title}\n{self.LEGEND}"

    @property
    def _title(self) -> str:
        if self.exact:
            return f"Gas used per call on the {self.engine} engine (exact, as a node would charge)."
        return f"Gas used per call on the {self.engine} engine (APPROXIMATE: this engine's gas is not exact)."

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self._title)}</b><br>{html.escape(self.LEGEND)}</p>" + self.report().to_html()

    def __repr__(self) -> str:
        return f"{self.caption}\n{self.report().to_string()}"
