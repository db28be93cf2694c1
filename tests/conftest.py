import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dcai_lab.anvil import Anvil

pytest_plugins = ["pytester"]

# Datasets come from the pre-filled cache beside the checkout (../shared/data), never the network.
os.environ.setdefault("DCAI_LAB_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    """A fresh anvil node on a free loopback port, stopped after the test."""
    with Anvil() as node:
        yield node
