from collections.abc import Iterator

import pytest

from dcai_lab.chain.anvil import Anvil


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    """A fresh anvil node on a free loopback port, stopped after the test."""
    with Anvil() as node:
        yield node
