"""Start a local anvil node configured like the lab's in-memory chains.

Same accounts, balances, chain id, genesis time, gas limit and zero fees, so the same script gives
the same chain on ``Lab(anvil.url)`` as on ``Lab()``. anvil comes from the npm package
``@foundry-rs/anvil`` that the project's set-up installs, or from ``PATH``. A node never outlives
the Python process that started it.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .engines._base import BLOCK_GAS_LIMIT, CHAIN_ID, GENESIS_TIMESTAMP, HD_PATH, INITIAL_BALANCE, MNEMONIC, N_ACCOUNTS
from ..errors import NotSupportedError

_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
#: prctl(2) option: the signal the kernel sends this process when its parent dies.
_PR_SET_PDEATHSIG = 1


def anvil_binary() -> str:
    """Where anvil is: the npm package's native binary first (so stopping it stops anvil itself,
    not a node wrapper that would leave anvil running if it were killed), then that wrapper, then
    ``PATH``."""
    machine = _MACHINES.get(platform.machine().lower(), platform.machine().lower())
    native = _NODE_MODULES / "@foundry-rs" / f"anvil-{sys.platform}-{machine}" / "bin" / "anvil"
    for candidate in (native, native.with_suffix(".exe"), _NODE_MODULES / ".bin" / "anvil"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("anvil")
    if found is None:
        raise NotSupportedError("anvil is not installed: run `npm ci` in the dcai-lab checkout.")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_this_process() -> Callable[[], None] | None:
    """On Linux, what the child runs before anvil starts: ask the kernel to send it SIGTERM when
    this process dies, even by SIGKILL (``PR_SET_PDEATHSIG``), so a killed kernel or test run
    leaves no node behind. The kernel ties the signal to the thread that starts the child, so only
    the main thread, which lives as long as the process, asks for it. ``prctl`` is looked up here:
    the forked child only makes the one system call."""
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return functools.partial(prctl, _PR_SET_PDEATHSIG, int(signal.SIGTERM))


class Anvil:
    """A running anvil on a free loopback port; use as a context manager or call ``stop()``.

    A node left running is stopped when Python exits, and on Linux also when Python is killed.
    """

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
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_this_process(),
        )
        atexit.register(self.stop)
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
        """Stop the node (once; stopping again does nothing)."""
        atexit.unregister(self.stop)
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
