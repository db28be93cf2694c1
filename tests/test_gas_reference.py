"""Our gas against the figures measured for microsoft/0xDeCA10B: what is compared, and how."""

import pytest

from dcai_lab import gas_reference
from dcai_lab.gas import floor_gas


@pytest.fixture(scope="module")
def ours():
    return gas_reference.measure_ours()  # revm


def test_every_reference_figure_has_ours_and_a_ratio(ours):
    table = gas_reference.side_by_side(ours)
    reference = gas_reference.REFERENCE
    assert len(table) == len(reference) + len(gas_reference.REFERENCE_TRANSACTIONS)
    assert list(table["0xDeCA10B"])[:len(reference)] == list(reference.values())
    assert list(table["dcai-lab"])[:len(reference)] == [ours[key] for key in reference]
    assert list(table["ratio"]) == [round(o / r, 2) for o, r in zip(table["dcai-lab"], table["0xDeCA10B"])]


def test_the_reference_is_cited_not_measured():
    assert "f97e40db4c27f90f0ceedc26629e83d8a3cc7a30" in gas_reference.PROVENANCE
    assert "optimizer off" in gas_reference.PROVENANCE and "Prague" in gas_reference.PROVENANCE
    assert gas_reference.REFERENCE[("sparse perceptron", "deployment", None)] == 30_295_899


def test_revm_gives_py_evm_pragues_gas(ours):
    """The comparison runs on revm (Cancun) and reports Prague's gas: the same as py-evm under Prague."""
    assert gas_reference.measure_ours(engine="pyevm") == ours


def test_a_transaction_below_its_calldata_floor_is_charged_the_floor():
    class Record:
        data = bytes(range(1, 101))
        gas_used = 21_000
    assert gas_reference._prague(Record) == floor_gas(Record.data) > 21_000


def test_the_changed_model_costs_more_than_the_unchanged_at_every_k(ours):
    for k in gas_reference.KS:
        assert ours[("sparse perceptron", "addData, model changed", k)] > \
            ours[("sparse perceptron", "addData, model unchanged", k)]
