"""Points and badges: self-assessment as a game, with no money (contracts/trainers/Points.sol)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._base import Incentive, check_wait, days

#: Badge bits as the contract stores them, with the names shown on a leaderboard.
BADGES = {1: "first point", 2: "10 points", 4: "100 points", 8: "first report"}


@dataclass(frozen=True)
class Points(Incentive):
    """Contributions are free. After ``validation_wait`` seconds a contribution the model still
    agrees with may be validated once by its contributor (``refund``), for one point; one that it
    disagrees with may be reported once by someone else (``report``). Badges at 1, 10 and 100
    points and at the first report; ``trainer.leaderboard()`` reads it all from chain state."""

    validation_wait: int = days(1)

    contract_name: ClassVar[str] = "Points"

    def __post_init__(self) -> None:
        check_wait("validation_wait", self.validation_wait)

    def _constructor_args(self) -> list:
        return [self.validation_wait]
