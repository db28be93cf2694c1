"""The Points mechanism's handle: validate for a point, and the leaderboard read from chain state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..incentives.points import BADGES
from .trainer import Contribution, Trainer

if TYPE_CHECKING:
    from ..gas.report import TxRecord

__all__ = ["PointsTrainer"]


class PointsTrainer(Trainer):
    """A trainer under the Points mechanism: ``validate`` (the contract's ``refund``) and the
    leaderboard."""

    settle_verb = "validate"

    def validate(self, contribution: Contribution, *, sender: str | None = None) -> TxRecord:
        """Validate your contribution, which the model still agrees with: one point."""
        return self.refund(contribution, sender=sender)

    def leaderboard(self) -> pd.DataFrame:
        """Every player's points, reports and badges, read from chain state, best first."""
        rows = []
        for i in range(self.contract.numPlayers()):
            player = self.contract.playerList(i)
            points, reports, badges = self.contract.players(player)
            rows.append({"player": self.lab.accounts.name_of(player), "points": points, "reports": reports,
                         "badges": ", ".join(name for bit, name in BADGES.items() if badges & bit)})
        table = pd.DataFrame(rows, columns=["player", "points", "reports", "badges"])
        return table.sort_values(["points", "reports"], ascending=False, kind="stable").reset_index(drop=True)
