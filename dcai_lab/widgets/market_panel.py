"""The market panel: a prediction market's phases, its deadlines, what each account may do now,
and who is owed what — with buttons for the steps a person takes."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets as widgets
import pandas as pd

from ..errors import ConfigError
from ..incentives.prediction_market import SAMPLE_POINTS, Phase
from ..trainers.market import MarketTrainer
from ._common import Live, clock, deadline, ether, run, summary

if TYPE_CHECKING:
    from ..gas.report import TxRecord

#: The steps a market goes through, as a person names them, and the phases in each.
STEPS = (("commit", {Phase.OPEN, Phase.COMMITTED}), ("participate", {Phase.PARTICIPATION}),
         ("reveal", {Phase.REVEAL}), ("score", {Phase.SCORING}), ("withdraw", {Phase.FINISHED, Phase.CANCELLED}))
#: Blocks after the commitment within which the chosen piece must be revealed (the contract's window).
BLOCKHASH_WINDOW = 256


class MarketPanel(Live):
    """Where a prediction market stands and what everyone may do; see ``market_panel``."""

    def __init__(self, trainer: MarketTrainer, *, accounts: Sequence[str] | None = None) -> None:
        if not isinstance(trainer, MarketTrainer):
            raise ConfigError(f"market_panel takes a trainer deployed with PredictionMarket(…), not {trainer!r}; "
                              "for other mechanisms use trainer_dashboard(trainer).")
        lab = trainer.lab
        self.trainer = trainer
        self._people = list(accounts) if accounts is not None else list(lab.accounts)
        self.steps = widgets.HTML()
        self.deadlines = widgets.HTML()
        self.may = widgets.HTML()
        self.payouts = widgets.HTML()
        self.account = widgets.Dropdown(options=[(lab.accounts.name_of(a), a) for a in self._people],
                                        description="acting as")
        self.buttons = {
            "reveal chosen piece": trainer.reveal_chosen_piece,
            "reveal test set": trainer.reveal_test_set,
            "score all": trainer.process,
            "withdraw": trainer.withdraw,
            "lapse": trainer.lapse,
        }
        self.button = {name: widgets.Button(description=name) for name in self.buttons}
        self.next_deadline = widgets.Button(description="travel to the next deadline", icon="clock-o",
                                            layout={"width": "220px"})
        self.output = widgets.Output(layout={"border": "1px solid #ddd", "min_height": "2em"})
        for name, button in self.button.items():
            button.on_click(lambda _, name=name: run(self.output, lab, lambda: self._act(name)))
        self.next_deadline.on_click(lambda _: run(self.output, lab, self._travel))
        title = widgets.HTML(f"<b>Prediction market</b> {trainer.contract.contract_name} at "
                             f"<code>{trainer.address}</code>")
        super().__init__(lab, [
            title, self.steps, self.deadlines, self.account,
            widgets.HBox(list(self.button.values()) + [self.next_deadline]), self.output,
            widgets.HTML("<b>What each account may do now</b>"), self.may,
            widgets.HTML("<b>Stakes and payouts</b>"), self.payouts,
        ])
        self.add_class("dcai-market-panel")  # a handle for styles and for the browser test
        self.refresh()

    # -- clicks ----------------------------------------------------------------------------------------
    def _act(self, name: str) -> str:
        records = self.buttons[name](sender=self.account.value)
        return "\n".join(summary(self._lab, r) for r in (records if isinstance(records, list) else [records]))

    def _travel(self) -> str:
        lab, contract, phase = self._lab, self.trainer.contract, self.trainer.phase
        if phase == Phase.COMMITTED:
            lab.time_travel(blocks=contract.commitBlock() + BLOCKHASH_WINDOW + 1 - lab.block_number)
        elif phase in (Phase.PARTICIPATION, Phase.REVEAL):
            end = contract.participationEnd() if phase == Phase.PARTICIPATION else contract.revealDeadline()
            lab.time_travel(seconds=end - lab.timestamp)  # the next transaction runs after the deadline
        else:
            return f"the market is {phase.name.lower()}: no deadline lies ahead."
        return f"it is now block {lab.block_number}, {clock(lab.timestamp)}: the market is {self.trainer.phase.name}"

    # -- redrawing -------------------------------------------------------------------------------------
    def refresh(self, record: TxRecord | None = None) -> None:
        """Redraw everything when the market may have changed (a transaction to it, or the clock)."""
        if record is not None and record.address != self.trainer.address:
            return
        phase = self.trainer.phase
        self.steps.value = _stepper(phase)
        self.deadlines.value = self._deadlines(phase)
        table = self.table()
        self.may.value = table[["may do now"]].to_html(escape=True)
        self.payouts.value = table.drop(columns="may do now").to_html(escape=True) + self._result()
        enabled = {Phase.COMMITTED: {"reveal chosen piece", "lapse"}, Phase.PARTICIPATION: set(),
                   Phase.REVEAL: {"reveal test set"}, Phase.SCORING: {"score all"},
                   Phase.FINISHED: {"withdraw"}, Phase.CANCELLED: {"withdraw", "lapse"}}.get(phase, set())
        for name, button in self.button.items():
            button.disabled = name not in enabled
        self.next_deadline.disabled = phase not in (Phase.COMMITTED, Phase.PARTICIPATION, Phase.REVEAL)

    def table(self) -> pd.DataFrame:
        """Per account: stakes, scores, what it is owed and has withdrawn, and what it may do now."""
        lab, trainer = self._lab, self.trainer
        contributions = trainer.contributions()
        scores = trainer.scores()
        staked, scored = defaultdict(int), defaultdict(list)
        for c in contributions:
            staked[c.contributor] += c.deposit
            if c.id < len(scores):
                scored[c.contributor].append(scores[c.id])
        withdrawn = defaultdict(int)
        for event in trainer._events("Withdrawal"):
            withdrawn[event.args["account"]] += event.args["amount"]
        rows = []
        for who in self._people:
            rows.append({"account": lab.accounts.name_of(who), "staked": ether(staked[who]),
                         "scores": ", ".join(f"{s:+,}" for s in scored[who]), "owed now": ether(trainer.owed(who)),
                         "withdrawn": ether(withdrawn[who]), "may do now": self._may(who)})
        return pd.DataFrame(rows).set_index("account")

    def _may(self, who: str) -> str:
        trainer, contract = self.trainer, self.trainer.contract
        phase, provider = trainer.phase, contract.provider()
        is_provider = who == provider
        if phase == Phase.OPEN:
            return "commit a test set and a bounty (trainer.commit)" if who == self._lab.accounts[0] else "wait"
        if phase == Phase.COMMITTED:
            return "reveal the chosen piece" if is_provider else "wait for participation to open"
        if phase == Phase.PARTICIPATION:
            stake = f"stake on a contribution (at least {ether(trainer.next_cost())})"
            return stake + (", then reveal the test set after participation" if is_provider else "")
        if phase == Phase.REVEAL:
            return "reveal the test set" if is_provider else "wait for the provider to reveal the test set"
        if phase == Phase.SCORING:
            return f"score contributions, earning {ether(contract.scoringFee())} for each"
        owed = trainer.owed(who)
        return f"withdraw {ether(owed)}" if owed else "nothing: the market is over"

    def _deadlines(self, phase: Phase) -> str:
        contract, lab = self.trainer.contract, self._lab
        lines = [f"now: block {lab.block_number}, {clock(lab.timestamp)}"]
        if phase != Phase.OPEN:
            last = contract.commitBlock() + BLOCKHASH_WINDOW
            bought = contract.pointsBought()
            bounty = ether(contract.bounty()) + (f" for {bought:,} points" if bought else "")
            lines.append(f"bounty {bounty}; the chosen piece must be revealed by block {last}")
        if contract.participationEnd():
            # Once the test set is revealed (or the market lapsed) its deadlines are history: no countdown.
            when = deadline if phase in (Phase.PARTICIPATION, Phase.REVEAL) else lambda _, t: clock(t)
            lines.append(f"participation ends {when(lab, contract.participationEnd())}")
            lines.append(f"the test set must be revealed before {when(lab, contract.revealDeadline())}")
        if contract.pricePerPoint():
            lines.append(f"each point gained or lost is worth {ether(contract.pricePerPoint())} "
                         f"(a test sample is worth up to ±{SAMPLE_POINTS:,} points)")
        return "<br>".join(html.escape(line) for line in lines)

    def _result(self) -> str:
        for event in self.trainer._events("MarketFinished") + self.trainer._events("MarketCancelled"):
            a = event.args
            said = (f"Finished: {ether(a['bountyPaid'])} of the bounty paid for gains, {ether(a['refund'])} back "
                    f"to the provider, {ether(a['burned'])} of losses burned."
                    if event.name == "MarketFinished" else
                    f"Cancelled: every stake comes back, the bounty ({ether(a['burned'])}) was burned.")
            return f"<p>{html.escape(said)}</p>"
        return ""

    def __repr__(self) -> str:
        return f"MarketPanel({self.trainer.phase.name}; run the notebook to use it)"


def _stepper(phase: Phase) -> str:
    cells = []
    for name, phases in STEPS:
        style = "background:#1f77b4;color:white" if phase in phases else "background:#eee;color:#555"
        cells.append(f'<span style="{style};padding:2px 8px;border-radius:4px">{name}</span>')
    note = " (cancelled: the provider missed a deadline)" if phase == Phase.CANCELLED else ""
    return f"Phase <b>{phase.name.lower()}</b>{note}: " + " → ".join(cells)


def market_panel(trainer: MarketTrainer, *, accounts: Sequence[str] | None = None) -> MarketPanel:
    """A live view of a prediction market: the phases commit → participate → reveal → score →
    withdraw, every deadline, what each of ``accounts`` (default: all ten) may do now, and the
    stakes, scores and payouts; buttons reveal, score, withdraw, lapse and travel to the next
    deadline as the account chosen."""
    return MarketPanel(trainer, accounts=accounts)
