"""Execution engines: one small interface (``Engine``), three implementations.

``pyevm`` (web3 + eth-tester + py-evm) is the default, ``revm`` (pyrevm) is for large runs, and
``rpc`` talks to any JSON-RPC node. Nothing above this package knows which one runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...errors import ArgumentTypeError, ConfigError
from ._base import Engine, Log, Receipt

__all__ = ["Engine", "Log", "Receipt", "create_engine", "ENGINES"]

#: Names accepted by ``Lab(engine=…)`` for an in-memory chain.
ENGINES = ("pyevm", "revm")


def create_engine(url: str | None = None, *, engine: str | Engine | None = None,
                  private_keys: Sequence[str] | None = None) -> Engine:
    """The engine for ``Lab(url, engine=…, private_keys=…)``; imports only what it needs. An
    ``Engine`` instance is used as it is (e.g. ``PyEVMEngine(fork="prague")``)."""
    if isinstance(engine, Engine):
        if url is not None or private_keys is not None:
            raise ConfigError("an engine instance comes configured; drop the URL and private_keys.")
        return engine
    if url is not None:
        if not isinstance(url, str):
            raise ArgumentTypeError(f"a node is given by its URL, a str such as 'http://127.0.0.1:8545', not {url!r}.")
        if engine not in (None, "rpc"):
            raise ConfigError(f"a URL always means the rpc engine; drop engine={engine!r}.")
        from .rpc import RpcEngine

        return RpcEngine(url, private_keys=private_keys)
    if private_keys is not None:
        raise ConfigError("private_keys= is for a node (Lab(url, private_keys=…)); in-memory chains fund their own accounts.")
    name = "pyevm" if engine is None else engine
    if name == "pyevm":
        from .pyevm import PyEVMEngine

        return PyEVMEngine()
    if name == "revm":
        from .revm import RevmEngine

        return RevmEngine()
    if name == "rpc":
        raise ConfigError("the rpc engine needs a node: Lab('http://127.0.0.1:8545').")
    raise ConfigError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)} or pass a node URL.")
