"""The dcai-lab pytest plugin: a ``lab`` fixture, fresh for every test.

One Lab is started per test session; each test runs inside ``lab.anchor()``, so whatever a test
does is undone before the next one starts. Choose the engine with ``--lab-engine=revm`` or a node
URL (``--lab-engine=http://127.0.0.1:8545``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .lab import Lab


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--lab-engine", default="pyevm",
                     help="engine for the `lab` fixture: pyevm (default), revm, or a node URL")


@pytest.fixture(scope="session")
def lab_session(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The session's Lab; use ``lab`` in tests, which isolates each test."""
    target = request.config.getoption("--lab-engine")
    lab = Lab(target) if "://" in target else Lab(engine=target)
    yield lab
    lab.close()


@pytest.fixture
def lab(lab_session: Lab) -> Iterator[Lab]:
    """A Lab whose changes are undone after the test."""
    with lab_session.anchor():
        yield lab_session
