"""The gas snapshot: the exact gas of every standard operation, committed, so a change shows.

Like forge's ``.gas-snapshot``, ``.gas-snapshot`` at the repository's root holds one line per
operation of the standard workload (``dcai_lab.gas._workload``: five models × three mechanisms,
2 classes × 1,000 features, k = 50), measured on the default engine (py-evm; its gas is a node's)::

    NaiveBayes/DepositRefundTake: addData, label = prediction (gas: 304662)

``dcai-lab gas-snapshot --check`` measures again and fails when any figure moved, printing the old
figure, the new one and the difference; ``dcai-lab gas-snapshot --write`` rewrites the file after a
change you meant. A test in the suite runs the same check.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ._workload import MECHANISMS, MODELS, STANDARD, measure
from ..errors import ConfigError

__all__ = ["SNAPSHOT", "check", "compare", "format_snapshot", "main", "measure_snapshot", "parse_snapshot"]

#: The committed snapshot.
SNAPSHOT = Path(__file__).resolve().parents[2] / ".gas-snapshot"
#: Counts, not gas: the table shows them, the snapshot does not.
_NOT_GAS = {"deploy transactions"}
_LINE = re.compile(r"^(?P<name>[^:]+: .+) \(gas: (?P<gas>\d+)\)$")


def measure_snapshot(engine: str = "pyevm") -> dict[str, int]:
    """Every standard operation's gas, named ``Model/Mechanism: operation``, in workload order.

    ``engine`` is py-evm by default, the engine whose figures the snapshot holds. revm's gas is
    the same except for the prediction market, whose chosen piece is drawn from a block hash, and
    block hashes differ between the engines."""
    figures = {}
    for model in MODELS:
        for mechanism in MECHANISMS:
            result = measure(model, mechanism, STANDARD, engine=engine)
            if result.failure:
                raise ConfigError(f"the standard workload no longer fits: {model}/{mechanism} {result.failure}")
            figures.update({f"{model}/{mechanism}: {operation}": gas
                            for operation, gas in result.gas.items() if operation not in _NOT_GAS})
    return figures


def format_snapshot(figures: dict[str, int]) -> str:
    """The snapshot file's text: one ``name (gas: N)`` line per figure."""
    return "".join(f"{name} (gas: {gas})\n" for name, gas in figures.items())


def parse_snapshot(text: str) -> dict[str, int]:
    """The figures of a snapshot file's text; a line that is not ``name (gas: N)`` is an error."""
    figures = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _LINE.match(line)
        if not match:
            raise ConfigError(f"line {number} of the gas snapshot is not 'Model/Mechanism: operation (gas: N)': "
                              f"{line!r}. Rewrite it with `dcai-lab gas-snapshot --write`.")
        figures[match["name"]] = int(match["gas"])
    return figures


def compare(old: dict[str, int], new: dict[str, int]) -> pd.DataFrame:
    """Every figure that differs: old, new, difference and percentage (<NA> where a line was added
    or removed). Empty when the two agree."""
    rows = []
    for name in [*old, *(n for n in new if n not in old)]:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        difference = None if before is None or after is None else after - before
        rows.append({"operation": name, "old": before, "new": after, "difference": difference,
                     "%": None if difference is None else round(100 * difference / before, 2)})
    table = pd.DataFrame(rows, columns=["operation", "old", "new", "difference", "%"]).set_index("operation")
    return table.astype({"old": "Int64", "new": "Int64", "difference": "Int64", "%": "Float64"})


def check(path: Path = SNAPSHOT, figures: dict[str, int] | None = None) -> tuple[bool, str]:
    """Whether ``figures`` (default: measured now) equal the snapshot at ``path``, and a message that
    says so or lists every change."""
    if not Path(path).exists():
        return False, f"there is no gas snapshot at {path}: write one with `dcai-lab gas-snapshot --write`."
    old = parse_snapshot(Path(path).read_text())
    changes = compare(old, measure_snapshot() if figures is None else figures)
    if changes.empty:
        return True, f"gas snapshot {path}: all {len(old)} figures unchanged."
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        table = changes.to_string()
    return False, (f"gas snapshot {path}: {len(changes)} of {len(old)} figures changed (old = the snapshot, new = "
                   f"measured now):\n{table}\nIf the change is meant, rewrite it: dcai-lab gas-snapshot --write")


def main(argv: list[str]) -> int:
    """``dcai-lab gas-snapshot --check | --write [--file PATH]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="dcai-lab gas-snapshot", description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="fail (exit 1) when any figure moved")
    action.add_argument("--write", action="store_true", help="measure and rewrite the snapshot")
    parser.add_argument("--file", type=Path, default=SNAPSHOT, help=f"the snapshot (default {SNAPSHOT})")
    args = parser.parse_args(argv)
    if args.write:
        figures = measure_snapshot()
        args.file.write_text(format_snapshot(figures))
        print(f"wrote {len(figures)} figures to {args.file}")
        return 0
    ok, message = check(args.file)
    print(message)
    return 0 if ok else 1
