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
from eth_utils import is_address, keccak, to_canonical_address, to_checksum_address

from .engines._base import Log
from ..errors import ArgumentTypeError, ConfigError

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


class _Unusual(Exception):
    """A value the direct encoder leaves to eth_abi (which encodes it, or says why it cannot)."""


@functools.lru_cache(maxsize=4096)
def checksummed(address: str | bytes) -> str | None:
    """``address`` checksummed, or None if it is not an address; cached, since every transaction
    names its sender and the same few accounts come back all the time."""
    return to_checksum_address(address) if is_address(address) else None


@functools.lru_cache(maxsize=4096)
def _canonical(address: str | bytes) -> bytes | None:
    return to_canonical_address(address) if is_address(address) else None


def _address_word(value: Any) -> bytes:
    if not isinstance(value, (str, bytes)):
        raise _Unusual
    canonical = _canonical(value)
    if canonical is None:
        raise EncodingError(f"{value!r} is not an address")
    return bytes(12) + canonical


def _bytes_tail(value: Any) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise EncodingError(f"{value!r} is not bytes")
    return len(value).to_bytes(32, "big") + bytes(value) + bytes(-len(value) % 32)


def _fast_encoder(types: list[str]) -> Callable[[tuple], bytes] | None:
    """A direct encoder for arguments that are integers, integer arrays, ``bytes`` or addresses,
    else None.

    Models take arrays of feature indices or fixed-point values, trainers packed samples; eth_abi
    validates and encodes them at several microseconds an element, which on the revm engine costs
    as much as running the transaction. The result is byte-identical to eth_abi's (a test checks
    it); an address given other than as a str or bytes raises ``_Unusual``, for eth_abi to take.
    """
    parsed = []
    for kind in types:
        match = _INTEGER_TYPE.match(kind)
        if match is not None:
            parsed.append((match[1] == "", int(match[2] or 256), "array" if match[3] else "integer"))
        elif kind in ("bytes", "address"):
            parsed.append((False, 0, kind))
        else:
            return None

    def encode_arguments(args: tuple) -> bytes:
        if len(args) != len(parsed):
            raise EncodingError(f"expected {len(parsed)} arguments, got {len(args)}")
        heads, tails, offset = [], [], 32 * len(parsed)
        for (signed, bits, form), value in zip(parsed, args):
            if form == "integer":
                heads.append(_integer_word(value, signed, bits))
                continue
            if form == "address":
                heads.append(_address_word(value))
                continue
            if form == "bytes":
                tail = _bytes_tail(value)
            else:
                if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
                    raise EncodingError(f"{value!r} is not a list")
                tail = len(value).to_bytes(32, "big") + b"".join(_integer_word(v, signed, bits) for v in value)
            heads.append(offset.to_bytes(32, "big"))
            tails.append(tail)
            offset += len(tail)
        return b"".join(heads + tails)

    return encode_arguments


def _fast_decoder(types: list[str]) -> Callable[[bytes], tuple] | None:
    """A direct decoder for values that are integers, addresses, booleans or ``bytes``, else None.

    Every transaction of a trainer returns a value and emits an event; eth_abi decodes each at tens
    of microseconds. Well-formed data decodes to exactly what eth_abi gives (addresses
    checksummed); anything unusual — a value too wide for its type, dirty padding, a pointer out of
    place, too little data — raises ``_Unusual``, for eth_abi to decode or refuse in its own words.
    """
    parsed = []
    for kind in types:
        match = _INTEGER_TYPE.match(kind)
        if match is not None and not match[3]:
            bits = int(match[2] or 256)
            parsed.append((kind, -(2 ** (bits - 1)) if match[1] == "" else 0,
                           2 ** (bits - 1) if match[1] == "" else 2**bits))
        elif kind in ("address", "bool", "bytes"):
            parsed.append((kind, 0, 0))
        else:
            return None
    head_size = 32 * len(parsed)

    def decode_values(data: bytes) -> tuple:
        if len(data) < head_size:
            raise _Unusual
        values = []
        for i, (kind, low, high) in enumerate(parsed):
            word = data[32 * i:32 * i + 32]
            if kind == "address":
                if word[:12] != bytes(12):
                    raise _Unusual
                values.append(checksummed(word[12:]))
            elif kind == "bytes":
                start = int.from_bytes(word, "big")
                if not head_size <= start <= len(data) - 32:
                    raise _Unusual
                length = int.from_bytes(data[start:start + 32], "big")
                end = start + 32 + length
                padded = data[end:end + (-length % 32)]
                if len(padded) != -length % 32 or padded.count(0) != len(padded) or end > len(data):
                    raise _Unusual
                values.append(data[start + 32:end])
            elif kind == "bool":
                value = int.from_bytes(word, "big")
                if value > 1:
                    raise _Unusual
                values.append(value == 1)
            else:
                value = int.from_bytes(word, "big", signed=low < 0)
                if not low <= value < high:
                    raise _Unusual
                values.append(value)
        return tuple(values)

    return decode_values


@functools.lru_cache(maxsize=256)
def decoder(types: tuple[str, ...]) -> Callable[[bytes], tuple]:
    """Decode ``data`` as values of ``types``, as Python values (see ``_python``): directly where
    ``_fast_decoder`` can, else by eth_abi. Built once per list of types."""
    def by_eth_abi(data: bytes) -> tuple:
        return tuple(_python(v) for v in decode(list(types), data))

    fast = _fast_decoder(list(types))
    if fast is None:
        return by_eth_abi

    def decode_values(data: bytes) -> tuple:
        try:
            return fast(data)
        except _Unusual:
            return by_eth_abi(data)

    return decode_values


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
        return checksummed(value) or to_checksum_address(value)
    if isinstance(value, tuple):
        return [_python(v) for v in value]
    return value


@dataclass(frozen=True)
class Function:
    """One function of an ABI; what it takes and gives is worked out once, not on every call."""

    abi: dict

    @property
    def name(self) -> str:
        return self.abi["name"]

    @functools.cached_property
    def selector(self) -> bytes:
        return keccak(text=signature(self.abi))[:4]

    @functools.cached_property
    def is_view(self) -> bool:
        return self.abi.get("stateMutability") in ("view", "pure")

    @functools.cached_property
    def payable(self) -> bool:
        return self.abi.get("stateMutability") == "payable"

    @functools.cached_property
    def input_types(self) -> tuple[str, ...]:
        return tuple(type_string(p) for p in self.abi.get("inputs", []))

    @functools.cached_property
    def _encode_arguments(self) -> Callable[[tuple], bytes]:
        return _fast_encoder(list(self.input_types)) or self._encode_by_eth_abi

    def _encode_by_eth_abi(self, args: tuple) -> bytes:
        return encode(list(self.input_types), list(args))

    @functools.cached_property
    def _decode_outputs(self) -> Callable[[bytes], tuple] | None:
        outputs = self.abi.get("outputs", [])
        return decoder(tuple(type_string(p) for p in outputs)) if outputs else None

    @property
    def parameters(self) -> str:
        """The parameters as a person reads them: ``uint256 amount, string note``."""
        return ", ".join(f"{type_string(p)} {p['name']}".strip() for p in self.abi.get("inputs", []))

    def encode(self, args: tuple) -> bytes:
        try:
            try:
                return self.selector + self._encode_arguments(args)
            except _Unusual:
                return self.selector + self._encode_by_eth_abi(args)
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
        if self._decode_outputs is None:
            return None
        values = self._decode_outputs(data)
        return values[0] if len(values) == 1 else values


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


class EventDecoder:
    """Decodes the logs of one event of an ABI; what to read where is worked out once."""

    def __init__(self, item: dict) -> None:
        inputs = item.get("inputs", [])
        self.name: str = item["name"]
        self._names = [p["name"] for p in inputs]
        # Indexed dynamic values are stored as their hash and cannot be recovered: the topic itself.
        self._topics = [(p["name"], None if _is_dynamic(type_string(p)) else decoder((type_string(p),)))
                        for p in inputs if p.get("indexed")]
        plain = [p for p in inputs if not p.get("indexed")]
        self._plain_names = [p["name"] for p in plain]
        self._plain = decoder(tuple(type_string(p) for p in plain))

    def __call__(self, log: Log) -> Event:
        values = dict(zip(self._plain_names, self._plain(log.data)))
        for (name, decode_topic), topic in zip(self._topics, log.topics[1:]):
            values[name] = topic if decode_topic is None else decode_topic(topic)[0]
        return Event(address=log.address, name=self.name, args={name: values[name] for name in self._names})


def _is_dynamic(kind: str) -> bool:
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")


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
