"""Reading the compiled contracts shipped inside the package; needs no compiler."""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources

from ..errors import ArtifactNotFoundError

REBUILD_HINT = "run `dcai-lab build`"


def artifact_names() -> list[str]:
    """Names of the compiled contracts shipped in the package."""
    folder = resources.files("dcai_lab").joinpath("artifacts")
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    available = artifact_names()
    if name not in available:
        raise ArtifactNotFoundError(
            f"There is no artifact called {name!r}; available: {', '.join(available) or 'none'}. "
            f"If you added a contract, {REBUILD_HINT}."
        )
    text = resources.files("dcai_lab").joinpath("artifacts", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_artifact(name: str) -> dict:
    """A committed artifact, as a fresh copy the caller may change."""
    return copy.deepcopy(load(name))
