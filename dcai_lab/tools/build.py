"""Offline, byte-for-byte reproducible Solidity build.

Every ``*.sol`` file under ``contracts/``, plus the model × mechanism compositions this module
generates (:func:`generated_sources`; contracts/README.md), is compiled in one standard-JSON run with
a pinned compiler version and pinned settings, and each contract with bytecode becomes one JSON
artifact in ``dcai_lab/artifacts/``. The artifacts are committed, so the rest of the lab (and
students without a compiler) only ever *read* them through :func:`load_artifact`.

Reproducibility rests on three things: the exact compiler release (``SOLC_VERSION``), the settings in
``SETTINGS``, and source unit names relative to ``contracts/`` (the metadata hash embedded at the end
of the bytecode covers the names, so an absolute path would make the bytecode machine-specific).

Run ``dcai-lab build`` to rebuild and ``dcai-lab build --check`` to ask, without
compiling, whether the committed artifacts still match the sources.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..chain import _artifacts
from ..chain._artifacts import REBUILD_HINT, ArtifactNotFoundError, artifact_names, load_artifact  # noqa: F401 (re-exported)
from ..errors import BuildError

SOLC_VERSION = "0.8.37"
"""The only compiler release we build with; bytecode differs between releases."""

EVM_VERSION = "cancun"
"""py-evm, pyrevm 0.3.7 and anvil all run cancun; solc>=0.8.30 defaults to a newer fork."""

SETTINGS: dict = {
    "evmVersion": EVM_VERSION,
    "optimizer": {"enabled": True, "runs": 200},
    "metadata": {"bytecodeHash": "ipfs", "appendCBOR": True},
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "devdoc",
                "evm.bytecode.linkReferences",
                "evm.bytecode.object",
                "evm.deployedBytecode.immutableReferences",
                "evm.deployedBytecode.linkReferences",
                "evm.deployedBytecode.object",
                "evm.methodIdentifiers",
                "metadata",
                "userdoc",
            ]
        }
    },
}
"""The whole standard-JSON ``settings`` object, kept in one place and recorded in every artifact."""

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_DIR.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
ARTIFACTS_DIR = PACKAGE_DIR / "artifacts"
NODE_MODULES = REPO_ROOT / "node_modules"


# A tiny solc-js driver: standard JSON on stdin -> "<long version>\n<standard JSON output>" on stdout.
# The path to node_modules/solc comes in as an argument so the result never depends on the cwd.
_SOLC_JS_DRIVER = """
const solc = require(process.argv[1]);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => { process.stdout.write(solc.version() + '\\n' + solc.compile(input)); });
"""

# "0.8.37+commit.f401782d.Linux.g++" or "...Emscripten.clang" -> "0.8.37+commit.f401782d".
_LONG_VERSION = re.compile(r"(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?\+commit\.[0-9a-f]+)")


class CompilerNotFoundError(BuildError):
    """Neither a native solc of the right version nor solc-js is available."""


class CompilationError(BuildError):
    """solc reported errors in the contracts."""


def normalise_version(reported: str) -> str:
    """Strip platform suffixes so native solc and solc-js record the same version string."""
    match = _LONG_VERSION.search(reported)
    if match is None:
        raise BuildError(f"Could not read a compiler version from {reported!r}.")
    return match.group(1)


@dataclass(frozen=True)
class Compiler:
    """One way of running solc, found once so the build can say which binary it used."""

    description: str
    command: tuple[str, ...]
    version: str = ""  # known up front for native solc; solc-js's driver prints it on line one

    def run(self, standard_input: dict) -> tuple[str, dict]:
        """Compile one standard-JSON input; return (normalised long version, standard-JSON output)."""
        try:
            proc = subprocess.run(
                self.command,
                input=json.dumps(standard_input, sort_keys=True),
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=600,
                check=False,
            )
        except OSError as exc:
            raise CompilerNotFoundError(f"Could not start {self.description}: {exc}") from exc
        if proc.returncode != 0:
            raise BuildError(
                f"{self.description} failed (exit code {proc.returncode}):\n{proc.stderr.strip()}"
            )
        stdout, reported = proc.stdout, self.version
        if not reported:
            reported, _, stdout = stdout.partition("\n")
        version = normalise_version(reported)
        if not version.startswith(SOLC_VERSION + "+"):
            raise CompilerNotFoundError(
                f"{self.description} reports version {version}, but the lab pins {SOLC_VERSION}; "
                f"run `npm ci` in {REPO_ROOT} to install the pinned solc-js."
            )
        try:
            return version, json.loads(stdout)
        except json.JSONDecodeError as exc:
            raise BuildError(f"{self.description} printed something that is not JSON: {exc}") from exc


def _native_solc() -> tuple[Compiler | None, str]:
    """A native solc on PATH if it is exactly SOLC_VERSION, plus a note on why not otherwise."""
    solc = shutil.which("solc")
    if solc is None:
        return None, "no native solc on PATH"
    try:
        out = subprocess.run(
            [solc, "--version"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
        version = normalise_version(out)
    except (OSError, subprocess.TimeoutExpired, BuildError):
        return None, f"{solc} did not report a version"
    if version.split("+")[0] != SOLC_VERSION:
        return None, f"{solc} is version {version}, not {SOLC_VERSION}"
    return Compiler(f"native solc {version} at {solc}", (solc, "--standard-json"), version), ""


def _solc_js(node_modules: Path) -> tuple[Compiler | None, str]:
    """solc-js from the repo's node_modules (pinned in package.json), run through node."""
    node = shutil.which("node")
    package_json = node_modules / "solc" / "package.json"
    if node is None:
        return None, "node is not on PATH"
    if not package_json.is_file():
        return None, f"{package_json.parent} is missing"
    installed = json.loads(package_json.read_text(encoding="utf-8")).get("version", "?")
    if installed != SOLC_VERSION:
        return None, f"{package_json.parent} is version {installed}, not {SOLC_VERSION}"
    command = (node, "-e", _SOLC_JS_DRIVER, str(node_modules / "solc"))
    return Compiler(f"solc-js {installed} via node ({node_modules / 'solc'})", command), ""


def find_compiler(node_modules: Path | None = None) -> Compiler:
    """Prefer a native solc of exactly SOLC_VERSION (fast), else the pinned solc-js (always works)."""
    native, why_not_native = _native_solc()
    if native is not None:
        return native
    js, why_not_js = _solc_js(node_modules or NODE_MODULES)
    if js is not None:
        return js
    raise CompilerNotFoundError(
        f"No Solidity compiler {SOLC_VERSION} found ({why_not_native}; {why_not_js}). "
        f"Install node.js and run `npm ci` in {REPO_ROOT} to get the pinned solc-js."
    )


MECHANISMS: dict[str, str] = {
    "DepositRefundTake": "deposits refunded or taken",
    "Points": "points and badges",
    "PredictionMarket": "stakes paid by their effect on a hidden test set",
}
"""Incentive mechanisms (``contracts/trainers/<name>.sol``) -> the phrase that describes them in a
composition's ``@notice``. Adding a mechanism means adding one line here; models need no line."""

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_CONTRACT = re.compile(r"^[ \t]*(abstract[ \t]+)?contract[ \t]+(\w+)", re.MULTILINE)
_CONSTRUCTOR = re.compile(r"\bconstructor\s*\(([^)]*)\)")


@dataclass(frozen=True)
class _Part:
    """A model or a mechanism as a composition needs it: where it lives and what it is built from."""

    name: str
    source_name: str  # e.g. "models/NaiveBayes.sol"
    abstract: bool  # mechanisms and the models' bases are; a composable model is not
    parameters: tuple[str, ...]  # the constructor's, as written: "uint256[] memory sampleCounts"
    overrides_after_initialisation: bool

    def call(self) -> str:
        """How the composition's constructor passes its arguments on: ``NaiveBayes(a, b)``."""
        return f"{self.name}({', '.join(p.split()[-1] for p in self.parameters)})"


def _parts(contracts_dir: Path, folder: str) -> dict[str, _Part]:
    """Every contract in ``contracts_dir/folder/*.sol`` with its constructor, read from the source."""
    parts = {}
    for path in sorted((contracts_dir / folder).glob("*.sol")):
        code = _COMMENT.sub("", path.read_bytes().decode("utf-8"))
        found = list(_CONTRACT.finditer(code))
        for match, following in zip(found, [*found[1:], None]):
            body = code[match.end() : following.start() if following else len(code)]
            constructor = _CONSTRUCTOR.search(body)
            parameters = constructor.group(1).split(",") if constructor and constructor.group(1).strip() else []
            parts[match.group(2)] = _Part(
                name=match.group(2),
                source_name=f"{folder}/{path.name}",
                abstract=match.group(1) is not None,
                parameters=tuple(" ".join(p.split()) for p in parameters),
                overrides_after_initialisation=re.search(r"\bfunction\s+_afterInitialisation\b", body) is not None,
            )
    return parts


def _composition(model: _Part, mechanism: _Part, notice: str) -> str:
    """The source of ``<Model>With<Mechanism>``: the two joined, the constructor split between them."""
    name = f"{model.name}With{mechanism.name}"
    hook = mechanism.name if mechanism.overrides_after_initialisation else "CollaborativeTrainer"
    imports = [
        f'import {{{model.name}}} from "../{model.source_name}";',
        f'import {{{mechanism.name}}} from "./{mechanism.source_name.removeprefix("trainers/")}";',
        'import {Classifier} from "../models/Classifier.sol";',
    ]
    if hook == "CollaborativeTrainer":
        imports.append('import {CollaborativeTrainer} from "./CollaborativeTrainer.sol";')
    return "\n".join(
        [
            "// SPDX-License-Identifier: MIT",
            f"pragma solidity {SOLC_VERSION};",
            "",
            *imports,
            "",
            f"/// @title {name}",
            f"/// @notice A {model.name} that anyone may train, with {notice} ({mechanism.name}).",
            f"contract {name} is {model.name}, {mechanism.name} {{",
            f"    constructor({', '.join(model.parameters + mechanism.parameters)})",
            f"        {model.call()}",
            f"        {mechanism.call()}",
            "    {}",
            "",
            f"    function _afterInitialisation() internal override(Classifier, {hook}) {{",
            f"        {hook}._afterInitialisation();",
            "    }",
            "}",
            "",
        ]
    )


def generated_sources(contracts_dir: Path | None = None) -> dict[str, str]:
    """Every model × mechanism composition, by source unit name (``trainers/<Model>With<Mechanism>.sol``).

    They are the same twenty lines with names changed, so the build writes them instead of people:
    every deployable contract in ``models/`` joins every mechanism in ``MECHANISMS`` whose file is
    in ``trainers/``. Nothing is written to disk; solc gets the text under these names.
    """
    contracts_dir = Path(contracts_dir or CONTRACTS_DIR)
    models = [m for m in _parts(contracts_dir, "models").values() if not m.abstract]
    mechanisms = _parts(contracts_dir, "trainers")
    sources = {}
    for mechanism_name, notice in MECHANISMS.items():
        if mechanism_name not in mechanisms:
            continue  # a folder without this mechanism (e.g. a few test contracts)
        for model in models:
            text = _composition(model, mechanisms[mechanism_name], notice)
            sources[f"trainers/{model.name}With{mechanism_name}.sol"] = text
    return dict(sorted(sources.items()))


def _sources(contracts_dir: Path, generated: dict[str, str] | None = None) -> dict[str, bytes]:
    """Source unit name (path relative to contracts/, forward slashes) -> exact bytes, sorted by name:
    the ``.sol`` files plus the generated compositions (``generated``, if the caller has them)."""
    sources = {p.relative_to(contracts_dir).as_posix(): p.read_bytes() for p in contracts_dir.rglob("*.sol")}
    if generated is None:
        generated = generated_sources(contracts_dir)
    for name, text in generated.items():
        if name in sources:
            raise BuildError(
                f"{_show(contracts_dir / name)} is generated by the build; delete the file "
                "(see contracts/README.md)."
            )
        sources[name] = text.encode("utf-8")
    return dict(sorted(sources.items()))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _raise_on_errors(output: dict) -> None:
    """Print warnings; raise with every error message if any error was reported."""
    errors = []
    for message in output.get("errors", []):
        text = message.get("formattedMessage") or message.get("message", "")
        if message.get("severity") == "error":
            errors.append(text)
        else:
            print(text.rstrip(), file=sys.stderr)
    if errors:
        raise CompilationError("Solidity compilation failed:\n" + "\n".join(e.rstrip() for e in errors))


def _immutable_positions(deployed: dict) -> list[dict[str, int]]:
    """Where immutables sit in deployedBytecode, for masking them when comparing on-chain code.

    solc keys these by AST node id, and AST ids shift when *any* other file joins the compilation.
    Only the positions are kept, so an artifact depends on nothing but its own sources.
    """
    refs = deployed.get("immutableReferences", {})
    return sorted((ref for group in refs.values() for ref in group), key=lambda r: (r["start"], r["length"]))


def compile_contracts(
    contracts_dir: Path | None = None, *, compiler: Compiler | None = None
) -> dict[str, dict]:
    """Compile every contract under contracts_dir into artifact dicts (nothing is written)."""
    contracts_dir = Path(contracts_dir or CONTRACTS_DIR)
    sources = _sources(contracts_dir)
    if not sources:
        raise BuildError(f"There are no .sol files under {contracts_dir}.")
    compiler = compiler or find_compiler()
    standard_input = {
        "language": "Solidity",
        # Exact file bytes as text (no newline translation), so the metadata hash matches the file.
        "sources": {name: {"content": data.decode("utf-8")} for name, data in sources.items()},
        "settings": SETTINGS,
    }
    version, output = compiler.run(standard_input)
    _raise_on_errors(output)

    artifacts: dict[str, dict] = {}
    for source_name, contracts in sorted(output.get("contracts", {}).items()):
        for name, out in sorted(contracts.items()):
            evm = out["evm"]
            if not evm["bytecode"]["object"]:
                continue  # interfaces and abstract contracts cannot be deployed
            if name in artifacts:
                raise BuildError(
                    f"Two contracts are called {name} ({artifacts[name]['sourceName']} and "
                    f"{source_name}); artifacts are stored by name, so please rename one."
                )
            metadata = json.loads(out["metadata"])
            if metadata["compiler"]["version"] != version:
                raise BuildError(
                    f"The compiler said it is {version} but wrote {metadata['compiler']['version']} "
                    "into the metadata; the build would not be reproducible."
                )
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": out["abi"],
                "bytecode": "0x" + evm["bytecode"]["object"],
                "deployedBytecode": "0x" + evm["deployedBytecode"]["object"],
                "linkReferences": evm["bytecode"].get("linkReferences", {}),
                "deployedLinkReferences": evm["deployedBytecode"].get("linkReferences", {}),
                "immutablePositions": _immutable_positions(evm["deployedBytecode"]),
                "methodIdentifiers": evm.get("methodIdentifiers", {}),
                "userdoc": out.get("userdoc", {}),
                "devdoc": out.get("devdoc", {}),
                "compiler": {"version": version, "settings": copy.deepcopy(SETTINGS)},
                "sourceHashes": {src: _sha256(sources[src]) for src in sorted(metadata["sources"])},
            }
    return artifacts


def _artifact_bytes(artifact: dict) -> bytes:
    """The one serialisation used everywhere, so rebuilt files compare byte for byte."""
    return (json.dumps(artifact, indent=1, sort_keys=True) + "\n").encode("utf-8")


def build(
    contracts_dir: Path | None = None,
    artifacts_dir: Path | None = None,
    *,
    compiler: Compiler | None = None,
) -> list[Path]:
    """Compile and write one artifact per contract; delete artifacts of contracts that are gone."""
    artifacts = compile_contracts(contracts_dir, compiler=compiler)
    artifacts_dir = Path(artifacts_dir or ARTIFACTS_DIR)
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in sorted(artifacts.items()):
        path = artifacts_dir / f"{name}.json"
        data = _artifact_bytes(artifact)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)  # bytes, not text: no platform newline translation
        written.append(path)
    for old in artifacts_dir.glob("*.json"):
        if old.stem not in artifacts:
            old.unlink()
    _artifacts.load.cache_clear()
    return written


def _show(path: Path) -> str:
    """A path relative to the repo when possible, so messages read like the commands to type."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def stale_artifacts(contracts_dir: Path | None = None, artifacts_dir: Path | None = None) -> list[str]:
    """Say, without compiling, which artifacts no longer match their sources (one sentence each)."""
    contracts_dir = Path(contracts_dir or CONTRACTS_DIR)
    artifacts_dir = Path(artifacts_dir or ARTIFACTS_DIR)
    generated = generated_sources(contracts_dir)
    sources = _sources(contracts_dir, generated)
    problems: list[str] = []
    listed: set[str] = set()
    for path in sorted(artifacts_dir.glob("*.json")):
        try:
            artifact = json.loads(path.read_text(encoding="utf-8"))
            hashes: dict[str, str] = artifact["sourceHashes"]
            compiler = artifact["compiler"]
        except (ValueError, KeyError, TypeError):
            problems.append(f"{path.stem}: {_show(path)} is not a valid artifact; {REBUILD_HINT}.")
            continue
        listed.update(hashes)
        if compiler.get("settings") != SETTINGS or not str(compiler.get("version", "")).startswith(
            SOLC_VERSION + "+"
        ):
            problems.append(
                f"{path.stem}: {_show(path)} was built with other compiler settings or another "
                f"solc version than dcai_lab/tools/build.py now pins; {REBUILD_HINT}."
            )
        for source_name, digest in sorted(hashes.items()):
            source = _show(contracts_dir / source_name) + (" (generated)" if source_name in generated else "")
            if source_name not in sources:
                problems.append(
                    f"{path.stem}: {source} no longer exists but {_show(path)} was built from "
                    f"it; {REBUILD_HINT}."
                )
            elif _sha256(sources[source_name]) != digest:
                problems.append(
                    f"{path.stem}: {source} changed since {_show(path)} was built; {REBUILD_HINT}."
                )
    for source_name in sources:
        if source_name not in listed:
            problems.append(
                f"{_show(contracts_dir / source_name)} is not part of any artifact in {_show(artifacts_dir)} "
                f"(a new contract that was never built?); {REBUILD_HINT}."
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: build the artifacts, or with --check only report stale ones."""
    parser = argparse.ArgumentParser(
        prog="dcai-lab build", description="Compile contracts/ into dcai_lab/artifacts/."
    )
    parser.add_argument(
        "--check", action="store_true", help="do not compile; exit 1 if any artifact is out of date"
    )
    args = parser.parse_args(argv)
    if args.check:
        try:
            problems = stale_artifacts()
        except BuildError as exc:  # e.g. a hand-written copy of a generated composition
            print(exc, file=sys.stderr)
            return 1
        for problem in problems:
            print(problem)
        if not problems:
            print(f"All artifacts in {_show(ARTIFACTS_DIR)} match {_show(CONTRACTS_DIR)}.")
        return 1 if problems else 0
    try:
        compiler = find_compiler()
        print(f"Compiling {_show(CONTRACTS_DIR)} with {compiler.description}")
        for path in build(compiler=compiler):
            print(f"wrote {_show(path)}")
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
