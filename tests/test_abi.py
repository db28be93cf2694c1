"""The lab's ABI layer: the direct encoder and decoder agree with eth_abi byte for byte."""

import numpy as np
import pytest
from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError, EncodingError
from eth_utils import keccak, to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from dcai_lab.chain._abi import (EventDecoder, Function, _fast_decoder, _fast_encoder, _python, _Unusual, decoder,
                           event_topic)
from dcai_lab.chain.engines._base import Log

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


ADDRESSES = st.binary(min_size=20, max_size=20).map(to_checksum_address)
_SCALARS = {"bytes": st.binary(max_size=70), "address": ADDRESSES, "bool": st.booleans(),
            **{kind: _values(kind) for kind in TYPES}}


@st.composite
def mixed_signatures_and_arguments(draw):
    types = draw(st.lists(st.sampled_from(sorted(_SCALARS)), max_size=5))
    return types, tuple(draw(_SCALARS[kind]) for kind in types)


@given(mixed_signatures_and_arguments())
def test_bytes_and_addresses_encode_as_eth_abi_does(case):
    types, args = case
    types = [kind for kind in types if kind != "bool"]  # booleans stay with eth_abi
    args = tuple(value for value in args if not isinstance(value, bool))
    assert _fast_encoder(types)(args) == encode(types, list(args))


@given(mixed_signatures_and_arguments())
def test_direct_decoding_equals_eth_abi(case):
    types, args = case
    data = encode(types, list(args))
    assert _fast_decoder(types)(data) == tuple(_python(v) for v in decode(types, data))  # addresses checksummed


def test_an_address_is_accepted_in_any_form_eth_abi_accepts():
    checksummed = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    for form in (checksummed, checksummed.lower(), bytes.fromhex(checksummed[2:])):
        assert _fast_encoder(["address"])((form,)) == encode(["address"], [form])


@pytest.mark.parametrize(("types", "args"), [
    (["address"], ("alice",)), (["address"], ("0x1234",)), (["bytes"], ("text",)), (["bytes"], ([1, 2],)),
])
def test_what_eth_abi_refuses_is_refused_too(types, args):
    with pytest.raises(EncodingError):
        encode(types, list(args))
    with pytest.raises(EncodingError):
        _fast_encoder(types)(args)


def test_an_address_of_another_kind_is_left_to_eth_abi():
    with pytest.raises(_Unusual):
        _fast_encoder(["address"])((bytearray(20),))


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


@pytest.mark.parametrize(("types", "data"), [
    (["uint8"], _word(256)),                                   # too wide for its type
    (["int8"], _word(128)),
    (["bool"], _word(2)),
    (["address"], b"\1" + bytes(31)),                          # dirty padding
    (["bytes"], _word(0)),                                     # a pointer into the head
    (["bytes"], _word(32) + _word(5) + b"hello"),              # the tail's padding is missing
    (["bytes"], _word(32) + _word(1) + b"a" + b"\1" * 31),     # the padding is not zero
    (["uint256", "uint256"], _word(1)),                        # too little data
])
def test_unusual_data_is_decoded_or_refused_by_eth_abi(types, data):
    with pytest.raises(_Unusual):
        _fast_decoder(types)(data)
    with pytest.raises(DecodingError):
        decode(types, data)
    with pytest.raises(DecodingError):
        decoder(tuple(types))(data)


def test_other_types_are_decoded_by_eth_abi():
    assert _fast_decoder(["string"]) is None and _fast_decoder(["uint32[]"]) is None
    data = encode(["string", "uint32[]"], ["hi", [1, 2]])
    assert decoder(("string", "uint32[]"))(data) == ("hi", [1, 2])


def test_a_function_falls_back_to_eth_abi_for_unusual_arguments():
    transfer = Function({"type": "function", "name": "transfer", "stateMutability": "nonpayable",
                         "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
                         "outputs": [{"name": "", "type": "bool"}]})
    to = bytearray(b"\x11" * 20)
    assert transfer.encode((to, 5)) == transfer.selector + encode(["address", "uint256"], [bytes(to), 5])
    assert transfer.decode_output(_word(1)) is True


def _event(*inputs: tuple[str, str, bool]) -> dict:
    return {"type": "event", "name": "Noted", "anonymous": False,
            "inputs": [{"name": name, "type": kind, "indexed": indexed} for name, kind, indexed in inputs]}


def test_an_event_is_decoded_with_its_arguments_in_order():
    item = _event(("amount", "uint256", False), ("sender", "address", True), ("id", "uint64", True),
                  ("data", "bytes", False))
    sender = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    log = Log(sender, (event_topic(item), encode(["address"], [sender]), _word(7)),
              encode(["uint256", "bytes"], [10**18, b"\x01\x02"]))
    event = EventDecoder(item)(log)
    assert (event.name, event.address) == ("Noted", sender)
    assert list(event.args.items()) == [("amount", 10**18), ("sender", sender), ("id", 7), ("data", b"\x01\x02")]


def test_an_indexed_dynamic_value_is_its_hash():
    item = _event(("tag", "string", True), ("count", "uint8", True))
    tag_hash = keccak(text="tag")
    event = EventDecoder(item)(Log("0x" + "00" * 20, (event_topic(item), tag_hash, _word(3)), b""))
    assert event.args == {"tag": tag_hash, "count": 3}
