"""The default engine: web3.py over eth-tester over py-evm, all in this process.

It is what tutorials teach, and ``lab.w3`` is a real ``Web3`` object on the same chain. Two things
are pinned that eth-tester leaves to chance: block timestamps (py-evm stamps new blocks with the wall
clock) and the post-merge ``prevrandao`` (eth-tester draws it from ``os.urandom``). Both are made
functions of the block number so every run gives the same chain.
"""

from __future__ import annotations

from eth.exceptions import OutOfGas
from eth.vm.forks import CancunVM, PragueVM
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils import keccak, to_canonical_address, to_checksum_address
from web3 import EthereumTesterProvider, Web3

from ._base import (
    BLOCK_GAS_LIMIT,
    GENESIS_TIMESTAMP,
    HD_PATH,
    MNEMONIC,
    N_ACCOUNTS,
    TX_GAS_CAP,
    CallResult,
    Creation,
    Engine,
    Log,
    Receipt,
    web3_logs,
)


def _mix_hash(number: int) -> bytes:
    """Block ``number``'s ``prevrandao``: fixed by the number, so every run draws the same."""
    return keccak(number.to_bytes(32, "big"))


class _DeterministicBackend(PyEVMBackend):
    """eth-tester's py-evm backend with a fixed clock and fixed block randomness.

    The pending block always sits one second after the latest mined block, unless time travel
    moved it; ``last_output`` keeps the return or revert data of the latest transaction, and
    ``last_out_of_gas`` whether it ran out of gas, which eth-tester's receipts do not carry.
    """

    def __init__(self, vm: type = CancunVM) -> None:
        genesis = {
            **PyEVMBackend.generate_genesis_params(),
            "timestamp": GENESIS_TIMESTAMP,
            "gas_limit": BLOCK_GAS_LIMIT,
            # Zero fees: balances move only by the ether a transaction sends.
            "base_fee_per_gas": 0,
        }
        super().__init__(
            genesis_parameters=genesis,
            vm_configuration=((0, vm),),
            mnemonic=MNEMONIC,
            hd_path=HD_PATH,
        )
        self.last_output = b""
        self.last_out_of_gas = False
        self._pin_pending_timestamp(GENESIS_TIMESTAMP + 1)

    def _pin_pending_timestamp(self, timestamp: int) -> None:
        # The pending block gets its randomness now, so its transactions see `block.prevrandao`.
        header = self.chain.header
        self.chain.header = header.copy(timestamp=timestamp, mix_hash=_mix_hash(header.block_number))

    def _latest_timestamp(self) -> int:
        return self.chain.get_canonical_head().timestamp

    def mine_blocks(self, num_blocks=1, coinbase=b"\0" * 20):
        hashes = []
        for _ in range(num_blocks):
            number = self.chain.header.block_number
            block = self.chain.mine_block(coinbase=coinbase, mix_hash=_mix_hash(number))
            self._pin_pending_timestamp(block.header.timestamp + 1)
            hashes.append(block.hash)
        return tuple(hashes)

    def time_travel(self, to_timestamp):
        self._pin_pending_timestamp(to_timestamp)
        self.mine_blocks()
        return to_timestamp

    def revert_to_snapshot(self, snapshot):
        super().revert_to_snapshot(snapshot)
        self._pin_pending_timestamp(self._latest_timestamp() + 1)

    def send_transaction(self, transaction):
        signed = self._get_normalized_and_signed_evm_transaction(transaction)
        _, _, computation = self.chain.apply_transaction(signed)
        self.last_output = computation.output if computation.is_success else _revert_data(computation)
        self.last_out_of_gas = not computation.is_success and isinstance(computation.error, OutOfGas)
        return signed.hash


def _bytes(hexstr: str) -> bytes:
    return bytes.fromhex(hexstr[2:])


def _revert_data(computation) -> bytes:
    error = computation.error
    return error.args[0] if error.args and isinstance(error.args[0], bytes) else b""


class PyEVMEngine(Engine):
    """web3.py + eth-tester + py-evm, pinned to Cancun rules and a deterministic clock."""

    name = "pyevm"

    def __init__(self, fork: str = "cancun") -> None:
        # Cancun is what all three engines share. Prague is offered for comparisons with numbers
        # measured under it (benchmarks/trainer_gas.py); the contracts run unchanged on it.
        vms = {"cancun": CancunVM, "prague": PragueVM}
        self._backend = _DeterministicBackend(vms[fork])
        self.fork = fork
        self.tester = EthereumTester(backend=self._backend, auto_mine_transactions=True)
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        self._accounts = [to_checksum_address(a) for a in self.tester.get_accounts()][:N_ACCOUNTS]

    @property
    def accounts(self) -> list[str]:
        return list(self._accounts)

    @property
    def chain_id(self) -> int:
        return self._backend.chain.chain_id

    def transact(self, sender, to, data, value=0, gas=None) -> Receipt:
        gas = gas or TX_GAS_CAP
        tx = {
            "from": sender,
            "data": "0x" + data.hex(),
            "value": value,
            "gas": gas,
            "max_fee_per_gas": 0,
            "max_priority_fee_per_gas": 0,
        }
        if to is not None:
            tx["to"] = to
        tx_hash = self.tester.send_transaction(tx)
        raw = self.tester.get_transaction_receipt(tx_hash)
        block = self.tester.get_block_by_number(raw["block_number"])
        success = raw["status"] == 1
        return Receipt(
            tx_hash=tx_hash,
            success=success,
            gas_used=raw["gas_used"],
            block_number=raw["block_number"],
            timestamp=block["timestamp"],
            contract_address=raw["contract_address"] if success else None,
            logs=tuple(
                Log(
                    address=to_checksum_address(log["address"]),
                    topics=tuple(_bytes(t) for t in log["topics"]),
                    data=_bytes(log["data"]),
                )
                for log in raw["logs"]
            ),
            output=b"" if to is None and success else self._backend.last_output,
            gas_limit=gas,
            out_of_gas=self._backend.last_out_of_gas,
        )

    def call(self, sender, to, data, value=0) -> CallResult:
        # Below eth-tester's call (which turns revert data into a string) to keep the raw bytes.
        backend = self._backend
        unsigned = backend._get_normalized_and_unsigned_evm_transaction(
            {"from": to_canonical_address(sender), "to": to_canonical_address(to), "data": data,
             "value": value, "gas": TX_GAS_CAP, "max_fee_per_gas": 0, "max_priority_fee_per_gas": 0},
        )
        from eth_tester.backends.pyevm.main import _execute_and_revert_transaction
        from eth.vm.spoof import SpoofTransaction

        computation = _execute_and_revert_transaction(
            backend.chain, SpoofTransaction(unsigned, from_=to_canonical_address(sender))
        )
        if computation.is_success:
            return CallResult(True, computation.output)
        return CallResult(False, _revert_data(computation), isinstance(computation.error, OutOfGas))

    def balance(self, address: str) -> int:
        return self.tester.get_balance(address)

    def nonce(self, address: str) -> int:
        return self.tester.get_nonce(address)

    def code(self, address: str) -> bytes:
        return _bytes(self.tester.get_code(address))

    def storage_at(self, address: str, slot: int) -> int:
        return int(self.tester.get_storage_at(address, hex(slot)), 16)

    def creation(self, address: str) -> Creation | None:
        # Read from the chain itself, so it covers transactions sent through `lab.w3` as well as
        # the engine's own, and follows snapshots. Under Cancun code never goes away once a block
        # holds it, so the first block with code at `address` is found by bisection.
        tester, address = self.tester, to_checksum_address(address)
        if not self._has_code_at(address, "latest") or self._has_code_at(address, 0):
            return None
        low, high = 0, self.block_number  # no code at `low`, code at `high`
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if self._has_code_at(address, middle) else (middle, high)
        hashes = tester.get_block_by_number(high)["transactions"]
        for tx_hash in hashes:
            if tester.get_transaction_receipt(tx_hash)["contract_address"] == address:
                return Creation(tx_hash, False, _bytes(tester.get_transaction_by_hash(tx_hash)["data"]))
        # No transaction of the block deployed it: a contract created it while one of them ran.
        return Creation(hashes[0] if len(hashes) == 1 else None, True, None)

    def _has_code_at(self, address: str, block_number: int | str) -> bool:
        """Whether ``address`` had code in block ``block_number``."""
        return self.tester.get_code(address, block_number) != "0x"

    @property
    def block_number(self) -> int:
        return self.tester.get_block_by_number("latest")["number"]

    @property
    def timestamp(self) -> int:
        return self.tester.get_block_by_number("latest")["timestamp"]

    def mine(self, blocks: int = 1, seconds: int = 1) -> None:
        self._backend.time_travel(self.timestamp + seconds)
        if blocks > 1:
            self._backend.mine_blocks(blocks - 1)

    def logs(self, address: str, from_block: int = 0) -> list[Log]:
        return web3_logs(self.w3, address, from_block)

    def snapshot(self):
        return self.tester.take_snapshot()

    def revert(self, snapshot) -> None:
        self.tester.revert_to_snapshot(snapshot)
