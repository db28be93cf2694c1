"""The Lab: one object that gives you a working Ethereum chain.

    lab = Lab()                        # in-memory chain on py-evm (web3 + eth-tester)
    lab = Lab(engine="revm")           # the same chain on pyrevm, for large simulations
    lab = Lab("http://127.0.0.1:8545") # any JSON-RPC node (anvil, geth, a testnet)

Everything above the engine (ABI encoding, revert decoding, gas records, accounts, time) lives
here, so a script behaves the same on every engine.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from .chain._abi import DecodedRevert, Event, Function, checksummed, decode_revert, signature
from .chain._artifacts import artifact_names, load_artifact
from .chain.contract import Contract, matches_artifact
from .chain.engines import create_engine
from .chain.engines._base import TX_GAS_CAP, Engine, Log, Receipt, intrinsic_gas
from .errors import (ArgumentTypeError, ArtifactNotFoundError, ConfigError, NotSupportedError, OutOfGasError,
                     RevertError, real_number, whole_number)
from .gas.report import DEPLOY, GasReport, TxRecord
from .trainers import registry

if TYPE_CHECKING:
    from web3 import Web3

    from .incentives import Incentive
    from .models import OnChainModel
    from .trainers import DeployedModel, Trainer

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
        self._by_address = {str(a): a for a in self._accounts}

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
        account = self._by_address.get(address)
        return account.alias if account is not None else address

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
        self._watchers: list[Callable[[TxRecord | None], None]] = []

    # -- the chain ---------------------------------------------------------------------------
    @property
    def engine(self) -> str:
        """Which engine runs this lab: ``"pyevm"``, ``"revm"`` or ``"rpc"``."""
        return self._engine.name

    @property
    def w3(self) -> Web3:
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

    def time_travel(self, *args: Any, seconds: float | None = None, minutes: float | None = None,
                    hours: float | None = None, days: float | None = None,
                    blocks: int | None = None) -> int:
        """Move the chain forward and mine, so ``block.timestamp`` really moves.

        Give exactly one of ``seconds``, ``minutes``, ``hours``, ``days`` (one block that far
        ahead) or ``blocks`` (that many blocks, one second apart). Returns the new timestamp.
        (``*args`` only catches ``time_travel(3600)``, to say which unit to name.)
        """
        usage = "time_travel takes exactly one of seconds=, minutes=, hours=, days= or blocks=, e.g. " \
                "lab.time_travel(days=1)."
        if args:
            written = ", ".join(map(repr, args))
            raise ArgumentTypeError(f"{usage[:-1]}; name the unit instead of time_travel({written}).")
        given = {k: v for k, v in dict(seconds=seconds, minutes=minutes, hours=hours, days=days,
                                        blocks=blocks).items() if v is not None}
        if len(given) != 1:
            raise ConfigError(usage)
        (unit, amount), = given.items()
        if unit == "blocks":
            self._engine.mine(blocks=whole_number("blocks=", amount, 1), seconds=1)
        else:
            total = real_number(f"{unit}=", amount, 0) * _SECONDS[unit]
            if total < 1 or total != int(total):
                raise ConfigError(f"{unit}={amount!r} is not a whole, positive number of seconds.")
            self._engine.mine(blocks=1, seconds=int(total))
        self._changed(None)
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
            self._changed(None)

    def watch(self, callback: Callable[[TxRecord | None], None]) -> Callable[[], None]:
        """Call ``callback(record)`` after every transaction sent through this lab, and
        ``callback(None)`` after a time travel or the end of an anchor; returns the function that
        stops it. Dashboards use it to update as transactions land, whoever sends them."""
        self._watchers.append(callback)
        return lambda: self._watchers.remove(callback) if callback in self._watchers else None

    def _changed(self, record: TxRecord | None) -> None:
        for callback in list(self._watchers):
            callback(record)

    # -- ether ---------------------------------------------------------------------------------
    def balance(self, address: str | Contract) -> int:
        """Ether held by an account or contract, in wei."""
        return self._engine.balance(self._address(address))

    def send_ether(self, to: str | Contract, value: int, *, sender: str | None = None) -> TxRecord:
        """Send ``value`` wei from ``sender`` (default: the first account) to ``to``."""
        to = self._address(to)
        contract = self._contracts.get(to)
        name = contract.contract_name if contract else "(account)"
        return self._send(name, to, "(receive)", b"", sender=sender, value=value, gas=None)[1]

    def send_transaction(self, to: str | Contract | None, data: bytes = b"", *, sender: str | None = None,
                         value: int = 0, gas: int | None = None) -> TxRecord:
        """Send raw calldata ``data`` to ``to``, as a wallet would; with ``to=None``, ``data`` is
        creation code and the record's ``address`` is the new contract. Recorded, decoded and
        refused like every transaction (``RevertError`` if it fails)."""
        if not isinstance(data, (bytes, bytearray)):
            raise ArgumentTypeError(f"data is the raw calldata as bytes, not {type(data).__name__}.")
        if to is None:
            return self._send("(creation)", None, DEPLOY, bytes(data), sender=sender, value=value, gas=gas)[1]
        to = self._address(to)
        contract = self._contracts.get(to)
        name = contract.contract_name if contract else "(account)"
        return self._send(name, to, "(raw)", bytes(data), sender=sender, value=value, gas=gas)[1]

    # -- contracts -----------------------------------------------------------------------------
    def deploy_contract(self, contract: str | Mapping[str, Any], *args: Any, sender: str | None = None,
                        value: int = 0, gas: int | None = None) -> Contract:
        """Deploy a compiled contract: one of the lab's own by name (``dcai_lab/artifacts``), or an
        artifact of your own (what ``dcai_lab.tools.build.compile_contracts`` returns for it: a dict
        with ``contractName``, ``abi`` and ``bytecode``). Either way the lab then decodes its calls,
        events and custom errors and counts its gas like any other contract's."""
        artifact = _artifact(contract)
        name, abi = artifact["contractName"], artifact["abi"]
        constructor = next((i for i in abi if i["type"] == "constructor"), {"inputs": []})
        ctor = Function({**constructor, "name": name, "type": "constructor"})
        if len(args) != len(ctor.input_types):
            raise ConfigError(f"deploying {name} takes {_arguments(len(ctor.input_types))} for its constructor "
                              f"({ctor.parameters}); got {len(args)}.")
        data = bytes.fromhex(artifact["bytecode"].removeprefix("0x")) + ctor.encode(args)[4:]
        receipt, _ = self._send(name, None, DEPLOY, data, sender=sender, value=value, gas=gas)
        return self._register(Contract(self, name, receipt.contract_address, abi))

    def deploy(self, model: OnChainModel, incentive: Incentive | None = None, *,
               sender: str | None = None) -> DeployedModel | Trainer:
        """Deploy a trained model twin (``dcai_lab.models``): chunked initialisation, then frozen.

        Without ``incentive`` this returns a handle whose ``predict(x)`` is a free call and
        ``local_model()`` a twin read back from the chain; only the deployer may ``update`` it.
        With an incentive (``dcai_lab.incentives``) it returns a ``Trainer`` that anyone may add
        data to under that mechanism's rules; the trainer owns the model.
        """
        return registry.deploy(self, model, incentive, sender=sender)

    def attach(self, address: str) -> Trainer:
        """A ``Trainer`` handle on a trainer deployed by anyone, after checking that it is one
        (known code, deployed by a transaction that ran exactly that trainer's creation code, frozen
        parameters, model owned by the trainer); refused with the reason."""
        return registry.attach(self, address)

    def at(self, contract: str | Mapping[str, Any], address: str) -> Contract:
        """A handle on a contract already on chain, given its artifact (a name, or an artifact of
        your own as for ``deploy_contract``) and address; refused when the code there is not that
        contract's."""
        artifact = _artifact(contract)
        name = artifact["contractName"]
        address = self._address(address)
        code = self._engine.code(address)
        if not code:
            raise ConfigError(f"there is no contract at {address} on this chain.")
        if not matches_artifact(code, artifact):
            known = self._contracts.get(address)
            what = f"a {known.contract_name}" if known else "not a " + name
            raise ConfigError(f"the contract at {address} is {what}: its code differs from the {name} artifact.")
        return self._register(Contract(self, name, address, artifact["abi"]))

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
        if name is not None and not isinstance(name, str):
            raise ArgumentTypeError(f"events takes an event's name such as 'Tipped', not {name!r}.")
        return [e for r in self._records for e in r.events if name is None or e.name == name]

    @property
    def gas(self) -> GasReport:
        """Gas tables of everything sent so far: ``lab.gas.report()`` per method, ``deployments()``,
        ``transactions()`` (Cancun and Prague), ``cost(…)`` in money at prices you give."""
        return GasReport(self._records, self.engine, self._engine.exact_gas, self._engine.fork)

    # -- reverts -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def reverts(self, match: str | re.Pattern | None = None) -> Iterator[_Caught]:
        """Assert that the block reverts.

        ``match`` is a custom error's name (``"StillLocked"``), text the reason must contain, or a
        compiled regular expression searched in the reason; leave it out to accept any revert.
        """
        if match is not None and not isinstance(match, (str, re.Pattern)):
            raise ArgumentTypeError(f"reverts takes an error's name ('StillLocked'), text of the reason, or "
                                    f"re.compile(…), not {match!r}.")
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
        valid = checksummed(address) if isinstance(address, str) else None
        if valid is None:
            hint = f" For the account called {target}, write lab.accounts.{target}." \
                if isinstance(target, str) and target in self.accounts._by_alias else ""
            raise ConfigError(f"{target!r} is not an address (a 0x-prefixed, 40-hex-digit string).{hint}")
        return valid

    def _sender(self, sender: str | None) -> str:
        """The sending account: one of ``accounts``, since the lab signs only for those."""
        if sender is None:
            return self.accounts[0]
        address = self._address(sender)
        if address not in self.accounts._by_address:
            keys = " or give the lab its key: Lab(url, private_keys=[…])" if self.engine == "rpc" else ""
            raise ConfigError(f"{address} is not one of this lab's accounts, so the lab cannot sign for it: send "
                              f"from one of lab.accounts (e.g. sender=lab.accounts.alice){keys}.")
        return address

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
                sender: str, value: int, data: bytes) -> TxRecord:
        record = TxRecord(
            contract=contract, address=address, method=method, sender=sender,
            gas_used=receipt.gas_used, block=receipt.block_number, timestamp=receipt.timestamp,
            success=receipt.success, tx_hash=receipt.tx_hash, value=value,
            reason=None if receipt.success else self._failure(receipt.output, receipt.out_of_gas,
                                                              receipt.gas_used, receipt.gas_limit).reason,
            logs=receipt.logs, decode_log=self._decode_log, data=data,
        )
        self._records.append(record)
        self._changed(record)
        return record

    def _failure(self, output: bytes, out_of_gas: bool, gas_used: int, gas_limit: int) -> DecodedRevert:
        """Why a transaction or call failed: its decoded revert, or that it ran out of gas."""
        if out_of_gas:
            return DecodedRevert(_out_of_gas_reason(gas_limit), "OutOfGas",
                                 {"gasUsed": gas_used, "gasLimit": gas_limit})
        return decode_revert(output, self._errors)

    def _revert_error(self, contract: str, method: str, sender: str, output: bytes, out_of_gas: bool,
                      gas_used: int | None, gas_limit: int = TX_GAS_CAP) -> RevertError:
        """The error of a failed transaction (``gas_used`` given) or call (``None``)."""
        failure = self._failure(output, out_of_gas, gas_limit if gas_used is None else gas_used, gas_limit)
        error = OutOfGasError if out_of_gas else RevertError
        return error(contract=contract, method=method, sender=sender, reason=failure.reason, error_name=failure.name,
                     error_args=failure.args, data=output, gas_used=gas_used)

    def _send(self, contract: str, to: str | None, method: str, data: bytes, *, sender: str | None,
              value: int, gas: int | None) -> tuple[Receipt, TxRecord]:
        """Check what can be checked, mine one transaction, record it, and raise if it failed."""
        value = whole_number("value", value, 0, hint=" It is in wei: 10**18 wei is one ether.")
        if gas is not None:
            _check_gas(gas, intrinsic_gas(data, create=to is None))
        sender = self._sender(sender)
        if value and value > self._engine.balance(sender):
            raise ConfigError(f"{self.accounts.name_of(sender)} holds {self._engine.balance(sender):,} wei and "
                              f"cannot send {value:,}.")
        receipt = self._engine.transact(sender, to, data, value, gas)
        record = self._record(receipt, contract, receipt.contract_address if to is None else to, method, sender,
                              value, data)
        if not receipt.success:
            raise self._revert_error(contract, method, sender, receipt.output, receipt.out_of_gas, receipt.gas_used,
                                     receipt.gas_limit)
        return receipt, record

    def _transact(self, contract: Contract, function: Function, args: tuple, *, sender: str | None,
                  value: int, gas: int | None) -> Any:
        receipt, _ = self._send(contract.contract_name, contract.address, function.name, function.encode(args),
                                sender=sender, value=value, gas=gas)
        return function.decode_output(receipt.output) if receipt.output else None

    def _call(self, contract: Contract, function: Function, args: tuple, *, sender: str | None,
              value: int = 0) -> Any:
        sender = self._sender(sender)
        value = whole_number("value", value, 0)
        result = self._engine.call(sender, contract.address, function.encode(args), value)
        if not result.success:
            raise self._revert_error(contract.contract_name, function.name, sender, result.output, result.out_of_gas,
                                     None)
        return function.decode_output(result.output)

    def close(self) -> None:
        """Release the engine (stop a connection); the lab cannot be used afterwards."""
        self._engine.close()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Lab engine={self.engine} block={self.block_number} time={self.timestamp}>"


def _artifact(contract: Any) -> dict:
    """The artifact ``contract`` names, or ``contract`` itself if it is one; refused with the closest
    names when there is no such artifact."""
    if isinstance(contract, Mapping):
        missing = [key for key in ("contractName", "abi", "bytecode") if key not in contract]
        if missing:
            raise ConfigError(f"an artifact is a dict with contractName, abi and bytecode (as compile_contracts "
                              f"returns); this one has no {', '.join(missing)}.")
        return dict(contract)
    if not isinstance(contract, str):
        raise ArgumentTypeError(f"a contract is named by a str such as 'TipJar' or given as an artifact dict, "
                                f"not {contract!r}.")
    names = artifact_names()
    if contract not in names:
        close = difflib.get_close_matches(contract, names, n=3, cutoff=0.6) or \
            [n for n in names if n.lower() == contract.lower()]
        guess = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ArtifactNotFoundError(f"there is no contract called {contract!r}.{guess} The lab has: "
                                    f"{', '.join(n for n in names if 'With' not in n)} (and their trainers).")
    return load_artifact(contract)


def _arguments(n: int) -> str:
    return f"{n} argument" + ("" if n == 1 else "s")


def _check_gas(gas: Any, floor: int) -> None:
    """A ``gas=`` a transaction can run with: at least its intrinsic cost, at most the cap."""
    gas = whole_number("gas", gas, hint=" Leave gas= out to give a transaction the most it may use.")
    if gas > TX_GAS_CAP:
        raise ConfigError(f"gas={gas:,} is above {TX_GAS_CAP:,}, the most one transaction may use (EIP-7825). "
                          "Leave gas= out to give it that much; if that is not enough, give it less work.")
    if gas < floor:
        raise ConfigError(f"gas={gas:,} does not cover the {floor:,} gas this transaction costs before it runs "
                          "(21,000 for any transaction, more to create a contract, and some for each byte of "
                          "data). Give at least that, or leave gas= out.")


def _out_of_gas_reason(gas_limit: int) -> str:
    """What running out of gas means, and what to do about it."""
    if gas_limit >= TX_GAS_CAP:
        given = f"all {gas_limit:,} gas it was given, the most one transaction or call may use"
    else:
        given = f"all {gas_limit:,} gas it was given (up to {TX_GAS_CAP:,} may be given: leave gas= out)"
    return (f"ran out of gas: it used {given}, and nothing it did counts. Give it less work: a sample with "
            "fewer present features, a smaller model (fewer features or classes), or the work split into "
            "chunks, as lab.deploy loads a model's parameters.")


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
