"""The dcai-lab pytest plugin: a ``lab`` fixture, fresh for every test.

One Lab is started per test session; each test runs inside ``lab.anchor()``, so whatever a test
does is undone before the next one starts. Choose the engine with ``--lab-engine=revm`` or a node
URL (``--lab-engine=http://127.0.0.1:8545``). ``--dcai-gas`` prints, at the end of the run, the gas
tables of every transaction the ``lab`` fixture sent, in all tests together.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..gas.report import GasReport, TxRecord
from ..lab import Lab

#: What the ``lab`` fixture sent, kept for ``--dcai-gas``: the transactions of every test (each
#: test's are undone with its anchor) and the session lab's gas report, for its engine.
_SENT = pytest.StashKey[list[TxRecord]]()
_LAB_GAS = pytest.StashKey[GasReport]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--lab-engine", default="pyevm",
                     help="engine for the `lab` fixture: pyevm (default), revm, or a node URL")
    parser.addoption("--dcai-gas", action="store_true",
                     help="at the end of the run, print the gas tables of every transaction the `lab` fixture sent")


@pytest.fixture(scope="session")
def lab_session(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The session's Lab; use ``lab`` in tests, which isolates each test."""
    target = request.config.getoption("--lab-engine")
    lab = Lab(target) if "://" in target else Lab(engine=target)
    yield lab
    lab.close()


@pytest.fixture
def lab(lab_session: Lab, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """A Lab whose changes are undone after the test."""
    with lab_session.anchor():
        before = len(lab_session.transactions)
        yield lab_session
        if request.config.getoption("--dcai-gas"):
            request.config.stash.setdefault(_SENT, []).extend(lab_session.transactions[before:])
            request.config.stash[_LAB_GAS] = lab_session.gas


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if not config.getoption("--dcai-gas"):
        return
    terminalreporter.section("dcai-lab gas")
    sent = config.stash.get(_SENT, [])
    if not sent:
        terminalreporter.write_line("The lab fixture sent no transactions.")
        return
    session = config.stash[_LAB_GAS]
    terminalreporter.write_line(str(GasReport(sent, session.engine, session.exact, session.fork)))
