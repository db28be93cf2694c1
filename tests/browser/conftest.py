"""A real JupyterLab, driven by Debian's Chromium through Playwright, for the browser tests.

``jupyterlab`` starts JupyterLab on a free loopback port, with a token, in a scratch directory
that holds copies of the notebooks (JupyterLab saves what it runs; the repository's notebooks stay
untouched) and settings of its own (no news pop-up, every cell rendered). ``page`` is a Chromium
page. Playwright's own browser download does not work everywhere, so the system's Chromium is used:
``bash scripts/test`` installs it with apt-get when it runs as root. Without Chromium the tests
fail and say why; set ``DCAI_LAB_SKIP_BROWSER=1`` to leave them out on purpose (they are then
deselected, and the run says so).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPT_OUT = "DCAI_LAB_SKIP_BROWSER"
#: Where screenshots go: ``$DCAI_LAB_SCREENSHOTS`` or build/browser-screenshots in the checkout.
SCREENSHOTS = Path(os.environ.get("DCAI_LAB_SCREENSHOTS") or ROOT / "build" / "browser-screenshots")
#: JupyterLab settings: no news or update checks (their pop-up covers the page), and every cell
#: rendered (a windowed notebook leaves cells out of view empty).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(OPT_OUT) != "1":
        return
    browser = [item for item in items if Path(str(item.fspath)).parent == Path(__file__).parent]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if item not in browser]
        config.stash[_DESELECTED] = len(browser)


_DESELECTED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if config.stash.get(_DESELECTED, 0):
        terminalreporter.write_line(f"{config.stash[_DESELECTED]} browser tests were left out because {OPT_OUT}=1.",
                                    yellow=True)


def chromium() -> str:
    """The system's Chromium, or a failure that says how to get it (or how to opt out)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    why = ("Chromium is not installed, so the browser tests cannot run. `bash scripts/test` installs it with "
           "`apt-get install chromium` when it runs as root on Debian or Ubuntu; otherwise install Chromium "
           "yourself (it must be on PATH as `chromium`)")
    if os.geteuid() != 0:
        why += " — this run is not root, so it could not install it"
    elif not shutil.which("apt-get"):
        why += " — this machine has no apt-get"
    pytest.fail(f"{why}. To leave the browser tests out on purpose, set {OPT_OUT}=1.", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class JupyterLab:
    url: str
    token: str
    root: Path

    def notebook_url(self, name: str) -> str:
        # `reset` starts from an empty workspace: no notebooks of an earlier session in hidden tabs.
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"


@pytest.fixture(scope="module")  # the server and its kernels end with the browser tests
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    scratch = tmp_path_factory.mktemp("jupyterlab")
    root = scratch / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = scratch / "settings"
    for name, values in SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(scratch / "config"), "JUPYTER_DATA_DIR": str(scratch / "data"),
           "JUPYTER_RUNTIME_DIR": str(scratch / "runtime")}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={scratch / 'workspaces'}",
               "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = (scratch / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; its log:\n{(scratch / 'jupyterlab.log').read_text()}")
                time.sleep(0.5)
        yield JupyterLab(url, token, root)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable,
                                              args=["--headless=new", "--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
