"""Samples as the contracts take them: the fast paths give exactly what the plain formulas give."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dcai_lab.errors import ArgumentTypeError, ConfigError
from dcai_lab.models._samples import SCALE, dense_sample, labels, pack, sparse_sample, unpack

N_FEATURES = 1_000
INDICES = st.lists(st.integers(0, N_FEATURES - 1), min_size=1, max_size=60, unique=True)
INT64 = st.integers(-(2**63), 2**63 - 1)


@given(INDICES)
def test_a_sparse_sample_packs_as_4_byte_indices_and_back(sample):
    sample = tuple(sorted(sample))
    packed = pack(sample, sparse=True)
    assert packed == b"".join(i.to_bytes(4, "big") for i in sample)
    assert unpack(packed, sparse=True) == sample


@given(st.lists(INT64, min_size=1, max_size=30))
def test_a_dense_sample_packs_as_8_byte_twos_complement_and_back(sample):
    sample = tuple(sample)
    packed = pack(sample, sparse=False)
    assert packed == b"".join(v.to_bytes(8, "big", signed=True) for v in sample)
    assert unpack(packed, sparse=False) == sample


@pytest.mark.parametrize(("sample", "sparse"), [((2**32,), True), ((-1,), True), ((2**63,), False)])
def test_what_does_not_fit_its_width_is_refused(sample, sparse):
    with pytest.raises(OverflowError):
        pack(sample, sparse)


@given(INDICES)
def test_a_list_of_indices_becomes_the_sorted_indices(indices):
    assert sparse_sample(indices, N_FEATURES) == tuple(sorted(indices))
    assert sparse_sample([np.int64(i) for i in indices], N_FEATURES) == tuple(sorted(indices))


def test_a_repeated_index_is_named():
    with pytest.raises(ConfigError, match="feature 7 appears twice"):
        sparse_sample([3, 7, 1, 7], N_FEATURES)


def test_an_index_that_is_not_a_whole_number_is_named():
    with pytest.raises(ArgumentTypeError, match="not 2.5"):
        sparse_sample([1, 2.5], N_FEATURES)


@given(st.lists(st.floats(-9e9, 9e9, allow_nan=False), min_size=1, max_size=20))
def test_dense_values_round_as_python_rounds_them(values):
    assert dense_sample(np.array(values), len(values)) == tuple(round(float(v) * SCALE) for v in values)


def test_a_dense_value_beyond_int64_is_refused():
    with pytest.raises(ConfigError, match="must lie within"):
        dense_sample(np.array([0.0, 9.3e9]), 2)


@given(st.lists(st.integers(-2, 4), max_size=10))
def test_labels_in_a_list_are_checked_as_any_labels_are(values):
    as_array = np.array(values, dtype=float)  # the general path
    if all(0 <= v < 3 for v in values):
        assert labels(values, 3) == labels(as_array, 3) == values
    else:
        for given_as in (values, as_array):
            with pytest.raises(ConfigError, match="is not one of this model's classes"):
                labels(given_as, 3)
