"""Notebooks 02, 03 and 05 as a student meets them: opened in JupyterLab in Chromium, every cell
run, the dashboards clicked, and what the page shows checked (see conftest.py for the setup).
Screenshots go to build/browser-screenshots (or ``$DCAI_LAB_SCREENSHOTS``)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

#: Kernel status, and per code cell whether it has run and what errors it shows, from the app.
_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  let pending = 0; const errors = [];
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    if (cell.model.executionCount === null) pending += 1;
    for (let i = 0; i < cell.model.outputs.length; i++) {
      const output = cell.model.outputs.get(i).toJSON();
      if (output.output_type === 'error') errors.push(output.ename + ': ' + output.evalue);
    }
  }
  return {status: kernel ? kernel.status : null, pending, errors};
}"""


def _state(page: Page) -> dict | None:
    return page.evaluate(_STATE)


def _wait_for_idle_kernel(page: Page, timeout: float = 120) -> None:
    """The kernel reads "idle" for a moment before it connects: wait for several idle polls in a row."""
    deadline, idle = time.monotonic() + timeout, 0
    while idle < 4:
        state = _state(page)
        idle = idle + 1 if state and state["status"] == "idle" else 0
        assert time.monotonic() < deadline, f"the kernel did not become idle: {state}"
        time.sleep(0.5)


def run_notebook(page: Page, jupyterlab, name: str, timeout: float = 300) -> Locator:
    """Open ``name``, clear its saved outputs, run all cells, and fail on the first error shown."""
    page.goto(jupyterlab.notebook_url(name))
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.wait_for()
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext")
    _wait_for_idle_kernel(page)
    page.evaluate("""async () => {
      const commands = window.jupyterapp.commands;
      await commands.execute('notebook:clear-all-cell-outputs');
      await commands.execute('notebook:run-all-cells');
    }""")
    deadline = time.monotonic() + timeout
    while True:
        state = _state(page)
        assert not state["errors"], f"{name} shows an error: {state['errors']}"
        if state["pending"] == 0 and state["status"] == "idle":
            return notebook
        assert time.monotonic() < deadline, f"{name} did not finish running: {state}"
        time.sleep(1)


def dropdown(container: Locator, description: str) -> Locator:
    """The <select> of the ipywidgets Dropdown described as ``description``."""
    return container.locator(".widget-dropdown").filter(
        has=container.page.locator(".widget-label", has_text=re.compile(f"^{re.escape(description)}$"))
    ).locator("select")


def button(container: Locator, name: str) -> Locator:
    """The button labelled ``name`` (an icon's glyph may come before it)."""
    return container.locator("button").filter(has_text=re.compile(rf"(^|\W){re.escape(name)}$"))


def screenshot(page: Page, widget: Locator, path) -> None:
    """The page with ``widget`` at the top of the view (no pop-up covers it: news are off)."""
    widget.scroll_into_view_if_needed()
    widget.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)  # let plotly finish drawing
    page.screenshot(path=str(path))


def test_notebook_02_predicts_and_deploys_by_clicking(page, jupyterlab, screenshots):
    notebook = run_notebook(page, jupyterlab, "02_a_model_on_chain.ipynb")
    review = notebook.locator(".widget-text input").first
    review.fill("an awful waste of money, terrible")
    predict = button(notebook, "predict on chain")
    predict.click()
    verdict = notebook.get_by_text(re.compile(r"^(positive|negative)  \(words used: "))
    expect(verdict).to_contain_text("awful")
    expect(verdict).to_contain_text("negative")
    screenshot(page, review, screenshots / "02-prediction.png")

    deploy = notebook.locator(".dcai-deploy-panel")
    dropdown(deploy, "model").select_option("SparseNearestCentroid")
    button(deploy, "deploy").click()
    expect(deploy).to_contain_text("deployed SparseNearestCentroidWithPoints at 0x", timeout=120_000)
    gas = notebook.locator(".dcai-gas-panel")
    expect(gas).to_contain_text("SparseNearestCentroidWithPoints")  # the gas panel followed the deployment
    screenshot(page, deploy, screenshots / "02-deploy-panel.png")
    screenshot(page, gas.locator(".js-plotly-plot"), screenshots / "02-gas-panel.png")


def test_notebook_03_contributes_travels_and_refunds_by_clicking(page, jupyterlab, screenshots):
    notebook = run_notebook(page, jupyterlab, "03_deposit_refund_take.ipynb")
    dashboard = notebook.locator(".dcai-trainer-dashboard")
    dashboard.scroll_into_view_if_needed()
    dropdown(dashboard, "acting as").select_option(label="carol")
    dashboard.locator(".widget-text input").fill("Very pleased with this headset.")
    expect(dashboard).to_contain_text("The model predicts: positive")
    dropdown(dashboard, "label").select_option(label="positive")
    button(dashboard, "contribute").click()
    expect(dashboard).to_contain_text("carol added contribution 5 (label 1, deposit ")
    row = dashboard.locator(".dcai-contribution-row").last
    expect(row).to_contain_text("refund: too early")
    expect(button(row, "refund")).to_be_disabled()
    dropdown(dashboard, "wait").select_option(label="1 day")
    button(dashboard, "travel in time").click()
    expect(dashboard).to_contain_text("travelled 1 day")
    refund = button(dashboard.locator(".dcai-contribution-row").last, "refund")
    expect(refund).to_be_enabled()
    refund.click()
    expect(dashboard).to_contain_text(re.compile(r"carol got [0-9.]+ ether back for contribution 5"))
    expect(dashboard.locator(".dcai-contribution-row").last).to_contain_text("settled · refund: already settled")
    screenshot(page, dashboard, screenshots / "03-trainer-dashboard.png")
    screenshot(page, dashboard.locator(".js-plotly-plot").first, screenshots / "03-trainer-dashboard-plots.png")


def click_as(panel: Locator, who: str, name: str) -> None:
    """Choose ``who`` under "acting as", then press the button ``name``."""
    dropdown(panel, "acting as").select_option(label=who)
    button(panel, name).click()


def saved_output_line(name: str, pattern: str) -> str:
    """The first line of notebook ``name``'s saved outputs matching ``pattern``: what its what-if cell
    printed after the same clicks (nbval keeps it current; the market's numbers follow the chain's
    block hashes, so they move with any contract's bytecode)."""
    notebook = json.loads((Path(__file__).resolve().parents[2] / "notebooks" / name).read_text())
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            match = re.search(pattern, "".join(output.get("text", "")))
            if match:
                return match.group(0)
    raise AssertionError(f"no saved output of {name} matches {pattern!r}")


def test_notebook_05_runs_a_market_to_its_payout_by_clicking(page, jupyterlab, screenshots):
    revealed = saved_output_line("05_prediction_market.ipynb", r"test set revealed: the model gets \d+ of \d+ right")
    withdrew = saved_output_line("05_prediction_market.ipynb", r"alice withdrew [0-9.]+ ether")
    notebook = run_notebook(page, jupyterlab, "05_prediction_market.ipynb")
    panel = notebook.locator(".dcai-market-panel")
    panel.scroll_into_view_if_needed()
    expect(panel).to_contain_text("Phase participation")
    for who, name, said in (
        ("deployer", "travel to the next deadline", "the market is REVEAL"),
        ("alice", "reveal test set", "Refused by the contract: only the provider, deployer, may do this."),
        ("deployer", "reveal test set", revealed),
        ("frank", "score all", "market finished"),
        ("alice", "withdraw", withdrew),
    ):
        click_as(panel, who, name)
        expect(panel).to_contain_text(said)
    expect(panel.locator("table").last).to_contain_text(withdrew.removeprefix("alice withdrew "))  # "withdrawn"
    screenshot(page, panel, screenshots / "05-market-panel.png")
