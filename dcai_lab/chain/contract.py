"""A deployed contract as a Python object: its functions are methods.

State-changing functions send a transaction and return the decoded return value; ``view`` and
``pure`` functions are free calls. Every call takes ``sender=`` (default: the lab's first account)
and state-changing ones also ``value=`` (wei) and ``gas=``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._abi import Event, EventDecoder, Function, event_topic
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..lab import Lab


class ContractFunction:
    """One function name of a contract, with its overloads (chosen by argument count)."""

    def __init__(self, contract: Contract, overloads: list[Function]) -> None:
        self.contract = contract
        self.overloads = overloads
        self.name = overloads[0].name
        counts = [len(f.input_types) for f in overloads]
        self._by_count = {n: f for n, f in zip(counts, overloads) if counts.count(n) == 1}

    def _pick(self, args: tuple) -> Function:
        function = self._by_count.get(len(args))
        if function is None:
            forms = " or ".join(f"{self.name}({f.parameters})" for f in self.overloads)
            counts = " or ".join(str(len(f.input_types)) for f in self.overloads)
            raise ConfigError(f"{self.contract.contract_name}.{self.name} takes {counts} argument"
                              f"{'' if counts == '1' else 's'}: {forms}; got {len(args)}.")
        return function

    def __call__(self, *args: Any, sender: str | None = None, value: int = 0, gas: int | None = None) -> Any:
        function = self._pick(args)
        if function.is_view:
            if value or gas is not None:
                raise ConfigError(f"{self.contract.contract_name}.{self.name} is a free view: it takes no value= "
                                  "or gas=.")
            return self.call(*args, sender=sender)
        if value and not function.payable:
            raise ConfigError(f"{self.contract.contract_name}.{self.name} is not payable: do not send value.")
        return self.contract._lab._transact(self.contract, function, args, sender=sender, value=value, gas=gas)

    def call(self, *args: Any, sender: str | None = None, value: int = 0) -> Any:
        """Run the function as a free call: nothing changes on chain (a what-if for writes)."""
        return self.contract._lab._call(self.contract, self._pick(args), args, sender=sender, value=value)

    def __repr__(self) -> str:
        return f"<function {self.contract.contract_name}.{self.name}>"


class Contract:
    """A contract at ``address`` whose interface is ``abi``."""

    def __init__(self, lab: Lab, name: str, address: str, abi: list[dict]) -> None:
        # Only `address` and `contract_name` are public attributes, so that contract functions
        # called `name`, `owner` or `abi` stay reachable as methods.
        self._lab = lab
        self.contract_name = name
        self.address = address
        self._abi = abi
        functions: dict[str, list[Function]] = {}
        for item in abi:
            if item["type"] == "function":
                functions.setdefault(item["name"], []).append(Function(item))
        self._functions = {name: ContractFunction(self, fs) for name, fs in functions.items()}
        self._events_by_topic = {event_topic(i): EventDecoder(i) for i in abi
                                 if i["type"] == "event" and not i.get("anonymous")}

    def __getattr__(self, name: str) -> ContractFunction:
        functions = self.__dict__.get("_functions", {})
        if name in functions:
            return functions[name]
        raise AttributeError(
            f"{self.__dict__.get('contract_name', 'contract')} has no function {name!r}; "
            f"it has: {', '.join(sorted(functions)) or 'none'}."
        )

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._functions]

    def _decode_log(self, log) -> Event | None:
        decode = self._events_by_topic.get(log.topics[0]) if log.topics else None
        return decode(log) if decode else None

    def __repr__(self) -> str:
        return f"<{self.contract_name} at {self.address}>"


def matches_artifact(code: bytes, artifact: dict) -> bool:
    """Whether deployed ``code`` is ``artifact``'s, once its immutables (set by the constructor)
    are masked."""
    expected = bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x"))
    if len(expected) != len(code):
        return False
    masked = bytearray(code)
    for position in artifact.get("immutablePositions", []):
        start, length = position["start"], position["length"]
        masked[start:start + length] = expected[start:start + length]
    return bytes(masked) == expected
