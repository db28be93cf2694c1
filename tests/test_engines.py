"""One scripted scenario on every engine: identical results, events, state and gas; and running
out of gas reads the same everywhere; and every engine says how a contract was created.

"State" is every account's balance and nonce, both contracts' code, and every storage slot the
scenario touched: each contract's first four slots (a counter at 0, a mapping's base at 1, 2 and 3
unused) and the mapping entries of every lab account (``TipJar.tippedBy``) and of every word the
scenario counted or tried to count (``WordCounter.seen``), the words of the undone what-if included.

The rpc engine runs against a real anvil node started by the test on a free loopback port.
"""

from collections.abc import Iterator

import pytest
import rlp
from eth_utils import keccak, to_checksum_address

from dcai_lab import Lab, RevertError
from dcai_lab.chain.engines._base import TX_GAS_CAP, Creation
from dcai_lab.errors import OutOfGasError

ETHER = 10**18
#: Both contracts keep their mapping (TipJar.tippedBy, WordCounter.seen) at slot 1.
MAPPING_SLOT = 1
#: Every word the scenario counts, tries to count (1,000 is out of the vocabulary) or counts in the what-if.
WORDS_TOUCHED = sorted({1, 2, 3, 5, 999, 1_000, *range(50)})


def mapping_slot(key: int, base: int = MAPPING_SLOT) -> int:
    """Where Solidity keeps ``mapping[key]`` of a mapping declared at slot ``base``: keccak(key . base)."""
    return int.from_bytes(keccak(key.to_bytes(32, "big") + base.to_bytes(32, "big")), "big")


def scenario(lab: Lab) -> dict:
    """Deploy, transact (with reverts), travel in time, undo a what-if, and read everything back."""
    a = lab.accounts
    jar = lab.deploy_contract("TipJar", 3_600, sender=a.deployer)
    words = lab.deploy_contract("WordCounter", 1_000, sender=a.carol)
    returned = [
        jar.tip("hello", value=ETHER, sender=a.alice),
        jar.tip("", value=3, sender=a.bob),
        words.count([1, 2, 3, 999], sender=a.alice),
        words.count([2, 2, 5], sender=a.bob),
    ]
    with lab.reverts("UnknownWord"):
        words.count([1_000], sender=a.dave)
    with lab.reverts("StillLocked"):
        jar.withdraw(1)
    with lab.reverts("only the owner"):
        jar.withdraw(1, sender=a.mallory)
    with lab.reverts():
        lab.send_ether(jar, 1, sender=a.heidi)  # TipJar has no receive function
    lab.time_travel(hours=1)
    with lab.anchor():
        jar.withdraw(ETHER)
        words.count(list(range(50)), sender=a.erin)
        lab.time_travel(days=5)
    jar.withdraw(ETHER // 2)
    jar.forgetMe(sender=a.alice)
    lab.time_travel(blocks=3)
    lab.send_ether(a.frank, 10**15, sender=a.grace)
    engine = lab._engine
    return {
        "returned": returned,
        "transactions": [
            (r.contract, r.address, r.method, r.sender, r.value, r.gas_used, r.block, r.timestamp,
             r.success, r.reason, [(e.address, e.name, e.args) for e in r.events])
            for r in lab.transactions
        ],
        "views": [words.score([1, 2, 5]), words.samples(), jar.balance(), jar.tippedBy(a.alice),
                  jar.tippedBy(a.bob), jar.tipCount()],
        "balances": [lab.balance(x) for x in [*a, jar, words]],
        "nonces": [engine.nonce(x) for x in a],
        "storage": {
            **{f"TipJar[{slot}]": engine.storage_at(jar.address, slot) for slot in range(4)},
            **{f"WordCounter[{slot}]": engine.storage_at(words.address, slot) for slot in range(4)},
            **{f"TipJar.tippedBy[{x.alias}]": engine.storage_at(jar.address, mapping_slot(int(x, 16))) for x in a},
            **{f"WordCounter.seen[{w}]": engine.storage_at(words.address, mapping_slot(w)) for w in WORDS_TOUCHED},
        },
        "code": [engine.code(c.address) for c in (jar, words)],
        # Logs read back from the chain, as trainers rebuild their datasets: the what-if's are gone.
        "logs": [(log.address, log.topics, log.data, log.block_number, log.timestamp)
                 for c in (jar, words) for log in engine.logs(c.address)],
        "clock": (lab.block_number, lab.timestamp),
    }


@pytest.fixture(scope="module")
def reference() -> dict:
    return scenario(Lab())


def test_the_scenario_exercises_what_it_claims(reference):
    methods = [t[2] for t in reference["transactions"]]
    assert methods.count("(deploy)") == 2 and "withdraw" in methods
    assert sum(not t[8] for t in reference["transactions"]) == 4  # four mined reverts
    assert all(t[5] >= 21_000 for t in reference["transactions"])
    assert reference["views"][:2] == [5, 2]  # seen[1] + seen[2] + seen[5]; the what-if count was undone
    emitted = [e for t in reference["transactions"] for e in t[10]]
    assert len(reference["logs"]) == len(emitted) > 0  # every kept event, none of the undone ones
    storage = reference["storage"]
    assert (storage["TipJar[0]"], storage["WordCounter[0]"]) == (2, 2)  # tipCount, samples
    assert storage["TipJar.tippedBy[bob]"] == reference["views"][4] == 3  # the slot is the mapping's entry
    assert storage["TipJar.tippedBy[alice]"] == reference["views"][3] == 0  # forgotten (deleted)
    assert [storage[f"WordCounter.seen[{w}]"] for w in (1, 2, 3, 5, 999)] == [1, 3, 1, 1, 1]
    assert storage["WordCounter.seen[10]"] == storage["WordCounter.seen[1000]"] == 0  # undone, refused


def test_revm_matches_pyevm(reference):
    lab = Lab(engine="revm")
    assert lab.gas.exact, "revm gas is labelled approximate; then this test must compare with a tolerance"
    assert scenario(lab) == reference


def test_a_real_anvil_node_matches_pyevm(reference, anvil):
    with Lab(anvil.url) as lab:
        assert lab.engine == "rpc"
        assert scenario(lab) == reference


def test_anvil_with_local_signing_matches_pyevm(reference, anvil):
    from eth_account import Account

    from dcai_lab.chain.engines._base import HD_PATH, MNEMONIC, N_ACCOUNTS

    Account.enable_unaudited_hdwallet_features()
    keys = [Account.from_mnemonic(MNEMONIC, account_path=f"{HD_PATH}/{i}").key.hex() for i in range(N_ACCOUNTS)]
    with Lab(anvil.url, private_keys=keys) as lab:
        assert scenario(lab) == reference


# -- out of gas: detected by each engine, explained the same way ---------------------------------------

@pytest.fixture(params=["pyevm", "revm", "anvil"])
def any_lab(request) -> Iterator[Lab]:
    if request.param != "anvil":
        yield Lab(engine=request.param)
        return
    anvil = request.getfixturevalue("anvil")
    with Lab(anvil.url) as lab:
        yield lab


def test_a_transaction_out_of_gas_says_so_on_every_engine(any_lab):
    words = any_lab.deploy_contract("WordCounter", 1_000)
    with pytest.raises(OutOfGasError) as caught:
        words.count(list(range(1_000)))  # a fresh slot per word: about 22 million gas
    error = caught.value
    assert error.error_name == "OutOfGas" and error.gas_used == error.gas_limit == TX_GAS_CAP
    assert error.reason.startswith("ran out of gas: it used all 16,777,216 gas it was given, the most one")
    assert "fewer present features, a smaller model" in error.reason and "chunks" in error.reason
    assert any_lab.last_tx.reason == error.reason and not any_lab.last_tx.success
    with pytest.raises(OutOfGasError, match=r"it used all 60,000 gas it was given \(up to 16,777,216"):
        words.count([1, 2, 3], gas=60_000)
    assert any_lab.last_tx.gas_used == 60_000
    with pytest.raises(OutOfGasError, match="ran out of gas") as caught:
        words.count.call(list(range(1_000)))  # a free call gets the same cap
    assert caught.value.gas_used is None


def test_a_revert_without_data_is_not_called_out_of_gas(any_lab):
    jar = any_lab.deploy_contract("TipJar", 60)
    with pytest.raises(RevertError) as caught:
        any_lab.send_ether(jar, 1)  # TipJar has no receive function: an empty revert, gas left over
    assert not isinstance(caught.value, OutOfGasError)
    assert (caught.value.reason, caught.value.error_name) == ("reverted without a reason", None)


# -- how a contract was created --------------------------------------------------------------------

#: Creation code that creates a child while it runs, then deploys itself; each gets one zero
#: byte (STOP) as code. The child's creation code is PUSH1 1 PUSH1 0 RETURN (60016000f3).
PARENT = bytes.fromhex(
    "6460016000f3" "6000" "52"      # PUSH5 <child's creation code>, PUSH1 0, MSTORE: it is memory[27:32]
    "6005" "601b" "6000" "f0" "50"  # CREATE(value 0, offset 27, size 5), POP the child's address
    "6001" "6000" "f3"              # RETURN(0, 1): memory[0], a zero byte
)


def _child_of(parent: str) -> str:
    """The address of the first contract ``parent`` creates (CREATE, a contract's nonce starts at 1)."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(parent[2:]), 1]))[12:])


def test_creation_names_the_transaction_and_its_creation_code(any_lab):
    engine = any_lab._engine
    engine.mine(blocks=3)
    receipt = engine.transact(engine.accounts[1], None, PARENT)
    engine.mine(blocks=4)
    parent, child = receipt.contract_address, _child_of(receipt.contract_address)
    assert engine.code(parent) == engine.code(child) == b"\0"
    assert engine.creation(parent) == Creation(receipt.tx_hash, by_contract=False, initcode=PARENT)
    assert engine.creation(child) == Creation(receipt.tx_hash, by_contract=True, initcode=None)
    assert engine.creation(engine.accounts[1]) is None  # an account without code


def test_creation_records_follow_the_anchor(any_lab):
    engine, (_, alice, bob) = any_lab._engine, any_lab.accounts[:3]
    kept = engine.transact(alice, None, PARENT)
    with any_lab.anchor():
        undone = engine.transact(bob, None, PARENT)
        assert engine.creation(undone.contract_address) == Creation(undone.tx_hash, False, PARENT)
    assert engine.creation(undone.contract_address) is None
    assert engine.creation(_child_of(undone.contract_address)) is None
    assert engine.creation(kept.contract_address) == Creation(kept.tx_hash, False, PARENT)
    other = PARENT + b"\0"  # other creation code (a byte after RETURN), at the same address
    redone = engine.transact(bob, None, other)
    assert redone.contract_address == undone.contract_address
    assert engine.creation(redone.contract_address) == Creation(redone.tx_hash, False, other)


@pytest.mark.parametrize("any_lab", ["pyevm", "anvil"], indirect=True)
def test_creation_finds_contracts_deployed_through_lab_w3(any_lab):
    tx_hash = any_lab.w3.eth.send_transaction({"from": any_lab.accounts[2], "data": PARENT})
    address = any_lab.w3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"]
    assert any_lab._engine.creation(address) == Creation(tx_hash.to_0x_hex(), False, PARENT)
    assert any_lab._engine.creation(_child_of(address)) == Creation(tx_hash.to_0x_hex(), True, None)
