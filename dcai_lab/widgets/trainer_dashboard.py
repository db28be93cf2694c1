"""The trainer dashboard: try the model, contribute, settle contributions, travel in time, and
watch money and accuracy move — for a trainer under Deposit-Refund-Take or Points."""

from __future__ import annotations

import ast
import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import plotly.graph_objects as go

from ..errors import ConfigError, RevertError
from ..trainers import Contribution, PointsTrainer, Trainer
from ._common import ETHER, Live, clock, ether, friendly, run, summary

if TYPE_CHECKING:
    from ..gas.report import TxRecord

#: Width of the numbers of a contributions row (the monospace columns of ``_cells``).
NUMBERS_WIDTH = "700px"
#: How a trainer's events move ether: (the account's field, sign for the account, the amount's field).
_FLOWS = {"ContributionAdded": ("payer", -1, "deposit"), "Refunded": ("contributor", 1, "amount"),
          "Taken": ("taker", 1, "amount")}
#: Steps of the clock, in seconds.
TRAVEL_STEPS = {"1 hour": 3600, "1 day": 86_400, "9 days": 9 * 86_400}


class TrainerDashboard(Live):
    """Everything a contributor does with a trainer, by clicking; see ``trainer_dashboard``."""

    def __init__(self, trainer: Trainer, *, encode: Callable[[str], Any] | None = None,
                 samples: Sequence[str] = (), test: tuple[Any, Any] | None = None,
                 accounts: Sequence[str] | None = None, class_names: Sequence[str] | None = None,
                 feature_names: Sequence[str] | None = None) -> None:
        if isinstance(trainer, Trainer) and trainer.incentive_name == "PredictionMarket":
            raise ConfigError("a prediction market has no refunds or takes: use market_panel(trainer).")
        if not isinstance(trainer, Trainer):
            raise ConfigError(f"trainer_dashboard takes what lab.deploy(model, incentive) returned, not {trainer!r}.")
        lab = trainer.lab
        self.trainer = trainer
        self._encode_text = encode
        self._test = test
        self._feature_names = feature_names
        n_classes = trainer._model.n_classes
        self._class_names = list(class_names) if class_names else [str(i) for i in range(n_classes)]
        people = list(accounts) if accounts is not None else list(lab.accounts[1:])
        self._people = people
        self._accuracy: dict[int, float] = {}
        verb = trainer.settle_verb
        self._take_verb = "report" if isinstance(trainer, PointsTrainer) else "take"

        self.clock = widgets.HTML()
        self.sample = widgets.Dropdown(options=[("(type your own below)", "")] + [(s[:80], s) for s in samples],
                                       description="example", layout={"width": "90%"})
        self.text = widgets.Text(value=samples[0] if samples else "", description="sample",
                                 layout={"width": "90%"})
        self.prediction = widgets.Label()
        self.account = widgets.Dropdown(options=[(lab.accounts.name_of(a), a) for a in people],
                                        description="acting as")
        self.label = widgets.Dropdown(options=[(name, i) for i, name in enumerate(self._class_names)],
                                      description="label")
        self.contribute = widgets.Button(description="contribute", button_style="primary",
                                         tooltip="add the sample with this label, paying the deposit")
        self.travel_step = widgets.Dropdown(options=list(TRAVEL_STEPS.items()), description="wait")
        self.travel = widgets.Button(description="travel in time", icon="clock-o")
        self.output = widgets.Output(layout={"border": "1px solid #ddd", "min_height": "2em"})
        self.table = widgets.VBox()
        self.rows: list[ContributionRow] = []
        plot = {"height": 320, "width": 430, "margin": {"t": 50, "b": 40, "l": 60, "r": 20}}
        self.balances = go.FigureWidget(layout={**plot, "title": {"text": "Ether got back (+) or paid in (−); "
                                                                  "the trainer: what it holds"},
                                                "title_font_size": 13, "yaxis": {"title": {"text": "ether"}}})
        self.balances.add_bar(x=[], y=[])
        self.accuracy = go.FigureWidget(layout={**plot, "title": {"text": "Test accuracy after each contribution "
                                                                  "(since the dashboard opened)"},
                                                "title_font_size": 13,
                                                "xaxis": {"title": {"text": "contributions"}, "dtick": 1},
                                                "yaxis": {"title": {"text": "accuracy"}, "range": [0, 1]}})
        self.accuracy.add_scatter(x=[], y=[], mode="lines+markers")

        self.sample.observe(lambda change: setattr(self.text, "value", change["new"]) if change["new"] else None,
                            names="value")
        self.text.observe(lambda _: self._predict(), names="value")
        self.account.observe(lambda _: self._redraw_table(), names="value")
        self.contribute.on_click(lambda _: run(self.output, lab, self._contribute))
        self.travel.on_click(lambda _: run(self.output, lab, self._travel))

        title = widgets.HTML(f"<b>{trainer.contract.contract_name}</b> at <code>{trainer.address}</code> · "
                             f"a contributor may <i>{verb}</i>, others may <i>{self._take_verb}</i>")
        plots = [self.balances] + ([self.accuracy] if test is not None else [])
        super().__init__(lab, [
            title, self.clock, self.sample, self.text, self.prediction,
            widgets.HBox([self.account, self.label, self.contribute]),
            widgets.HBox([self.travel_step, self.travel]), self.output,
            widgets.HTML("<b>Contributions</b> (buttons act as the account chosen above)"), self.table,
            widgets.HBox(plots),
        ])
        self.add_class("dcai-trainer-dashboard")  # a handle for styles and for the browser test
        self.refresh()

    # -- what a click does --------------------------------------------------------------------------
    def _sample(self) -> Any:
        typed = self.text.value
        if self._encode_text is not None:
            return self._encode_text(typed)
        try:
            return ast.literal_eval(typed)
        except (ValueError, SyntaxError) as error:
            raise ConfigError(f"type the sample as a Python list such as [0, 4], not {typed!r}.") from error

    def _predict(self) -> None:
        try:
            sample = self._sample()
            if not len(sample):
                self.prediction.value = "none of these words are in the vocabulary: nothing to predict."
                return
            predicted = self._class_names[self.trainer.predict(sample)]
        except Exception as error:  # noqa: BLE001 — the person typing must see why
            self.prediction.value = friendly(error, self._lab)
            return
        words = ""
        if self._feature_names is not None and self.trainer._sparse:
            words = f" · words used: {', '.join(self._feature_names[i] for i in sorted(set(sample)))}"
        self.prediction.value = (f"The model predicts: {predicted}{words} · the next deposit: "
                                 f"{ether(self.trainer.next_cost())}")

    def _contribute(self) -> str:
        self.trainer.add_data(self._sample(), self.label.value, sender=self.account.value)
        return summary(self._lab, self._lab.last_tx)

    def _travel(self) -> str:
        self._lab.time_travel(seconds=self.travel_step.value)
        return f"travelled {self.travel_step.label}: it is now {clock(self._lab.timestamp)}"

    # -- redrawing ------------------------------------------------------------------------------------
    def refresh(self, record: TxRecord | None = None) -> None:
        """Redraw the clock, prediction and balances; the table and accuracy when the trainer may
        have changed (a transaction to it, a time travel, the end of an anchor)."""
        lab = self._lab
        self.clock.value = f"Block {lab.block_number} · {clock(lab.timestamp)}"
        self._predict()
        if record is None or record.address == self.trainer.address:
            self._contributions = self.trainer.contributions()
            self._redraw_table()
            self._redraw_accuracy()
            self._redraw_balances()

    def net(self) -> dict[str, int]:
        """Wei each account got back from the trainer minus what it paid in, from the trainer's events."""
        net = dict.fromkeys(self._people, 0)
        for log in self._lab._engine.logs(self.trainer.address):
            event = self.trainer.contract._decode_log(log)
            if event is None or event.name not in _FLOWS:
                continue
            who, sign, amount = _FLOWS[event.name]
            if event.args[who] in net:
                net[event.args[who]] += sign * event.args[amount]
        return net

    def _redraw_balances(self) -> None:
        net = self.net()
        with self.balances.batch_update():
            self.balances.data[0].x = [self._lab.accounts.name_of(a) for a in net] + ["the trainer"]
            self.balances.data[0].y = [wei / ETHER for wei in net.values()] + \
                                      [self._lab.balance(self.trainer) / ETHER]

    def _redraw_table(self) -> None:
        for row in self.rows:
            row.close()
        self.rows = [ContributionRow(self, c) for c in self._contributions]
        header = widgets.HTML("<code>" + _cells(("id", "contributor", "label", "deposit", "left", "added at")) +
                              "</code>", layout={"width": NUMBERS_WIDTH})
        self.table.children = [header] + [row.box for row in self.rows] if self.rows else \
            [widgets.HTML("<i>no contributions yet</i>")]

    def _redraw_accuracy(self) -> None:
        if self._test is None:
            return
        n = len(self._contributions)
        # Fewer contributions than plotted: an anchor undid some, and their accuracies are void.
        self._accuracy = {k: v for k, v in self._accuracy.items() if k <= n}
        if n not in self._accuracy:
            self._accuracy[n] = float(self.trainer.local_model().score(*self._test))
        points = sorted((k, v) for k, v in self._accuracy.items() if k <= n)
        with self.accuracy.batch_update():
            self.accuracy.data[0].x = [k for k, _ in points]
            self.accuracy.data[0].y = [v for _, v in points]

    def __repr__(self) -> str:
        return (f"TrainerDashboard({self.trainer.contract.contract_name}, {len(self.rows)} contributions; "
                f"run the notebook to use it)")


class ContributionRow:
    """One contribution in the table: its numbers, and refund/take buttons that are enabled only
    when the contract would accept them from the chosen account, with the reason when not."""

    def __init__(self, dashboard: TrainerDashboard, contribution: Contribution) -> None:
        self.contribution = c = contribution
        trainer, lab = dashboard.trainer, dashboard._lab
        who = dashboard.account.value
        status = trainer.status(c)
        self.refund = widgets.Button(description=trainer.settle_verb, layout={"width": "80px", "flex": "0 0 auto"})
        self.take = widgets.Button(description=dashboard._take_verb, layout={"width": "80px", "flex": "0 0 auto"})
        refund_why = _refund_blocked(trainer, c, status, who)
        take_why = _take_blocked(trainer, c, who)
        self.refund.disabled, self.take.disabled = refund_why is not None, take_why is not None
        reasons = [f"{b.description}: {why}" for b, why in ((self.refund, refund_why), (self.take, take_why)) if why]
        # HTML, not Label: a reason may be long and must wrap rather than run off the row.
        said = ("settled · " if status.settled else "") + (" ".join(reasons) or "both are open to " +
                                                          lab.accounts.name_of(who))
        self.why = widgets.HTML(html.escape(said, quote=False), layout={"margin": "0 0 6px 40px"})
        self.refund.on_click(lambda _: run(dashboard.output, lab, lambda: summary(lab, trainer.refund(c, sender=who))))
        self.take.on_click(lambda _: run(dashboard.output, lab, lambda: summary(lab, trainer.report(c, sender=who))))
        numbers = widgets.HTML("<code>" + _cells((c.id, lab.accounts.name_of(c.contributor),
                                                  dashboard._class_names[c.label], ether(c.deposit),
                                                  ether(status.remaining), clock(c.added_at)[5:16])) +
                               "</code>", layout={"width": NUMBERS_WIDTH, "flex": "0 0 auto"})
        self.box = widgets.VBox([widgets.HBox([numbers, self.refund, self.take]), self.why])
        self.box.add_class("dcai-contribution-row")

    def close(self) -> None:
        for widget in (self.refund, self.take, self.why, self.box):
            widget.close()


def _cells(values: Sequence[Any]) -> str:
    """One table line in fixed-width columns (ether amounts have up to 18 decimals)."""
    widths = (3, 9, 9, 26, 26, 11)
    line = " ".join(html.escape(str(v), quote=False).ljust(w) for v, w in zip(values, widths))
    return line.replace(" ", "&nbsp;")


def _dry_run(function: Any, *args: Any, sender: str) -> str | None:
    """Why the contract would refuse ``function(*args)`` from ``sender`` now, or None if it would not.

    A free call runs at the latest block's time and the transaction one second later; every rule
    only opens with time, so a button is at worst enabled one second late, never early.
    """
    try:
        function.call(*args, sender=sender)
    except RevertError as error:
        return friendly(error, function.contract._lab).removeprefix("Refused by the contract: ")
    return None


def _refund_blocked(trainer: Trainer, c: Contribution, status: Any, who: str) -> str | None:
    if status.settled:
        return "already settled."
    if who != c.contributor:
        return f"only {trainer.lab.accounts.name_of(c.contributor)} may {trainer.settle_verb} it."
    return _dry_run(trainer.contract.refund, trainer._encode(c.sample), c.label, c.id, sender=who)


def _take_blocked(trainer: Trainer, c: Contribution, who: str) -> str | None:
    return _dry_run(trainer.contract.report, trainer._encode(c.sample), c.label, c.id, c.contributor, sender=who)


def trainer_dashboard(trainer: Trainer, *, encode: Callable[[str], Any] | None = None, samples: Sequence[str] = (),
                      test: tuple[Any, Any] | None = None, accounts: Sequence[str] | None = None,
                      class_names: Sequence[str] | None = None,
                      feature_names: Sequence[str] | None = None) -> TrainerDashboard:
    """A dashboard for a trainer under Deposit-Refund-Take or Points.

    ``encode`` turns typed text into a sample (e.g. ``lambda s: sentence_features(s, vocabulary)``;
    without it, type a Python list); ``samples`` fill the example menu; ``test=(X, y)`` adds the
    accuracy plot; ``accounts`` (default: all but the deployer) may act and have their balances plotted;
    ``class_names`` name the labels; ``feature_names`` show which words a sparse sample uses.
    """
    return TrainerDashboard(trainer, encode=encode, samples=samples, test=test, accounts=accounts,
                            class_names=class_names, feature_names=feature_names)
