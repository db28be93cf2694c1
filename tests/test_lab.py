"""The Lab on its default engine: accounts, time, snapshots, ether, reverts and gas records."""

import re

import pytest
from web3 import Web3

from dcai_lab.gas.report import GasReport, TxRecord
from dcai_lab import ConfigError, Lab, NotSupportedError, RevertError
from dcai_lab.chain.engines._base import GENESIS_TIMESTAMP, INITIAL_BALANCE


@pytest.fixture
def jar(lab):
    return lab.deploy_contract("TipJar", 86_400)


def test_two_labs_start_with_the_same_accounts_addresses_and_clock():
    first, second = Lab(), Lab()
    assert list(first.accounts) == list(second.accounts)
    a, b = first.deploy_contract("TipJar", 60), second.deploy_contract("TipJar", 60)
    assert a.address == b.address
    assert first.timestamp == second.timestamp == GENESIS_TIMESTAMP + 1


def test_accounts_are_funded_and_have_aliases(lab):
    assert len(lab.accounts) >= 10
    assert lab.accounts.alice == lab.accounts[1] and lab.accounts.mallory == lab.accounts[9]
    assert lab.accounts.alice.alias == "alice"
    assert all(lab.balance(a) == INITIAL_BALANCE for a in lab.accounts)
    with pytest.raises(AttributeError, match="aliases are"):
        lab.accounts.eve


def test_w3_is_a_real_web3_on_the_same_chain(lab, jar):
    assert isinstance(lab.w3, Web3)
    assert lab.w3.eth.block_number == lab.block_number
    assert lab.w3.eth.get_code(jar.address) != b""
    assert lab.w3.eth.get_block("latest")["timestamp"] == lab.timestamp


def test_each_transaction_mines_one_block_one_second_later(lab, jar):
    block, time = lab.block_number, lab.timestamp
    jar.tip("hi", value=1, sender=lab.accounts.alice)
    assert (lab.block_number, lab.timestamp) == (block + 1, time + 1)
    assert lab.last_tx.block == block + 1 and lab.last_tx.timestamp == time + 1


@pytest.mark.parametrize(("kwargs", "seconds"), [
    ({"seconds": 30}, 30), ({"minutes": 2}, 120), ({"hours": 1.5}, 5400), ({"days": 1}, 86400),
])
def test_time_travel_moves_the_clock_and_mines_one_block(lab, kwargs, seconds):
    block, time = lab.block_number, lab.timestamp
    assert lab.time_travel(**kwargs) == time + seconds
    assert lab.block_number == block + 1


def test_time_travel_by_blocks_mines_each_one_second_apart(lab):
    block, time = lab.block_number, lab.timestamp
    lab.time_travel(blocks=5)
    assert (lab.block_number, lab.timestamp) == (block + 5, time + 5)


@pytest.mark.parametrize("kwargs", [{}, {"days": 1, "hours": 1}, {"seconds": 0}, {"seconds": -5},
                                    {"seconds": 1.5}, {"blocks": 0}, {"blocks": 2.0}])
def test_time_travel_rejects_bad_arguments(lab, kwargs):
    with pytest.raises(ConfigError):
        lab.time_travel(**kwargs)


def test_contract_sees_the_travelled_time(lab, jar):
    with lab.reverts("StillLocked"):
        jar.withdraw(0)
    lab.time_travel(days=1)
    jar.withdraw(0)
    assert lab.last_tx.success


def test_anchor_undoes_state_time_and_records(lab, jar):
    alice = lab.accounts.alice
    before = (lab.block_number, lab.timestamp, lab.balance(alice), len(lab.transactions))
    with lab.anchor():
        jar.tip("what if", value=10**18, sender=alice)
        lab.time_travel(days=3)
        assert jar.tipCount() == 1
    assert (lab.block_number, lab.timestamp, lab.balance(alice), len(lab.transactions)) == before
    assert jar.tipCount() == 0


def test_anchor_reverts_even_when_the_block_raises(lab, jar):
    with pytest.raises(KeyError), lab.anchor():
        jar.tip("x", value=5, sender=lab.accounts.bob)
        raise KeyError("boom")
    assert jar.tipCount() == 0


def test_send_ether_moves_exactly_the_value(lab):
    alice, bob = lab.accounts.alice, lab.accounts.bob
    lab.send_ether(bob, 12345, sender=alice)
    assert lab.balance(alice) == INITIAL_BALANCE - 12345
    assert lab.balance(bob) == INITIAL_BALANCE + 12345


def test_view_functions_are_free_and_return_python_values(lab, jar):
    block = lab.block_number
    assert jar.owner() == lab.accounts.deployer
    assert jar.unlocksAt() == GENESIS_TIMESTAMP + 1 + 86_400
    assert lab.block_number == block


def test_events_are_decoded_with_names(lab, jar):
    jar.tip("great lecture", value=7, sender=lab.accounts.carol)
    (event,) = lab.last_tx.events
    assert event.name == "Tipped"
    assert event.args == {"from": lab.accounts.carol, "amount": 7, "note": "great lecture"}


def test_revert_error_carries_contract_method_sender_and_decoded_reason(lab, jar):
    with pytest.raises(RevertError) as caught:
        jar.withdraw(1, sender=lab.accounts.bob)
    error = caught.value
    assert (error.contract, error.method, error.sender) == ("TipJar", "withdraw", lab.accounts.bob)
    assert error.error_name == "Error" and error.reason == "only the owner can withdraw"
    assert error.gas_used > 21_000


def test_custom_errors_are_decoded_with_their_arguments(lab, jar):
    with pytest.raises(RevertError) as caught:
        jar.withdraw(1)
    error = caught.value
    assert error.error_name == "StillLocked"
    assert error.error_args == {"currentTime": lab.timestamp, "unlocksAt": GENESIS_TIMESTAMP + 1 + 86_400}
    assert error.reason == f"StillLocked(currentTime={lab.timestamp}, unlocksAt={GENESIS_TIMESTAMP + 86_401})"


def test_a_reverted_transaction_is_still_mined_and_recorded(lab, jar):
    block = lab.block_number
    with lab.reverts():
        jar.withdraw(1)
    assert lab.block_number == block + 1
    assert not lab.last_tx.success and lab.last_tx.reason.startswith("StillLocked")


def test_a_reverting_call_raises_the_same_error_without_gas(lab, jar):
    with pytest.raises(RevertError) as caught:
        jar.withdraw.call(1)
    assert caught.value.error_name == "StillLocked" and caught.value.gas_used is None


@pytest.mark.parametrize("match", ["StillLocked", "currentTime=", re.compile(r"unlocksAt=\d+\)$"), None])
def test_reverts_accepts_error_names_text_and_regexes(lab, jar, match):
    with lab.reverts(match) as caught:
        jar.withdraw(1)
    assert caught.error.error_name == "StillLocked"


def test_reverts_fails_when_nothing_reverts(lab, jar):
    with pytest.raises(AssertionError, match="nothing reverted"), lab.reverts("StillLocked"):
        jar.tip("fine", value=1)


def test_reverts_fails_on_a_different_reason(lab, jar):
    with pytest.raises(AssertionError, match="only the owner"), lab.reverts("NotEnoughInJar"):
        jar.withdraw(1, sender=lab.accounts.bob)


def test_an_engine_instance_is_used_as_it_is():
    from dcai_lab.chain.engines.pyevm import PyEVMEngine

    engine = PyEVMEngine(fork="prague")
    lab = Lab(engine=engine)
    assert lab._engine is engine and engine._backend.chain.get_vm().fork == "prague"
    jar = lab.deploy_contract("TipJar", 60)  # the contracts run unchanged under Prague
    jar.tip("hi", value=1, sender=lab.accounts.alice)
    assert jar.tipCount() == 1
    with pytest.raises(ConfigError, match="comes configured"):
        Lab("http://127.0.0.1:1", engine=PyEVMEngine())


def test_events_are_collected_by_name_across_transactions(lab, jar):
    jar.tip("one", value=1, sender=lab.accounts.alice)
    jar.tip("two", value=2, sender=lab.accounts.bob)
    tips = lab.events("Tipped")
    assert [(e["from"], e["amount"]) for e in tips] == [(lab.accounts.alice, 1), (lab.accounts.bob, 2)]
    assert len(lab.events()) >= len(tips) and lab.events("NoSuchEvent") == []


def test_gas_table_summarises_each_method(lab, jar):
    alice = lab.accounts.alice
    for note in ("a", "bb", "a much longer note than the others"):
        jar.tip(note, value=1, sender=alice)
    with lab.reverts():
        jar.withdraw(1)
    tips = [r.gas_used for r in lab.transactions if r.method == "tip"]
    table = lab.gas.report()
    row = table.loc[("TipJar", "tip")]
    assert (row["calls"], row["min"], row["max"]) == (3, min(tips), max(tips))
    assert row["median"] == sorted(tips)[1]
    assert table.loc[("TipJar", "withdraw"), "reverted"] == 1
    assert list(lab.gas.deployments().index) == ["TipJar"]
    assert "<table" in lab.gas._repr_html_() and "exact" in lab.gas.caption


def test_gas_table_rounds_a_median_that_falls_between_two_calls():
    def record(gas: int) -> TxRecord:
        return TxRecord(contract="TipJar", address=None, method="tip", sender="0x0", gas_used=gas, block=1,
                        timestamp=0, success=True, tx_hash="0x", value=0, reason=None, logs=(),
                        decode_log=lambda log: None)

    row = GasReport([record(21_000), record(21_003)], "pyevm", True).report().loc[("TipJar", "tip")]
    assert (row["median"], row["mean"]) == (21_002, 21_002)  # 21,001.5 rounded half to even


def test_the_default_engine_is_pyevm_with_exact_gas(lab):
    assert lab.engine == "pyevm" and lab.gas.exact


def test_revm_has_no_web3_object():
    with pytest.raises(NotSupportedError):
        Lab(engine="revm").w3


# -- public doors for contracts of one's own ------------------------------------------------------

def test_deploy_contract_takes_an_artifact_of_ones_own_and_decodes_it_like_the_labs(lab):
    from dcai_lab.chain._artifacts import load_artifact

    artifact = {**load_artifact("TipJar"), "contractName": "MyJar"}  # as compile_contracts gives it
    jar = lab.deploy_contract(artifact, 60, sender=lab.accounts.alice)
    assert jar.contract_name == "MyJar" and lab.last_tx.contract == "MyJar" and lab.last_tx.sender == lab.accounts.alice
    jar.tip("hi", value=5, sender=lab.accounts.bob)
    assert [e.name for e in lab.last_tx.events] == ["Tipped"] and lab.balance(jar) == 5
    with lab.reverts("StillLocked"):  # its custom errors decode too
        jar.withdraw(1, sender=lab.accounts.alice)
    assert lab.at(artifact, jar.address).address == jar.address
    with pytest.raises(ConfigError, match="has no bytecode"):
        lab.deploy_contract({"contractName": "Half", "abi": []})


def test_send_transaction_sends_raw_creation_code_and_raw_calldata(lab):
    from eth_abi import encode

    from dcai_lab.chain._artifacts import load_artifact

    artifact = load_artifact("TipJar")
    created = lab.send_transaction(None, bytes.fromhex(artifact["bytecode"][2:]) + encode(["uint256"], [60]))
    jar = lab.at("TipJar", created.address)
    assert jar.unlocksAt() == created.timestamp + 60
    tip = Web3.keccak(text="tip(string)")[:4] + encode(["string"], ["raw"])
    record = lab.send_transaction(jar, tip, value=7, sender=lab.accounts.carol)
    assert record.method == "(raw)" and lab.balance(jar) == 7
    assert [(e.name, e.args["note"]) for e in record.events] == [("Tipped", "raw")]
    with pytest.raises(RevertError):
        lab.send_transaction(jar, Web3.keccak(text="withdraw(uint256)")[:4] + encode(["uint256"], [1]))
    with pytest.raises(ConfigError, match="bytes"):
        lab.send_transaction(jar, "0x00")
