"""Start a local anvil node configured like the lab's in-memory chains.

Same accounts, balances, chain id, genesis time, gas limit and zero fees, so the same script gives
the same chain on ``Lab(anvil.url)`` as on ``Lab()``. anvil comes from the npm package
``@foundry-rs/anvil`` that the project's set-up installs, or from ``PATH``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from .engines._base import BLOCK_GAS_LIMIT, CHAIN_ID, GENESIS_TIMESTAMP, HD_PATH, INITIAL_BALANCE, MNEMONIC, N_ACCOUNTS
from .errors import NotSupportedError

_REPO_BIN = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "anvil"


def anvil_binary() -> str:
    """Where anvil is: the project's ``node_modules`` first, then ``PATH``."""
    if _REPO_BIN.exists():
        return str(_REPO_BIN)
    found = shutil.which("anvil")
    if found is None:
        raise NotSupportedError("anvil is not installed: run `npm ci` in the dcai-lab checkout.")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Anvil:
    """A running anvil on a free loopback port; use as a context manager or call ``stop()``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [anvil_binary(), "--host", "127.0.0.1", "--port", str(self.port), "--silent",
             "--hardfork", "cancun", "--chain-id", str(CHAIN_ID),
             "--mnemonic", MNEMONIC, "--derivation-path", HD_PATH + "/", "--accounts", str(N_ACCOUNTS),
             "--balance", str(INITIAL_BALANCE // 10**18), "--timestamp", str(GENESIS_TIMESTAMP),
             "--gas-limit", str(BLOCK_GAS_LIMIT), "--base-fee", "0", "--gas-price", "0",
             "--disable-default-create2-deployer"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        request = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise NotSupportedError(f"anvil exited at start: {self._process.stderr.read().decode()}")
            try:
                urllib.request.urlopen(urllib.request.Request(
                    self.url, data=request, headers={"Content-Type": "application/json"}), timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise NotSupportedError(f"anvil did not answer on {self.url} within {timeout:.0f} s.")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> Anvil:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
