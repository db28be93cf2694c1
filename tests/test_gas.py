"""The gas tables: what each column counts, the parts of a transaction's gas under Cancun and
Prague, and money from prices given explicitly."""

import pandas as pd
import pytest
from eth_utils import keccak

from dcai_lab import ConfigError, Lab
from dcai_lab.errors import ArgumentTypeError
from dcai_lab.chain.engines.pyevm import PyEVMEngine
from dcai_lab.gas.report import PRICES, GasReport, L1DataFee, TxRecord, example_prices

#: 10 zero bytes and 5 non-zero bytes: 10×4 + 5×16 = 120 gas of calldata, 10 + 5×4 = 30 tokens,
#: so a Prague floor of 21,000 + 10×30 = 21,300.
DATA = bytes(10) + b"\xff" * 5


def record(method: str, gas: int, success: bool = True, data: bytes = b"", contract: str = "TipJar") -> TxRecord:
    return TxRecord(contract=contract, address=None, method=method, sender="0x0", gas_used=gas, block=1,
                    timestamp=0, success=success, tx_hash="0x", value=0, reason=None if success else "no", data=data)


# -- report(): per contract and method ---------------------------------------------------------------

def test_calls_and_statistics_cover_only_the_calls_that_succeeded():
    records = [record("withdraw", 30_000), record("withdraw", 32_000),
               record("withdraw", 25_000, success=False), record("withdraw", 99_000, success=False)]
    row = GasReport(records, "pyevm", exact=True).report().loc[("TipJar", "withdraw")]
    assert (row["calls"], row["reverted"]) == (2, 2)
    assert (row["min"], row["mean"], row["max"]) == (30_000, 31_000, 32_000)


def test_the_columns_come_in_the_order_gas_reporters_use():
    table = GasReport([record("tip", 50_000)], "pyevm", exact=True).report()
    assert list(table.columns) == ["calls", "reverted", "min", "mean", "median", "max"]


def test_calls_and_reverted_add_up_to_every_transaction(lab):
    jar = lab.deploy_contract("TipJar", 60)
    jar.tip("hi", value=1, sender=lab.accounts.alice)
    with lab.reverts("only the owner"):
        jar.withdraw(1, sender=lab.accounts.bob)
    with lab.reverts("StillLocked"):
        jar.withdraw(1)
    table = lab.gas.report()
    assert (table["calls"] + table["reverted"]).sum() == len(lab.transactions) == 4
    assert tuple(table.loc[("TipJar", "withdraw"), ["calls", "reverted"]]) == (0, 2)


def test_a_method_that_only_reverted_has_no_made_up_statistics():
    row = GasReport([record("withdraw", 25_000, success=False)], "pyevm", exact=True).report().iloc[0]
    assert (row["calls"], row["reverted"]) == (0, 1)
    assert row[["min", "mean", "median", "max"]].isna().all()


def test_the_caption_says_what_the_columns_count_in_text_and_html():
    report = GasReport([record("tip", 50_000), record("tip", 40_000, success=False)], "pyevm", exact=True)
    text = str(report).splitlines()
    assert text[0] == "Gas used per call on the pyevm engine (exact, as a node would charge)."
    assert text[1] == GasReport.LEGEND
    assert "calls = calls that succeeded" in GasReport.LEGEND
    assert "reverted = calls that reverted" in GasReport.LEGEND and "counted in no other column" in GasReport.LEGEND
    assert GasReport.LEGEND in report._repr_html_() and repr(report) == str(report)


def test_an_inexact_engine_is_named_approximate():
    assert "APPROXIMATE" in GasReport([record("tip", 50_000)], "someengine", exact=False).caption


# -- deployments() -----------------------------------------------------------------------------------

def test_deployments_are_measured_against_the_block_limit_and_the_transaction_cap():
    records = [record("(deploy)", 6_000_000), record("(deploy)", 3_000_000),
               record("(deploy)", 9_000_000, success=False), record("tip", 50_000)]
    table = GasReport(records, "pyevm", exact=True).deployments()
    assert list(table.index) == ["TipJar"]
    row = table.loc["TipJar"]
    assert (row["deployments"], row["min"], row["mean"], row["max"]) == (2, 3_000_000, 4_500_000, 6_000_000)
    assert row["% of block"] == 10.0  # 6,000,000 of the lab's 60,000,000
    assert row["% of tx cap"] == 35.76  # 6,000,000 of 16,777,216


def test_text_and_html_show_the_method_table_then_the_deployments(lab):
    jar = lab.deploy_contract("TipJar", 60)
    jar.tip("hi", value=1, sender=lab.accounts.alice)
    text, page = str(lab.gas), lab.gas._repr_html_()
    assert text.index("(deploy)") < text.index("Deployments") < text.index(GasReport.DEPLOYMENTS_LEGEND)
    assert text.splitlines()[-1].startswith("TipJar")  # the deployments row
    assert page.count("<table") == 2 and "Deployments" in page


# -- transactions(): the parts of each transaction's gas, Cancun and Prague ---------------------------

def test_a_transaction_is_split_into_intrinsic_calldata_and_execution():
    row = GasReport([record("tip", 21_200, data=DATA)], "pyevm", exact=True).transactions().loc[0]
    assert (row["bytes"], row["tokens"]) == (15, 30)
    assert (row["intrinsic"], row["calldata"], row["execution"]) == (21_000, 120, 80)
    assert (row["cancun"], row["floor"], row["prague"]) == (21_200, 21_300, 21_300)


def test_a_creation_pays_32000_and_2_gas_per_word_of_code():
    code = b"\x60" * 33  # two 32-byte words, all non-zero
    row = GasReport([record("(deploy)", 100_000, data=code)], "pyevm", exact=True).transactions().loc[0]
    assert (row["intrinsic"], row["calldata"]) == (21_000 + 32_000 + 2 * 2, 33 * 16)
    assert row["execution"] == 100_000 - 53_004 - 528


def test_on_a_prague_chain_a_transaction_that_paid_its_floor_has_no_cancun_figure():
    paid_floor, above = record("tip", 21_300, data=DATA), record("tip", 30_000, data=DATA)
    table = GasReport([paid_floor, above], "pyevm", exact=True, fork="prague").transactions()
    assert table.loc[0, ["execution", "cancun"]].isna().all() and table.loc[0, "prague"] == 21_300
    assert (table.loc[1, "cancun"], table.loc[1, "prague"], table.loc[1, "execution"]) == (30_000, 30_000, 8_880)


def test_on_a_node_of_unknown_fork_only_a_transaction_at_its_floor_is_ambiguous():
    below, at = record("tip", 21_200, data=DATA), record("tip", 21_300, data=DATA)
    table = GasReport([below, at], "rpc", exact=True, fork=None).transactions()
    assert (table.loc[0, "cancun"], table.loc[0, "prague"]) == (21_200, 21_300)  # below its floor: not Prague
    assert pd.isna(table.loc[1, "cancun"]) and table.loc[1, "prague"] == 21_300


def test_transactions_public_nodes_would_not_take_are_flagged_and_named():
    records = [record("commit", 3_000_000, data=b"\x01" * 131_072),
               record("commit", 3_000_000, data=b"\x01" * 131_073),
               record("process", 16_777_217)]
    report = GasReport(records, "pyevm", exact=True)
    table = report.transactions()
    assert list(table["over relay limit"]) == [False, True, False]
    assert list(table["over gas cap"]) == [False, False, True]
    assert report.warnings == [
        "Transactions 1 carry more than 131,072 bytes of calldata, more than public nodes relay "
        "(see lab.gas.transactions()).",
        "Transactions 2 would use more than 16,777,216 gas under Prague, more than one transaction may use "
        "(see lab.gas.transactions()).",
    ]
    assert str(report).splitlines()[-2:] == report.warnings


def test_the_calldata_floor_alone_can_break_the_cap_under_prague():
    # 420,000 non-zero bytes: 1,680,000 tokens, a floor of 21,000 + 16,800,000.
    row = GasReport([record("commit", 6_741_000, data=b"\x01" * 420_000)], "pyevm", exact=True).transactions().loc[0]
    assert row["cancun"] == 6_741_000 and row["prague"] == 16_821_000 and row["over gas cap"]


def test_each_recorded_transaction_keeps_what_it_sent(lab):
    jar = lab.deploy_contract("TipJar", 60)
    jar.tip("hi", value=1, sender=lab.accounts.alice)
    deployment, tip = lab.transactions
    assert deployment.creation and not tip.creation
    assert len(deployment.data) > 1_000 and deployment.data.endswith((60).to_bytes(32, "big"))
    assert tip.data[:4] == keccak(text="tip(string)")[:4] and b"hi" in tip.data
    assert lab.gas.transactions().loc[1, "bytes"] == len(tip.data) == 4 + 3 * 32


def _same_transactions(lab: Lab) -> Lab:
    """A deployment, a tip with a 4,000-byte note (calldata-heavy: little code runs per byte), a
    short tip, a refund, a revert and an execution-heavy model update."""
    from dcai_lab.models import SparsePerceptron

    alice, bob = lab.accounts.alice, lab.accounts.bob
    jar = lab.deploy_contract("TipJar", 60)
    jar.tip("x" * 4_000, value=1, sender=alice)
    jar.tip("hi", value=1, sender=bob)
    jar.forgetMe(sender=alice)
    with lab.reverts("StillLocked"):
        jar.withdraw(1)
    model = lab.deploy(SparsePerceptron(n_features=1000).fit([[1, 2], [3, 4]], [1, 0]))
    model.update(list(range(0, 1000, 3)), 1)
    return lab


def test_the_prague_figure_is_what_a_prague_chain_charges():
    cancun = _same_transactions(Lab()).gas.transactions()
    prague = _same_transactions(Lab(engine=PyEVMEngine(fork="prague"))).gas.transactions()
    assert list(cancun["prague"]) == list(prague["prague"])  # computed from Cancun = measured on Prague
    heavy = cancun.loc[1]  # the 4,000-byte note: the floor applies
    assert heavy["method"] == "tip" and heavy["prague"] == heavy["floor"] > heavy["cancun"]
    assert prague.loc[1, ["cancun", "execution"]].isna().all()
    update = cancun.index[cancun["method"] == "update"][0]  # execution-heavy: the floor does not
    assert cancun.loc[update, "prague"] == cancun.loc[update, "cancun"] > 2_000_000
    unfloored = prague.drop(index=1)
    assert list(unfloored["cancun"]) == list(cancun.drop(index=1)["cancun"])  # read back from Prague


# -- cost(): money from explicit prices --------------------------------------------------------------

def test_cost_is_gas_times_the_fees_given_per_call():
    records = [record("tip", 50_000), record("tip", 40_000), record("tip", 99_000, success=False)]
    table = GasReport(records, "pyevm", exact=True).cost(base_fee_gwei=1.5, priority_fee_gwei=0.5, eth_usd=2_000)
    row = table.loc[("TipJar", "tip")]
    assert (row["calls"], row["gas per call"]) == (2, 45_000)
    assert row["wei per call"] == 45_000 * 2 * 10**9
    assert row["ETH per call"] == pytest.approx(9e-5) and row["USD per call"] == pytest.approx(0.18)


def test_cost_without_an_ether_price_has_no_dollars_and_prices_a_reverted_only_method_at_na():
    records = [record("tip", 50_000), record("withdraw", 30_000, success=False)]
    table = GasReport(records, "pyevm", exact=True).cost(base_fee_gwei=1, priority_fee_gwei=0)
    assert "USD per call" not in table.columns
    assert table.loc[("TipJar", "withdraw")].drop("calls").isna().all()


def test_cost_charges_the_calldata_floor_under_prague_only():
    report = GasReport([record("tip", 21_200, data=DATA)], "pyevm", exact=True)
    prague = report.cost(base_fee_gwei=1, priority_fee_gwei=0)  # Prague is the default
    cancun = report.cost(base_fee_gwei=1, priority_fee_gwei=0, fork="cancun")
    assert prague.loc[("TipJar", "tip"), "wei per call"] == 21_300 * 10**9
    assert cancun.loc[("TipJar", "tip"), "wei per call"] == 21_200 * 10**9


def test_cost_keeps_every_wei_where_64_bits_would_overflow():
    table = GasReport([record("(deploy)", 16_000_000)], "pyevm", exact=True).cost(base_fee_gwei=1_000.000000001,
                                                                                   priority_fee_gwei=0)
    assert table.loc[("TipJar", "(deploy)"), "wei per call"] == 16_000_000 * 1_000_000_000_001  # > 2**63


def test_an_l2_adds_the_ecotone_l1_data_fee_of_each_transaction():
    fee = L1DataFee(l1_base_fee_gwei=10, blob_base_fee_gwei=1, base_fee_scalar=1368, blob_base_fee_scalar=810949)
    data = b"\x01" * 100
    # (100 × 16 + 68 × 16) × (16 × 1368 × 10 gwei + 810949 × 1 gwei) / (16 × 10**6)
    assert fee.wei(data) == 2_688 * (16 * 1368 * 10 * 10**9 + 810949 * 10**9) // (16 * 10**6) == 173_011_272_000
    table = GasReport([record("tip", 30_000, data=data)], "pyevm", exact=True).cost(
        base_fee_gwei=0.001, priority_fee_gwei=0, l1_data_fee=fee)
    row = table.loc[("TipJar", "tip")]
    assert row["L1 data fee per call (wei)"] == 173_011_272_000
    assert row["wei per call"] == 30_000 * 10**6 + 173_011_272_000


@pytest.mark.parametrize("prices, error", [
    (dict(base_fee_gwei=-1, priority_fee_gwei=0), ConfigError),
    (dict(base_fee_gwei="1", priority_fee_gwei=0), ArgumentTypeError),
    (dict(base_fee_gwei=1, priority_fee_gwei=0, eth_usd=float("nan")), ConfigError),
    (dict(base_fee_gwei=1, priority_fee_gwei=0, fork="london"), ConfigError),
    (dict(base_fee_gwei=1, priority_fee_gwei=0, l1_data_fee=0.5), ConfigError),
])
def test_cost_refuses_prices_it_cannot_use(prices, error):
    with pytest.raises(error):
        GasReport([record("tip", 50_000)], "pyevm", exact=True).cost(**prices)


def test_cost_needs_both_fees_spelled_out():
    with pytest.raises(TypeError):
        GasReport([record("tip", 50_000)], "pyevm", exact=True).cost(base_fee_gwei=1)


def test_example_prices_are_dated_sourced_and_usable():
    examples = example_prices()
    assert examples[["date", "source", "the source says"]].notna().all().all()
    priced = examples.dropna(subset=PRICES)
    assert len(priced) >= 2
    report = GasReport([record("tip", 100_000)], "pyevm", exact=True)
    for name, row in priced.iterrows():
        expected = 100_000 * round((row["base_fee_gwei"] + row["priority_fee_gwei"]) * 10**9) / 10**18
        usd = report.cost(**row[PRICES]).loc[("TipJar", "tip"), "USD per call"]
        assert usd == pytest.approx(expected * row["eth_usd"]), name
