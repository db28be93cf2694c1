"""Proof that a trainer on chain is what its code claims: who created it, and with what.

``lab.attach`` trusts a trainer only if its runtime code is one of the lab's artifacts *and* a
transaction created it with exactly that artifact's creation code and ABI-encoded constructor
arguments: runtime code alone says nothing about what creation code wrote into storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError

from ..chain._abi import type_string
from ..chain._artifacts import load_artifact
from ..chain.contract import matches_artifact
from ..errors import ConfigError, NotSupportedError

if TYPE_CHECKING:
    from ..lab import Lab


def matching_artifact(code: bytes, names: Iterable[str]) -> str | None:
    """The artifact among ``names`` whose deployed code equals ``code`` once immutables are masked."""
    return next((name for name in names if matches_artifact(code, load_artifact(name))), None)


def check_creation(lab: Lab, address: str, name: str) -> None:
    """Refuse the trainer at ``address`` unless a transaction created it with exactly artifact
    ``name``'s creation code followed by the ABI encoding of constructor arguments.

    Runtime code says nothing about storage: creation code of one's own may write a contribution
    record that nobody paid for and then return the genuine runtime code, and the record's ether is
    later taken from honest deposits. The genuine creation code writes only what its constructor
    means to, and the arguments are public and checked by that constructor.
    """
    try:
        creation = lab._engine.creation(address)
    except NotSupportedError as error:
        raise NotSupportedError(f"lab.attach cannot verify the trainer at {address} on this node: {error}") from error
    unproven = f"so nothing shows that its storage holds only what the {name} constructor wrote"
    if creation is None:
        raise ConfigError(f"this chain has no record of how the contract at {address} was created, {unproven}.")
    if creation.by_contract:
        during = f" while transaction {creation.tx_hash} ran" if creation.tx_hash else ""
        raise ConfigError(f"the contract at {address} was created by another contract{during}, not deployed by a "
                          f"transaction: the code that created it cannot be checked, {unproven}. Attach trainers "
                          f"deployed straight from an account (as lab.deploy does).")
    artifact = load_artifact(name)
    bytecode = bytes.fromhex(artifact["bytecode"].removeprefix("0x"))
    if not creation.initcode.startswith(bytecode):
        raise ConfigError(f"the contract at {address} has {name}'s code but was created by other creation code "
                          f"(transaction {creation.tx_hash}), which may have written anything into its storage "
                          f"(a contribution nobody paid for, say) before returning that code: refused.")
    arguments = creation.initcode[len(bytecode):]
    types = _constructor_types(artifact)
    if not _is_abi_encoding(arguments, types):
        raise ConfigError(f"the contract at {address} was created by {name}'s creation code followed by "
                          f"{len(arguments)} bytes that are not exactly the ABI encoding of its constructor "
                          f"arguments ({', '.join(types)}) (transaction {creation.tx_hash}): refused.")


def _constructor_types(artifact: dict) -> list[str]:
    constructor = next((item for item in artifact["abi"] if item["type"] == "constructor"), {"inputs": []})
    return [type_string(parameter) for parameter in constructor["inputs"]]


def _is_abi_encoding(data: bytes, types: list[str]) -> bool:
    """Whether ``data`` is exactly the ABI encoding of values of ``types``: it decodes, and encoding
    the values again gives the same bytes (no trailing bytes, no unusual layout)."""
    try:
        return encode(types, decode(types, data)) == data
    except DecodingError:
        return False
