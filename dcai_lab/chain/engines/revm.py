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

import functools
import re
from typing import Iterator, NamedTuple

from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import ValidationError, to_checksum_address
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
    CallResult,
    Creation,
    Engine,
    Log,
    Receipt,
)

_ZERO_ADDRESS = "0x" + "00" * 20
_ZERO_HASH = b"\0" * 32
_EMPTY_CODE_HASH = keccak(b"").hex()

# The journal dump is revm's `Debug` text of `JournaledState`. It is cut with `str.partition`
# rather than one regular expression: `re` costs ~7 ns a character and a dump is ~10 kB a call.
_STATE_PREFIX = "JournaledState { state: {"
_ACCOUNT_HEAD = ": Account { info: AccountInfo { balance: "
_SLOT_HEAD = ": StorageSlot { previous_or_original_value: "
# Only read for code created in the transaction; an analysed bytecode is padded, `len` is its size.
_CODE = re.compile(r"Some\(Bytecode \{ bytecode: 0x([0-9a-f]*), state: (?:Raw|Analysed \{ len: (\d+))")
_REVERT_OUTPUT = re.compile(r"^Revert \{ gas_used: \d+, output: 0x([0-9a-f]*) \}$")
# An exceptional halt because the gas ran out (of any kind: basic, memory, precompile…).
_OUT_OF_GAS = "Halt { reason: OutOfGas("


class _Account(NamedTuple):
    balance: int
    nonce: int
    code_hash: str  # hex, no 0x: compared with the dump's as text
    code: bytes
    # How its code was created: part of the account, so the undo log takes it back with the code.
    creation: Creation | None = None


_EMPTY = _Account(0, 0, _EMPTY_CODE_HASH, b"")


@functools.lru_cache(maxsize=64)
def _mix_hash(number: int) -> bytes:
    """Block `number`'s prevrandao, as `pyevm` fixes it (the genesis block keeps zero)."""
    return keccak(number.to_bytes(32, "big")) if number else _ZERO_HASH


@functools.cache
def _derive_accounts() -> tuple[str, ...]:
    """The funded addresses (the same as eth-tester's); derived once, it takes a quarter second."""
    Account.enable_unaudited_hdwallet_features()
    return tuple(
        Account.from_mnemonic(MNEMONIC, account_path=f"{HD_PATH}/{i}").address
        for i in range(N_ACCOUNTS)
    )


def _parse_accounts(dump: str) -> Iterator[tuple[str, str, str, str, str, str, str]]:
    """(address, balance, nonce, code hash, code, storage, status) of each account in the dump,
    as text."""
    if not dump.startswith(_STATE_PREFIX):
        raise RuntimeError("unexpected pyrevm journal dump; this engine needs pyrevm 0.3.7")
    chunks = dump[: dump.index("}, transient_storage: ")].split(_ACCOUNT_HEAD)
    for before, chunk in zip(chunks, chunks[1:]):
        balance, _, rest = chunk.partition(", nonce: ")
        nonce, _, rest = rest.partition(", code_hash: 0x")
        code_hash, rest = rest[:64], rest[72:]  # 72: the hash and ", code: "
        code, _, rest = rest.partition(" }, storage: {")
        storage, _, status = rest.partition("}, status: AccountStatus(")
        yield "0x" + before[-40:], balance, nonce, code_hash, code, storage, status[: status.index(")")]


def _changed_slots(storage: str) -> Iterator[tuple[int, int]]:
    """(slot, new value) of each slot in an account's dumped storage that the transaction changed."""
    pieces = storage.split(_SLOT_HEAD)  # "k", "v, present_value: w }, k", ..., "v, present_value: w }"
    key = pieces[0]
    for piece in pieces[1:]:
        original, _, rest = piece.partition(", present_value: ")
        present, _, next_key = rest.partition(" }")
        if original != present:
            yield int(key), int(present)
        key = next_key[2:]  # after ", "


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
        # Previous values of the accounts and slots written since the oldest live snapshot, newest
        # last: what `revert` replays. Nothing is kept while no snapshot is live.
        self._undo: list[tuple[str, int | None, _Account | int]] = []
        self._snapshots: list[tuple[int, int, int, int, int]] = []  # (id, undo length, clock, logs)
        self._logs: list[Log] = []
        self._codes: set[str] = set()  # hashes of the code revm's database holds
        self._last_snapshot = 0
        self._number, self._timestamp = 0, GENESIS_TIMESTAMP
        self._accounts = list(_derive_accounts())
        self._senders = {address.lower() for address in self._accounts}
        for address in self._senders:
            self._put_account(address, _EMPTY._replace(balance=INITIAL_BALANCE))

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
        if sender not in self._senders:  # as on `pyevm` and a node: no key, no transaction
            raise ValidationError(f"{sender} is not one of this engine's accounts")
        number, timestamp = self._number + 1, self._timestamp + 1
        self._set_block(number, timestamp, _mix_hash(number))
        checkpoint = evm.snapshot()
        gas = gas or TX_GAS_CAP
        try:
            success, output, address, out_of_gas = self._execute(sender, to, data, value, gas)
            result, dump = evm.result, evm.journal_str
        finally:
            evm.revert(checkpoint)
        nonce = self._state.get(sender, _EMPTY).nonce
        tx_hash = "0x" + keccak(bytes.fromhex(sender[2:]) + nonce.to_bytes(32, "big")).hex()
        # A message call leaves the sender's nonce alone; a deployment bumps it inside revm.
        self._write_back(dump, bump_nonce=sender if to is not None else None,
                         deployment=(tx_hash, address.lower() if address else None, data))
        self._number, self._timestamp = number, timestamp
        logs = tuple(Log(log.address, tuple(log.data[0]), log.data[1]) for log in result.logs)
        self._logs.extend(Log(log.address, log.topics, log.data, number, timestamp) for log in logs)
        return Receipt(
            tx_hash=tx_hash,
            success=success,
            gas_used=result.gas_used,
            block_number=number,
            timestamp=timestamp,
            contract_address=to_checksum_address(address) if address else None,
            logs=logs,
            output=output,
            gas_limit=gas,
            out_of_gas=out_of_gas,
        )

    def call(self, sender: str, to: str, data: bytes, value: int = 0) -> CallResult:
        # Calls run on the latest block's header, with its prevrandao.
        number = self._number
        self._set_block(number, self._timestamp, _mix_hash(number))
        checkpoint = self._evm.snapshot()
        try:
            success, output, _, out_of_gas = self._execute(sender, to, data, value, TX_GAS_CAP)
            return CallResult(success, output, out_of_gas)
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

    def creation(self, address: str) -> Creation | None:
        return self._state.get(address.lower(), _EMPTY).creation

    @property
    def block_number(self) -> int:
        return self._number

    @property
    def timestamp(self) -> int:
        return self._timestamp

    def mine(self, blocks: int = 1, seconds: int = 1) -> None:
        self._number += blocks
        self._timestamp += seconds + blocks - 1

    def logs(self, address: str, from_block: int = 0) -> list[Log]:
        address = address.lower()
        return [log for log in self._logs if log.block_number >= from_block and log.address.lower() == address]

    def snapshot(self) -> int:
        self._last_snapshot += 1
        self._snapshots.append((self._last_snapshot, len(self._undo), self._number, self._timestamp, len(self._logs)))
        return self._last_snapshot

    def revert(self, snapshot: int) -> None:
        """Undo back to ``snapshot``, which stays usable; snapshots taken after it are dropped."""
        index = next((i for i, (id_, *_) in enumerate(self._snapshots) if id_ == snapshot), None)
        if index is None:
            raise ValueError(f"unknown snapshot {snapshot!r} (reverted past, or not from this engine)")
        _, undo_len, self._number, self._timestamp, logs_len = self._snapshots[index]
        del self._logs[logs_len:]
        del self._snapshots[index + 1 :]
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
    ) -> tuple[bool, bytes, str | None, bool]:
        """Run one message: (success, output, created address, ran out of gas). A failure's output
        is its revert data (empty for a halt); a transaction revm refuses to start is a
        ``ValidationError``, as on ``pyevm``."""
        try:
            if to is None:
                return True, b"", self._evm.deploy(sender, data, value, gas), False
            return True, self._evm.message_call(sender, to, data, value, gas), None, False
        except RuntimeError as error:
            if self._evm.result is None:
                raise ValidationError(str(error)) from None
            match = _REVERT_OUTPUT.match(str(error))
            return False, (bytes.fromhex(match[1]) if match else b""), None, str(error).startswith(_OUT_OF_GAS)

    def _write_back(self, dump: str, bump_nonce: str | None, deployment: tuple[str, str | None, bytes]) -> None:
        """Put what a transaction changed (read from the journal dump) back into revm, cold.

        ``deployment`` is (transaction hash, address it deployed or None, its data): an account
        that gains code records that transaction as its creation, with the data as creation code
        if the transaction deployed it, else as created by a contract."""
        slots = []
        for address, balance, nonce, code_hash, code, storage, status in _parse_accounts(dump):
            old = self._state.get(address, _EMPTY)
            destroyed = "SelfDestructed" in status  # EIP-6780: created and destroyed in this tx
            if destroyed:
                new = _EMPTY
            else:
                if code_hash == old.code_hash:
                    code, creation = old.code, old.creation
                else:
                    hex_code, length = _CODE.match(code).groups()
                    code = bytes.fromhex(hex_code)[: int(length) if length else None]
                    tx_hash, deployed, data = deployment
                    creation = Creation(tx_hash, False, data) if address == deployed else Creation(tx_hash, True, None)
                new = _Account(int(balance), int(nonce) + (address == bump_nonce), code_hash, code, creation)
            if new != old:
                if self._snapshots:
                    self._undo.append((address, None, old))
                self._put_account(address, new)
            if storage and not destroyed:
                slots.extend((address, slot, value) for slot, value in _changed_slots(storage))
        if self._snapshots:
            self._undo.extend((a, slot, self._storage.get(a, {}).get(slot, 0)) for a, slot, _ in slots)
        self._put_slots(slots)

    def _put_account(self, address: str, account: _Account) -> None:
        """Write an account into revm's database. Code it already holds is named by its hash alone:
        revm loads code by hash when it runs it, and handing over a contract's code again would
        hash and copy it (~20 µs for a trainer) on every transaction that changes its balance."""
        self._state[address] = account
        if not account.code or account.code_hash in self._codes:
            info = AccountInfo(balance=account.balance, nonce=account.nonce, code_hash=bytes.fromhex(account.code_hash))
        else:
            info = AccountInfo(balance=account.balance, nonce=account.nonce, code=account.code)
            self._codes.add(account.code_hash)
        self._evm.insert_account_info(address, info)

    def _put_slots(self, slots: list[tuple[str, int, int]]) -> None:
        """Write slots into revm's database. pyrevm writes a slot there only while its account is
        out of the journal, and the write also warms the account: hence one checkpoint per slot."""
        evm, storage = self._evm, self._storage
        for address, slot, value in slots:
            storage.setdefault(address, {})[slot] = value
            checkpoint = evm.snapshot()
            evm.insert_account_storage(address, slot, value)
            evm.revert(checkpoint)
