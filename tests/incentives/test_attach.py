"""``lab.attach``: a trainer someone else deployed is accepted only after checking its code, HOW it
was created, its frozen parameters and its owner; anything else is refused with the reason.

Runtime code says nothing about storage. Creation code of an attacker's own (test-only
``StoragePlanter``) can write a contribution record nobody paid for and then return the genuine
runtime code: the contract passes every check of its code and state, and the record's ether is
later taken out of honest deposits. So a trainer must have been deployed by a transaction that ran
exactly the artifact's creation code with ABI-encoded constructor arguments. The planted trainer
and the trainer created by another contract (test-only ``ContractFactory``) are built on every
engine: py-evm, revm and a real anvil node.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import keccak

from dcai_lab import Lab
from dcai_lab.chain._artifacts import load_artifact
from dcai_lab.tools.build import compile_contracts
from dcai_lab.chain.contract import Contract
from dcai_lab.chain.engines._base import GENESIS_TIMESTAMP
from dcai_lab.errors import ConfigError, RevertError
from dcai_lab.incentives import Points, PredictionMarket
from dcai_lab.models import SparsePerceptron, _samples
from dcai_lab.trainers import Trainer
from dcai_lab.trainers._creation import matching_artifact

from .conftest import GOOD, GOOD_0, REFUND_WAIT, drt, learned_parameters, sparse_twin

NAME = "SparsePerceptronWithDepositRefundTake"
DEAD = "0x000000000000000000000000000000000000dEaD"
ETHER = 10**18
#: A deposit weight that makes a contribution one second after the last one cost about 2.5 ether.
COST_WEIGHT = 25 * ETHER // 10 // 3600
#: The contribution record the attacker plants: 20 ether, nobody paid them.
PLANTED_WEI = 20 * ETHER
PLANTED_ID = 1_000_000
#: Where the trainer keeps its `_contributions` mapping (solc's storage layout of
#: ``NAME``; the contract's own `contribution` view reads the planted record back, which checks it).
CONTRIBUTIONS_SLOT = 2**29 + 4
HONEST_CONTRIBUTIONS = 10


@pytest.fixture(scope="module")
def creators(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The test-only contracts that create trainers in other ways than a plain deployment."""
    folder = tmp_path_factory.mktemp("creators")
    for name in ("StoragePlanter.sol", "ContractFactory.sol"):
        shutil.copy(Path(__file__).parents[1] / "contracts" / name, folder / name)
    return compile_contracts(folder)


@pytest.fixture(params=["pyevm", "revm", "anvil"])
def any_lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The test runs on py-evm, on revm and against a fresh anvil node."""
    if request.param != "anvil":
        yield request.getfixturevalue(f"{request.param}_lab")
        return
    with Lab(request.getfixturevalue("anvil").url) as lab:
        yield lab


# -- building trainers ------------------------------------------------------------------------------

def _constructor_args(rules=None) -> list:
    return [*sparse_twin()._constructor_args(), *(rules or drt())._constructor_args()]


def _initialise(contract: Contract, send=None) -> None:
    """The chunked initialisation ``lab.deploy`` runs (the test twin fits one chunk per table),
    then the freeze; each call goes through ``send(function, args)``, by default the owner's
    transaction."""
    calls = [(getattr(contract, table.function), (*table.leading, 0, table.items))
             for table in sparse_twin()._initialisation()]
    for function, args in [*calls, (contract.finishInitialisation, ())]:
        send(function, args) if send else function(*args)


def _deploy_initcode(lab: Lab, initcode: bytes) -> Contract:
    """Deploy raw creation code from the lab's first account; a handle as the trainer."""
    return lab.at(NAME, lab.send_transaction(None, initcode).address)


def _genuine_initcode(rules=None) -> bytes:
    constructor = next(item for item in load_artifact(NAME)["abi"] if item["type"] == "constructor")
    types = [parameter["type"] for parameter in constructor["inputs"]]
    return bytes.fromhex(load_artifact(NAME)["bytecode"][2:]) + encode(types, _constructor_args(rules))


def _record_slot(sample: tuple[int, ...], label: int, contributor: str, id_: int) -> int:
    """The storage slot of a contribution's record (the contract's `_key`, then the mapping's slot)."""
    key = keccak(encode(["bytes32", "uint256", "address", "uint256"],
                        [keccak(_samples.pack(sample, True)), label, contributor, id_]))
    return int.from_bytes(keccak(key + CONTRIBUTIONS_SLOT.to_bytes(32, "big")), "big")


def _planted_trainer(lab: Lab, creators: dict[str, dict], attacker: str) -> Contract:
    """A trainer with the genuine code, frozen and owning itself, whose creation code also wrote a
    record of ``PLANTED_WEI`` deposited by ``attacker`` for ``GOOD``, which the model agrees with."""
    rules = drt(cost_weight=COST_WEIGHT)
    # A genuine deployment gives the runtime code with its immutables, and the one slot its
    # constructor writes (the owner: the attacker, who then initialises the copy as usual).
    template = lab.deploy_contract(NAME, *_constructor_args(rules), sender=attacker)
    record = PLANTED_WEI | PLANTED_WEI << 96 | GENESIS_TIMESTAMP << 192  # deposit, remaining, addedAt
    storage = {0: lab._engine.storage_at(template.address, 0), _record_slot(*GOOD, attacker, PLANTED_ID): record}
    planter = lab.deploy_contract(creators["StoragePlanter"], lab._engine.code(template.address), list(storage),
                              list(storage.values()), sender=attacker)
    contract = lab.at(NAME, planter.address)
    _initialise(contract, lambda function, args: function(*args, sender=attacker))
    return contract


def _passes_the_runtime_checks(lab: Lab, contract: Contract) -> bool:
    """What ``lab.attach`` checked before it checked creations: code, frozen, owned by itself."""
    code_matches = matching_artifact(lab._engine.code(contract.address), [NAME]) == NAME
    return code_matches and contract.initialised() and contract.owner() == contract.address


# -- storage planted by creation code ---------------------------------------------------------------

def test_planted_storage_passes_the_runtime_checks_and_its_record_takes_honest_deposits(any_lab, creators):
    lab, mallory = any_lab, any_lab.accounts.mallory
    contract = _planted_trainer(lab, creators, mallory)
    assert _passes_the_runtime_checks(lab, contract)
    # What attach used to hand out for it: a working trainer handle.
    trainer = Trainer(lab, contract, SparsePerceptron, "DepositRefundTake")
    honest = [trainer.add_data(*GOOD, sender=lab.accounts[1 + i % 8]) for i in range(HONEST_CONTRIBUTIONS)]
    deposits = sum(c.deposit for c in honest)
    assert lab.balance(contract) == deposits  # every genuine record is backed…
    planted = contract.contribution(_samples.pack(GOOD[0], True), GOOD[1], mallory, PLANTED_ID)
    assert planted == [PLANTED_WEI, PLANTED_WEI, GENESIS_TIMESTAMP, False]  # …and one more record promises 20 ether
    lab.time_travel(seconds=REFUND_WAIT)
    before = lab.balance(mallory)
    contract.refund(_samples.pack(GOOD[0], True), GOOD[1], PLANTED_ID, sender=mallory)
    assert lab.balance(mallory) - before == PLANTED_WEI
    outcomes = []
    for c in honest:
        try:
            trainer.refund(c, sender=c.contributor)
            outcomes.append("refunded")
        except RevertError as error:
            outcomes.append(error.error_name)
    assert deposits - PLANTED_WEI < 2 * honest[0].deposit  # what is left covers one refund
    assert outcomes == ["refunded"] + ["PaymentFailed"] * (HONEST_CONTRIBUTIONS - 1)


def test_attach_refuses_a_trainer_whose_creation_code_planted_storage(any_lab, creators):
    contract = _planted_trainer(any_lab, creators, any_lab.accounts.mallory)
    with pytest.raises(ConfigError, match=f"has {NAME}'s code but was created by other creation code .* may have "
                                          r"written anything into its storage \(a contribution nobody paid for"):
        any_lab.attach(contract.address)


# -- how a genuine trainer may have been created -----------------------------------------------------

def test_attach_accepts_a_trainer_deployed_by_another_account(any_lab):
    deployed = any_lab.deploy(sparse_twin(), drt(), sender=any_lab.accounts.bob)
    attached = any_lab.attach(deployed.address)
    assert type(attached) is type(deployed) and attached.address == deployed.address
    assert attached.add_data(*GOOD, sender=any_lab.accounts.carol) == deployed.contributions()[0]


@pytest.mark.parametrize("any_lab", ["pyevm", "anvil"], indirect=True)
def test_attach_accepts_a_trainer_deployed_through_raw_web3_transactions(any_lab):
    w3, bob, artifact = any_lab.w3, any_lab.accounts.bob, load_artifact(NAME)
    tx_hash = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"]).constructor(
        *_constructor_args()).transact({"from": bob})
    address = w3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"]
    raw = w3.eth.contract(address=address, abi=artifact["abi"])
    _initialise(any_lab.at(NAME, address),
                lambda function, args: getattr(raw.functions, function.name)(*args).transact({"from": bob}))
    attached = any_lab.attach(address)
    assert attached.predict(GOOD_0[0]) == GOOD_0[1]


def test_attach_refuses_a_trainer_created_by_another_contract(any_lab, creators):
    factory = any_lab.deploy_contract(creators["ContractFactory"])
    factory.create(_genuine_initcode())
    contract = any_lab.at(NAME, factory.created())
    _initialise(contract, lambda function, args: factory.relay(contract.address, function._pick(args).encode(args)))
    assert _passes_the_runtime_checks(any_lab, contract)
    with pytest.raises(ConfigError, match=f"at {contract.address} was created by another contract while transaction "
                                          "0x[0-9a-f]{64} ran, not deployed by a transaction"):
        any_lab.attach(contract.address)


def test_attach_refuses_trailing_bytes_after_the_constructor_arguments(any_lab):
    contract = _deploy_initcode(any_lab, _genuine_initcode() + bytes(32))  # the constructor ignores them
    _initialise(contract)
    assert _passes_the_runtime_checks(any_lab, contract)
    with pytest.raises(ConfigError, match=rf"followed by {32 * 7} bytes that are not exactly the ABI encoding of its "
                                          r"constructor arguments \(uint256, int256, int64, uint256, uint256, uint256\)"):
        any_lab.attach(contract.address)


def test_attach_refuses_a_contract_with_no_record_of_its_creation(anvil):
    with Lab(anvil.url) as lab:
        genuine = lab.deploy(sparse_twin(), drt())
        address = "0x" + "12" * 20
        lab._engine._rpc("anvil_setCode", [address, "0x" + lab._engine.code(genuine.address).hex()])
        owned_and_frozen = 1 << 160 | int(address, 16)  # slot 0: owner, then the `initialised` flag
        lab._engine._rpc("anvil_setStorageAt", [address, "0x0", "0x%064x" % owned_and_frozen])
        assert _passes_the_runtime_checks(lab, lab.at(NAME, address))
        with pytest.raises(ConfigError, match=f"this chain has no record of how the contract at {address} was created"):
            lab.attach(address)


# -- a working handle; code and state refusals ------------------------------------------------------

MARKET = PredictionMarket(min_stake=10**15, participation_time=1_000, reveal_time=1_000)


def _open_market(lab, market):
    market.commit([[0], [2], [1], [3]], [1, 0, 1, 0], bounty=10**16, pieces=2, seed=1, sender=lab.accounts.deployer)
    market.reveal_chosen_piece(sender=lab.accounts.deployer)


@pytest.mark.parametrize("incentive", [drt(), Points(), MARKET], ids=["DepositRefundTake", "Points", "PredictionMarket"])
def test_attach_returns_a_working_handle(revm_lab, incentive):
    deployed = revm_lab.deploy(sparse_twin(), incentive, sender=revm_lab.accounts.deployer)
    if incentive is MARKET:
        _open_market(revm_lab, deployed)
    attached = revm_lab.attach(deployed.address)
    assert type(attached) is type(deployed)
    assert attached.incentive_name == incentive.contract_name
    c = attached.add_data(*GOOD, sender=revm_lab.accounts.alice)
    assert deployed.contributions() == attached.contributions() == [c]
    assert attached.predict(GOOD_0[0]) == deployed.predict(GOOD_0[0]) == GOOD_0[1]
    assert learned_parameters(attached.local_model()) == learned_parameters(deployed.local_model())


def test_attach_refuses_an_address_without_code(revm_lab):
    with pytest.raises(ConfigError, match="there is no contract at"):
        revm_lab.attach(DEAD)


def test_attach_refuses_a_plain_model(revm_lab):
    model = revm_lab.deploy(sparse_twin())
    with pytest.raises(ConfigError, match="not one of dcai-lab's trainer contracts"):
        revm_lab.attach(model.address)


def test_attach_refuses_a_contract_with_other_code(revm_lab):
    jar = revm_lab.deploy_contract("TipJar", 60)
    with pytest.raises(ConfigError, match="not one of dcai-lab's trainer contracts"):
        revm_lab.attach(jar.address)


def test_attach_refuses_a_trainer_still_being_initialised(revm_lab):
    contract = revm_lab.deploy_contract(NAME, *_constructor_args())
    with pytest.raises(ConfigError, match="still being initialised"):
        revm_lab.attach(contract.address)
