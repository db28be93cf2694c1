"""The Solidity build is offline and byte-for-byte reproducible, and notices stale artifacts.

Compiling through solc-js takes a second or two, so this file compiles exactly twice: once with
solc-js (module fixture) and once through a stand-in "native" solc.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dcai_lab.tools import build

COMMITTED = build.ARTIFACTS_DIR
CONTRACTS = build.CONTRACTS_DIR


def _committed_names() -> set[str]:
    return {p.stem for p in COMMITTED.glob("*.json")}


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh solc-js build into a temp dir that already holds an artifact of a deleted contract."""
    out = tmp_path_factory.mktemp("artifacts")
    (out / "Ghost.json").write_text("{}\n")
    written = build.build(CONTRACTS, out, compiler=build.find_compiler())
    assert [p.parent for p in written] == [out] * len(written)
    return out


def test_rebuild_is_byte_identical_to_committed(rebuilt: Path) -> None:
    assert {"TipJar", "WordCounter"} <= _committed_names()
    assert {p.stem for p in rebuilt.glob("*.json")} == _committed_names()  # Ghost.json removed
    for committed in COMMITTED.glob("*.json"):
        assert (rebuilt / committed.name).read_bytes() == committed.read_bytes(), committed.name


def test_artifact_records_pinned_compiler_and_relative_sources() -> None:
    artifact = json.loads((COMMITTED / "TipJar.json").read_text())
    assert artifact["compiler"]["version"] == "0.8.37+commit.f401782d"
    assert artifact["compiler"]["settings"]["evmVersion"] == "cancun"
    assert artifact["compiler"]["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    assert artifact["sourceName"] == "TipJar.sol"
    assert list(artifact["sourceHashes"]) == ["TipJar.sol"]
    assert artifact["bytecode"].startswith("0x60") and artifact["deployedBytecode"].startswith("0x60")
    assert artifact["methodIdentifiers"]["tip(string)"] == "cb56393c"
    assert str(build.REPO_ROOT) not in (COMMITTED / "TipJar.json").read_text()


FAKE_NATIVE_SOLC = """\
#!{python}
# Stands in for a native solc binary: a Linux-style version string, standard JSON in and out.
import subprocess, sys
if sys.argv[1:] == ["--version"]:
    print("solc, the solidity compiler commandline interface")
    print("Version: {version}.Linux.g++")
    sys.exit(0)
assert sys.argv[1:] == ["--standard-json"], sys.argv
driver = "const s = require(process.argv[1]); let d = ''; process.stdin.on('data', c => d += c)" \\
    ".on('end', () => process.stdout.write(s.compile(d)));"
done = subprocess.run([{node!r}, "-e", driver, {solc_js!r}], input=sys.stdin.read(), text=True,
                      capture_output=True)
sys.stdout.write(done.stdout)
sys.exit(done.returncode)
"""


def _fake_native_solc(bin_dir: Path, version: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "solc"
    script.write_text(
        FAKE_NATIVE_SOLC.format(
            python=sys.executable,
            version=version,
            node=shutil.which("node"),
            solc_js=str(build.NODE_MODULES / "solc"),
        )
    )
    script.chmod(0o755)


def test_native_solc_gives_same_bytes_and_other_files_do_not_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Native solc path, platform suffix stripped; extra files (subfolder import, interface,
    abstract contract, library) sorting before TipJar.sol leave the committed artifacts unchanged."""
    _fake_native_solc(tmp_path / "bin", "0.8.37+commit.f401782d")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    compiler = build.find_compiler()
    assert compiler.description.startswith("native solc 0.8.37+commit.f401782d at ")

    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    (contracts / "lib").mkdir()
    (contracts / "lib" / "Twice.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.37;\n"
        "library Twice { function twice(uint256 a) public pure returns (uint256) { return 2 * a; } }\n"
    )
    (contracts / "Aardvark.sol").write_text(
        textwrap.dedent(
            """\
            // SPDX-License-Identifier: MIT
            pragma solidity 0.8.37;
            import "./lib/Twice.sol";
            interface IAardvark { function g() external view returns (uint256); }
            abstract contract Base { function g() public view virtual returns (uint256); }
            contract Aardvark is Base {
                uint256 immutable x = 3;
                function g() public view override returns (uint256) { return Twice.twice(x); }
            }
            """
        )
    )
    out = tmp_path / "artifacts"
    build.build(contracts, out, compiler=compiler)

    assert {p.stem for p in out.glob("*.json")} == _committed_names() | {"Aardvark", "Twice"}
    for committed in COMMITTED.glob("*.json"):
        assert (out / committed.name).read_bytes() == committed.read_bytes(), committed.name
    aardvark = json.loads((out / "Aardvark.json").read_text())
    assert set(aardvark["sourceHashes"]) == {"Aardvark.sol", "lib/Twice.sol"}
    assert [ref["length"] for ref in aardvark["linkReferences"]["lib/Twice.sol"]["Twice"]] == [20]
    assert build.stale_artifacts(contracts, out) == []


def test_wrong_native_version_falls_back_to_solc_js(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_native_solc(tmp_path / "bin", "0.8.36+commit.00000000")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert build.find_compiler().description.startswith("solc-js 0.8.37 via node")


def test_no_compiler_says_to_run_npm_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither solc nor node
    with pytest.raises(build.CompilerNotFoundError, match="npm ci") as info:
        build.find_compiler()
    assert isinstance(info.value, RuntimeError)


def test_version_strings_are_normalised() -> None:
    assert build.normalise_version("0.8.37+commit.f401782d.Emscripten.clang") == "0.8.37+commit.f401782d"
    assert build.normalise_version("Version: 0.8.37+commit.f401782d.Darwin.appleclang") == (
        "0.8.37+commit.f401782d"
    )


def test_committed_tree_is_fresh() -> None:
    assert build.stale_artifacts() == []


def test_changed_new_and_missing_sources_are_reported(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    assert build.stale_artifacts(contracts, COMMITTED) == []

    with (contracts / "TipJar.sol").open("a") as f:
        f.write("// one more comment\n")
    problems = build.stale_artifacts(contracts, COMMITTED)
    assert len(problems) == 1
    assert problems[0].startswith("TipJar: ")
    assert "TipJar.sol changed" in problems[0] and "dcai-lab build" in problems[0]

    (contracts / "sub").mkdir()
    (contracts / "sub" / "Brand.sol").write_text("// SPDX-License-Identifier: MIT\n")
    (contracts / "WordCounter.sol").unlink()
    problems = build.stale_artifacts(contracts, COMMITTED)
    assert len(problems) == 3
    assert any(p.startswith("WordCounter: ") and "no longer exists" in p for p in problems)
    assert any("sub/Brand.sol is not part of any artifact" in p for p in problems)
    assert all("dcai-lab build" in p for p in problems)


def _composed_models() -> list[str]:
    """The deployable models, read from the committed artifacts (not from the generator under test)."""
    return sorted(
        p.stem for p in COMMITTED.glob("*.json") if json.loads(p.read_text())["sourceName"].startswith("models/")
    )


def test_every_model_with_every_mechanism_is_generated_and_built() -> None:
    models = _composed_models()
    assert {"DensePerceptron", "NaiveBayes", "SparsePerceptron"} <= set(models)
    expected = {f"trainers/{m}With{x}.sol" for m in models for x in build.MECHANISMS}
    assert set(build.generated_sources()) == expected
    assert not any((CONTRACTS / name).exists() for name in expected)  # generated, not kept in git
    for name in expected:
        artifact = json.loads((COMMITTED / f"{Path(name).stem}.json").read_text())
        assert artifact["sourceName"] == name
        assert name in artifact["sourceHashes"]


def test_a_changed_model_constructor_makes_its_compositions_stale(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    source = contracts / "models" / "NearestCentroid.sol"
    code = source.read_text()
    assert code.count("uint64[] memory classCounts_") == 1
    source.write_text(code.replace("classCounts_", "counts_"))
    generated = build.generated_sources(contracts)["trainers/NearestCentroidWithPoints.sol"]
    assert "constructor(uint256 numFeatures_, uint64[] memory counts_, uint256 validationWait_)" in generated
    assert "NearestCentroid(numFeatures_, counts_)" in generated
    problems = build.stale_artifacts(contracts, COMMITTED)
    for mechanism in build.MECHANISMS:
        assert any(
            p.startswith(f"NearestCentroidWith{mechanism}: ")
            and f"trainers/NearestCentroidWith{mechanism}.sol (generated) changed" in p
            for p in problems
        ), mechanism
    assert not any("SparseNearestCentroidWith" in p and "(generated)" in p for p in problems)


def test_a_changed_generator_makes_compositions_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """No .sol file changes, only the generator's output: still stale, and only the compositions."""
    monkeypatch.setitem(build.MECHANISMS, "Points", "points, badges and a medal")
    problems = build.stale_artifacts()
    assert len(problems) == len(_composed_models())
    assert all("WithPoints.sol (generated) changed since" in p for p in problems)

    monkeypatch.delitem(build.MECHANISMS, "Points")
    problems = build.stale_artifacts()
    assert len(problems) == len(_composed_models())
    assert all("WithPoints.sol no longer exists" in p for p in problems)


def test_a_new_model_is_composed_from_its_constructor(tmp_path: Path) -> None:
    """A sixth model needs nothing but its file (not compiled here: only the generated text matters)."""
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    (contracts / "models" / "Stump.sol").write_text(
        textwrap.dedent(
            """\
            // SPDX-License-Identifier: MIT
            pragma solidity 0.8.37;
            import {DenseClassifier} from "./DenseClassifier.sol";
            /// @notice Not a constructor(uint256 fake) in a comment.
            contract Stump is DenseClassifier {
                uint256 public feature;
                constructor(
                    uint256 numFeatures_, // how many
                    uint256 feature_ /* which one */
                ) DenseClassifier(numFeatures_, 2) { feature = feature_; }
            }
            """
        )
    )
    generated = build.generated_sources(contracts)["trainers/StumpWithPredictionMarket.sol"]
    assert 'import {Stump} from "../models/Stump.sol";' in generated
    assert "constructor(uint256 numFeatures_, uint256 feature_, uint256 minStake_," in generated
    assert "        Stump(numFeatures_, feature_)\n" in generated
    assert "override(Classifier, PredictionMarket)" in generated
    assert "override(Classifier, CollaborativeTrainer)" in build.generated_sources(contracts)[
        "trainers/StumpWithPoints.sol"
    ]
    problems = build.stale_artifacts(contracts, COMMITTED)
    assert any("trainers/StumpWithPoints.sol is not part of any artifact" in p for p in problems)


def test_a_hand_written_composition_is_refused(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    (contracts / "trainers" / "NaiveBayesWithPoints.sol").write_text(
        build.generated_sources(contracts)["trainers/NaiveBayesWithPoints.sol"]
    )
    with pytest.raises(build.BuildError, match="NaiveBayesWithPoints.sol is generated by the build"):
        build.compile_contracts(contracts)
    with pytest.raises(build.BuildError, match="NaiveBayesWithPoints.sol is generated by the build"):
        build.stale_artifacts(contracts, COMMITTED)


def test_check_flag_exits_1_on_stale_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, contracts)
    (contracts / "WordCounter.sol").write_bytes((CONTRACTS / "WordCounter.sol").read_bytes() + b" ")
    monkeypatch.setattr(build, "CONTRACTS_DIR", contracts)
    assert build.main(["--check"]) == 1
    assert "WordCounter:" in capsys.readouterr().out


def test_check_flag_exits_0_on_committed_tree() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dcai_lab", "build", "--check"],
        cwd=build.REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(build.REPO_ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_load_artifact() -> None:
    tipjar = build.load_artifact("TipJar")
    assert any(item.get("name") == "tip" for item in tipjar["abi"])
    assert tipjar["bytecode"].startswith("0x") and len(tipjar["bytecode"]) > 100
    tipjar["abi"].clear()  # callers get their own copy, the cache stays intact
    assert build.load_artifact("TipJar")["abi"]


def test_load_unknown_artifact_lists_available() -> None:
    with pytest.raises(KeyError) as info:
        build.load_artifact("TipJarr")
    assert isinstance(info.value, build.ArtifactNotFoundError)
    message = str(info.value)
    assert "TipJarr" in message and "TipJar, WordCounter" in message
