"""Every shell command in README.md works as written, from a fresh shell in a fresh clone.

The commands are the lines of the README's ```bash blocks, commands named in those lines' comments
(``# or: …``), and inline code in the prose that starts like a command (``bash …``, ``python …``,
``.venv/bin/…``). Each one must be classified below as RUN or NOT RUN (with a reason); a new or
changed command fails until someone has looked at it.

"Fresh clone": the tracked files of the working tree (so uncommitted changes are tested) are copied
into a temporary folder, with this checkout's ``.venv`` and ``node_modules`` linked in, so
``scripts/setup`` finds everything installed and skips it (the editable install still imports
``dcai_lab`` from this checkout: the same files). Each RUN command runs there under ``bash -c`` with
a newcomer's environment: no activated venv on PATH, no PYTHONPATH, an empty data cache.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    expect: tuple[str, ...]  # pieces of the output that show the command did its job


@dataclass(frozen=True)
class Serve:
    extra_args: str  # appended to the command; {port} is a free loopback port


@dataclass(frozen=True)
class NotRun:
    reason: str


BUILD_NOT_RUN = NotRun(
    "compiles every contract and may rewrite dcai_lab/artifacts/ of the editable install, i.e. of "
    "this checkout rather than the copy; tests/test_build.py makes the same build into a temporary "
    "folder and requires the committed artifacts byte for byte"
)

CLASSIFIED: dict[str, Run | Serve | NotRun] = {
    "bash scripts/lab": Serve("--no-browser --port={port}"),  # must print its address and answer there
    "bash scripts/lab demo": Run(("Withdrawing now reverts: StillLocked", "each takes half of mallory's")),
    "bash scripts/test": NotRun("runs the whole test suite, this test included (recursion); CI runs it"),
    "bash scripts/execute-notebook notebooks/NN_name.ipynb": NotRun(
        "a pattern, not a file; re-executing a notebook takes up to a minute and nbval checks the committed "
        "outputs it writes"),
    ".venv/bin/dcai-lab build": BUILD_NOT_RUN,
    ".venv/bin/dcai-lab build --check": Run(("All artifacts in dcai_lab/artifacts match contracts",)),
    # The benchmarks run in full, exactly as the README says.
    ".venv/bin/python benchmarks/engines.py": Run(("pyevm", "revm", "rpc")),
    ".venv/bin/python benchmarks/models.py": Run(("SparsePerceptron", "SparseNearestCentroid 10×64")),
    ".venv/bin/python benchmarks/assess_gas.py": Run(("SparseNearestCentroid", "assess")),
    ".venv/bin/python benchmarks/trainer_speed.py": Run(("handle ÷ engine", "replays identical")),
    ".venv/bin/python benchmarks/trainer_gas.py": Run(("naive Bayes 2×1,000", "deployment transactions")),
    ".venv/bin/dcai-lab gas-snapshot --check": Run(("figures unchanged",)),
    ".venv/bin/dcai-lab gas-snapshot --write": NotRun(
        "rewrites .gas-snapshot of the editable install, i.e. of this checkout; tests/test_gas_snapshot.py "
        "writes a snapshot into a temporary folder and checks it"),
    ".venv/bin/python benchmarks/market_gas.py": Run(("largest transaction",)),
    ".venv/bin/python benchmarks/twin_speed.py --quick": Run(("NaiveBayes", "NearestCentroid", "True")),
    ".venv/bin/python benchmarks/market_outcomes.py": NotRun(
        "the full experiment, 300 markets, takes minutes; its --quick form below runs the same code on 3 "
        "markets per shape"),
    ".venv/bin/python benchmarks/market_outcomes.py --quick": Run(("Summary", "mismatches")),
    ".venv/bin/python benchmarks/market_outcomes.py --shapes A1,A2,B1-NB,B2-NB,C1,C2 --points-bought 5000 "
    "--chain-only": NotRun("6 shapes × 50 markets on chain, about 3 minutes; --quick above runs the same code"),
    ".venv/bin/dcai-lab simulate --help": Run(("deposit-refund-take", "prediction-market", "comparison")),
    ".venv/bin/dcai-lab simulate deposit-refund-take --out runs/drt": Run(("transactions", "report.html")),
    ".venv/bin/dcai-lab simulate deposit-refund-take --samples 25000 --out runs/drt-full": NotRun(
        "the paper's full scale, about half a minute on revm; the same code runs at the default size above"),
    ".venv/bin/dcai-lab sweep --mechanism deposit-refund-take points --seeds 6 --vary attacker_wait=1800,3600 "
    "--out runs/sweep": NotRun("24 simulations on a local Dask cluster, about half a minute; tests/simulation runs a small "
                               "sweep on a local cluster"),
    ".venv/bin/dcai-lab sweep --scheduler tcp://scheduler-host:8786 --seeds 100 --out runs/big-sweep": NotRun(
        "needs a running Dask cluster at that address"),
    ".venv/bin/python benchmarks/simulation.py": NotRun(
        "the full-scale experiment, about half a minute (and as much again with --profile); its numbers are in "
        "README.md"),
}

_COMMAND = r"(?:\.venv/bin/[\w.-]+|bash|sh|python3?|pip3?|npm|npx|node|jupyter|dcai-lab|pytest|conda|git)"


def readme_commands(text: str) -> list[str]:
    """The README's shell commands, in order of first appearance."""
    found = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.M | re.S):
        for line in block.splitlines():
            command, _, comment = line.partition(" #")
            found.append(command.strip())
            found += [c.strip() for c in re.findall(rf"(?<![\w/.-]){_COMMAND} [^;,()]*", comment)]
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    found += [c for c in re.findall(r"`([^`\n]+)`", prose) if re.match(rf"{_COMMAND}( |$)", c)]
    return [c for c in dict.fromkeys(found) if c]


README_COMMANDS = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))


def test_every_readme_command_is_classified():
    assert "bash scripts/test" in README_COMMANDS  # the extraction finds the fenced commands
    unclassified = [c for c in README_COMMANDS if c not in CLASSIFIED]
    assert not unclassified, f"classify these README commands as RUN or NOT RUN in {__file__}: {unclassified}"
    stale = [c for c in CLASSIFIED if c not in README_COMMANDS]
    assert not stale, f"no longer in README.md, remove them from CLASSIFIED: {stale}"


def newcomer_env() -> dict[str, str]:
    """A fresh shell: PATH without any virtual environment's bin/, no PYTHONPATH, an empty data cache
    (the root conftest.py points DCAI_LAB_DATA at an empty folder)."""
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p and not (Path(p).parent / "pyvenv.cfg").exists()]
    env = {"PATH": os.pathsep.join(path), "LANG": "C.UTF-8"}
    for name in ("HOME", "USER", "TERM", "TMPDIR", "DCAI_LAB_DATA"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _stamp(*names: str) -> str:
    """What scripts/setup writes into .dcai-installed: `cat names | sha256sum | cut -c1-16`."""
    return hashlib.sha256(b"".join((ROOT / n).read_bytes() for n in names)).hexdigest()[:16]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Linked in, a stale .venv or node_modules would be reinstalled from the copy: the editable
    # install would then point at a temporary folder, and npm ci would empty this node_modules.
    for stamp, inputs in ((".venv/.dcai-installed", ("pyproject.toml",)),
                          ("node_modules/.dcai-installed", ("package.json", "package-lock.json"))):
        installed = (ROOT / stamp).read_text().strip() if (ROOT / stamp).is_file() else "nothing"
        assert installed == _stamp(*inputs), f"{stamp} is out of date: run `bash scripts/setup` first"
    copy = tmp_path_factory.mktemp("fresh-clone")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        if name and (ROOT / name).is_file():  # tracked, and not deleted in the working tree
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    for installed in (".venv", "node_modules"):
        (copy / installed).symlink_to(ROOT / installed)
    setup = subprocess.run(["bash", "scripts/setup"], cwd=copy, env=newcomer_env(), capture_output=True,
                           text=True, timeout=60)
    assert (setup.returncode, setup.stdout + setup.stderr) == (0, ""), "setup must find everything installed"
    return copy


@pytest.mark.parametrize("command", [c for c in README_COMMANDS if not isinstance(CLASSIFIED.get(c), NotRun)])
def test_readme_command_works(command: str, clone: Path):
    how = CLASSIFIED.get(command)
    assert how is not None, f"unclassified README command {command!r}: classify it as RUN or NOT RUN"
    if isinstance(how, Serve):
        _serve(command, how, clone)
        return
    start = time.monotonic()
    done = subprocess.run(["bash", "-c", command], cwd=clone, env=newcomer_env(), capture_output=True,
                          text=True, timeout=300)
    print(f"{command}: {time.monotonic() - start:.1f} s")
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{command!r} failed ({done.returncode}):\n{output[-3000:]}"
    missing = [piece for piece in how.expect if piece not in done.stdout]
    assert not missing, f"{command!r} printed none of {missing}:\n{output[-3000:]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _serve(command: str, how: Serve, clone: Path) -> None:
    """Start the server as a newcomer would, open the address it prints, then stop it (Ctrl-C-like,
    the whole process group)."""
    log = clone / "serve.log"
    start = time.monotonic()
    with log.open("w") as out:
        server = subprocess.Popen(["bash", "-c", f"{command} {how.extra_args.format(port=_free_port())}"],
                                  cwd=clone, env=newcomer_env(), stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        address = None
        while address is None and server.poll() is None and time.monotonic() - start < 90:
            time.sleep(0.2)
            address = re.search(r"Open this address in a browser:\s+(\S+)", log.read_text())
        assert address, f"{command!r} printed no address to open:\n{log.read_text()[-3000:]}"
        print(f"{command}: up after {time.monotonic() - start:.1f} s at {address[1]}")
        base, token = re.fullmatch(r"(http://\S+/)lab\?token=(\w+)", address[1]).groups()
        assert _status(f"{base}api/status?token={token}") == 200
        assert _status(f"{base}api/status") == 403  # the token is what lets the browser in
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        left_behind = not _group_ends(server, seconds=30)
        if left_behind:
            os.killpg(server.pid, signal.SIGKILL)
    assert not left_behind, f"{command!r} did not stop on SIGTERM"


def _group_ends(server: subprocess.Popen, seconds: float) -> bool:
    """Whether the server and every process of its group end within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            server.wait(timeout=0.1)
            os.killpg(server.pid, 0)  # raises once the group is empty
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return True
    return False
