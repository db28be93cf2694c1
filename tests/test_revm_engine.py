"""RevmEngine against PyEVMEngine, the reference: the same transactions must give the same receipts
(all but the hash), the same call results, balances, nonces, code, storage and clock.

GasProbe (tests/contracts/GasProbe.sol) has one function per gas edge case that wrong warm/cold,
original-value or refund bookkeeping gets wrong; pyrevm run naively gets most of them wrong.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import eth_tester.exceptions
import pytest
import rlp
from eth_abi import decode, encode
from eth_keys import keys
from eth_utils import ValidationError, function_signature_to_4byte_selector, keccak, to_checksum_address

from dcai_lab.tools.build import compile_contracts, load_artifact
from dcai_lab.chain.engines._base import BLOCK_GAS_LIMIT, CHAIN_ID, GENESIS_TIMESTAMP, Receipt
from dcai_lab.chain.engines.pyevm import PyEVMEngine
from dcai_lab.chain.engines.revm import RevmEngine

ETHER = 10**18
ERROR_STRING = function_signature_to_4byte_selector("Error(string)")
FRESH = [to_checksum_address(keccak(text=f"fresh {i}")[:20]) for i in range(4)]
SHA256_PRECOMPILE = "0x0000000000000000000000000000000000000002"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@pytest.fixture(scope="module")
def probe_artifacts() -> dict[str, dict]:
    return compile_contracts(Path(__file__).parent / "contracts")


def calldata(artifact: dict, name: str, *args) -> bytes:
    (function,) = [f for f in artifact["abi"] if f["type"] == "function" and f["name"] == name]
    types = [i["type"] for i in function["inputs"]]
    return function_signature_to_4byte_selector(f"{name}({','.join(types)})") + encode(types, args)


def creation(artifact: dict, *args) -> bytes:
    constructors = [f for f in artifact["abi"] if f["type"] == "constructor"]
    types = [i["type"] for i in constructors[0]["inputs"]] if constructors else []
    return bytes.fromhex(artifact["bytecode"][2:]) + encode(types, args)


def mapping_slot(key: int | str, position: int) -> int:
    """Storage slot of `mapping[key]` for a mapping declared at `position`."""
    key_type = "address" if isinstance(key, str) else "uint256"
    return int.from_bytes(keccak(encode([key_type, "uint256"], [key, position])), "big")


class Twin:
    """Both engines driven step by step; each step must give the same result on both, and after
    each transaction (when ``check_state``) the watched state must be the same too."""

    def __init__(self, check_state: bool = True) -> None:
        self.ref, self.fast = PyEVMEngine(), RevmEngine()
        self.accounts = self.ref.accounts
        self.check_state = check_state
        self.watched: dict[str, set[int]] = {a: set() for a in self.accounts}
        self.receipts: list[Receipt] = []

    def watch(self, address: str, *slots: int) -> None:
        self.watched.setdefault(address, set()).update(slots)

    def transact(self, sender: str, to: str | None, data: bytes, value: int = 0, gas: int | None = None) -> Receipt:
        expected = self.ref.transact(sender, to, data, value, gas)
        got = self.fast.transact(sender, to, data, value, gas)
        assert dataclasses.replace(got, tx_hash=expected.tx_hash) == expected, len(self.receipts)
        self.receipts.append(expected)
        if expected.contract_address:
            self.watch(expected.contract_address)
        if self.check_state:
            self.check()
        return expected

    def call(self, sender: str, to: str, data: bytes, value: int = 0) -> tuple[bool, bytes]:
        expected = self.ref.call(sender, to, data, value)
        assert self.fast.call(sender, to, data, value) == expected
        return expected

    def mine(self, blocks: int = 1, seconds: int = 1) -> None:
        self.ref.mine(blocks, seconds)
        self.fast.mine(blocks, seconds)
        self.check()

    def snapshot(self) -> tuple:
        return self.ref.snapshot(), self.fast.snapshot()

    def revert(self, snapshot: tuple) -> None:
        self.ref.revert(snapshot[0])
        self.fast.revert(snapshot[1])
        self.check()

    def check(self) -> None:
        def state(engine):
            return (
                engine.block_number,
                engine.timestamp,
                {a: (engine.balance(a), engine.nonce(a), engine.code(a),
                     {s: engine.storage_at(a, s) for s in slots}) for a, slots in self.watched.items()},
            )

        assert state(self.fast) == state(self.ref)


def test_genesis_matches_pyevm():
    twin = Twin()
    assert twin.fast.accounts == twin.accounts and len(twin.accounts) == 10
    assert twin.accounts[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert twin.fast.chain_id == twin.ref.chain_id == CHAIN_ID
    assert (twin.fast.block_number, twin.fast.timestamp) == (0, GENESIS_TIMESTAMP)
    twin.check()


@pytest.mark.filterwarnings("ignore:SELFDESTRUCT opcode:DeprecationWarning")
def test_gas_probe_script_matches_pyevm(probe_artifacts):
    art, child_art = probe_artifacts["GasProbe"], probe_artifacts["Child"]
    twin = Twin()
    a = twin.accounts

    def probe_tx(sender: str, name: str, *args, value: int = 0, gas: int | None = None) -> Receipt:
        return twin.transact(sender, probe, calldata(art, name, *args), value, gas)

    probe = twin.transact(a[0], None, creation(art)).contract_address
    twin.watch(probe, 1, 2, 3, *(mapping_slot(k, 0) for k in [1, 2, 4, 1000, 2000, 3000, *range(10, 30)]))

    # Storage: 0→x, x→y, x→x, x→0 (refund), 0→x→0 and x→0→x in one tx, the refund cap.
    fresh_write = probe_tx(a[1], "set", 1, 5)
    probe_tx(a[2], "set", 1, 6)
    probe_tx(a[1], "set", 1, 6)
    cleared = probe_tx(a[3], "set", 1, 0)
    assert cleared.gas_used < fresh_write.gas_used - 15_000  # the clearing refund was paid
    probe_tx(a[1], "setTwice", 2, 7, 0)
    probe_tx(a[1], "set", 2, 3)
    probe_tx(a[2], "setTwice", 2, 0, 3)
    probe_tx(a[2], "fill", 10, 20, 1)
    probe_tx(a[2], "clear", 10, 20)

    # Warm and cold: repeated reads in one tx, and the same tx again (cold again).
    probe_tx(a[4], "set", 4, 1)
    first, second = probe_tx(a[4], "readMany", 4, 10), probe_tx(a[4], "readMany", 4, 10)
    assert first.gas_used == second.gas_used  # both are x→y writes after one cold read
    look = calldata(art, "look", a[5], probe)
    assert twin.transact(a[4], probe, look).gas_used == twin.transact(a[4], probe, look).gas_used

    # Transient storage starts empty in every transaction.
    for v in (11, 12):
        assert decode(["uint256", "uint256"], probe_tx(a[5], "useTransient", v).output) == (0, v)

    # CREATE with value, a failing child constructor, CREATE2 (twice: the second collides),
    # create-and-selfdestruct in one tx, a caught failing inner call.
    created = probe_tx(a[0], "create", 42, value=1_000)
    (child,) = decode(["address"], created.output)
    twin.watch(to_checksum_address(child), 0)
    assert not probe_tx(a[0], "create", 13).success
    (child2,) = decode(["address"], probe_tx(a[1], "create2", 7, b"\x01" * 32).output)
    twin.watch(to_checksum_address(child2), 0)
    assert not probe_tx(a[1], "create2", 7, b"\x01" * 32).success
    (destroyed,) = decode(["address"], probe_tx(a[2], "createAndDestroy", 5, value=777).output)
    twin.watch(to_checksum_address(destroyed), 0)  # EIP-6780: gone, its ether back with a[2]
    assert decode(["bool"], probe_tx(a[2], "tryChild", 9).output) == (False,)

    # Reverts after writes: Error(string), a custom error with arguments, out of gas.
    failed = probe_tx(a[3], "writeThenRevert", 1, 99)
    assert not failed.success and failed.output[:4] == ERROR_STRING and not failed.logs
    custom = probe_tx(a[3], "writeThenCustom", 1, 99)
    assert custom.output[:4] == function_signature_to_4byte_selector("Probe(uint256,address,string)")
    out_of_gas = probe_tx(a[3], "burn", 10_000, gas=100_000)
    assert (out_of_gas.success, out_of_gas.gas_used, out_of_gas.output) == (False, 100_000, b"")
    assert (out_of_gas.gas_limit, out_of_gas.out_of_gas) == (100_000, True)  # the engines' own verdict
    assert not (failed.out_of_gas or custom.out_of_gas)  # other reverts are not out of gas

    # Ether: to fresh and existing accounts, directly and through the contract, to a precompile.
    twin.watch(FRESH[0])
    twin.watch(FRESH[1])
    twin.watch(FRESH[2])
    twin.transact(a[6], FRESH[0], b"", value=ETHER)
    twin.transact(a[6], a[7], b"", value=1)
    twin.transact(a[6], FRESH[2], b"")  # zero value: touched, stays empty
    probe_tx(a[6], "pay", FRESH[1], value=5)
    probe_tx(a[6], "pay", a[8], value=5)
    probe_tx(a[6], "pay", SHA256_PRECOMPILE, value=5)
    twin.transact(a[6], probe, b"", value=3)  # receive()
    twin.watch(ZERO_ADDRESS)
    twin.transact(a[6], ZERO_ADDRESS, b"", value=11)  # the coinbase, which revm keeps loaded
    twin.transact(a[6], to_checksum_address(child), calldata(child_art, "destroy", a[6]))  # Cancun: only pays out
    assert twin.call(a[6], a[7], b"\x12\x34") == (True, b"", False)

    # Precompiles: sha256 and ecrecover of a real signature.
    key = keys.PrivateKey(b"\x07" * 32)
    digest = keccak(b"probe")
    sig = key.sign_msg_hash(digest)
    probe_tx(a[7], "precompiles", b"hello", digest, sig.v + 27, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big"))
    assert twin.fast.storage_at(probe, 3) == int(key.public_key.to_checksum_address(), 16)

    # Events: three indexed topics, an anonymous event with four, one without arguments.
    emitted = probe_tx(a[8], "emitMany", 5, b"\x02" * 32, "note", value=9)
    assert [len(log.topics) for log in emitted.logs] == [4, 4, 1]

    # Block context in a transaction and in calls, before and after mining.
    probe_tx(a[9], "context")
    twin.call(a[9], probe, calldata(art, "context"))
    twin.mine(3, 100)
    twin.call(a[9], probe, calldata(art, "context"))
    assert twin.call(a[9], probe, calldata(art, "writeThenRevert", 1, 2))[0] is False
    assert twin.call(a[9], probe, calldata(art, "burn", 10**6)) == (False, b"", True)  # calls run out of gas too
    twin.call(a[9], probe, calldata(art, "emitMany", 1, b"\x03" * 32, "x"), value=10)

    # Nested snapshots: A, txs, B, txs, revert B, txs, revert A.
    outer = twin.snapshot()
    probe_tx(a[1], "set", 1, 77)
    probe_tx(a[2], "fill", 10, 5, 9)
    inner = twin.snapshot()
    probe_tx(a[3], "clear", 10, 5)
    probe_tx(a[3], "create", 3)
    twin.mine(2, 50)
    twin.revert(inner)
    probe_tx(a[4], "set", 1, 0)
    twin.transact(a[5], FRESH[3], b"", value=7)
    twin.revert(outer)
    probe_tx(a[1], "set", 1, 77)
    probe_tx(a[2], "readMany", 1, 3)

    # A payable constructor, at an address that already holds ether.
    future = to_checksum_address(keccak(rlp.encode([bytes.fromhex(a[4][2:]), twin.ref.nonce(a[4])]))[12:])
    twin.transact(a[5], future, b"", value=ETHER)
    assert twin.transact(a[4], None, creation(child_art, 3), value=50).contract_address == future

    # A failed deployment is mined, bumps the nonce and charges gas, but creates nothing.
    failed_deploy = twin.transact(a[4], None, creation(child_art, 13))
    assert not failed_deploy.success and failed_deploy.contract_address is None
    assert failed_deploy.output[:4] == ERROR_STRING
    assert len(twin.receipts) >= 40


def test_tipjar_and_wordcounter_flows_match_pyevm():
    jar_art, words_art = load_artifact("TipJar"), load_artifact("WordCounter")
    twin = Twin()
    a = twin.accounts
    jar = twin.transact(a[0], None, creation(jar_art, 3_600)).contract_address
    twin.watch(jar, 0, *(mapping_slot(x, 1) for x in a[:4]))

    def jar_tx(sender: str, name: str, *args, value: int = 0) -> Receipt:
        return twin.transact(sender, jar, calldata(jar_art, name, *args), value)

    jar_tx(a[1], "tip", "hello", value=ETHER)
    jar_tx(a[2], "tip", "", value=3)
    jar_tx(a[1], "tip", "again", value=5)
    assert jar_tx(a[3], "tip", "nothing").output[:4] == ERROR_STRING
    assert not jar_tx(a[0], "withdraw", 1).success  # StillLocked
    assert jar_tx(a[3], "withdraw", 1).output[:4] == ERROR_STRING  # only the owner
    assert not twin.transact(a[3], jar, b"", value=1).success  # no receive function
    twin.mine(1, 3_600)
    assert not jar_tx(a[0], "withdraw", 10 * ETHER).success  # NotEnoughInJar
    assert len(jar_tx(a[0], "withdraw", ETHER).logs) == 1
    jar_tx(a[1], "forgetMe")
    for view in ("balance", "tipCount"):
        twin.call(a[5], jar, calldata(jar_art, view))
    twin.call(a[5], jar, calldata(jar_art, "tippedBy", a[2]))

    words = twin.transact(a[2], None, creation(words_art, 1_000)).contract_address
    twin.watch(words, 0, *(mapping_slot(w, 1) for w in [1, 2, 3, 5, 999, *range(0, 100, 7)]))
    twin.transact(a[1], words, calldata(words_art, "count", [1, 2, 3, 999]))
    twin.transact(a[3], words, calldata(words_art, "count", [2, 2, 5]))
    twin.transact(a[4], words, calldata(words_art, "count", list(range(0, 350, 7))))
    assert not twin.transact(a[5], words, calldata(words_art, "count", [1, 1_000])).success
    assert twin.call(a[6], words, calldata(words_art, "score", [1, 2, 5]))[1] == encode(["uint256"], [5])
    twin.call(a[6], words, calldata(words_art, "samples"))


def test_random_wordcounter_runs_match_pyevm():
    """200 random `count` calls from random senders, some with an unknown word (a mined revert),
    with random mining and snapshot/revert in between; receipts compared every step, the whole
    watched state every tenth step and after every mine and revert."""
    art = load_artifact("WordCounter")
    rng = random.Random(20250101)
    vocabulary = 30
    twin = Twin(check_state=False)
    a = twin.accounts
    words = twin.transact(a[0], None, creation(art, vocabulary)).contract_address
    twin.watch(words, 0, *(mapping_slot(w, 1) for w in range(vocabulary)))
    snapshots, reverts = [], 0
    for step in range(200):
        sample = [rng.randrange(vocabulary) for _ in range(rng.randrange(13))]
        if rng.random() < 0.1:
            sample.insert(rng.randrange(len(sample) + 1), vocabulary + rng.randrange(3))
        twin.transact(rng.choice(a), words, calldata(art, "count", sample))
        roll = rng.random()
        if roll < 0.08:
            twin.mine(rng.randrange(1, 4), rng.randrange(1, 1_000))
        elif roll < 0.16:
            snapshots.append(twin.snapshot())
        elif roll < 0.22 and snapshots:
            index = rng.randrange(len(snapshots))
            twin.revert(snapshots[index])
            del snapshots[index:]  # those taken later are gone with it
            reverts += 1
        if step % 10 == 9:
            twin.check()
            twin.call(rng.choice(a), words, calldata(art, "score", list(range(vocabulary))))
    twin.check()
    assert reverts >= 3 and sum(not r.success for r in twin.receipts) >= 5


def test_rejected_transactions_raise_and_leave_no_trace():
    twin = Twin()
    a = twin.accounts
    for kwargs in ({"value": 10**30}, {"gas": 20_000}, {"gas": BLOCK_GAS_LIMIT + 1}):
        for engine in (twin.ref, twin.fast):
            with pytest.raises(ValidationError):
                engine.transact(a[1], a[2], b"", **kwargs)
            with pytest.raises(ValidationError):
                engine.call(a[1], a[2], b"", value=10**30)
    with pytest.raises(eth_tester.exceptions.ValidationError):  # nobody holds the key
        twin.ref.transact(FRESH[0], a[2], b"")
    with pytest.raises(ValidationError):
        twin.fast.transact(FRESH[0], a[2], b"")
    twin.check()
    assert (twin.fast.block_number, twin.fast.nonce(a[1])) == (0, 0)


def test_reads_between_transactions_warm_nothing(probe_artifacts):
    art = probe_artifacts["GasProbe"]
    engine = RevmEngine()
    a = engine.accounts
    probe = engine.transact(a[0], None, creation(art)).contract_address
    engine.transact(a[0], probe, calldata(art, "set", 4, 1))
    for data in (calldata(art, "look", a[1], probe), calldata(art, "readMany", 4, 3)):
        first = engine.transact(a[2], probe, data).gas_used
        engine.balance(a[1])
        engine.code(probe)
        engine.storage_at(probe, mapping_slot(4, 0))
        engine.call(a[2], probe, data)
        engine.call(a[3], probe, calldata(art, "readMany", 4, 3))
        assert engine.transact(a[2], probe, data).gas_used == first


def test_snapshots_nest_and_can_be_reused(probe_artifacts):
    art = probe_artifacts["GasProbe"]
    engine = RevmEngine()
    a = engine.accounts
    probe = engine.transact(a[0], None, creation(art)).contract_address
    slot = mapping_slot(1, 0)
    outer = engine.snapshot()
    engine.transact(a[1], probe, calldata(art, "set", 1, 5))
    inner = engine.snapshot()
    engine.transact(a[1], probe, calldata(art, "set", 1, 6))
    engine.mine(2, 30)
    engine.revert(outer)
    assert (engine.storage_at(probe, slot), engine.nonce(a[1]), engine.block_number) == (0, 0, 1)
    with pytest.raises(ValueError):
        engine.revert(inner)  # reverting to `outer` dropped it
    engine.transact(a[1], probe, calldata(art, "set", 1, 7))
    engine.revert(outer)  # a snapshot can be returned to again
    assert (engine.storage_at(probe, slot), engine.nonce(a[1]), engine.timestamp) == (0, 0, GENESIS_TIMESTAMP + 1)
    fresh = engine.transact(a[1], probe, calldata(art, "set", 1, 5))
    assert fresh.gas_used > 40_000  # a cold 0→x write again, not a leftover of the undone ones


@pytest.mark.parametrize("engine_class", [PyEVMEngine, RevmEngine])
def test_transactions_see_their_blocks_fixed_randomness(probe_artifacts, engine_class):
    engine = engine_class()
    probe = probe_artifacts["GasProbe"]
    deployer = engine.accounts[0]
    address = engine.transact(deployer, None, creation(probe)).contract_address
    receipt = engine.transact(deployer, address, calldata(probe, "context"))
    number, _, prevrandao = decode(["uint256"] * 3, receipt.output[:96])
    assert number == receipt.block_number
    assert prevrandao == int.from_bytes(keccak(number.to_bytes(32, "big")), "big")
