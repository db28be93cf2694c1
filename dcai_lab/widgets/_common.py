"""What every dashboard shares: amounts and times in words, reverts as friendly sentences, button
callbacks that never lose what they have to say, and redrawing as the chain changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import DcaiLabError, RevertError

if TYPE_CHECKING:
    from ..chain._abi import Event
    from ..gas.report import TxRecord
    from ..lab import Lab

ETHER = 10**18


def ether(wei: int) -> str:
    """``wei`` as ether, every digit exact (``0.0036 ether``)."""
    text = format(Decimal(wei) / ETHER, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " ether"


def clock(timestamp: int) -> str:
    """A block time as a UTC date and time."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: int) -> str:
    """``93784`` → ``1 d 2 h 3 min 4 s`` (zero parts left out)."""
    parts = [(seconds // 86_400, "d"), (seconds % 86_400 // 3600, "h"), (seconds % 3600 // 60, "min"),
             (seconds % 60, "s")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 s"


def deadline(lab: Lab, timestamp: int) -> str:
    """A block time, and how far away it is for the next transaction (mined one second later)."""
    left = timestamp - (lab.timestamp + 1)
    return f"{clock(timestamp)} ({'in ' + duration(left) if left > 0 else 'now' if left == 0 else 'passed'})"


def _name(lab: Lab, address: Any) -> str:
    return lab.accounts.name_of(address) if isinstance(address, str) else str(address)


#: The custom errors a person meets by clicking, as sentences; the others show the decoded reason.
_FRIENDLY: dict[str, Callable[[Lab, dict], str]] = {
    "TooEarly": lambda lab, a: f"too early: this opens at {deadline(lab, a['readyAt'])}.",
    "ModelDisagrees": lambda lab, a: f"the model now predicts {a['prediction']}, not the label {a['label']}.",
    "ModelAgrees": lambda lab, a: f"the model still predicts the label {a['label']}: there is nothing to take.",
    "AlreadyRefunded": lambda lab, a: f"contribution {a['id']} was already refunded.",
    "AlreadySettled": lambda lab, a: f"contribution {a['id']} was already validated or reported.",
    "NothingLeft": lambda lab, a: f"nothing is left of contribution {a['id']}'s deposit.",
    "CannotTakeOwnDeposit": lambda lab, a: f"only others may take it until {deadline(lab, a['openToAllAt'])}.",
    "CannotReportOwn": lambda lab, a: "nobody may report their own contribution.",
    "NoValidatedContributions": lambda lab, a: f"{_name(lab, a['taker'])} has no refunded (validated) "
                                               "contribution yet, and only those who have may take.",
    "AlreadyTook": lambda lab, a: f"{_name(lab, a['taker'])} already took from contribution {a['id']}.",
    "ShareRoundsToZero": lambda lab, a: f"the share of contribution {a['id']} would round down to 0 wei.",
    "DepositTooSmall": lambda lab, a: f"the deposit is {ether(a['cost'])}; {ether(a['paid'])} was sent.",
    "StakeTooSmall": lambda lab, a: f"the smallest stake is {ether(a['minStake'])}; {ether(a['paid'])} was sent.",
    "NotProvider": lambda lab, a: f"only the provider, {_name(lab, a['expected'])}, may do this.",
    "RevealTooEarly": lambda lab, a: f"the test set may be revealed from {deadline(lab, a['opensAt'])}.",
    "NothingToWithdraw": lambda lab, a: f"{_name(lab, a['account'])} has nothing to withdraw.",
    "MarketNotOver": lambda lab, a: "money leaves only once the market has ended (finished or cancelled).",
}


def friendly(error: Exception, lab: Lab) -> str:
    """What went wrong, in a sentence a student understands."""
    if isinstance(error, RevertError):
        explain = _FRIENDLY.get(error.error_name or "")
        return "Refused by the contract: " + (explain(lab, error.error_args) if explain else error.reason)
    if isinstance(error, DcaiLabError):
        return f"Not sent: {error}"
    return f"Something went wrong: {type(error).__name__}: {error}"


def describe(event: Event, lab: Lab) -> str:
    """One event of a transaction, in words (raw bytes, such as a revealed piece, only by size)."""
    a, name = event.args, lambda key: _name(lab, event.args[key])
    said = {
        "ContributionAdded": lambda: f"{name('contributor')} added contribution {a['id']} "
                                     f"(label {a['label']}, deposit {ether(a['deposit'])})",
        "Refunded": lambda: f"{name('contributor')} got {ether(a['amount'])} back for contribution {a['id']}",
        "Taken": lambda: f"{name('taker')} took {ether(a['amount'])} from contribution {a['id']}",
        "Validated": lambda: f"{name('player')} validated contribution {a['id']} and has {a['points']} points",
        "Reported": lambda: f"{name('player')} reported {name('contributor')}'s contribution {a['id']}",
        "ContributionScored": lambda: f"contribution {a['id']} of {name('contributor')} scored {a['score']:+,} "
                                      f"points ({'kept' if a['kept'] else 'undone'}): "
                                      f"{'gains' if a['payout'] >= 0 else 'loses'} {ether(abs(a['payout']))}",
        "TestSetRevealed": lambda: f"test set revealed: the model gets {a['baseline']} of {a['evaluationSize']} "
                                   f"right ({a['baselinePoints']:+,} points); a point is worth "
                                   f"{ether(a['pricePerPoint'])}",
        "MarketFinished": lambda: f"market finished: {ether(a['bountyPaid'])} of the bounty paid, "
                                  f"{ether(a['refund'])} back to the provider, {ether(a['burned'])} burned",
        "Withdrawal": lambda: f"{name('account')} withdrew {ether(a['amount'])}",
    }.get(event.name)
    if said:
        return said()
    shown_args = {k: f"<{len(v)} bytes>" if isinstance(v, bytes) else _name(lab, v) if isinstance(v, str) else v
                  for k, v in a.items()}
    return f"{event.name}: " + ", ".join(f"{k}={v}" for k, v in shown_args.items())


def show(output: widgets.Output, text: str) -> None:
    """Replace what ``output`` shows with ``text``, in one state change.

    Clearing and then writing from a callback sends two messages that a browser may apply out of
    order (and show nothing); setting ``outputs`` at once cannot race, in a kernel or without one.
    """
    output.outputs = ({"output_type": "stream", "name": "stdout", "text": text.rstrip("\n") + "\n"},)


def shown(output: widgets.Output) -> str:
    """The text an ``Output`` shows."""
    return "".join(o.get("text", "") for o in output.outputs)


def run(output: widgets.Output, lab: Lab, action: Callable[[], str]) -> str:
    """Run a button's ``action`` and show what it says, or what went wrong: a callback's uncaught
    error would vanish (a widget callback has no cell to print into)."""
    try:
        text = action()
    except Exception as error:  # noqa: BLE001 — every failure must reach the person who clicked
        text = friendly(error, lab)
    show(output, text)
    return text


def summary(lab: Lab, record: TxRecord) -> str:
    """A mined transaction in words: who, what, gas, and its events."""
    lines = [f"{_name(lab, record.sender)} → {record.method}: mined in block {record.block}, "
             f"gas {record.gas_used:,}"]
    return "\n".join(lines + ["  " + describe(e, lab) for e in record.events])


class Live(widgets.VBox):
    """A dashboard that redraws itself whenever the lab's chain changes, whoever changed it;
    ``close()`` stops it. Subclasses implement ``refresh(record)``."""

    def __init__(self, lab: Lab, children: list[widgets.Widget], **kwargs: Any) -> None:
        super().__init__(children, **kwargs)
        self._lab = lab
        self.problem = widgets.Label()
        self.children = (*self.children, self.problem)
        self._stop = lab.watch(self._changed)

    def refresh(self, record: TxRecord | None = None) -> None:
        raise NotImplementedError

    @property
    def said(self) -> str:
        """What the last click said (the text under the buttons)."""
        return shown(self.output)

    def _changed(self, record: TxRecord | None) -> None:
        # A dashboard that cannot redraw must not break the transaction that made it redraw.
        try:
            self.refresh(record)
            self.problem.value = ""
        except Exception as error:  # noqa: BLE001
            self.problem.value = f"This dashboard could not update: {friendly(error, self._lab)}"

    def close(self) -> None:
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop()
        super().close()
