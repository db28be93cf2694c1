"""The trainer dashboard: try the model, contribute, settle contributions, travel in time, and
watch money and accuracy move — for a trainer under Deposit-Refund-Take or Points."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import plotly.graph_objects as go

from ..errors import ConfigError, RevertError
from ..trainer import Contribution, PointsTrainer, Trainer
from ._common import ETHER, Live, clock, ether, friendly, run, summary

if TYPE_CHECKING:
    from ..gas import TxRecord

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
        self._start = {who: lab.balance(who) for who in people}
        self._start_trainer = lab.balance(trainer)
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
        self.balances = go.FigureWidget(layout={"title": {"text": "Ether won or lost since the dashboard opened"},
                                                "height": 300, "margin": {"t": 40, "b": 30},
                                                "yaxis": {"title": {"text": "ether"}}})
        self.balances.add_bar(x=[], y=[])
        self.accuracy = go.FigureWidget(layout={"title": {"text": "Test accuracy after each contribution"},
                                                "height": 300, "margin": {"t": 40, "b": 30},
                                                "xaxis": {"title": {"text": "contributions"}},
                                                "yaxis": {"title": {"text": "accuracy"}}})
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
        with self.balances.batch_update():
            self.balances.data[0].x = [lab.accounts.name_of(a) for a in self._people] + ["the trainer"]
            self.balances.data[0].y = [(lab.balance(a) - self._start[a]) / ETHER for a in self._people] + \
                                      [(lab.balance(self.trainer) - self._start_trainer) / ETHER]
        if record is None or record.address == self.trainer.address:
            self._contributions = self.trainer.contributions()
            self._redraw_table()
            self._redraw_accuracy()

    def _redraw_table(self) -> None:
        for row in self.rows:
            row.close()
        self.rows = [ContributionRow(self, c) for c in self._contributions]
        header = widgets.HTML("<code>" + _cells(("id", "contributor", "label", "deposit", "left", "added at")) +
                              "</code>")
        self.table.children = [header] + [row.box for row in self.rows] if self.rows else \
            [widgets.HTML("<i>no contributions yet</i>")]

    def _redraw_accuracy(self) -> None:
        if self._test is None:
            return
        n = len(self._contributions)
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
        self.refund = widgets.Button(description=trainer.settle_verb, layout={"width": "90px"})
        self.take = widgets.Button(description=dashboard._take_verb, layout={"width": "90px"})
        refund_why = _refund_blocked(trainer, c, status, who)
        take_why = _take_blocked(trainer, c, who)
        self.refund.disabled, self.take.disabled = refund_why is not None, take_why is not None
        reasons = [f"{b.description}: {why}" for b, why in ((self.refund, refund_why), (self.take, take_why)) if why]
        self.why = widgets.Label(" ".join(reasons) or "both are open to " + lab.accounts.name_of(who))
        self.refund.on_click(lambda _: run(dashboard.output, lab, lambda: summary(lab, trainer.refund(c, sender=who))))
        self.take.on_click(lambda _: run(dashboard.output, lab, lambda: summary(lab, trainer.report(c, sender=who))))
        settled = " (settled)" if status.settled else ""
        numbers = widgets.HTML("<code>" + _cells((c.id, lab.accounts.name_of(c.contributor),
                                                  dashboard._class_names[c.label], ether(c.deposit),
                                                  ether(status.remaining) + settled, clock(c.added_at))) + "</code>")
        self.box = widgets.HBox([numbers, self.refund, self.take, self.why])
        self.box.add_class("dcai-contribution-row")

    def close(self) -> None:
        for widget in (self.refund, self.take, self.why, self.box):
            widget.close()


def _cells(values: Sequence[Any]) -> str:
    widths = (4, 12, 10, 18, 30, 24)
    return "".join(str(v).ljust(w) for v, w in zip(values, widths)).replace(" ", "&nbsp;")


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
