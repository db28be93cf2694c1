"""The fast engine: revm (Rust) through pyrevm, all in this process, gas for gas like ``pyevm``.

pyrevm 0.3.7 keeps one open journal for the whole life of an ``EVM``: it never runs revm's
end-of-transaction finalisation, so every account and slot ever touched would stay warm and each
slot would keep the EIP-2200 "original value" of its first load, and back-to-back calls would be
charged too little gas. Each transaction therefore runs inside a journal checkpoint: afterwards its
write set is read from the journal dump, the checkpoint is reverted (which makes everything cold
again) and the writes are put back into the database underneath the journal, where they are cold.

This engine keeps its own copy of the state (accounts and written slots). It is what
``balance``, ``nonce``, ``code`` and ``storage_at`` read, so reads never warm anything, and it
carries an undo log, which is what ``snapshot`` and ``revert`` use.

Parsing the journal dump ties this module to pyrevm 0.3.7 (pinned); a dump it cannot parse is an
error, never a silent mismatch.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from eth_account import Account
from eth_utils import ValidationError, keccak, to_checksum_address
from pyrevm import EVM, AccountInfo, BlockEnv, CfgEnv, Env

from ._base import (
    BLOCK_GAS_LIMIT,
    CHAIN_ID,
    GENESIS_TIMESTAMP,
    HD_PATH,
    INITIAL_BALANCE,
    MNEMONIC,
    N_ACCOUNTS,
    TX_GAS_CAP,
    Engine,
    Log,
    Receipt,
)

_ZERO_ADDRESS = "0x" + "00" * 20
_ZERO_HASH = b"\0" * 32
_EMPTY_CODE_HASH = keccak(b"").hex()

# One account of the journal dump (revm's `Debug` of `JournaledState.state`). The code is only
# read for accounts whose code hash changed; an analysed bytecode is padded, `len` is its size.
_ACCOUNT = re.compile(
    r"0x([0-9a-f]{40}): Account \{ info: AccountInfo \{ balance: (\d+), nonce: (\d+), "
    r"code_hash: 0x([0-9a-f]{64}), code: (?:None|Some\(Bytecode \{ bytecode: 0x([0-9a-f]*), "
    r'state: (?:Raw|Analysed \{ len: (\d+), jump_map: JumpMap \{ map: "[0-9a-f]*" \} \}) \}\)) \}, '
    r"storage: \{((?:[^{}]|\{[^{}]*\})*)\}, status: AccountStatus\(([^)]*)\) \}"
)
_SLOT = re.compile(r"(\d+): StorageSlot \{ previous_or_original_value: (\d+), present_value: (\d+) \}")
_REVERT_OUTPUT = re.compile(r"^Revert \{ gas_used: \d+, output: 0x([0-9a-f]*) \}$")


class _Account(NamedTuple):
    balance: int
    nonce: int
    code_hash: str  # hex, no 0x: compared with the dump's as text
    code: bytes


_EMPTY = _Account(0, 0, _EMPTY_CODE_HASH, b"")


def _mix_hash(number: int) -> bytes:
    """What `pyevm` seals block `number` with (the genesis block keeps zero)."""
    return keccak(number.to_bytes(32, "big")) if number else _ZERO_HASH


def _derive_accounts() -> list[str]:
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(MNEMONIC, account_path=f"{HD_PATH}/{i}").address
        for i in range(N_ACCOUNTS)
    ]


class RevmEngine(Engine):
    """revm through pyrevm, pinned to Cancun rules and the same clock and gas as ``pyevm``.

    BLOCKHASH differs from ``pyevm`` (block hashes depend on state roots, which revm does not
    compute), and so do transaction hashes, which are keccak(sender, nonce).
    """

    name = "revm"
    exact_gas = True

    def __init__(self) -> None:
        self._evm = EVM(
            env=Env(cfg=CfgEnv(chain_id=CHAIN_ID)), gas_limit=BLOCK_GAS_LIMIT, spec_id="Cancun"
        )
        self._state: dict[str, _Account] = {}
        self._storage: dict[str, dict[int, int]] = {}
        # Previous values of every account and slot written, newest last: what `revert` replays.
        self._undo: list[tuple[str, int | None, _Account | int]] = []
        self._snapshots: list[tuple[int, int, int]] = []
        self._number, self._timestamp = 0, GENESIS_TIMESTAMP
        self._accounts = _derive_accounts()
        for address in self._accounts:
            self._put_account(address.lower(), _EMPTY._replace(balance=INITIAL_BALANCE))

    @property
    def accounts(self) -> list[str]:
        return list(self._accounts)

    @property
    def chain_id(self) -> int:
        return CHAIN_ID

    def transact(
        self, sender: str, to: str | None, data: bytes, value: int = 0, gas: int | None = None
    ) -> Receipt:
        evm, sender = self._evm, sender.lower()
        number, timestamp = self._number + 1, self._timestamp + 1
        # `pyevm` gives a block its mix hash only when sealing it: its transactions see zero.
        self._set_block(number, timestamp, _ZERO_HASH)
        checkpoint = evm.snapshot()
        try:
            output, address = self._execute(sender, to, data, value, gas or TX_GAS_CAP)
            result, dump = evm.result, evm.journal_str
        finally:
            evm.revert(checkpoint)
        nonce = self._state.get(sender, _EMPTY).nonce
        # A message call leaves the sender's nonce alone; a deployment bumps it inside revm.
        self._write_back(dump, bump_nonce=sender if to is not None else None)
        self._number, self._timestamp = number, timestamp
        return Receipt(
            tx_hash="0x" + keccak(bytes.fromhex(sender[2:]) + nonce.to_bytes(32, "big")).hex(),
            success=result.is_success,
            gas_used=result.gas_used,
            block_number=number,
            timestamp=timestamp,
            contract_address=to_checksum_address(address) if address else None,
            logs=tuple(Log(log.address, tuple(log.data[0]), log.data[1]) for log in result.logs),
            output=output,
        )

    def call(self, sender: str, to: str, data: bytes, value: int = 0) -> tuple[bool, bytes]:
        # `pyevm` runs calls on the latest block's header, sealed with its mix hash.
        number = self._number
        self._set_block(number, self._timestamp, _mix_hash(number))
        checkpoint = self._evm.snapshot()
        try:
            output, _ = self._execute(sender, to, data, value, TX_GAS_CAP)
            return self._evm.result.is_success, output
        finally:
            self._evm.revert(checkpoint)

    def balance(self, address: str) -> int:
        return self._state.get(address.lower(), _EMPTY).balance

    def nonce(self, address: str) -> int:
        return self._state.get(address.lower(), _EMPTY).nonce

    def code(self, address: str) -> bytes:
        return self._state.get(address.lower(), _EMPTY).code

    def storage_at(self, address: str, slot: int) -> int:
        return self._storage.get(address.lower(), {}).get(slot, 0)

    @property
    def block_number(self) -> int:
        return self._number

    @property
    def timestamp(self) -> int:
        return self._timestamp

    def mine(self, blocks: int = 1, seconds: int = 1) -> None:
        self._number += blocks
        self._timestamp += seconds + blocks - 1

    def snapshot(self) -> int:
        self._snapshots.append((len(self._undo), self._number, self._timestamp))
        return len(self._snapshots) - 1

    def revert(self, snapshot: int) -> None:
        if not 0 <= snapshot < len(self._snapshots):
            raise ValueError(f"unknown or already reverted snapshot {snapshot!r}")
        undo_len, self._number, self._timestamp = self._snapshots[snapshot]
        del self._snapshots[snapshot:]
        slots = []
        while len(self._undo) > undo_len:
            address, slot, old = self._undo.pop()
            if slot is None:
                self._put_account(address, old)
            else:
                slots.append((address, slot, old))
        self._put_slots(slots)

    def _set_block(self, number: int, timestamp: int, prevrandao: bytes) -> None:
        self._evm.set_block_env(
            BlockEnv(
                number=number,
                coinbase=_ZERO_ADDRESS,
                timestamp=timestamp,
                prevrandao=prevrandao,
                basefee=0,
                gas_limit=BLOCK_GAS_LIMIT,
                excess_blob_gas=0,
            )
        )

    def _execute(
        self, sender: str, to: str | None, data: bytes, value: int, gas: int
    ) -> tuple[bytes, str | None]:
        """Run one message: (output, created address). A failure's output is its revert data
        (empty for a halt); a transaction revm refuses to start is a ``ValidationError``, as on
        ``pyevm``."""
        try:
            if to is None:
                return b"", self._evm.deploy(sender, data, value, gas)
            return self._evm.message_call(sender, to, data, value, gas), None
        except RuntimeError as error:
            if self._evm.result is None:
                raise ValidationError(str(error)) from None
            match = _REVERT_OUTPUT.match(str(error))
            return (bytes.fromhex(match[1]) if match else b""), None

    def _write_back(self, dump: str, bump_nonce: str | None) -> None:
        """Put what a transaction changed (read from the journal dump) back into revm, cold."""
        state = dump[: dump.index("}, transient_storage: ")]
        slots = []
        n_accounts = 0
        for match in _ACCOUNT.finditer(state):
            n_accounts += 1
            hex_address, balance, nonce, code_hash, code, code_len, storage, status = match.groups()
            address = "0x" + hex_address
            old = self._state.get(address, _EMPTY)
            if "SelfDestructed" in status:  # EIP-6780: created and destroyed in this transaction
                new = _EMPTY
            else:
                if code_hash == old.code_hash:
                    code = old.code
                else:  # created in this transaction: analysed code is padded, `len` is its size
                    code = bytes.fromhex(code)[: int(code_len) if code_len else None]
                new = _Account(int(balance), int(nonce) + (address == bump_nonce), code_hash, code)
            if new != old:
                self._undo.append((address, None, old))
                self._put_account(address, new)
            if storage and new is not _EMPTY:
                written = self._storage.get(address, {})
                for key, original, present in _SLOT.findall(storage):
                    if original != present:
                        slot = int(key)
                        self._undo.append((address, slot, written.get(slot, 0)))
                        slots.append((address, slot, int(present)))
        if n_accounts != state.count(": Account { "):
            raise RuntimeError("pyrevm's journal dump changed format; this engine needs 0.3.7")
        self._put_slots(slots)

    def _put_account(self, address: str, account: _Account) -> None:
        self._state[address] = account
        self._evm.insert_account_info(
            address, AccountInfo(balance=account.balance, nonce=account.nonce, code=account.code or None)
        )

    def _put_slots(self, slots: list[tuple[str, int, int]]) -> None:
        """Write slots into revm's database. pyrevm writes a slot there only while its account is
        out of the journal, and the write also warms the account: hence one checkpoint per slot."""
        evm, storage = self._evm, self._storage
        for address, slot, value in slots:
            storage.setdefault(address, {})[slot] = value
            checkpoint = evm.snapshot()
            evm.insert_account_storage(address, slot, value)
            evm.revert(checkpoint)
