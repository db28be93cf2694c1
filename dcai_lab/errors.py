"""Everything dcai-lab raises on purpose.

    DcaiLabError                    base of every error the lab raises on purpose
    ├── RevertError                 a transaction or call reverted; carries contract, method,
    │                               sender and the decoded reason
    ├── ConfigError (ValueError)    a bad argument: the message says what to pass instead
    ├── NotSupportedError (NotImplementedError)
    │                               the engine or node cannot do this (e.g. no snapshots)
    ├── NodeError (RuntimeError)    a JSON-RPC node refused a request (not a revert)
    ├── ArtifactNotFoundError (KeyError)
    │                               no compiled contract of that name (in ``_artifacts``)
    └── BuildError (RuntimeError)   the Solidity build failed or cannot run here

Misuse errors also subclass the builtin that fits, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from typing import Any


class DcaiLabError(Exception):
    """Base class of every error dcai-lab raises on purpose."""


class ConfigError(DcaiLabError, ValueError):
    """An argument the lab cannot use."""


class NotSupportedError(DcaiLabError, NotImplementedError):
    """The engine, or the node behind it, does not offer this feature."""


class NodeError(DcaiLabError, RuntimeError):
    """A JSON-RPC node answered a request with an error that is not a revert."""


class BuildError(DcaiLabError, RuntimeError):
    """Compiling the contracts failed, or no pinned compiler is available."""


class RevertError(DcaiLabError):
    """A transaction or call reverted.

    ``reason`` is the decoded reason as a sentence: the ``require`` message, or the custom error
    with its arguments (``StillLocked(currentTime=1735689602, unlocksAt=1735776001)``).
    ``error_name`` is ``"Error"`` for a ``require`` string, ``"Panic"`` for a failed assert or
    arithmetic, the custom error's name otherwise, and ``None`` when the revert carried no data.
    ``gas_used`` is set for a mined transaction and ``None`` for a call.
    """

    def __init__(
        self,
        *,
        contract: str,
        method: str,
        sender: str,
        reason: str,
        error_name: str | None,
        error_args: dict[str, Any],
        data: bytes,
        gas_used: int | None = None,
    ) -> None:
        self.contract = contract
        self.method = method
        self.sender = sender
        self.reason = reason
        self.error_name = error_name
        self.error_args = error_args
        self.data = data
        self.gas_used = gas_used
        what = "transaction" if gas_used is not None else "call"
        super().__init__(f"{contract}.{method} reverted ({what} from {sender}): {reason}")
