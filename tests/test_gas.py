"""The gas table: what each column counts, and a caption that says so."""

from dcai_lab.gas import GasReport, TxRecord


def record(method: str, gas: int, success: bool = True) -> TxRecord:
    return TxRecord(contract="TipJar", address=None, method=method, sender="0x0", gas_used=gas, block=1,
                    timestamp=0, success=success, tx_hash="0x", value=0, reason=None if success else "no")


def test_calls_and_statistics_cover_only_the_calls_that_succeeded():
    records = [record("withdraw", 30_000), record("withdraw", 32_000),
               record("withdraw", 25_000, success=False), record("withdraw", 99_000, success=False)]
    row = GasReport(records, "pyevm", exact=True).report().loc[("TipJar", "withdraw")]
    assert (row["calls"], row["reverted"]) == (2, 2)
    assert (row["min"], row["mean"], row["max"]) == (30_000, 31_000, 32_000)


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
    text = repr(report).splitlines()
    assert text[0] == "Gas used per call on the pyevm engine (exact, as a node would charge)."
    assert text[1] == GasReport.LEGEND
    assert "calls = calls that succeeded" in GasReport.LEGEND
    assert "reverted = calls that reverted" in GasReport.LEGEND and "counted in no other column" in GasReport.LEGEND
    assert GasReport.LEGEND in report._repr_html_()


def test_an_inexact_engine_is_named_approximate():
    assert "APPROXIMATE" in GasReport([record("tip", 50_000)], "someengine", exact=False).caption
