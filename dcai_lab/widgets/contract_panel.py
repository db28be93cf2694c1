"""Widgets for people who would rather click than type.

``contract_panel(contract)`` is a form for any deployed contract: pick a function, an account and
an amount, fill in the arguments, press the button, and read the result, the events or the
decoded revert underneath.
"""

from __future__ import annotations

import ast
import re

import ipywidgets as widgets
from eth_utils import is_address, to_checksum_address

from ..chain._abi import ARRAY_TYPE, Function
from ..chain.contract import Contract
from ..errors import DcaiLabError, RevertError

def _how(solidity_type: str) -> str:
    """How to type a value of ``solidity_type`` in the form."""
    array = ARRAY_TYPE.match(solidity_type)
    if array:
        return f"a list in brackets, each item {_how(array[1])}, e.g. [1, 2]"
    if solidity_type == "address":
        return "an account's name (alice) or a 0x… address"
    if solidity_type == "bool":
        return "true or false"
    if solidity_type.startswith("bytes"):
        return "hex digits such as 0x1234"
    if solidity_type == "string":
        return "any text"
    if re.match(r"^u?int\d*$", solidity_type):
        return "a whole number such as 42" + (" (0 or more)" if solidity_type.startswith("u") else "")
    return f"a Python literal of type {solidity_type}"


def _items(text: str) -> list[str]:
    """The items of a list typed as ``[a, b, [c, d]]``, split at top-level commas."""
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise ValueError("a list is written in brackets")
    items, depth, start = [], 0, 1
    for i, char in enumerate(inner[1:-1], start=1):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(inner[start:i])
            start = i + 1
    last = inner[start:-1]
    return items + [last] if last.strip() or items else items


def _parse(text: str, solidity_type: str, aliases: dict[str, str]):
    """Read one argument typed by a person: account names and 0x… addresses, numbers, lists, hex
    bytes, and text (quotes optional)."""
    text = text.strip()
    array = ARRAY_TYPE.match(solidity_type)
    if array:
        return [_parse(item, array[1], aliases) for item in _items(text)]
    if solidity_type == "address":
        if text in aliases:
            return aliases[text]
        if is_address(text):
            return to_checksum_address(text)
        raise ValueError("not an account name or address")
    if solidity_type == "string":
        return ast.literal_eval(text) if text[:1] in ("'", '"') else text
    if solidity_type.startswith("bytes"):
        return bytes.fromhex(text.removeprefix("0x"))
    if solidity_type == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    value = ast.literal_eval(text)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _run(contract: Contract, function: Function, sender: str, value: int, texts: list[str]) -> list[str]:
    """Call ``function`` as the form asks; the lines to show the person who clicked."""
    aliases = {a.alias: a for a in contract._lab.accounts}
    args = []
    for i, (text, param, kind) in enumerate(zip(texts, function.abi.get("inputs", []), function.input_types)):
        try:
            args.append(_parse(text, kind, aliases))
        except (ValueError, SyntaxError):
            return [f"could not read {param['name'] or f'argument {i + 1}'} ({kind}) from {text!r}: "
                    f"write {_how(kind)}."]
    kwargs = {"sender": sender} if function.is_view else {"sender": sender, "value": value if function.payable else 0}
    try:
        result = getattr(contract, function.name)(*args, **kwargs)
    except RevertError as error:
        return [f"reverted: {error.reason}"]
    except DcaiLabError as error:
        return [f"could not call it: {error}"]
    except Exception as error:  # a form has nowhere else to show it: an uncaught error would vanish
        return [f"could not call it: {type(error).__name__}: {error}"]
    lines = [] if result is None else [f"returned: {result!r}"]
    if not function.is_view:
        record = contract._lab.last_tx
        lines.append(f"mined in block {record.block}, gas used {record.gas_used:,}")
        lines += [f"event {event.name}: {event.args}" for event in record.events]
    return lines


def contract_panel(contract: Contract) -> widgets.VBox:
    """A form that calls any function of ``contract`` and shows what happened."""
    lab = contract._lab
    functions = {f.name + "(" + ", ".join(f.input_types) + ")": f
                 for fn in contract._functions.values() for f in fn.overloads}
    choose = widgets.Dropdown(options=sorted(functions), description="function")
    sender = widgets.Dropdown(options=[(a.alias, a) for a in lab.accounts], description="sender")
    value = widgets.IntText(value=0, description="value (wei)")
    arguments = widgets.VBox()
    button = widgets.Button(description="call", button_style="primary")
    output = widgets.Output()

    def show_arguments(_=None) -> None:
        function = functions[choose.value]
        arguments.children = [widgets.Text(description=p["name"] or f"arg{i}", placeholder=p["type"])
                              for i, p in enumerate(function.abi.get("inputs", []))]
        value.disabled = not function.payable
        button.description = "call (free)" if function.is_view else "send transaction"

    def run(_=None) -> None:
        output.clear_output()
        output.append_stdout("\n".join(_run(contract, functions[choose.value], sender.value, value.value,
                                             [box.value for box in arguments.children])) + "\n")

    choose.observe(show_arguments, names="value")
    button.on_click(run)
    show_arguments()
    title = widgets.HTML(f"<b>{contract.contract_name}</b> at <code>{contract.address}</code>")
    return widgets.VBox([title, choose, sender, value, arguments, button, output])
