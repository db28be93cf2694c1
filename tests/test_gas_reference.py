"""Our gas against the figures measured for microsoft/0xDeCA10B: what is compared, and how."""

import pytest

from dcai_lab.gas import reference
from dcai_lab.gas.report import floor_gas


@pytest.fixture(scope="module")
def ours():
    return reference.measure_ours()  # revm


def test_every_reference_figure_has_ours_and_a_ratio(ours):
    table = reference.side_by_side(ours)
    figures = reference.REFERENCE
    assert len(table) == len(figures) + len(reference.REFERENCE_TRANSACTIONS)
    assert list(table["0xDeCA10B"])[:len(figures)] == list(figures.values())
    assert list(table["dcai-lab"])[:len(figures)] == [ours[key] for key in figures]
    assert list(table["ratio"]) == [round(o / r, 2) for o, r in zip(table["dcai-lab"], table["0xDeCA10B"])]


def test_the_reference_is_cited_not_measured():
    assert "f97e40db4c27f90f0ceedc26629e83d8a3cc7a30" in reference.PROVENANCE
    assert "optimizer off" in reference.PROVENANCE and "Prague" in reference.PROVENANCE
    assert reference.REFERENCE[("sparse perceptron", "deployment", None)] == 30_295_899


def test_revm_gives_py_evm_pragues_gas(ours):
    """The comparison runs on revm (Cancun) and reports Prague's gas: the same as py-evm under Prague."""
    assert reference.measure_ours(engine="pyevm") == ours


def test_a_transaction_below_its_calldata_floor_is_charged_the_floor():
    class Record:
        data = bytes(range(1, 101))
        gas_used = 21_000
    assert reference._prague(Record) == floor_gas(Record.data) > 21_000


def test_the_changed_model_costs_more_than_the_unchanged_at_every_k(ours):
    for k in reference.KS:
        assert ours[("sparse perceptron", "addData, model changed", k)] > \
            ours[("sparse perceptron", "addData, model unchanged", k)]
