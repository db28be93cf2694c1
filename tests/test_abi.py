"""The lab's ABI layer: the fast integer encoder agrees with eth_abi byte for byte."""

import numpy as np
import pytest
from eth_abi import encode
from eth_abi.exceptions import EncodingError
from hypothesis import given
from hypothesis import strategies as st

from dcai_lab._abi import _fast_encoder

TYPES = ["uint8", "uint32", "uint256", "int64", "int256"]


def _values(kind: str):
    bits = int(kind.lstrip("uint"))
    if kind.startswith("u"):
        return st.integers(0, 2**bits - 1)
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


@st.composite
def signatures_and_arguments(draw):
    kinds = draw(st.lists(st.sampled_from(TYPES), min_size=0, max_size=4))
    arrays = [draw(st.booleans()) for _ in kinds]
    types = [k + "[]" if a else k for k, a in zip(kinds, arrays)]
    args = tuple(draw(st.lists(_values(k), max_size=5)) if a else draw(_values(k)) for k, a in zip(kinds, arrays))
    return types, args


@given(signatures_and_arguments())
def test_fast_encoding_equals_eth_abi(case):
    types, args = case
    assert _fast_encoder(types)(args) == encode(types, list(args))


def test_numpy_integers_are_accepted():
    assert _fast_encoder(["uint32[]"])((np.array([3, 1, 4]),)) == encode(["uint32[]"], [[3, 1, 4]])


@pytest.mark.parametrize(("types", "args"), [
    (["uint8"], (256,)), (["uint32"], (-1,)), (["int64"], (2**63,)), (["uint32[]"], ([1, 2**32],)),
    (["uint256"], (True,)), (["uint256"], (1.5,)), (["uint32[]"], ("123",)), (["uint8", "uint8"], (1,)),
])
def test_what_eth_abi_refuses_is_refused(types, args):
    with pytest.raises(EncodingError):
        _fast_encoder(types)(args)


def test_other_types_use_eth_abi():
    assert _fast_encoder(["string"]) is None and _fast_encoder(["uint32[2]"]) is None
