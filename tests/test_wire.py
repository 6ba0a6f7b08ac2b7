"""The codec between the grader and the student process (engine.wire) and what the grader does
with a reply (engine.calls.copy_into): a message is hostile input, and decoding it must neither
run code, nor take memory or stack out of proportion to its size, nor let it reshape the
test's own arrays. (Through the real command: tests/test_hostile.py, 8: the wire.)"""

import socket
import struct

import numpy as np
import pytest

from autograder.engine import wire
from autograder.engine.calls import copy_into


def test_wire_refuses_what_could_run_code_in_the_grader():
    tree, blobs = wire.encode({"a": np.arange(6.0).reshape(2, 3), "t": (1, None, "x")})
    back = wire.decode(tree, [memoryview(b) for b in blobs])
    assert np.array_equal(back["a"], np.arange(6.0).reshape(2, 3)) and back["t"] == (1, None, "x")
    import pickle

    for bad in [
        {"p": 0},
        {"a": 0, "dtype": "|O", "shape": [1]},
        {"a": 0, "dtype": "<f8", "shape": [99]},
        {"zz": 1},
        [1, 2],
    ]:
        with pytest.raises(wire.WireError):
            wire.decode(bad, [memoryview(pickle.dumps(object()))])
    odd = wire.decode(*wire.encode(object()))
    assert isinstance(odd, wire.Opaque) and type(odd).__name__ == "object"


def test_a_blob_is_decoded_once():
    # fifty references to one 1 MB blob would cost the grader 50 MB of copies
    blob = memoryview(bytearray(2**20))
    tree = {"l": [{"by": 0}] * 50}
    with pytest.raises(wire.WireError, match="referenced twice"):
        wire.decode(tree, [blob])
    tree = {"l": [{"a": 0, "dtype": "<f8", "shape": [2**17]}, {"a": 0, "dtype": "<f8", "shape": [2**17]}]}
    with pytest.raises(wire.WireError, match="referenced twice"):
        wire.decode(tree, [blob])
    # what the encoder writes, the same array twice included, decodes
    a = np.arange(4.0)
    tree, blobs = wire.encode([a, a, b"xy", np.float32(2)])
    back = wire.decode(tree, [memoryview(bytearray(b)) for b in blobs])  # as wire.recv gives them
    assert np.array_equal(back[0], a) and np.array_equal(back[1], a) and back[2] == b"xy"


def test_json_nested_too_deeply_is_a_bad_message_not_a_crash():
    text = ('{"v": {"l": ' + "[" * 100_000 + "]" * 100_000 + '}, "b": []}').encode()
    left, right = socket.socketpair()
    with left, right:
        left.sendall(struct.pack("!QQ", len(text), 0) + text)
        with pytest.raises(wire.WireError, match="not valid JSON"):
            wire.recv(right, deadline=None)


def test_a_reported_change_of_shape_is_not_applied():
    x = np.zeros((2, 3))
    copy_into(x, np.ones((8, 12)))  # a forged report: the test's x must keep its shape
    assert x.shape == (2, 3) and not x.any()
    copy_into(x, np.full((2, 3), 5.0))  # a change in place, as a notebook would show it
    assert (x == 5).all()
