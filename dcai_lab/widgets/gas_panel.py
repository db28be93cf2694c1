"""The gas panel: the lab's gas report and every transaction's gas, updated as transactions land."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as widgets
import plotly.graph_objects as go

from ._common import Live

if TYPE_CHECKING:
    from ..gas.report import TxRecord
    from ..lab import Lab


class GasPanel(Live):
    """``lab.gas`` as a live table, and a bar per transaction in the order they were mined."""

    def __init__(self, lab: Lab) -> None:
        self.table = widgets.HTML()
        self.bars = go.FigureWidget(layout={"title": {"text": "Gas of each transaction, in the order mined"},
                                            "height": 320, "margin": {"t": 40, "b": 30},
                                            "xaxis": {"title": {"text": "transaction"}},
                                            "yaxis": {"title": {"text": "gas used"}}})
        self.bars.add_bar(x=[], y=[], hovertext=[])
        super().__init__(lab, [self.table, self.bars])
        self.add_class("dcai-gas-panel")  # a handle for styles and for the browser test
        self.refresh()

    def refresh(self, record: TxRecord | None = None) -> None:
        """Redraw from every transaction the lab has recorded (undone ones are gone)."""
        records = self._lab.transactions
        self.table.value = self._lab.gas._repr_html_()
        with self.bars.batch_update():
            self.bars.data[0].x = list(range(len(records)))
            self.bars.data[0].y = [r.gas_used for r in records]
            self.bars.data[0].hovertext = [f"{r.contract}.{r.method} from {self._lab.accounts.name_of(r.sender)}"
                                           + ("" if r.success else " (reverted)") for r in records]

    def __repr__(self) -> str:
        return f"GasPanel({len(self._lab.transactions)} transactions; run the notebook to use it)"


def gas_panel(lab: Lab) -> GasPanel:
    """The lab's gas report, and the gas of each transaction, redrawn as transactions land."""
    return GasPanel(lab)
