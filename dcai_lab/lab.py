"""The Lab: one object that gives you a working Ethereum chain.

    lab = Lab()                        # in-memory chain on py-evm (web3 + eth-tester)
    lab = Lab(engine="revm")           # the same chain on pyrevm, for large simulations
    lab = Lab("http://127.0.0.1:8545") # any JSON-RPC node (anvil, geth, a testnet)

Everything above the engine (ABI encoding, revert decoding, gas records, accounts, time) lives
here, so a script behaves the same on every engine.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

from eth_utils import is_address, keccak, to_checksum_address

from ._abi import Event, Function, decode_revert, signature
from ._artifacts import artifact_names, load_artifact
from .contract import Contract
from .engines import create_engine
from .engines._base import Engine, Log, Receipt
from .errors import ConfigError, NotSupportedError, RevertError
from .gas import DEPLOY, GasReport, TxRecord

#: Aliases of the ten funded accounts, in order: ``lab.accounts.alice is lab.accounts[1]``.
ACCOUNT_ALIASES = ("deployer", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory")

_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class Account(str):
    """An address (a checksummed ``str``) with a readable alias such as ``"alice"``."""

    alias: str

    def __new__(cls, address: str, alias: str) -> Account:
        account = super().__new__(cls, address)
        account.alias = alias
        return account

    def __repr__(self) -> str:
        return f"<Account {self.alias} {str(self)}>"


class Accounts(Sequence[Account]):
    """The lab's funded accounts: by index (``accounts[1]``) or by alias (``accounts.alice``)."""

    def __init__(self, addresses: list[str]) -> None:
        aliases = [*ACCOUNT_ALIASES, *(f"account{i}" for i in range(len(ACCOUNT_ALIASES), len(addresses)))]
        self._accounts = [Account(a, alias) for a, alias in zip(addresses, aliases)]
        self._by_alias = {a.alias: a for a in self._accounts}

    def __getitem__(self, index):  # type: ignore[override]
        return self._accounts[index]

    def __len__(self) -> int:
        return len(self._accounts)

    def __getattr__(self, alias: str) -> Account:
        by_alias = self.__dict__.get("_by_alias", {})
        if alias in by_alias:
            return by_alias[alias]
        raise AttributeError(f"no account called {alias!r}; the aliases are: {', '.join(by_alias)}.")

    def name_of(self, address: str) -> str:
        """The alias of one of these accounts, or the address itself for any other."""
        return next((a.alias for a in self._accounts if a == address), address)

    def __repr__(self) -> str:
        return "\n".join(f"[{i}] {a.alias:<9} {a}" for i, a in enumerate(self._accounts))


class Lab:
    """A chain, its accounts, and everything you do on it.

    Args:
        url: a JSON-RPC node (``http://…``, ``ws://…``); leave out for an in-memory chain.
        engine: ``"pyevm"`` (default) or ``"revm"`` for an in-memory chain, or an engine instance.
        private_keys: keys to sign with on a node that does not hold the accounts itself.
    """

    def __init__(self, url: str | None = None, *, engine: str | Engine | None = None,
                 private_keys: Sequence[str] | None = None) -> None:
        self._engine = create_engine(url, engine=engine, private_keys=private_keys)
        self.accounts = Accounts(self._engine.accounts)
        self._contracts: dict[str, Contract] = {}
        self._errors: dict[bytes, dict] = {}
        for name in artifact_names():
            self._learn_errors(load_artifact(name)["abi"])
        self._records: list[TxRecord] = []

    # -- the chain ---------------------------------------------------------------------------
    @property
    def engine(self) -> str:
        """Which engine runs this lab: ``"pyevm"``, ``"revm"`` or ``"rpc"``."""
        return self._engine.name

    @property
    def w3(self):
        """The real ``web3.Web3`` object on this chain (pyevm and rpc engines)."""
        w3 = getattr(self._engine, "w3", None)
        if w3 is None:
            raise NotSupportedError(f"the {self.engine} engine has no web3 object; use engine='pyevm'.")
        return w3

    @property
    def block_number(self) -> int:
        """Number of the latest mined block."""
        return self._engine.block_number

    @property
    def timestamp(self) -> int:
        """``block.timestamp`` of the latest mined block; the next transaction runs one second later."""
        return self._engine.timestamp

    def time_travel(self, *, seconds: float | None = None, minutes: float | None = None,
                    hours: float | None = None, days: float | None = None,
                    blocks: int | None = None) -> int:
        """Move the chain forward and mine, so ``block.timestamp`` really moves.

        Give exactly one of ``seconds``, ``minutes``, ``hours``, ``days`` (one block that far
        ahead) or ``blocks`` (that many blocks, one second apart). Returns the new timestamp.
        """
        given = {k: v for k, v in dict(seconds=seconds, minutes=minutes, hours=hours, days=days,
                                        blocks=blocks).items() if v is not None}
        if len(given) != 1:
            raise ConfigError("time_travel takes exactly one of seconds=, minutes=, hours=, days= or blocks=.")
        (unit, amount), = given.items()
        if unit == "blocks":
            if not isinstance(amount, int) or amount < 1:
                raise ConfigError(f"blocks= must be a whole number of at least 1, not {amount!r}.")
            self._engine.mine(blocks=amount, seconds=1)
        else:
            total = amount * _SECONDS[unit]
            if total < 1 or total != int(total):
                raise ConfigError(f"{unit}={amount!r} is not a whole, positive number of seconds.")
            self._engine.mine(blocks=1, seconds=int(total))
        return self.timestamp

    @contextlib.contextmanager
    def anchor(self) -> Iterator[None]:
        """Run a what-if: everything inside the ``with`` block is undone when it ends."""
        snapshot = self._engine.snapshot()
        n_records = len(self._records)
        try:
            yield
        finally:
            self._engine.revert(snapshot)
            del self._records[n_records:]

    # -- ether ---------------------------------------------------------------------------------
    def balance(self, address: str | Contract) -> int:
        """Ether held by an account or contract, in wei."""
        return self._engine.balance(self._address(address))

    def send_ether(self, to: str | Contract, value: int, *, sender: str | None = None) -> TxRecord:
        """Send ``value`` wei from ``sender`` (default: the first account) to ``to``."""
        if not isinstance(value, int) or value < 0:
            raise ConfigError(f"value must be a whole number of wei, not {value!r}.")
        to = self._address(to)
        contract = self._contracts.get(to)
        name = contract.contract_name if contract else "(account)"
        sender = self._sender(sender)
        receipt = self._engine.transact(sender, to, b"", value)
        record = self._record(receipt, name, to, "(receive)", sender, value)
        if not receipt.success:
            self._raise_revert(receipt.output, name, "(receive)", sender, receipt.gas_used)
        return record

    # -- contracts -----------------------------------------------------------------------------
    def deploy_contract(self, name: str, *args: Any, sender: str | None = None, value: int = 0,
                        gas: int | None = None) -> Contract:
        """Deploy one of the lab's compiled contracts (``dcai_lab/artifacts``) by name."""
        artifact = load_artifact(name)
        abi = artifact["abi"]
        constructor = next((i for i in abi if i["type"] == "constructor"), {"inputs": []})
        ctor = Function({**constructor, "name": name, "type": "constructor"})
        if len(args) != len(ctor.input_types):
            raise ConfigError(f"{name} takes {len(ctor.input_types)} constructor argument(s); got {len(args)}.")
        data = bytes.fromhex(artifact["bytecode"][2:]) + ctor.encode(args)[4:]
        sender = self._sender(sender)
        receipt = self._engine.transact(sender, None, data, value, gas)
        self._record(receipt, name, receipt.contract_address, DEPLOY, sender, value)
        if not receipt.success:
            self._raise_revert(receipt.output, name, DEPLOY, sender, receipt.gas_used)
        return self._register(Contract(self, name, receipt.contract_address, abi))

    def deploy(self, model: Any, incentive: Any = None, *, sender: str | None = None):
        """Deploy a trained model twin (``dcai_lab.models``): chunked initialisation, then frozen.

        Without ``incentive`` this returns a handle whose ``predict(x)`` is a free call and
        ``local_model()`` a twin read back from the chain; only the deployer may ``update`` it.
        With an incentive (``dcai_lab.incentives``) it returns a ``Trainer`` that anyone may add
        data to under that mechanism's rules; the trainer owns the model.
        """
        from .models._deployed import deploy

        return deploy(self, model, incentive, sender=sender)

    def attach(self, address: str):
        """A ``Trainer`` handle on a trainer deployed by anyone, after checking that it is one
        (known code, frozen parameters, model owned by the trainer); refused with the reason."""
        from .trainer import Trainer

        return Trainer.at(self, address)

    def at(self, name: str, address: str) -> Contract:
        """A handle on a contract already on chain, given its artifact name and address."""
        address = self._address(address)
        if not self._engine.code(address):
            raise ConfigError(f"there is no contract at {address} on this chain.")
        return self._register(Contract(self, name, address, load_artifact(name)["abi"]))

    # -- records -----------------------------------------------------------------------------
    @property
    def transactions(self) -> list[TxRecord]:
        """Every transaction sent through this lab, oldest first (undone ones are dropped)."""
        return list(self._records)

    @property
    def last_tx(self) -> TxRecord:
        if not self._records:
            raise ConfigError("no transaction has been sent yet.")
        return self._records[-1]

    def events(self, name: str | None = None) -> list[Event]:
        """The decoded events of every transaction sent through this lab, oldest first; only those
        called ``name`` (e.g. ``"Taken"``) if given."""
        return [e for r in self._records for e in r.events if name is None or e.name == name]

    @property
    def gas(self) -> GasReport:
        """Per-method gas table of everything sent so far (``lab.gas.report()`` for the DataFrame)."""
        return GasReport(self._records, self.engine, self._engine.exact_gas)

    # -- reverts -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def reverts(self, match: str | re.Pattern | None = None) -> Iterator[_Caught]:
        """Assert that the block reverts.

        ``match`` is a custom error's name (``"StillLocked"``), text the reason must contain, or a
        compiled regular expression searched in the reason; leave it out to accept any revert.
        """
        caught = _Caught()
        try:
            yield caught
        except RevertError as error:
            caught.error = error
            if not _matches(error, match):
                raise AssertionError(f"expected a revert matching {_describe(match)}, got: {error.reason}") from error
        else:
            raise AssertionError(f"expected a revert matching {_describe(match)}, but nothing reverted.")

    # -- internals -----------------------------------------------------------------------------
    def _address(self, target: Any) -> str:
        """The checksummed address of a string, or of a handle with an ``address`` (a contract,
        a trainer, a deployed model)."""
        address = target if isinstance(target, str) else getattr(target, "address", target)
        if not isinstance(address, str) or not is_address(address):
            raise ConfigError(f"{target!r} is not an address (a 0x-prefixed, 40-hex-digit string).")
        return to_checksum_address(address)

    def _sender(self, sender: str | None) -> str:
        return self.accounts[0] if sender is None else self._address(sender)

    def _register(self, contract: Contract) -> Contract:
        self._contracts[contract.address] = contract
        self._learn_errors(contract._abi)
        return contract

    def _learn_errors(self, abi: list[dict]) -> None:
        for item in abi:
            if item["type"] == "error":
                self._errors[keccak(text=signature(item))[:4]] = item

    def _decode_log(self, log: Log) -> Event:
        contract = self._contracts.get(log.address)
        event = contract._decode_log(log) if contract else None
        return event or Event(log.address, "(unknown)", {"topics": log.topics, "data": log.data})

    def _record(self, receipt: Receipt, contract: str, address: str | None, method: str,
                sender: str, value: int) -> TxRecord:
        record = TxRecord(
            contract=contract, address=address, method=method, sender=sender,
            gas_used=receipt.gas_used, block=receipt.block_number, timestamp=receipt.timestamp,
            success=receipt.success, tx_hash=receipt.tx_hash, value=value,
            reason=None if receipt.success else decode_revert(receipt.output, self._errors).reason,
            logs=receipt.logs, decode_log=self._decode_log,
        )
        self._records.append(record)
        return record

    def _raise_revert(self, data: bytes, contract: str, method: str, sender: str, gas_used: int | None):
        decoded = decode_revert(data, self._errors)
        raise RevertError(contract=contract, method=method, sender=sender, reason=decoded.reason,
                          error_name=decoded.name, error_args=decoded.args, data=data, gas_used=gas_used)

    def _transact(self, contract: Contract, function: Function, args: tuple, *, sender: str | None,
                  value: int, gas: int | None) -> Any:
        sender = self._sender(sender)
        receipt = self._engine.transact(sender, contract.address, function.encode(args), value, gas)
        self._record(receipt, contract.contract_name, contract.address, function.name, sender, value)
        if not receipt.success:
            self._raise_revert(receipt.output, contract.contract_name, function.name, sender, receipt.gas_used)
        return function.decode_output(receipt.output) if receipt.output else None

    def _call(self, contract: Contract, function: Function, args: tuple, *, sender: str | None,
              value: int = 0) -> Any:
        sender = self._sender(sender)
        ok, output = self._engine.call(sender, contract.address, function.encode(args), value)
        if not ok:
            self._raise_revert(output, contract.contract_name, function.name, sender, None)
        return function.decode_output(output)

    def close(self) -> None:
        """Release the engine (stop a connection); the lab cannot be used afterwards."""
        self._engine.close()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Lab engine={self.engine} block={self.block_number} time={self.timestamp}>"


class _Caught:
    """What ``lab.reverts`` caught: ``.error`` is the ``RevertError`` once the block has ended."""

    error: RevertError | None = None


def _matches(error: RevertError, match: str | re.Pattern | None) -> bool:
    if match is None:
        return True
    if isinstance(match, re.Pattern):
        return match.search(error.reason) is not None
    return match == error.error_name or match in error.reason


def _describe(match: str | re.Pattern | None) -> str:
    if match is None:
        return "anything"
    return f"/{match.pattern}/" if isinstance(match, re.Pattern) else repr(match)
