"""The messages between the grader and a student process, and a codec that is safe to decode.

The grader never unpickles anything a student process sends: a submission controls that
process and could send a pickle that runs code in the grader. Values travel instead as a JSON
tree plus raw byte blobs, and decoding builds only plain data: None, bools, numbers, strings,
bytes, lists, tuples, dicts, numpy arrays and scalars of numeric dtypes, torch tensors, dtypes,
devices, slices and ranges. Any other object a student returns arrives as an `Opaque` stand-in
that carries its type name and a short repr, so that a test fails with a readable message.

In the other direction (grader to student) the grader may also send a callable: the student
process gets a stub that calls back into the grader (`{"cb": id}`), or, for one of the
student's own functions passed back in (a test calling `benchmark(conv2d_torch, ...)`), a
reference that the student process resolves in its own namespace (`{"fn": name}`). Objects of
other types are pickled in that direction only (the student process trusts the grader).

Frame: 16-byte header (two big-endian uint64: JSON length, blob length), the JSON text, then
the blobs back to back. The JSON holds {"v": tree, "b": [blob lengths]}.
"""

import json
import math
import pickle
import struct
import sys
import time

import numpy as np

HEADER = struct.Struct("!QQ")
_dumps, _loads = json.dumps, json.loads  # bound now: student code may replace json's functions later
MAX_JSON = 32 * 2**20
MAX_DEPTH = 40
MAX_NODES = 200_000
NUMPY_KINDS = set("biufc")  # bool, signed, unsigned, float, complex: never object, void, str
TORCH_DTYPES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]


class WireError(Exception):
    """A message that is malformed, too large, or not allowed."""


class PeerClosed(WireError):
    """The other side closed the connection (the student process ended)."""


class WireTimeout(WireError):
    """No complete message arrived before the deadline."""


class Opaque:
    """Stand-in for an object the student process returned that cannot travel as data."""

    def __init__(self, type_name, text):
        self.type_name = type_name
        self.text = text

    def __repr__(self):
        return self.text


def _opaque_class(name):
    # A class named like the student's type, so `type(got).__name__` in a message reads right.
    safe = "".join(ch for ch in str(name)[:60] if ch.isalnum() or ch == "_") or "object"
    return type(safe, (Opaque,), {})


# ----------------------------------------------------------------------------- encoding


class Encoder:
    """Turns a value into (tree, blobs).

    callback: function(obj) -> int or None, for callables that should become call-backs
    function_ref: function(obj) -> str or None, for proxies of the peer's own functions
    allow_pickle: pickle objects of other types (grader to student only)
    inputs: when a list, every array and tensor encoded is appended to it (the grader uses
    these to copy a student's in-place changes back into the test's own arrays)
    alias_of: function(array or tensor) -> list or None (student side: see student.child._alias);
    a list is sent with the array as "al", for the grader to hand the test its own input back
    """

    def __init__(self, callback=None, function_ref=None, allow_pickle=False, inputs=None, alias_of=None):
        self.callback = callback
        self.function_ref = function_ref
        self.allow_pickle = allow_pickle
        self.inputs = inputs
        self.alias_of = alias_of
        self.blobs = []

    def blob(self, data):
        self.blobs.append(bytes(data))
        return len(self.blobs) - 1

    def encode(self, obj, depth=0):
        if depth > MAX_DEPTH:
            return self.opaque(obj, "nested too deeply")
        t = type(obj)
        if obj is None or t is bool or t is str:
            return obj
        if t is int:
            return obj if abs(obj) < 2**63 else {"big": str(obj)}
        if t is float:
            return obj if math.isfinite(obj) else {"f": repr(obj)}
        if t is complex:
            return {"c": [self.encode(obj.real), self.encode(obj.imag)]}
        if t in (bytes, bytearray):
            return {"by": self.blob(obj)}
        if t is list:
            return {"l": [self.encode(v, depth + 1) for v in obj]}
        if t is tuple:
            return {"t": [self.encode(v, depth + 1) for v in obj]}
        if t is dict:
            return {"d": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in obj.items()]}
        if t is slice:
            return {"sl": [self.encode(obj.start), self.encode(obj.stop), self.encode(obj.step)]}
        if t is range:
            return {"r": [obj.start, obj.stop, obj.step]}
        if isinstance(obj, np.ndarray):
            return self.array(obj)
        if isinstance(obj, np.generic):
            if obj.dtype.kind in NUMPY_KINDS:
                return {"s": self.blob(np.asarray(obj).tobytes()), "dtype": obj.dtype.str}
            return self.opaque(obj)
        if isinstance(obj, np.dtype):
            return {"nd": obj.str} if obj.kind in NUMPY_KINDS else self.opaque(obj)
        if isinstance(obj, type) and issubclass(obj, np.generic) and np.dtype(obj).kind in NUMPY_KINDS:
            return {"nt": np.dtype(obj).str}
        torch = sys.modules.get("torch")
        if torch is not None:
            if isinstance(obj, torch.Tensor):
                return self.tensor(obj, torch)
            if isinstance(obj, torch.dtype):
                return {"td": str(obj).replace("torch.", "")}
            if isinstance(obj, torch.device):
                return {"dev": str(obj)}
        if self.function_ref is not None:
            name = self.function_ref(obj)
            if name is not None:
                return {"fn": name}
        if self.callback is not None and callable(obj):
            ident = self.callback(obj)
            if ident is not None:
                return {"cb": ident}
        if self.allow_pickle:
            try:
                return {"p": self.blob(pickle.dumps(obj))}
            except Exception:
                pass
        return self.opaque(obj)

    def opaque(self, obj, why=None):
        try:
            text = why or repr(obj)
        except BaseException:  # a student's __repr__ may raise anything
            text = "<unprintable>"
        return {"o": type(obj).__name__[:60], "repr": str(text)[:300]}

    def array(self, a):
        if a.dtype.kind not in NUMPY_KINDS:
            return self.opaque(a, f"array of dtype {a.dtype}")
        alias = self.alias_of(a) if self.alias_of is not None else None
        a = np.asarray(a)  # drops subclasses such as np.matrix
        if self.inputs is not None:
            self.inputs.append(a)
        node = {"a": self.blob(np.ascontiguousarray(a).tobytes()), "dtype": a.dtype.str, "shape": list(a.shape)}
        if alias:
            node["al"] = alias
        return node

    def tensor(self, t, torch):
        dtype = str(t.dtype).replace("torch.", "")
        if dtype not in TORCH_DTYPES or t.layout != torch.strided:
            return self.opaque(t, f"tensor of dtype {t.dtype}, layout {t.layout}")
        if self.inputs is not None:
            self.inputs.append(t)
        data = t.detach().to("cpu").contiguous().reshape(-1)
        raw = data.view(torch.uint8).numpy().tobytes() if data.numel() else b""
        node = {
            "T": self.blob(raw),
            "dtype": dtype,
            "shape": list(t.shape),
            "device": str(t.device),
            "grad": bool(t.requires_grad),
        }
        alias = self.alias_of(t) if self.alias_of is not None else None
        if alias:
            node["al"] = alias
        return node


def encode(obj, **kwargs):
    enc = Encoder(**kwargs)
    return enc.encode(obj), enc.blobs


# ----------------------------------------------------------------------------- decoding


class Decoder:
    """Builds values from (tree, blobs), validating everything.

    trusted: accept pickles (student side only, from the grader)
    callback: function(ident) -> callable, for {"cb": id}
    function: function(name) -> callable, for {"fn": name}
    inputs: when a list, every array and tensor built is appended (the student side uses it to
    report which inputs a function changed)
    device_ok: function(device string) -> bool; tensors for other devices land on the CPU
    aliases: the arrays and tensors of the call this message answers (grader side): an array
    marked "al" comes back as that argument itself, or as a view of its memory, when it fits
    (same type, dtype and size, within bounds); otherwise as a copy, like any other array
    """

    def __init__(self, blobs, trusted=False, callback=None, function=None, inputs=None, device_ok=None, aliases=None):
        self.blobs = blobs
        self.trusted = trusted
        self.callback = callback
        self.function = function
        self.inputs = inputs
        self.device_ok = device_ok
        self.aliases = aliases
        self.used = set()
        self.nodes = 0

    def fail(self, why):
        raise WireError(f"invalid value in message: {why}")

    def own(self, raw):
        """Whether an array may use a blob's memory as it is (no copy): a writable buffer of its
        own (wire.recv gives each blob one; `blob` lets one value only use it)."""
        return not raw.readonly and raw.c_contiguous and raw.nbytes == len(raw.obj)

    def blob(self, i):
        """Blob i, once: the encoder gives every value a blob of its own, and a blob referenced
        again and again would make the decoder copy it again and again (memory the grader pays)."""
        if type(i) is not int or not 0 <= i < len(self.blobs):
            self.fail("bad blob reference")
        if i in self.used:
            self.fail("a blob referenced twice")
        self.used.add(i)
        return self.blobs[i]

    def decode(self, node, depth=0):
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH + 2:
            self.fail("too many or too deeply nested values")
        t = type(node)
        if node is None or t in (bool, int, float, str):
            return node
        if t is not dict or not node:
            self.fail(f"unexpected {t.__name__}")
        tag = next(iter(node))
        if tag == "l" or tag == "t":
            items = node[tag]
            if type(items) is not list:
                self.fail("bad sequence")
            values = [self.decode(v, depth + 1) for v in items]
            return values if tag == "l" else tuple(values)
        if tag == "d":
            out = {}
            for pair in node["d"]:
                if type(pair) is not list or len(pair) != 2:
                    self.fail("bad dict item")
                key = self.decode(pair[0], depth + 1)
                try:
                    out[key] = self.decode(pair[1], depth + 1)
                except TypeError:
                    self.fail("unhashable dict key")
            return out
        if tag == "big":
            return int(str(node["big"])[:400])
        if tag == "f":
            if node["f"] not in ("nan", "inf", "-inf"):
                self.fail("bad float")
            return float(node["f"])
        if tag == "c":
            re_, im = (self.decode(v, depth + 1) for v in node["c"])
            return complex(float(re_), float(im))
        if tag == "by":
            return bytes(self.blob(node["by"]))
        if tag == "sl":
            a, b, c = (self.decode(v, depth + 1) for v in node["sl"])
            for v in (a, b, c):
                if v is not None and type(v) is not int:
                    self.fail("bad slice")
            return slice(a, b, c)
        if tag == "r":
            a, b, c = node["r"]
            if not all(type(v) is int for v in (a, b, c)) or c == 0:
                self.fail("bad range")
            if len(range(a, b, c)) > MAX_NODES:  # a few bytes that a check would turn into a huge array
                self.fail("range too long")
            return range(a, b, c)
        if tag == "a":
            return self.array(node)
        if tag == "s":
            dtype = self.dtype(node.get("dtype"))
            raw = self.blob(node["s"])
            if len(raw) != dtype.itemsize:
                self.fail("bad scalar")
            return np.frombuffer(raw, dtype=dtype)[0]
        if tag == "nd":
            return self.dtype(node["nd"])
        if tag == "nt":
            return self.dtype(node["nt"]).type
        if tag == "T":
            return self.tensor(node)
        if tag == "td":
            torch = _torch()
            if node["td"] not in TORCH_DTYPES:
                self.fail("bad torch dtype")
            return getattr(torch, node["td"])
        if tag == "dev":
            return _torch().device(self.device(str(node["dev"])))
        if tag == "o":
            cls = _opaque_class(node.get("o"))
            return cls(str(node.get("o"))[:60], str(node.get("repr"))[:300])
        if tag == "fn" and self.function is not None:
            return self.function(str(node["fn"]))
        if tag == "cb" and self.callback is not None:
            return self.callback(node["cb"])
        if tag == "p" and self.trusted:
            return pickle.loads(self.blob(node["p"]))
        self.fail(f"tag {tag!r} not allowed here")

    def dtype(self, text):
        try:
            dtype = np.dtype(str(text))
        except TypeError:
            self.fail("bad dtype")
        if dtype.kind not in NUMPY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            self.fail(f"dtype {dtype} not allowed")
        return dtype

    def shape(self, shape):
        if type(shape) is not list or len(shape) > 32 or not all(type(n) is int and n >= 0 for n in shape):
            self.fail("bad shape")
        return tuple(shape)

    def array(self, node):
        dtype = self.dtype(node.get("dtype"))
        shape = self.shape(node.get("shape"))
        raw = self.blob(node["a"])
        if math.prod(shape) * dtype.itemsize != len(raw):
            self.fail("array size does not match its shape")
        out = self.alias(node, np.ndarray, shape, dtype)
        if out is not None:
            return out
        out = np.frombuffer(raw, dtype=dtype).reshape(shape)
        if not self.own(raw):
            out = out.copy()
        if self.inputs is not None:
            self.inputs.append(out)
        return out

    def device(self, text):
        if text == "cpu" or (self.device_ok is not None and self.device_ok(text)):
            return text
        return "cpu"

    def tensor(self, node):
        torch = _torch()
        dtype_name = node.get("dtype")
        if dtype_name not in TORCH_DTYPES:
            self.fail("bad tensor dtype")
        dtype = getattr(torch, dtype_name)
        shape = self.shape(node.get("shape"))
        raw = self.blob(node["T"])
        itemsize = torch.empty((), dtype=dtype).element_size()
        if math.prod(shape) * itemsize != len(raw):
            self.fail("tensor size does not match its shape")
        out = self.alias(node, torch.Tensor, shape, dtype)
        if out is not None:
            return out
        if raw:
            out = torch.frombuffer(raw if self.own(raw) else bytearray(raw), dtype=dtype).reshape(shape)
        else:
            out = torch.empty(shape, dtype=dtype)
        device = self.device(str(node.get("device", "cpu")))
        if device != "cpu":
            out = out.to(device)
        if node.get("grad") is True and (out.is_floating_point() or out.is_complex()):
            out.requires_grad_(True)
        if self.inputs is not None:
            self.inputs.append(out)
        return out

    def alias(self, node, kind, shape, dtype):
        """The argument (or a view of it) that an array marked "al" stands for, or None."""
        al = node.get("al")
        if self.aliases is None or type(al) is not list or len(al) < 2:
            return None
        i = al[0]
        if type(i) is not int or not 0 <= i < len(self.aliases):
            return None
        target = self.aliases[i]
        if not isinstance(target, kind):
            return None
        try:
            if al[1] == "same" and len(al) == 2:
                return target if tuple(target.shape) == shape and target.dtype == dtype else None
            if al[1] != "view" or len(al) != 6 or type(al[2]) is not int:
                return None
            strides = self.shape_like(al[4], len(shape))
            if kind is np.ndarray:
                if not target.flags.c_contiguous or self.dtype(al[5]) != dtype:
                    return None
                return np.ndarray(shape, dtype, buffer=target, offset=al[2], strides=strides)
            if not target.is_contiguous() or target.dtype != dtype:
                return None
            # within the argument's own elements, not the rest of the storage it may share
            last = al[2] + sum((n - 1) * s for n, s in zip(shape, strides))
            if 0 in shape or al[2] < 0 or min(strides, default=0) < 0 or last >= target.numel():
                return None
            return target.as_strided(shape, strides, target.storage_offset() + al[2])
        except (ValueError, TypeError, RuntimeError, WireError):
            return None

    def shape_like(self, strides, n):
        if type(strides) is not list or len(strides) != n or not all(type(s) is int for s in strides):
            self.fail("bad strides")
        return tuple(strides)


def _torch():
    import torch

    return torch


def decode(tree, blobs, **kwargs):
    """The value of a message; WireError for anything malformed (never another exception: the
    grader treats a WireError as the submission's doing)."""
    try:
        return Decoder(blobs, **kwargs).decode(tree)
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError, AttributeError) as e:
        raise WireError(f"invalid value in message: {type(e).__name__}") from None


def payload_bytes(value, limit=10_000):
    """The bytes of the arrays and tensors in a decoded value (lists, tuples and dicts are
    looked into, `limit` values at most)."""
    total, stack, seen = 0, [value], 0
    while stack and seen < limit:
        v = stack.pop()
        seen += 1
        if type(v) in (list, tuple):
            stack.extend(v)
        elif type(v) is dict:
            stack.extend(v.values())
        else:
            n = getattr(v, "nbytes", None) if isinstance(v, np.ndarray) or type(v).__name__ == "Tensor" else None
            total += n if type(n) is int else 0
    return total


# ----------------------------------------------------------------------------- framing


def send(sock, tree, blobs=(), timeout=None):
    """Send one message: a JSON-able tree (already encoded) and its blobs. With a timeout, a
    peer that stops reading raises socket.timeout (an OSError) instead of blocking forever."""
    text = _dumps({"v": tree, "b": [len(b) for b in blobs]}, allow_nan=False).encode()
    sock.settimeout(timeout)
    sock.sendall(HEADER.pack(len(text), sum(len(b) for b in blobs)) + text)
    for b in blobs:
        if b:
            sock.sendall(b)


def _recv_exact(sock, n, deadline):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        try:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WireTimeout("timed out")
                sock.settimeout(left)
            else:
                sock.settimeout(None)
            k = sock.recv_into(view[got:], min(n - got, 1 << 22))
        except TimeoutError:
            raise WireTimeout("timed out") from None
        except (ConnectionResetError, BrokenPipeError, OSError) as e:
            raise PeerClosed(str(e)) from None
        if k == 0:
            raise PeerClosed("connection closed")
        got += k
    return buf


def recv(sock, deadline=None, max_bytes=1 << 30):
    """Receive one message: (tree, [blob memoryviews]). deadline: time.monotonic() value."""
    json_len, blob_len = HEADER.unpack(_recv_exact(sock, HEADER.size, deadline))
    if json_len > MAX_JSON or blob_len > max_bytes:
        raise WireError(f"message too large ({json_len + blob_len} bytes)")
    try:
        head = _loads(bytes(_recv_exact(sock, json_len, deadline)))
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser can follow
        raise WireError("message is not valid JSON") from None
    if type(head) is not dict or type(head.get("b")) is not list:
        raise WireError("bad message header")
    sizes = head["b"]
    if not all(type(n) is int and n >= 0 for n in sizes) or sum(sizes) != blob_len:
        raise WireError("bad blob table")
    # One buffer per blob: an array decoded from it can keep it without a copy, and keeps
    # nothing else of the message alive.
    blobs = [memoryview(_recv_exact(sock, n, deadline)) if n else memoryview(b"") for n in sizes]
    return head.get("v"), blobs
