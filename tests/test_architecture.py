"""The package's dependencies go one way: no import cycle, and no module imports a layer above its own.

Every import counts, including those inside functions (a lazy import is still a dependency); only
imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dcai_lab"

#: The layers, bottom first, as dcai_lab/__init__.py describes them; a module belongs to the layer
#: of the longest prefix that names it, and may import from its own layer and those below.
LAYERS = [
    ["dcai_lab.errors"],
    ["dcai_lab.chain"],
    ["dcai_lab.gas.report"],
    ["dcai_lab.models", "dcai_lab.incentives", "dcai_lab.datasets"],
    ["dcai_lab.encoders"],
    ["dcai_lab.trainers"],
    ["dcai_lab.lab"],
    ["dcai_lab"],
    ["dcai_lab.gas", "dcai_lab.simulation", "dcai_lab.widgets", "dcai_lab.exercises"],
    ["dcai_lab.tools", "dcai_lab.__main__"],
]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from pkg import submodule`` names the submodule)."""
    modules = {module_name(path, root): path for path in root.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                     and "TYPE_CHECKING" in ast.unparse(block.test) for node in ast.walk(block)}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                            for alias in node.names}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer(module: str) -> int:
    prefixes = [(len(p), i) for i, group in enumerate(LAYERS) for p in group
                if module == p or module.startswith(p + ".")]
    return max(prefixes)[1]


def test_there_is_no_import_cycle():
    assert cycles(import_graph(PACKAGE)) == []


def test_no_module_imports_a_layer_above_its_own():
    upward = [f"{m} (layer {layer(m)}) imports {t} (layer {layer(t)})"
              for m, targets in sorted(import_graph(PACKAGE).items()) for t in sorted(targets) if layer(t) > layer(m)]
    assert upward == []


def test_every_module_has_a_layer():
    assert all(isinstance(layer(m), int) for m in import_graph(PACKAGE))


@pytest.mark.parametrize("planted, expected", [
    # A lazy import inside a function closes a cycle as surely as one at the top.
    ({"a/__init__.py": "", "a/x.py": "def f():\n    from . import y\n", "a/y.py": "from .x import f\n"},
     [["a.x", "a.y"]]),
    # `from .pkg import name` depends on pkg's __init__, which may import back.
    ({"a/__init__.py": "", "a/p/__init__.py": "from .q import g\n", "a/p/q.py": "from ..r import h\n",
      "a/r.py": "from .p import g\n"}, [["a.p", "a.p.q", "a.r"]]),
    # Imports that only a type checker runs are not dependencies.
    ({"a/__init__.py": "", "a/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .y import Y\n",
      "a/y.py": "from .x import X\n"}, []),
])
def test_the_cycle_check_sees_lazy_and_package_imports(tmp_path, planted, expected):
    for name, text in planted.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cycles(import_graph(tmp_path / "a")) == expected
