"""ABI encoding and decoding, once, above every engine.

Keeping this above the engine seam is what makes a revert read the same on every engine.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from eth_abi import decode, encode, is_encodable
from eth_abi.exceptions import EncodingError
from eth_utils import keccak, to_checksum_address

from .engines._base import Log
from .errors import ArgumentTypeError, ConfigError

#: Solidity's built-in revert payloads.
_ERROR_STRING = keccak(text="Error(string)")[:4]
_PANIC = keccak(text="Panic(uint256)")[:4]
#: What a custom error means, where its name alone misleads; filled in with its arguments.
_MEANINGS = {
    "UnknownContribution": "the trainer has no contribution {id} by {contributor} with exactly this sample and "
                           "label (it finds a contribution by the account that sends the refund, so only the "
                           "contributor can refund it)",
}
#: https://docs.soliditylang.org/en/latest/control-structures.html#panic-via-assert-and-error-via-require
_PANIC_CODES = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "bad storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


def type_string(param: dict) -> str:
    """The canonical ABI type of one parameter, expanding tuples (structs)."""
    kind = param["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(type_string(c) for c in param["components"]) + ")" + kind[5:]
    return kind


_INTEGER_TYPE = re.compile(r"^(u?)int(\d*)(\[\])?$")
#: An array type: its element type and its length ("" for a dynamic array).
ARRAY_TYPE = re.compile(r"^(.*)\[(\d*)\]$")


def _integer_word(value: Any, signed: bool, bits: int) -> bytes:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise EncodingError(f"{value!r} is not an integer")
    value = int(value)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if not low <= value <= high:
        raise EncodingError(f"{value} does not fit {'' if signed else 'u'}int{bits}")
    return value.to_bytes(32, "big", signed=signed)


def _fast_encoder(types: list[str]) -> Callable[[tuple], bytes] | None:
    """A direct encoder for arguments that are all integers or integer arrays, else None.

    Models take arrays of feature indices or fixed-point values; eth_abi validates and encodes
    them element by element at several microseconds each, which on the revm engine costs as much
    as running the transaction. The result is byte-identical to eth_abi's (a test checks it).
    """
    parsed = []
    for kind in types:
        match = _INTEGER_TYPE.match(kind)
        if match is None:
            return None
        parsed.append((match[1] == "", int(match[2] or 256), match[3] is not None))

    def encode_arguments(args: tuple) -> bytes:
        if len(args) != len(parsed):
            raise EncodingError(f"expected {len(parsed)} arguments, got {len(args)}")
        heads, tails, offset = [], [], 32 * len(parsed)
        for (signed, bits, is_array), value in zip(parsed, args):
            if not is_array:
                heads.append(_integer_word(value, signed, bits))
                continue
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
                raise EncodingError(f"{value!r} is not a list")
            tail = len(value).to_bytes(32, "big") + b"".join(_integer_word(v, signed, bits) for v in value)
            heads.append(offset.to_bytes(32, "big"))
            tails.append(tail)
            offset += len(tail)
        return b"".join(heads + tails)

    return encode_arguments


def expected(kind: str) -> str:
    """What a value of ABI type ``kind`` looks like in Python, as a phrase for error messages."""
    array = ARRAY_TYPE.match(kind)
    if array:
        count = f"{array[2]} items" if array[2] else "items"
        return f"a list of {count}, each {expected(array[1])}"
    integer = _INTEGER_TYPE.match(kind)
    if integer:
        bits, signed = int(integer[2] or 256), integer[1] == ""
        if bits > 64:  # too many digits to read: a power of two instead
            return f"a whole number from -2**{bits - 1} to 2**{bits - 1} - 1" if signed else \
                f"a whole number from 0 to 2**{bits} - 1"
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        return f"a whole number from {low:,} to {high:,}"
    if kind == "address":
        return "an address (an account such as lab.accounts.alice, a contract's .address, or a '0x…' string)"
    if kind == "bool":
        return "True or False"
    if kind == "string":
        return "a str"
    if kind == "bytes":
        return "bytes (b'…' or bytes.fromhex('…'))"
    if kind.startswith("bytes"):
        return f"at most {kind[5:]} bytes"
    if kind.startswith("("):
        return f"a tuple {kind}"
    return f"a value of type {kind}"


def _fits(kind: str, value: Any) -> bool:
    """Whether ``value`` encodes as ``kind``; integers as the fast encoder takes them (NumPy too)."""
    array = ARRAY_TYPE.match(kind)
    if array and isinstance(value, (list, tuple, np.ndarray)):
        return (not array[2] or len(value) == int(array[2])) and all(_fits(array[1], v) for v in value)
    integer = _INTEGER_TYPE.match(kind)
    if integer and not integer[3]:
        try:
            _integer_word(value, integer[1] == "", int(integer[2] or 256))
            return True
        except EncodingError:
            return False
    return is_encodable(kind, value)


def _right_kind(kind: str, value: Any) -> bool:
    """Whether ``value`` is of the right kind for ``kind`` (so only its size or range is wrong)."""
    if kind.endswith("]"):
        return isinstance(value, (list, tuple, np.ndarray))
    if _INTEGER_TYPE.match(kind):
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if kind.startswith("bytes"):
        return isinstance(value, (bytes, bytearray))
    return kind in ("address", "string") and isinstance(value, str)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def signature(item: dict) -> str:
    return f"{item['name']}({','.join(type_string(p) for p in item.get('inputs', []))})"


def _python(value: Any) -> Any:
    """Plain Python values: checksummed addresses, lists instead of tuples for arrays."""
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    if isinstance(value, tuple):
        return [_python(v) for v in value]
    return value


@dataclass(frozen=True)
class Function:
    abi: dict

    @property
    def name(self) -> str:
        return self.abi["name"]

    @functools.cached_property
    def selector(self) -> bytes:
        return keccak(text=signature(self.abi))[:4]

    @property
    def is_view(self) -> bool:
        return self.abi.get("stateMutability") in ("view", "pure")

    @property
    def payable(self) -> bool:
        return self.abi.get("stateMutability") == "payable"

    @property
    def input_types(self) -> list[str]:
        return [type_string(p) for p in self.abi.get("inputs", [])]

    @functools.cached_property
    def _encode_arguments(self) -> Callable[[tuple], bytes]:
        return _fast_encoder(self.input_types) or (lambda args: encode(self.input_types, list(args)))

    @property
    def parameters(self) -> str:
        """The parameters as a person reads them: ``uint256 amount, string note``."""
        return ", ".join(f"{type_string(p)} {p['name']}".strip() for p in self.abi.get("inputs", []))

    def encode(self, args: tuple) -> bytes:
        try:
            return self.selector + self._encode_arguments(args)
        except EncodingError as error:
            raise self._explain(args) from error

    def _explain(self, args: tuple) -> ConfigError:
        """Which argument could not be encoded, and what it should have been."""
        for i, (param, value) in enumerate(zip(self.abi.get("inputs", []), args)):
            kind = type_string(param)
            if _fits(kind, value):
                continue
            error = ConfigError if _right_kind(kind, value) else ArgumentTypeError
            name = f" ({param['name']})" if param["name"] else ""
            return error(f"{self.name}({self.parameters}): argument {i + 1}{name} must be {expected(kind)}, "
                         f"not {_short(value)}.")
        return ConfigError(f"{self.name}({self.parameters}) cannot take {_short(list(args))}.")

    def decode_output(self, data: bytes) -> Any:
        outputs = self.abi.get("outputs", [])
        if not outputs:
            return None
        values = [_python(v) for v in decode([type_string(p) for p in outputs], data)]
        return values[0] if len(values) == 1 else tuple(values)


@dataclass(frozen=True)
class Event:
    """A decoded event: which contract emitted it, its name and its arguments by name."""

    address: str
    name: str
    args: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.args[key]


def event_topic(item: dict) -> bytes:
    return keccak(text=signature(item))


def decode_event(item: dict, log: Log) -> Event:
    inputs = item.get("inputs", [])
    indexed = [p for p in inputs if p.get("indexed")]
    plain = [p for p in inputs if not p.get("indexed")]
    plain_values = decode([type_string(p) for p in plain], log.data)
    values: dict[str, Any] = {}
    for param, topic in zip(indexed, log.topics[1:]):
        kind = type_string(param)
        # Indexed dynamic values are stored as their hash and cannot be recovered.
        is_dynamic = kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")
        values[param["name"]] = topic if is_dynamic else _python(decode([kind], topic)[0])
    for param, value in zip(plain, plain_values):
        values[param["name"]] = _python(value)
    ordered = {p["name"]: values[p["name"]] for p in inputs}
    return Event(address=log.address, name=item["name"], args=ordered)


@dataclass(frozen=True)
class DecodedRevert:
    reason: str
    name: str | None
    args: dict[str, Any]


def decode_revert(data: bytes, errors: dict[bytes, dict]) -> DecodedRevert:
    """Turn revert data into a sentence, using every custom error the lab knows."""
    if not data:
        return DecodedRevert("reverted without a reason", None, {})
    selector, body = data[:4], data[4:]
    try:
        if selector == _ERROR_STRING:
            (message,) = decode(["string"], body)
            return DecodedRevert(message, "Error", {"message": message})
        if selector == _PANIC:
            (code,) = decode(["uint256"], body)
            text = _PANIC_CODES.get(code, "unknown panic")
            return DecodedRevert(f"panic 0x{code:02x}: {text}", "Panic", {"code": code})
        if selector in errors:
            item = errors[selector]
            inputs = item.get("inputs", [])
            values = decode([type_string(p) for p in inputs], body)
            args = {p["name"] or f"arg{i}": _python(v) for i, (p, v) in enumerate(zip(inputs, values))}
            shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
            meaning = _MEANINGS.get(item["name"])
            explained = f": {meaning.format(**args)}" if meaning else ""
            return DecodedRevert(f"{item['name']}({shown}){explained}", item["name"], args)
    except Exception:  # malformed revert data: fall through to the raw bytes
        pass
    return DecodedRevert(f"reverted with unknown data 0x{data.hex()}", None, {})
