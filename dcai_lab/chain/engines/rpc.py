"""Any JSON-RPC node through web3.py: anvil, hardhat or geth locally, or a public testnet.

A node runs its own clock; on a development node (one that offers ``evm_setNextBlockTimestamp``)
the engine pins every block one second after the previous one, as the in-memory engines do, so the
same script gives the same chain. Time travel and snapshots use the node's ``evm_*``/``anvil_*``
methods and raise ``NotSupportedError`` where the node has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address
from web3 import HTTPProvider, Web3

from ...errors import ArgumentTypeError, ConfigError, NodeError, NotSupportedError
from ._base import TX_GAS_CAP, CallResult, Creation, Engine, Log, Receipt, web3_logs

#: JSON-RPC error codes that mean "this node has no such method".
_NO_SUCH_METHOD = (-32601, -32004)
#: How long to wait between receipt polls: web3's default (0.1 s) dominates a local node's speed.
_POLL_SECONDS = 0.002


class RpcEngine(Engine):
    """A chain behind a JSON-RPC node (HTTP)."""

    name = "rpc"
    fork = None  # whatever the node runs

    def __init__(self, url: str, *, private_keys: Sequence[str] | None = None) -> None:
        if url.startswith(("ws://", "wss://")):
            raise ConfigError(f"{url!r} is a WebSocket URL; WebSocket nodes are not supported yet: use the node's "
                              "http:// URL.")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{url!r} is not an http(s) URL: write it as http://host:port, e.g. "
                              "'http://127.0.0.1:8545'.")
        self.w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
        if isinstance(private_keys, (str, bytes)):
            raise ArgumentTypeError("private_keys= takes a list of keys, e.g. private_keys=[key], not one key.")
        self._signers = {}
        for key in private_keys or ():
            try:
                signer = Account.from_key(key)
            except (ValueError, TypeError) as error:
                raise ConfigError(f"private_keys holds {key!r}, which is not a private key (32 bytes, or 64 hex "
                                  f"digits): {error}") from error
            self._signers[signer.address] = signer
        try:
            self._accounts = list(self._signers) or [to_checksum_address(a) for a in self._rpc("eth_accounts")]
            self._chain_id = int(self._rpc("eth_chainId"), 16)
            client = self._rpc("web3_clientVersion")
        except OSError as error:
            raise ConfigError(f"cannot reach a node at {url}: {error}") from error
        # A development node: no real money, so send with a fixed gas limit instead of estimating.
        self._dev_node = any(name in client.lower() for name in ("anvil", "hardhat", "ganache"))
        self._pins_clock = self._supports("evm_setNextBlockTimestamp", [self.timestamp + 1])

    # -- raw JSON-RPC --------------------------------------------------------------------------
    def _request(self, method: str, params: list | None = None) -> dict:
        return self.w3.provider.make_request(method, params or [])

    def _rpc(self, method: str, params: list | None = None) -> Any:
        response = self._request(method, params)
        if "error" in response:
            error = response["error"]
            if error.get("code") in _NO_SUCH_METHOD:
                raise NotSupportedError(f"this node does not offer {method}: {error.get('message')}")
            raise NodeError(f"the node refused {method}: {error.get('message')}")
        return response["result"]

    def _supports(self, method: str, params: list) -> bool:
        try:
            self._rpc(method, params)
            return True
        except NotSupportedError:
            return False

    # -- Engine --------------------------------------------------------------------------------
    @property
    def accounts(self) -> list[str]:
        return list(self._accounts)

    @property
    def chain_id(self) -> int:
        return self._chain_id

    def _latest(self) -> dict:
        return self._rpc("eth_getBlockByNumber", ["latest", False])

    def transact(self, sender, to, data, value=0, gas=None) -> Receipt:
        latest = self._latest()
        if self._pins_clock:
            self._rpc("evm_setNextBlockTimestamp", [int(latest["timestamp"], 16) + 1])
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "value": hex(value)}
        if to is not None:
            tx["to"] = to
        base_fee = int(latest.get("baseFeePerGas", "0x0"), 16)
        tip = 0 if self._dev_node else int(self._rpc("eth_maxPriorityFeePerGas"), 16)
        tx["maxFeePerGas"] = hex(2 * base_fee + tip)
        tx["maxPriorityFeePerGas"] = hex(tip)
        gas_limit = gas or self._gas_limit(tx, latest)
        tx["gas"] = hex(gas_limit)
        tx_hash = self._send(tx)
        raw = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=_POLL_SECONDS)
        success = raw["status"] == 1
        block_number = raw["blockNumber"]
        timestamp = (int(latest["timestamp"], 16) + 1 if self._pins_clock
                     else self.w3.eth.get_block(block_number)["timestamp"])
        output, halt = (b"", "") if to is None and success else \
            self._output(raw["transactionHash"].to_0x_hex(), tx, block_number)
        # The tracer names the halt; without one, all gas used and no revert data is the sign.
        out_of_gas = not success and (_says_out_of_gas(halt) if halt is not None
                                      else raw["gasUsed"] == gas_limit and not output)
        return Receipt(
            tx_hash=raw["transactionHash"].to_0x_hex(),
            success=success,
            gas_used=raw["gasUsed"],
            block_number=block_number,
            timestamp=timestamp,
            contract_address=raw["contractAddress"] if success else None,
            logs=tuple(Log(to_checksum_address(log["address"]), tuple(bytes(t) for t in log["topics"]),
                           bytes(log["data"])) for log in raw["logs"]),
            output=output,
            gas_limit=gas_limit,
            out_of_gas=out_of_gas,
        )

    def _gas_limit(self, tx: dict, latest: dict) -> int:
        """Dev nodes: the per-transaction cap. Real nodes: an estimate with a margin, or the cap
        when the estimate reverts (the revert is then mined and decoded, as on every engine)."""
        cap = min(TX_GAS_CAP, int(latest["gasLimit"], 16))
        if self._dev_node:
            return cap
        response = self._request("eth_estimateGas", [tx])
        return cap if "error" in response else min(cap, int(response["result"], 16) * 6 // 5)

    def _send(self, tx: dict) -> str:
        signer = self._signers.get(tx["from"])
        if signer is None:
            return self._rpc("eth_sendTransaction", [tx])
        nonce = int(self._rpc("eth_getTransactionCount", [tx["from"], "pending"]), 16)
        fields = {k: int(v, 16) if k in ("value", "gas", "maxFeePerGas", "maxPriorityFeePerGas") else v
                  for k, v in tx.items() if k != "from"}
        signed = signer.sign_transaction({**fields, "nonce": nonce, "chainId": self._chain_id, "type": 2})
        return self._rpc("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])

    def _output(self, tx_hash: str, tx: dict, block_number: int) -> tuple[bytes, str | None]:
        """Return or revert data of a mined transaction, which receipts do not carry, and the
        tracer's error text ("" for none; None when the node has no tracer)."""
        response = self._request("debug_traceTransaction",
                                 [tx_hash, {"tracer": "callTracer", "tracerConfig": {"onlyTopCall": True}}])
        if "result" in response:
            result = response["result"]
            return bytes.fromhex(result.get("output", "0x")[2:]), result.get("error", "")
        # No tracer: replay on the parent block (block-dependent values may then differ).
        call = {k: v for k, v in tx.items() if k in ("from", "to", "data", "value", "gas")}
        replay = self._eth_call(call, hex(block_number - 1))
        return replay.output, "out of gas" if replay.out_of_gas else None

    def _eth_call(self, call: dict, block: str) -> CallResult:
        response = self._request("eth_call", [call, block])
        if "error" not in response:
            return CallResult(True, bytes.fromhex(response["result"][2:]))
        error = response["error"]
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest the revert data
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return CallResult(False, bytes.fromhex(data[2:]))
        message = str(error.get("message", ""))
        if _says_out_of_gas(message):
            return CallResult(False, b"", out_of_gas=True)
        if "revert" in message.lower():
            return CallResult(False, b"")
        raise NodeError(f"the node refused eth_call: {message}")

    def call(self, sender, to, data, value=0) -> CallResult:
        # The per-transaction cap, as on the in-memory engines (a node's default is far larger).
        return self._eth_call({"from": sender, "to": to, "data": "0x" + data.hex(), "value": hex(value),
                               "gas": hex(TX_GAS_CAP)}, "latest")

    def balance(self, address: str) -> int:
        return int(self._rpc("eth_getBalance", [address, "latest"]), 16)

    def nonce(self, address: str) -> int:
        return int(self._rpc("eth_getTransactionCount", [address, "latest"]), 16)

    def code(self, address: str) -> bytes:
        return bytes.fromhex(self._rpc("eth_getCode", [address, "latest"])[2:])

    def storage_at(self, address: str, slot: int) -> int:
        return int(self._rpc("eth_getStorageAt", [address, hex(slot), "latest"]), 16)

    def creation(self, address: str) -> Creation | None:
        # Standard JSON-RPC cannot find a contract's creating transaction; Otterscan's
        # `ots_getContractCreator` (anvil, Erigon) can.
        try:
            found = self._rpc("ots_getContractCreator", [address])
        except NotSupportedError as error:
            raise NotSupportedError(
                f"this node cannot say which transaction created a contract: it lacks the Otterscan method "
                f"ots_getContractCreator, which anvil and Erigon offer ({error}).") from error
        if found is None:
            return None
        tx_hash = found["hash"]
        deployed = self._rpc("eth_getTransactionReceipt", [tx_hash])["contractAddress"]
        if deployed is None or deployed.lower() != address.lower():
            return Creation(tx_hash, True, None)  # a contract created it while the transaction ran
        return Creation(tx_hash, False, bytes.fromhex(self._rpc("eth_getTransactionByHash", [tx_hash])["input"][2:]))

    @property
    def block_number(self) -> int:
        return int(self._rpc("eth_blockNumber"), 16)

    @property
    def timestamp(self) -> int:
        return int(self._latest()["timestamp"], 16)

    def mine(self, blocks: int = 1, seconds: int = 1) -> None:
        try:
            for i in range(blocks):
                self._rpc("evm_setNextBlockTimestamp", [self.timestamp + (seconds if i == 0 else 1)])
                self._rpc("evm_mine")
        except NotSupportedError as error:
            raise NotSupportedError(f"this node cannot travel in time ({error}).") from error

    def logs(self, address: str, from_block: int = 0) -> list[Log]:
        return web3_logs(self.w3, address, from_block)

    def snapshot(self) -> Any:
        try:
            return self._rpc("evm_snapshot")
        except NotSupportedError as error:
            raise NotSupportedError(f"this node cannot take snapshots, so lab.anchor() is unavailable ({error}).") from error

    def revert(self, snapshot: Any) -> None:
        if not self._rpc("evm_revert", [snapshot]):
            raise NodeError(f"the node could not revert to snapshot {snapshot}.")


def _says_out_of_gas(error: str) -> bool:
    """Whether a tracer's error text is an out-of-gas halt ("out of gas", "OutOfGas")."""
    return "outofgas" in error.lower().replace(" ", "").replace("_", "")
