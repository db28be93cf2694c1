"""Every notebook exercise starts unsolved, and its reference solution solves it.

Each notebook laid out as ``dcai_lab/exercises.py`` describes (cells tagged ``exercise`` and
``check``) is executed twice with nbclient: as committed, where every check must print "not yet",
and with the solutions of ``tests/notebook_solutions.py`` in its exercise cells, where every check
must print "correct". A notebook joins by tagging its cells and adding its solutions.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from notebook_solutions import SOLUTIONS

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"

#: Notebooks with self-checks that are not tagged yet, and why they may wait.
NOT_YET_TAGGED: dict[str, str] = {}


@dataclass(frozen=True)
class Exercise:
    notebook: str
    number: int
    cells: tuple[str, ...]  # ids of the cells tagged `exercise`
    check: str  # id of the cell tagged `check`


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def exercises(name: str) -> list[Exercise]:
    """The notebook's exercises: each check cell closes one, made of the exercise cells since the last."""
    found, pending = [], []
    for cell in read(name).cells:
        if "exercise" in tags(cell):
            pending.append(cell.id)
        if "check" in tags(cell):
            found.append(Exercise(name, len(found) + 1, tuple(pending), cell.id))
            pending = []
    return found


def calls_a_check(cell) -> bool:
    return cell.cell_type == "code" and re.search(r"\bcheck_\w+\(", cell.source) is not None


TAGGED = [path.name for path in sorted(NOTEBOOKS.glob("*.ipynb")) if exercises(path.name)]
EXERCISES = [exercise for name in TAGGED for exercise in exercises(name)]
IDS = [f"{e.notebook.removesuffix('.ipynb')}-{e.number}" for e in EXERCISES]


@functools.cache
def verdicts(name: str, solved: bool) -> dict[str, str]:
    """Execute the notebook (with the reference solutions if ``solved``); what each check cell printed."""
    nb = read(name)
    if solved:
        for cell in nb.cells:
            if "exercise" in tags(cell):
                cell.source = SOLUTIONS[name][cell.id]
    NotebookClient(nb, kernel_name=nb.metadata.kernelspec.name, timeout=600,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return {cell.id: "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout").strip()
            for cell in nb.cells if "check" in tags(cell)}


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_untouched_notebook_says_not_yet(exercise):
    verdict = verdicts(exercise.notebook, solved=False)[exercise.check]
    assert verdict.startswith("not yet: ") and "\n" not in verdict, f"before any work the check prints {verdict!r}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_reference_solution_is_correct(exercise):
    assert verdicts(exercise.notebook, solved=True)[exercise.check] == "correct"


def test_notebooks_01_to_04_follow_the_layout():
    assert {"01_your_first_chain.ipynb", "02_a_model_on_chain.ipynb", "03_deposit_refund_take.ipynb",
            "04_points_and_badges.ipynb"} <= set(TAGGED)


@pytest.mark.parametrize("name", [path.name for path in sorted(NOTEBOOKS.glob("*.ipynb"))
                                  if path.name in TAGGED or path.name not in NOT_YET_TAGGED])
def test_every_self_check_is_tagged(name):
    untagged = [cell.id for cell in read(name).cells if calls_a_check(cell) and "check" not in tags(cell)]
    assert untagged == [], f"{name}: tag these cells `check` (see dcai_lab/exercises.py)"


@pytest.mark.parametrize("name", TAGGED)
def test_every_exercise_has_a_cell_to_fill_in_and_one_solution_per_cell(name):
    cells = [cell for exercise in exercises(name) for cell in exercise.cells]
    assert all(exercise.cells for exercise in exercises(name)), "an exercise without a cell tagged `exercise`"
    assert sorted(cells) == sorted(SOLUTIONS.get(name, {})), f"{name}: one solution per exercise cell, by cell id"


def test_every_solution_belongs_to_a_tagged_notebook():
    assert set(SOLUTIONS) <= set(TAGGED)
