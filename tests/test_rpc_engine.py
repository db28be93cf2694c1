"""The rpc engine against nodes that lack development methods: clear errors, not surprises; and
the anvil nodes it runs against never outlive the Python that started them."""

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dcai_lab import ConfigError, Lab, NotSupportedError
from dcai_lab.chain._artifacts import load_artifact

ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


class _PlainNode(http.server.BaseHTTPRequestHandler):
    """A JSON-RPC node with the standard methods only (like a public node): no evm_*, no anvil_*."""

    answers = {
        "eth_accounts": [ACCOUNT],
        "eth_chainId": "0x1",
        "web3_clientVersion": "Geth/v1.14.0",
        "eth_blockNumber": "0x10",
        "eth_getBlockByNumber": {"number": "0x10", "timestamp": "0x6774c380", "gasLimit": "0x1c9c380",
                                 "baseFeePerGas": "0x0"},
    }

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if request["method"] in self.answers:
            body = {"jsonrpc": "2.0", "id": request["id"], "result": self.answers[request["method"]]}
        else:
            body = {"jsonrpc": "2.0", "id": request["id"],
                    "error": {"code": -32601, "message": f"the method {request['method']} does not exist"}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def plain_node():
    server = http.server.HTTPServer(("127.0.0.1", 0), _PlainNode)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_plain_node_is_usable_and_reports_its_clock(plain_node):
    lab = Lab(plain_node)
    assert lab.engine == "rpc" and list(lab.accounts) == [ACCOUNT]
    assert (lab.block_number, lab.timestamp) == (16, 0x6774C380)


def test_time_travel_on_a_node_without_evm_methods_says_so(plain_node):
    with pytest.raises(NotSupportedError, match="cannot travel in time"):
        Lab(plain_node).time_travel(days=1)


def test_anchor_on_a_node_without_snapshots_says_so(plain_node):
    with pytest.raises(NotSupportedError, match="cannot take snapshots"):
        with Lab(plain_node).anchor():
            pass


def test_an_unreachable_node_is_a_clear_error():
    with pytest.raises(ConfigError, match="cannot reach a node"):
        Lab("http://127.0.0.1:9")


def test_websocket_urls_are_refused_with_a_reason():
    with pytest.raises(ConfigError, match="WebSocket"):
        Lab("ws://127.0.0.1:8546")


def test_a_node_without_otterscan_methods_cannot_say_how_a_contract_was_created(plain_node):
    with pytest.raises(NotSupportedError, match="cannot say which transaction created a contract: it lacks the "
                                                "Otterscan method ots_getContractCreator"):
        Lab(plain_node)._engine.creation(ACCOUNT)


def test_attach_on_a_node_without_otterscan_methods_says_it_cannot_verify(plain_node, monkeypatch):
    trainer_code = load_artifact("SparsePerceptronWithPoints")["deployedBytecode"]
    monkeypatch.setitem(_PlainNode.answers, "eth_getCode", trainer_code)  # a trainer's code, immutables zero
    with pytest.raises(NotSupportedError, match=f"lab.attach cannot verify the trainer at {ACCOUNT} on this node: "
                                                "this node cannot say which transaction created a contract"):
        Lab(plain_node).attach(ACCOUNT)


# -- an anvil left running does not outlive Python ---------------------------------------------------

_START_AND_LEAVE = """
import sys, threading, time
from dcai_lab.chain.anvil import Anvil
nodes = []
if sys.argv[1] == "thread":  # started off the main thread: only the exit handler can stop it
    worker = threading.Thread(target=lambda: nodes.append(Anvil()))
    worker.start()
    worker.join()
else:
    nodes.append(Anvil())
print(nodes[0]._process.pid, nodes[0].port, flush=True)
if sys.argv[1] == "wait":
    time.sleep(60)
"""


def _left_running(how: str) -> subprocess.Popen:
    """A Python that starts an anvil and never stops it; it prints the node's pid and port."""
    return subprocess.Popen([sys.executable, "-c", _START_AND_LEAVE, how], stdout=subprocess.PIPE, text=True)


def _gone(pid: int, port: int, timeout: float = 10.0) -> bool:
    """Whether the node has exited (a zombie waiting to be reaped counts) and its port is closed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        exited = not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in "ZX"
        with socket.socket() as sock:
            closed = sock.connect_ex(("127.0.0.1", port)) != 0
        if exited and closed:
            return True
        time.sleep(0.1)
    return False


def _assert_gone(pid: int, port: int) -> None:
    if not _gone(pid, port):
        os.kill(pid, signal.SIGTERM)  # do not leave it behind for the next test
        raise AssertionError(f"anvil (pid {pid}, port {port}) outlived the Python that started it")


def test_an_anvil_left_running_stops_when_python_exits():
    python = _left_running("thread")
    pid, port = map(int, python.stdout.readline().split())
    assert python.wait(timeout=30) == 0
    _assert_gone(pid, port)


def test_an_anvil_left_running_stops_when_python_is_killed():
    python = _left_running("wait")
    pid, port = map(int, python.stdout.readline().split())
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) == 0  # running while Python lives
    python.send_signal(signal.SIGKILL)  # no exit handler runs
    python.wait(timeout=30)
    _assert_gone(pid, port)
