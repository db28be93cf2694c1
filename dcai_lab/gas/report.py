"""Every transaction the lab sends is recorded; ``lab.gas`` turns the records into tables.

    lab.gas                   # the tables below, as text in a terminal and HTML in a notebook
    lab.gas.report()          # per contract and method: calls, reverted, min, mean, median, max
    lab.gas.deployments()     # per contract: its deployments against the block and transaction limits
    lab.gas.transactions()    # per transaction: its gas in parts, under Cancun and Prague, and flags
    lab.gas.cost(base_fee_gwei=0.29, priority_fee_gwei=0.1, eth_usd=1988)   # money, from prices you give

The tables answer the question a researcher asks first: what does each operation cost, and how much
does that vary? Reverted transactions are mined and use gas too, but they would blur that answer:
they are counted in a column of their own and kept out of the statistics, and the caption says so
(every transaction, reverted or not, is in ``lab.transactions`` and in ``transactions()``).

Money comes only from the prices passed to ``cost``; nothing is looked up. ``example_prices()``
lists a few dated price points with their sources, as examples.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from ..chain._abi import Event
from ..chain.engines._base import BLOCK_GAS_LIMIT, TX_GAS_CAP, Log, base_gas, calldata_gas
from ..errors import ConfigError, real_number, whole_number

#: The method name under which deployments are listed.
DEPLOY = "(deploy)"
#: The largest transaction public nodes relay, in bytes: geth's transaction pool refuses larger ones
#: (``txMaxSize = 4 * txSlotSize``, 4 × 32 KiB). The limit is on the whole signed transaction, some
#: hundred bytes more than its calldata.
RELAY_LIMIT = 131_072
#: EIP-7623 (Prague): every transaction pays at least 21,000 + 10 gas per token of its calldata.
FLOOR_PER_TOKEN = 10
#: The forks whose gas ``transactions()`` and ``cost()`` compute.
FORKS = ("cancun", "prague")


@dataclass(frozen=True)
class TxRecord:
    """One mined transaction as the lab saw it. ``data`` is what it sent: the calldata of a call,
    the creation code and constructor arguments of a deployment."""

    contract: str
    address: str | None
    method: str
    sender: str
    gas_used: int
    block: int
    timestamp: int
    success: bool
    tx_hash: str
    value: int = 0
    reason: str | None = None
    logs: tuple[Log, ...] = field(default=(), repr=False)
    decode_log: Callable[[Log], Event] | None = field(default=None, repr=False, compare=False)
    data: bytes = field(default=b"", repr=False)

    @property
    def creation(self) -> bool:
        """Whether the transaction created a contract (it had no recipient)."""
        return self.method == DEPLOY

    @functools.cached_property
    def events(self) -> tuple[Event, ...]:
        """The transaction's events by name, decoded on first use: on a fast engine decoding
        every event of every transaction would cost as much as running them."""
        return tuple(self.decode_log(log) for log in self.logs) if self.decode_log else ()


def calldata_tokens(data: bytes) -> int:
    """EIP-7623's measure of calldata: one token per zero byte, four per non-zero byte."""
    zeros = data.count(0)
    return zeros + 4 * (len(data) - zeros)


def floor_gas(data: bytes) -> int:
    """The least a transaction carrying ``data`` uses under Prague (EIP-7623)."""
    return 21_000 + FLOOR_PER_TOKEN * calldata_tokens(data)


@dataclass(frozen=True)
class L1DataFee:
    """What an OP Stack rollup charges each transaction for posting its data to Ethereum, by the
    Ecotone formula (the ``GasPriceOracle``'s ``getL1Fee`` from March 2024)::

        l1_gas = 16 per non-zero byte + 4 per zero byte of the transaction, + 68 × 16 for its signature
        fee    = l1_gas × (16 × base_fee_scalar × l1_base_fee + blob_base_fee_scalar × blob_base_fee)
                 / (16 × 10⁶)                                                            (in wei)

    The scalars are the chain's configuration (``baseFeeScalar``, ``blobBaseFeeScalar``, scaled by
    10⁶); the two fees are Ethereum's base fee and blob base fee. Two simplifications: only the
    calldata is counted, not the rest of the transaction (type, chain id, nonce, fees, gas limit,
    recipient and value: a few dozen bytes more); and chains upgraded to Fjord (2024) estimate the
    compressed size with FastLZ instead, which differs from this estimate by how well the data
    compresses. The L2's own execution gas is priced by ``cost``'s base and
    priority fees, which on an L2 are the L2's.
    """

    l1_base_fee_gwei: float
    blob_base_fee_gwei: float
    base_fee_scalar: int
    blob_base_fee_scalar: int

    def __post_init__(self) -> None:
        real_number("l1_base_fee_gwei", self.l1_base_fee_gwei, 0)
        real_number("blob_base_fee_gwei", self.blob_base_fee_gwei, 0)
        whole_number("base_fee_scalar", self.base_fee_scalar, 0, 2**32 - 1)
        whole_number("blob_base_fee_scalar", self.blob_base_fee_scalar, 0, 2**32 - 1)

    def wei(self, data: bytes) -> int:
        """The L1 data fee of a transaction that carries ``data``, in wei."""
        l1_gas = calldata_gas(data) + 68 * 16
        scaled = (16 * self.base_fee_scalar * _wei(self.l1_base_fee_gwei)
                  + self.blob_base_fee_scalar * _wei(self.blob_base_fee_gwei))
        return l1_gas * scaled // (16 * 10**6)


class GasReport:
    """Gas tables over the recorded transactions.

    ``exact`` is False on an engine whose gas differs from a real node's; the caption then says so.
    ``fork`` is the fork whose rules the engine charged (None where it cannot tell, on a node):
    ``transactions()`` needs it to split a Prague transaction's gas into its parts.
    The caption also says what the columns count (``LEGEND``), so a reader of the table alone
    learns that ``calls`` leaves the reverted transactions out.
    """

    #: What the columns of ``report()`` mean, shown under the caption.
    LEGEND = ("calls = calls that succeeded; reverted = calls that reverted (mined, and they used gas too), "
              "counted in no other column; min, mean, median, max = the gas the calls that succeeded used.")
    #: What the columns of ``deployments()`` mean.
    DEPLOYMENTS_LEGEND = (f"deployments = deployments that succeeded; min, mean, max = their gas; % of block, "
                          f"% of tx cap = the largest as a share of the block gas limit of the lab's chains "
                          f"({BLOCK_GAS_LIMIT:,}) and of the most one transaction may use ({TX_GAS_CAP:,}, "
                          f"EIP-7825).")
    #: What the columns of ``transactions()`` mean.
    TRANSACTIONS_LEGEND = (
        "bytes = calldata (of a deployment: creation code and constructor arguments); tokens = zero bytes + 4 × "
        "non-zero bytes (EIP-7623); intrinsic = 21,000, and for a creation 32,000 + 2 per 32-byte word of code "
        "(EIP-3860); calldata = 4 gas per zero byte + 16 per non-zero byte (EIP-2028); execution = what the code "
        "used, after refunds; cancun = intrinsic + calldata + execution; floor = 21,000 + 10 × tokens; prague = "
        f"max(cancun, floor) (EIP-7623); over relay limit = more than {RELAY_LIMIT:,} bytes of calldata, which "
        f"public nodes do not relay; over gas cap = prague above {TX_GAS_CAP:,} (EIP-7825). <NA>: a Prague "
        "transaction that paid its floor does not show what it would have used without it.")

    _COLUMNS = ["calls", "reverted", "min", "mean", "median", "max"]
    _GAS_PARTS = ["intrinsic", "calldata", "execution", "cancun", "floor", "prague"]

    def __init__(self, records: list[TxRecord], engine: str, exact: bool, fork: str | None = "cancun") -> None:
        self.records = records
        self.engine = engine
        self.exact = exact
        self.fork = fork

    # -- the tables ------------------------------------------------------------------------------
    def report(self) -> pd.DataFrame:
        """One row per (contract, method). ``calls`` counts the calls that succeeded, and min, mean,
        median and max are their gas; ``reverted`` counts the calls that reverted, which are in no
        other column. ``calls + reverted`` is every transaction sent to the method."""
        if not self.records:
            index = pd.MultiIndex.from_tuples([], names=["contract", "method"])
            return pd.DataFrame(columns=self._COLUMNS, index=index)
        frame = pd.DataFrame(
            {"contract": r.contract, "method": r.method, "gas": r.gas_used, "ok": r.success}
            for r in self.records
        )
        ok = frame[frame.ok].groupby(["contract", "method"], sort=True)["gas"]
        table = ok.agg(calls="count", min="min", mean="mean", median="median", max="max")
        reverted = (~frame.ok).groupby([frame.contract, frame.method]).sum().rename("reverted")
        table = table.join(reverted, how="outer")
        table["calls"] = table["calls"].fillna(0)
        # Rounded half to even like numpy: a mean of 7.5 shows 8, a median of 2 and 3 shows 2.
        table[["mean", "median"]] = table[["mean", "median"]].round(0)
        # Nullable integers: a method that only ever reverted shows <NA>, not a made-up 0.
        return table[self._COLUMNS].astype("Int64")

    def deployments(self) -> pd.DataFrame:
        """One row per contract deployed: how many deployments succeeded, their gas, and the largest
        as a percentage of the block gas limit and of the per-transaction cap (``DEPLOYMENTS_LEGEND``)."""
        columns = ["deployments", "min", "mean", "max", "% of block", "% of tx cap"]
        gas = pd.DataFrame({"contract": r.contract, "gas": r.gas_used}
                           for r in self.records if r.creation and r.success)
        if gas.empty:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="contract"))
        table = gas.groupby("contract", sort=True)["gas"].agg(deployments="count", min="min", mean="mean",
                                                               max="max")
        table["mean"] = table["mean"].round(0)
        table = table.astype("int64")
        table["% of block"] = (100 * table["max"] / BLOCK_GAS_LIMIT).round(2)
        table["% of tx cap"] = (100 * table["max"] / TX_GAS_CAP).round(2)
        return table[columns]

    def transactions(self) -> pd.DataFrame:
        """One row per transaction, as numbered in ``lab.transactions``: its gas in parts, what it
        uses under Cancun and under Prague's calldata floor, and whether public nodes would relay
        it or the per-transaction cap would refuse it (``TRANSACTIONS_LEGEND``). Everything is
        computed from the transaction itself: its calldata and the gas it used."""
        rows = [self._parts(r) for r in self.records]
        columns = ["contract", "method", "reverted", "bytes", "tokens", *self._GAS_PARTS,
                   "over relay limit", "over gas cap"]
        table = pd.DataFrame(rows, columns=columns)
        table.index.name = "tx"
        return table.astype({**dict.fromkeys(["bytes", "tokens", *self._GAS_PARTS], "Int64"),
                             **dict.fromkeys(["reverted", "over relay limit", "over gas cap"], bool)})

    def cost(self, *, base_fee_gwei: float, priority_fee_gwei: float, eth_usd: float | None = None,
             fork: str = "prague", l1_data_fee: L1DataFee | None = None) -> pd.DataFrame:
        """What the calls that succeeded cost per call, in wei, ether and (given ``eth_usd``, the
        price of one ether in US dollars) dollars: one row per (contract, method).

        Each transaction pays its gas under ``fork`` (``"prague"``, the default, is what Ethereum
        has charged since May 2025; ``"cancun"`` leaves out the calldata floor) times
        ``base_fee_gwei + priority_fee_gwei``, plus on an OP Stack rollup the ``l1_data_fee`` of its
        calldata. The prices are yours: nothing is looked up (``example_prices()`` has examples).
        A row is the mean over the method's calls; a method whose calls all reverted shows <NA>.
        """
        if fork not in FORKS:
            raise ConfigError(f"fork={fork!r} is not one the lab prices; choose one of {', '.join(FORKS)}.")
        gas_price = _wei(real_number("base_fee_gwei", base_fee_gwei, 0)) + \
            _wei(real_number("priority_fee_gwei", priority_fee_gwei, 0))
        usd = None if eth_usd is None else real_number("eth_usd", eth_usd, 0)
        if l1_data_fee is not None and not isinstance(l1_data_fee, L1DataFee):
            raise ConfigError(f"l1_data_fee takes an L1DataFee(…), not {l1_data_fee!r}.")
        parts, methods = self.transactions(), self.report()
        ok = parts[~parts["reverted"]]
        columns = ["gas per call", *(["L1 data fee per call (wei)"] if l1_data_fee else []), "wei per call"]
        rows = []
        for contract, method in methods.index:
            gas = ok[(ok["contract"] == contract) & (ok["method"] == method)][fork]
            if gas.empty or gas.isna().any():  # all reverted, or a floor paid on Prague hides Cancun gas
                rows.append([pd.NA] * len(columns))
                continue
            l1 = [l1_data_fee.wei(self.records[i].data) if l1_data_fee else 0 for i in gas.index]
            wei = [int(g) * gas_price + fee for g, fee in zip(gas, l1)]  # Python integers: wei overflow 64 bits
            rows.append([_mean(list(gas)), *([_mean(l1)] if l1_data_fee else []), _mean(wei)])
        table = pd.DataFrame(rows, index=methods.index, columns=columns, dtype=object)
        table.insert(0, "calls", methods["calls"])
        table["gas per call"] = table["gas per call"].astype("Int64")
        table["ETH per call"] = pd.array([w if w is pd.NA else w / 10**18 for w in table["wei per call"]],
                                         dtype="Float64")
        if usd is not None:
            table["USD per call"] = table["ETH per call"] * usd
        return table

    # -- what the tables say ---------------------------------------------------------------------
    @property
    def caption(self) -> str:
        """Which engine measured the gas and whether it is exact, then what the columns mean."""
        return f"{self._title}\n{self.LEGEND}"

    @property
    def warnings(self) -> list[str]:
        """Sentences about transactions a public chain would not take as they are."""
        parts = self.transactions()
        said = []
        for flag, what in (("over relay limit", f"carry more than {RELAY_LIMIT:,} bytes of calldata, more than "
                                                "public nodes relay"),
                           ("over gas cap", f"would use more than {TX_GAS_CAP:,} gas under Prague, more than one "
                                            "transaction may use")):
            numbers = list(parts.index[parts[flag]])
            if numbers:
                said.append(f"Transactions {', '.join(map(str, numbers))} {what} (see lab.gas.transactions()).")
        return said

    @property
    def _title(self) -> str:
        if self.exact:
            return f"Gas used per call on the {self.engine} engine (exact, as a node would charge)."
        return f"Gas used per call on the {self.engine} engine (APPROXIMATE: this engine's gas is not exact)."

    def _repr_html_(self) -> str:
        def paragraph(bold: str, text: str) -> str:
            return f"<p><b>{html.escape(bold)}</b><br>{html.escape(text)}</p>"

        warnings = "".join(f"<p><b>{html.escape(w)}</b></p>" for w in self.warnings)
        return (paragraph(self._title, self.LEGEND) + self.report().to_html()
                + paragraph("Deployments", self.DEPLOYMENTS_LEGEND) + self.deployments().to_html() + warnings)

    def __str__(self) -> str:
        return "\n".join([self.caption, self.report().to_string(), "", "Deployments", self.DEPLOYMENTS_LEGEND,
                          self.deployments().to_string(), *self.warnings])

    __repr__ = __str__

    # -- internals -------------------------------------------------------------------------------
    def _parts(self, record: TxRecord) -> list:
        """A ``transactions()`` row: the record's gas split by the rules of the fork it ran under."""
        data, used = record.data, record.gas_used
        floor = floor_gas(data)
        intrinsic, calldata = base_gas(data, record.creation), calldata_gas(data)
        # Under Prague a transaction that used exactly its floor may have needed less without it:
        # then its Cancun gas is unknown. On a node of unknown fork the same holds.
        cancun = used if self.fork == "cancun" or used != floor else None
        prague = used if self.fork == "prague" or cancun is None else max(cancun, floor)
        execution = None if cancun is None else cancun - intrinsic - calldata
        return [record.contract, record.method, not record.success, len(data), calldata_tokens(data), intrinsic,
                calldata, execution, cancun, floor, prague, len(data) > RELAY_LIMIT, prague > TX_GAS_CAP]


def _mean(values: list[int]) -> int:
    """The mean of whole numbers, rounded half to even like the gas table's means."""
    return round(Fraction(sum(values), len(values)))


def _wei(gwei: float) -> int:
    """Gwei in wei, exactly for any decimal written (0.29 gwei is 290,000,000 wei)."""
    return int(Decimal(str(gwei)) * 10**9)


#: The columns of ``example_prices()`` that ``cost`` takes: ``lab.gas.cost(**row[PRICES])``.
PRICES = ["base_fee_gwei", "priority_fee_gwei", "eth_usd"]


def example_prices() -> pd.DataFrame:
    """A few dated price points, each with its source: EXAMPLES to put the lab's gas in money, not
    today's prices (fees move by orders of magnitude within a day). The last row is a cost the
    original framework reported, to compare with, not a price to compute with."""
    ethskills = ("Austin Griffith, ethskills, gas/SKILL.md (github.com/austintgriffith/ethskills, "
                 "commit 00feaed)")
    rows = [
        ("Ethereum, typical (March 2026)", "2026-03-03", 0.29, 0.1, 1988.0,
         "base fee ~0.29 gwei, ETH ~$1,988 (last verified 2026-03-03); priority fees ~0.01-0.1 gwei "
         "(the upper end here)", ethskills),
        ("Ethereum, during an event (early 2026)", "early 2026", 10.0, 0.1, 2000.0,
         "costs 'at 10 gwei (event)' and ETH ~$2,000; spikes of 10-50 gwei 'last minutes to hours'", ethskills),
        ("0xDeCA10B on Ethereum (July 2019)", "2019-07-12", None, None, None,
         "about USD 0.25 to update the model", "J. D. Harris, 'Leveraging blockchain to make machine learning "
         "models more accessible', Microsoft Research blog, 12 July 2019"),
    ]
    columns = ["example", "date", *PRICES, "the source says", "source"]
    return pd.DataFrame(rows, columns=columns).set_index("example")
