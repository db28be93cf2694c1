"""Widgets for people who would rather click than type.

``contract_panel(contract)`` is a form for any deployed contract: pick a function, an account and
an amount, fill in the arguments, press the button, and read the result, the events or the
decoded revert underneath.
"""

from __future__ import annotations

import ast

import ipywidgets as widgets

from ._abi import Function
from .contract import Contract
from .errors import DcaiLabError, RevertError


def _parse(text: str, solidity_type: str):
    """Read one argument typed by a person: numbers, lists and quoted strings as Python literals."""
    if solidity_type == "string" and not text.strip().startswith(("'", '"')):
        return text
    return ast.literal_eval(text)


def _run(contract: Contract, function: Function, sender: str, value: int, texts: list[str]) -> list[str]:
    """Call ``function`` as the form asks; the lines to show the person who clicked."""
    try:
        args = [_parse(text, kind) for text, kind in zip(texts, function.input_types)]
    except (ValueError, SyntaxError):
        return [f"could not read the arguments {texts!r}: write numbers as 42, lists as [1, 2]."]
    kwargs = {"sender": sender} if function.is_view else {"sender": sender, "value": value if function.payable else 0}
    try:
        result = getattr(contract, function.name)(*args, **kwargs)
    except RevertError as error:
        return [f"reverted: {error.reason}"]
    except DcaiLabError as error:
        return [f"could not call it: {error}"]
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
