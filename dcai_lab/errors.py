"""Everything dcai-lab raises on purpose.

    DcaiLabError                    base of every error the lab raises on purpose
    ├── RevertError                 a transaction or call reverted; carries contract, method,
    │   │                           sender and the decoded reason
    │   └── OutOfGasError           it used all the gas it was given; carries the limit
    ├── ConfigError (ValueError)    a bad argument: the message says what to pass instead
    │   ├── ArgumentTypeError (TypeError)
    │   │                           an argument of the wrong kind (a string where a number belongs)
    │   └── UnknownNameError (KeyError)
    │                               no model or mechanism of that name (the trainers' registry)
    ├── NotSupportedError (NotImplementedError)
    │                               the engine or node cannot do this (e.g. no snapshots)
    ├── NodeError (RuntimeError)    a JSON-RPC node refused a request (not a revert)
    ├── ArtifactNotFoundError (KeyError)
    │                               no compiled contract of that name
    └── BuildError (RuntimeError)   the Solidity build failed or cannot run here

Misuse errors also subclass the builtin that fits, so ``except ValueError`` keeps working; an
``ArgumentTypeError`` is a ``ConfigError`` too, so ``except ConfigError`` catches every misuse.
``whole_number`` and ``real_number`` check the numbers people type, with those errors.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


class DcaiLabError(Exception):
    """Base class of every error dcai-lab raises on purpose."""


class ConfigError(DcaiLabError, ValueError):
    """An argument the lab cannot use."""


class ArgumentTypeError(ConfigError, TypeError):
    """An argument of the wrong kind: the message says which kind to pass."""


class NotSupportedError(DcaiLabError, NotImplementedError):
    """The engine, or the node behind it, does not offer this feature."""


class NodeError(DcaiLabError, RuntimeError):
    """A JSON-RPC node answered a request with an error that is not a revert."""


class BuildError(DcaiLabError, RuntimeError):
    """Compiling the contracts failed, or no pinned compiler is available."""


class ArtifactNotFoundError(DcaiLabError, KeyError):
    """No compiled contract of that name; a KeyError, as for any lookup by name."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


class UnknownNameError(ConfigError, KeyError):
    """A model or mechanism name the lab does not know; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


class RevertError(DcaiLabError):
    """A transaction or call reverted.

    ``reason`` is the decoded reason as a sentence: the ``require`` message, or the custom error
    with its arguments (``StillLocked(currentTime=1735689602, unlocksAt=1735776001)``).
    ``error_name`` is ``"Error"`` for a ``require`` string, ``"Panic"`` for a failed assert or
    arithmetic, ``"OutOfGas"`` when it ran out of gas, the custom error's name otherwise, and
    ``None`` when the revert carried no data.
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


class OutOfGasError(RevertError):
    """A transaction used all ``gas_limit`` gas it was given and stopped: everything it did is
    undone, and the reason says how to give it less work."""

    @property
    def gas_limit(self) -> int:
        return self.error_args["gasLimit"]


def whole_number(name: str, value: Any, low: int | None = None, high: int | None = None, *,
                 hint: str = "") -> int:
    """``value`` as an ``int`` if it is a whole number in ``low … high``; else the error that says
    what to pass. People type ``"10"``, ``1e3`` or ``True`` where the lab needs an ``int``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be a whole number{_range(low, high)}, not {value!r}"
                                f" ({type(value).__name__}).{hint}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{name} must be a whole number{_range(low, high)}, not {value!r}.{hint}")
    return int(value)


def real_number(name: str, value: Any, low: float, high: float | None = None, *, hint: str = "") -> float:
    """``value`` as a ``float`` if it is a finite number in ``low … high``; else the error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a number{_range(low, high)}, not {value!r}"
                                f" ({type(value).__name__}).{hint}")
    if not math.isfinite(value) or value < low or (high is not None and value > high):
        raise ConfigError(f"{name} must be a number{_range(low, high)}, not {value!r}.{hint}")
    return float(value)


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {_show(low)} to {_show(high)}"
    if low is not None:
        return f" ({_show(low)} or more)"
    return "" if high is None else f" of at most {_show(high)}"


def _show(number: float) -> str:
    return f"{number:,}" if isinstance(number, int) else f"{number:g}"
