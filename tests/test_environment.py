"""environment.yml (conda/Binder) and pyproject.toml must describe the same installation."""

import re
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _environment_lines() -> list[str]:
    return [line.strip() for line in (ROOT / "environment.yml").read_text().splitlines()]


def test_environment_installs_the_package_with_the_extras_the_readme_uses():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_lines = [line for line in _environment_lines() if line.startswith("- --editable")]
    assert len(pip_lines) == 1
    extras = re.search(r"\.\[([\w,]+)\]", pip_lines[0]).group(1).split(",")
    assert sorted(extras) == sorted(project["optional-dependencies"])


def test_environment_python_satisfies_requires_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    minimum = tuple(int(p) for p in re.search(r">=(\d+\.\d+)", project["requires-python"]).group(1).split("."))
    (python,) = [line for line in _environment_lines() if line.startswith("- python=")]
    assert tuple(int(p) for p in python.split("=")[1].split(".")) >= minimum


def test_environment_pins_nothing_that_pyproject_already_owns():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    owned = {re.split(r"[\[=<>~!]", d)[0].lower() for d in project["dependencies"]}
    conda = {re.split(r"[=<>]", line[2:])[0].lower() for line in _environment_lines()
             if line.startswith("- ") and not line.startswith("- --") and line != "- pip:"}
    assert not owned & conda


def test_binder_installs_the_same_javascript_tools_as_setup():
    """Notebook 08 compiles with solc-js from node_modules; on Binder only postBuild can put it there."""
    post_build = ROOT / "postBuild"
    command = "npm ci --no-audit --no-fund --loglevel=error"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable for repo2docker"
    assert command in post_build.read_text() and command in (ROOT / "scripts" / "setup").read_text()
