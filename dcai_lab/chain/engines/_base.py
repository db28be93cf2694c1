"""The seam between the Lab and an execution engine.

An engine knows how to run raw transactions and calls on one chain: bytes in, bytes out. It knows
nothing of ABIs, contracts, models or incentives; the Lab does all encoding and decoding above this
seam, so a revert is decoded the same way whichever engine ran it.

Every engine follows the same clock: each transaction is mined in a block of its own, one second
after the latest block, so the same script gives the same block numbers and timestamps everywhere.
Fees are zero on the in-memory engines: balances change only by the ether a transaction sends, and
gas is measured, not charged.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, NamedTuple

from eth_utils import to_checksum_address

#: The per-transaction gas cap of current Ethereum (EIP-7825): no lab transaction sends more.
TX_GAS_CAP = 16_777_216
#: Block gas limit of the in-memory chains: large enough that a capped transaction never moves the
#: EIP-1559 base fee off zero (the base fee rises only when a block is more than half full).
BLOCK_GAS_LIMIT = 60_000_000
#: Chain id shared by every in-memory engine (eth-tester's), so signatures agree across engines.
CHAIN_ID = 131277322940537
#: Genesis time of every in-memory chain: 2025-01-01 00:00:00 UTC.
GENESIS_TIMESTAMP = 1_735_689_600
#: The well-known development mnemonic (anvil, hardhat): account 0 is 0xf39F…2266.
MNEMONIC = "test test test test test test test test test test test junk"
#: BIP-44 path prefix; account i is at f"{HD_PATH}/{i}".
HD_PATH = "m/44'/60'/0'/0"
#: How many funded accounts an in-memory chain has, and what each holds.
N_ACCOUNTS = 10
INITIAL_BALANCE = 1_000_000 * 10**18


def calldata_gas(data: bytes) -> int:
    """What a transaction's data costs before any code runs (EIP-2028): 16 gas per non-zero byte,
    4 per zero byte."""
    zeros = data.count(0)
    return 16 * (len(data) - zeros) + 4 * zeros


def base_gas(data: bytes, create: bool) -> int:
    """What any transaction costs before any code runs, its data aside: 21,000; to create a contract
    32,000 more and 2 per 32-byte word of the creation code (EIP-3860)."""
    return 21_000 + (32_000 + 2 * ((len(data) + 31) // 32) if create else 0)


def intrinsic_gas(data: bytes, create: bool) -> int:
    """Gas a transaction costs before any code runs (Cancun rules): ``base_gas`` plus
    ``calldata_gas``. A transaction given less is refused before it is mined."""
    return base_gas(data, create) + calldata_gas(data)


@dataclass(frozen=True)
class Log:
    """One event as emitted: the emitting contract, its topics and its data.

    Logs read back from the chain (``Engine.logs``) also say in which block they were mined.
    """

    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int = 0
    timestamp: int = 0


@dataclass(frozen=True)
class Receipt:
    """What a mined transaction left behind, in engine-neutral form.

    ``output`` is the return data of a successful call, or the revert data of a failed one
    (empty for a deployment that succeeded). ``gas_limit`` is the gas the transaction was given;
    ``out_of_gas`` says that it stopped because it used all of it (the engine's own verdict: the
    EVM's exceptional halt, not a guess from the numbers where the engine can tell).
    """

    tx_hash: str
    success: bool
    gas_used: int
    block_number: int
    timestamp: int
    contract_address: str | None
    logs: tuple[Log, ...]
    output: bytes
    gas_limit: int = TX_GAS_CAP
    out_of_gas: bool = False


@dataclass(frozen=True)
class Creation:
    """How a contract came to be: the transaction that created it and, when that transaction was
    itself the deployment (no ``to``), its input, the creation code that ran.

    ``by_contract`` says that another contract created it (CREATE or CREATE2) while the transaction
    ran; ``initcode`` is then None, since no engine here sees the code an inner creation ran.
    ``tx_hash`` is None only where the engine cannot tell which of a block's transactions it was.
    """

    tx_hash: str | None
    by_contract: bool
    initcode: bytes | None


class CallResult(NamedTuple):
    """What a call gave back: its return data, or its revert data when it failed; and whether it
    failed because it ran out of gas (calls get ``TX_GAS_CAP``, like transactions)."""

    success: bool
    output: bytes
    out_of_gas: bool = False


class Engine(abc.ABC):
    """A chain the Lab can drive. Addresses are checksummed hex strings."""

    #: Short name shown to users ("pyevm", "revm", "rpc").
    name: str = ""
    #: False where gas numbers are not exactly what a real node would charge.
    exact_gas: bool = True
    #: The fork whose gas rules the engine charges ("cancun" or "prague"); None where it cannot
    #: tell (a node runs whatever fork it runs).
    fork: str | None = "cancun"

    @property
    @abc.abstractmethod
    def accounts(self) -> list[str]:
        """Addresses this engine can send transactions from, in a stable order."""

    @property
    @abc.abstractmethod
    def chain_id(self) -> int: ...

    @abc.abstractmethod
    def transact(
        self, sender: str, to: str | None, data: bytes, value: int = 0, gas: int | None = None
    ) -> Receipt:
        """Mine one transaction in a new block; a revert gives ``success=False``, not an exception.

        ``to=None`` deploys ``data`` as creation code. ``gas=None`` means ``TX_GAS_CAP`` on the
        in-memory engines and an estimate on a node.
        """

    @abc.abstractmethod
    def call(self, sender: str, to: str, data: bytes, value: int = 0) -> CallResult:
        """Run a call against the latest block, with ``TX_GAS_CAP`` gas, without changing state."""

    @abc.abstractmethod
    def balance(self, address: str) -> int: ...

    @abc.abstractmethod
    def nonce(self, address: str) -> int: ...

    @abc.abstractmethod
    def code(self, address: str) -> bytes: ...

    @abc.abstractmethod
    def storage_at(self, address: str, slot: int) -> int: ...

    @abc.abstractmethod
    def creation(self, address: str) -> Creation | None:
        """How the contract now at ``address`` was created, or None for an address without code or
        one whose creation the engine finds no record of. Code alone does not show what a contract
        holds: creation code may write any storage before returning the code it deploys."""

    @property
    @abc.abstractmethod
    def block_number(self) -> int:
        """Number of the latest mined block."""

    @property
    @abc.abstractmethod
    def timestamp(self) -> int:
        """Timestamp of the latest mined block."""

    @abc.abstractmethod
    def mine(self, blocks: int = 1, seconds: int = 1) -> None:
        """Mine ``blocks`` empty blocks: the first ``seconds`` after the latest block, the rest one
        second apart."""

    @abc.abstractmethod
    def logs(self, address: str, from_block: int = 0) -> list[Log]:
        """Every log ``address`` emitted in mined blocks from ``from_block`` on, oldest first."""

    @abc.abstractmethod
    def snapshot(self) -> Any:
        """Remember the whole chain state; ``revert`` returns to it (once)."""

    @abc.abstractmethod
    def revert(self, snapshot: Any) -> None: ...

    def close(self) -> None:
        """Release what the engine holds (a process, a connection)."""


def web3_logs(w3: Any, address: str, from_block: int) -> list[Log]:
    """``Engine.logs`` for the engines that have a ``web3.Web3`` (pyevm and rpc)."""
    raw = w3.eth.get_logs({"address": address, "fromBlock": from_block, "toBlock": "latest"})
    times = {number: w3.eth.get_block(number)["timestamp"] for number in {log["blockNumber"] for log in raw}}
    return [
        Log(to_checksum_address(log["address"]), tuple(bytes(t) for t in log["topics"]), bytes(log["data"]),
            log["blockNumber"], times[log["blockNumber"]])
        for log in raw
    ]
