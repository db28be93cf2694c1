"""The deploy panel: choose a model, a dataset and an incentive mechanism with its parameters,
train the twin on part of the data, deploy it, and read what the deployment cost in gas."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from .. import datasets
from ..models import DensePerceptron, NaiveBayes, NearestCentroid, SparseNearestCentroid, SparsePerceptron
from ..trainers.registry import INCENTIVES
from ._common import run, shown

if TYPE_CHECKING:
    from ..lab import Lab
    from ..trainers.trainer import Trainer

#: Each model with the datasets it suits: sparse models read word presence, perceptrons are binary.
MODELS = {
    "SparsePerceptron": (SparsePerceptron, ("sentiment",)),
    "NaiveBayes": (NaiveBayes, ("sentiment",)),
    "SparseNearestCentroid": (SparseNearestCentroid, ("sentiment",)),
    "DensePerceptron": (DensePerceptron, ("breast cancer",)),
    "NearestCentroid": (NearestCentroid, ("breast cancer", "digits")),
}
DATASETS = {"sentiment": datasets.load_sentiment, "breast cancer": datasets.load_breast_cancer,
            "digits": datasets.load_digits}


class DeployPanel(widgets.VBox):
    """A form that deploys a trained twin under a mechanism; the handle is ``panel.trainer``."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self.trainer: Trainer | None = None
        self.model = widgets.Dropdown(options=list(MODELS), description="model")
        self.dataset = widgets.Dropdown(description="dataset")
        self.n_train = widgets.IntSlider(value=300, min=10, max=1000, step=10, description="train on")
        self.mechanism = widgets.Dropdown(options=list(INCENTIVES), description="mechanism")
        self.parameters = widgets.VBox()
        self.deploy = widgets.Button(description="deploy", button_style="primary")
        self.output = widgets.Output()
        self.gas = widgets.HTML()
        self.model.observe(lambda _: self._datasets(), names="value")
        self.mechanism.observe(lambda _: self._parameters(), names="value")
        self.deploy.on_click(lambda _: run(self.output, lab, self._deploy))
        self._datasets()
        self._parameters()
        super().__init__([widgets.HTML("<b>Deploy a model anyone may train</b>"), self.model, self.dataset,
                          self.n_train, self.mechanism, self.parameters, self.deploy, self.output, self.gas])
        self.add_class("dcai-deploy-panel")  # a handle for styles and for the browser test

    def _datasets(self) -> None:
        self.dataset.options = MODELS[self.model.value][1]
        self.dataset.value = self.dataset.options[0]

    def _parameters(self) -> None:
        """One box per parameter of the mechanism, filled with its default (wei and seconds)."""
        fields = dataclasses.fields(INCENTIVES[self.mechanism.value])
        self.parameters.children = [widgets.IntText(value=f.default, description=f.name,
                                                    style={"description_width": "initial"}) for f in fields]

    def rules(self) -> Any:
        """The mechanism the form describes (its checks explain bad parameters)."""
        values = {box.description: box.value for box in self.parameters.children}
        return INCENTIVES[self.mechanism.value](**values)

    def _deploy(self) -> str:
        rules = self.rules()
        data = DATASETS[self.dataset.value]()
        model_class = MODELS[self.model.value][0]
        X, y = data.X_train[:self.n_train.value], data.y_train[:self.n_train.value]
        if model_class.sparse:
            keep = X.getnnz(axis=1) > 0  # a sample with none of the words carries nothing
            X, y = X[keep], y[keep]
        twin = model_class(n_features=X.shape[1]).fit(X, y)
        first = len(self._lab.transactions)
        self.trainer = self._lab.deploy(twin, rules)
        sent = self._lab.transactions[first:]
        self.gas.value = pd.DataFrame([(r.method, r.gas_used) for r in sent],
                                      columns=["transaction", "gas used"]).to_html(index=False)
        return (f"deployed {self.trainer.contract.contract_name} at {self.trainer.address} in {len(sent)} "
                f"transactions ({sum(r.gas_used for r in sent):,} gas); the twin's test accuracy is "
                f"{twin.score(data.X_test, data.y_test):.3f}. The handle is panel.trainer.")

    @property
    def said(self) -> str:
        """What the last click said."""
        return shown(self.output)

    def __repr__(self) -> str:
        return "DeployPanel(run the notebook to use it)"


def deploy_panel(lab: Lab) -> DeployPanel:
    """A form: model, dataset, how many training samples, mechanism and its parameters → deploy,
    then the gas of each deployment transaction. The trainer deployed is ``panel.trainer``."""
    return DeployPanel(lab)
