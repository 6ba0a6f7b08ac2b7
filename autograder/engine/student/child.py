"""A student process: confines itself, runs the submission's cells, and answers the grader's calls."""

import ast
import builtins
import importlib.machinery
import json
import linecache
import os
import signal
import socket
import sys
import time
import traceback
import types

from checks import static as static_check

from ... import submissions
from ...settings import MAX_FILE_MB, MAX_REPLY_BYTES
from .. import confine, landlock, seccomp, wire
from . import pauses
from .tripwires import STATE, trap_threads

_clock = time.perf_counter  # taken before any student code can replace time.perf_counter
MAX_CELLS = 10_000  # code cells in a notebook
MAX_DEF = 64 * 2**10  # characters of one function's source shown to the tests (inspect.getsource)


class _Stub:
    """Stands for otter's Notebook and IPython in the student process: checks and magics do nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _stub_modules(namespace):
    otter = types.ModuleType("otter")
    otter.__spec__ = importlib.machinery.ModuleSpec("otter", None)
    otter.Notebook = _Stub
    sys.modules["otter"] = otter
    namespace["get_ipython"] = lambda: _Stub()
    namespace["display"] = lambda *args, **kwargs: None


def _where(tb, cell=None):
    """'cell 6, line 12': where a traceback is in the submission: in `cell` (a cell file name)
    if given and found there, else the innermost frame that is in a cell."""
    where = None
    for frame, lineno in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if cell is not None and name == cell:
            return f"{name[1:-1]}, line {lineno}"
        if name.startswith("<cell "):
            where = f"{name[1:-1]}, line {lineno}"
    return where


def _error(exc, cell=None):
    where = _where(exc.__traceback__, cell)
    if where is None and isinstance(exc, SyntaxError) and cell:
        where = f"{cell[1:-1]}, line {exc.lineno}" if exc.lineno else cell[1:-1]
    return {"type": type(exc).__name__, "module": type(exc).__module__, "message": _text(exc)[:2000], "where": where}


def _text(exc):
    try:
        return str(exc)
    except BaseException:
        return "<unprintable message>"


class Child:
    def __init__(self, sock, tripwires):
        self.sock = sock
        self.tripwires = tripwires
        self.main = types.ModuleType("__main__")
        self.namespace = self.main.__dict__
        self.namespace["__builtins__"] = builtins
        sys.modules["__main__"] = self.main
        self.callbacks = 0
        self.cells, self.trees = [], {}

    def send(self, message):
        tree, blobs = wire.encode(message)
        wire.send(self.sock, tree, blobs)

    def own_function(self, name):
        fn = self.namespace.get(name)
        if not callable(fn):
            raise NameError(f"name {name!r} is not defined")
        return fn

    def callback_stub(self, ident):
        def call_grader(*args, **kwargs):
            return self.call_back(ident, args, kwargs)

        return call_grader

    def call_back(self, ident, args, kwargs):
        self.callbacks += 1
        token = self.callbacks
        was_armed, STATE.armed = STATE.armed, False
        try:
            tree, blobs = wire.encode(
                {"op": "callback", "cb": ident, "token": token, "args": tuple(args), "kwargs": dict(kwargs)}
            )
            wire.send(self.sock, tree, blobs)
            while True:
                message = self.next_message()
                if message.get("op") == "cbreply" and message.get("token") == token:
                    pauses.advance(message.get("paused"))
                    if message.get("ok"):
                        return message.get("value")
                    raise RuntimeError(message.get("message", "the grader's function failed"))
        finally:
            STATE.armed = was_armed

    def next_message(self):
        """Next message that is not a call; calls that arrive meanwhile are served (nesting).
        The arrays among a call's arguments are tracked, in the order the grader encoded them."""
        while True:
            tree, blobs = wire.recv(self.sock)
            inputs = []
            try:
                head = wire.decode(
                    tree,
                    blobs,
                    trusted=True,
                    callback=self.callback_stub,
                    function=self.own_function,
                    inputs=inputs,
                    device_ok=lambda d: True,
                )
            except Exception as exc:
                head = {"op": "call", "id": _call_id(tree), "undecodable": _error(exc)}
            if head.get("op") == "call":
                self.serve(head, inputs)
                continue
            return head

    def load(self, raw, request):
        """What the grader needs to know about the notebook, found before any of its code runs:
        {"unreadable": why} or {"statements": [[cell, count]], "static": {question: [message]},
        "defs": {name: {"cell", "line", "source"}}}. Keeps the cells and their syntax trees."""
        try:
            self.cells = submissions.notebook_cells(raw)
        except submissions.Unreadable as exc:
            return {"unreadable": str(exc)[:300]}
        except Exception as exc:  # MemoryError, RecursionError
            return {"unreadable": f"the file could not be read ({type(exc).__name__})"}
        if len(self.cells) > MAX_CELLS:
            return {"unreadable": f"more than {MAX_CELLS} code cells"}
        self.trees = {}
        for number, source in self.cells:
            try:
                self.trees[number] = ast.parse(source, filename=f"<cell {number}>")
            except Exception as exc:  # SyntaxError; ValueError (null bytes); MemoryError, RecursionError
                self.trees[number] = exc
        parsed = [(n, t) for n, t in self.trees.items() if isinstance(t, ast.Module)]
        scan = request.get("scan") or {}
        static = static_check.violations(self.cells, scan.get("forbidden", []), scan.get("questions", {}), trees=parsed)
        statements = [[n, len(t.body) if isinstance(t, ast.Module) else 0] for n, t in self.trees.items()]
        return {
            "statements": statements,
            "static": static,
            "defs": self.defs(parsed, request.get("names", [])),
            "fingerprint": submissions.cells_fingerprint(self.cells),
        }

    def defs(self, parsed, names):
        """{name: {"cell", "line", "source"}}: the last top-level def of each name (all of them
        for "*", at most 200), with its source when shorter than MAX_DEF characters."""
        sources = dict(self.cells)
        found = {}
        for number, tree in parsed:
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (names == "*" or node.name in names):
                    found[node.name] = (number, node)
        out = {}
        for name, (number, node) in list(found.items())[:200]:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines = sources[number].splitlines(True)[first - 1 : node.end_lineno]
            text = "".join(lines)
            if len(text) <= MAX_DEF:
                out[name] = {"cell": number, "line": first, "source": text}
        return out

    def run_cells(self, skip, names):
        for number, source in self.cells:
            filename = f"<cell {number}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            tree = self.trees[number]
            if not isinstance(tree, ast.Module):
                self.send({"op": "error", "cell": number, "stmt": 0, "error": _error(tree, filename)})
                continue
            for index, stmt in enumerate(tree.body):
                if [number, index] in skip:
                    break
                self.send({"op": "at", "cell": number, "stmt": index, "line": stmt.lineno})
                try:
                    code = compile(ast.Module(body=[stmt], type_ignores=[]), filename, "exec")
                    exec(code, self.namespace)
                except BaseException as exc:  # SystemExit and KeyboardInterrupt end the cell only
                    self.send({"op": "error", "cell": number, "stmt": index, "error": _error(exc, filename)})
                    break
        self.cells = self.trees = None
        self.send({"op": "ready", "names": self.describe(names)})

    def describe(self, names):
        if names == "*":
            names = [
                n
                for n in list(self.namespace)
                if not n.startswith("_")
                and not isinstance(self.namespace[n], types.ModuleType)
                and n not in ("get_ipython", "display", "In", "Out")
            ]
        out = {}
        for name in names:
            if name not in self.namespace:
                out[name] = {"kind": "missing"}
                continue
            value = self.namespace[name]
            if callable(value):
                out[name] = {"kind": "function", "type": type(value).__name__[:60]}
            else:
                enc = wire.Encoder()
                try:
                    tree = enc.encode(value)
                    if sum(len(b) for b in enc.blobs) > 64 * 2**20 or len(json.dumps(tree)) > 2**20:
                        raise ValueError("too large")
                except BaseException:
                    tree, enc.blobs = {"o": type(value).__name__[:60], "repr": "<too large or unprintable>"}, []
                out[name] = {"kind": "value", "tree": tree, "blobs": [bytes(b) for b in enc.blobs]}
        return out

    def serve(self, message, inputs):
        """Run one call and send the reply."""
        call_id = message.get("id")
        try:
            if "undecodable" in message:
                raise TypeError(message["undecodable"]["message"])
            fn = self.own_function(message["fn"])
            before = [_snapshot(x) for x in inputs]
        except BaseException as exc:
            self.send({"op": "reply", "id": call_id, "ok": False, "error": _error(exc), "hits": [], "mutated": []})
            return
        STATE.hits = []
        mode = self.tripwires.mode_class() if self.tripwires.mode_class is not None else None
        ok, value, error = True, None, None
        _synchronize()
        started = _clock()
        STATE.armed = True
        try:
            if mode is not None:
                with mode:
                    value = fn(*message["args"], **message["kwargs"])
            else:
                value = fn(*message["args"], **message["kwargs"])
            _synchronize()
        except BaseException as exc:
            ok, error = False, _error(exc)
        finally:
            STATE.armed = False
        seconds = _clock() - started
        mutated = []
        for i, (x, snap) in enumerate(zip(inputs, before)):
            try:
                if _snapshot(x) != snap:
                    mutated.append([i, x])
            except BaseException:
                pass
        reply = {
            "op": "reply",
            "id": call_id,
            "ok": ok,
            "hits": list(STATE.hits),
            "seconds": seconds,
            "mutated": mutated,
        }
        if not ok:
            reply["error"] = error
        try:
            enc = wire.Encoder()
            tree = enc.encode(reply)
            if ok:  # arrays of the result that share memory with an argument say so ("al")
                enc.alias_of = lambda obj: _alias(obj, inputs)
                tree["d"].append(["value", enc.encode(value)])
            blobs = enc.blobs
            if sum(len(b) for b in blobs) > MAX_REPLY_BYTES:
                raise ValueError(f"it is larger than {MAX_REPLY_BYTES // 2**20} MB")
        except Exception as exc:  # MemoryError included
            tree = blobs = None
            failure = {
                "op": "reply",
                "id": call_id,
                "ok": False,
                "hits": list(STATE.hits),
                "mutated": [],
                "error": {
                    "type": "ValueError",
                    "module": "builtins",
                    "message": f"the value returned could not be sent to the grader: {_text(exc)[:200]}",
                    "where": None,
                },
            }
        if tree is None:
            self.send(failure)
        else:
            wire.send(self.sock, tree, blobs)


def _alias(obj, inputs):
    """How an array or tensor of a result shares memory with the call's arguments (`inputs`,
    as decoded here: C-contiguous, in the grader's order): [i, "same"] for argument i itself,
    [i, "view", offset, shape, strides, dtype] for a view of it (offset and strides in bytes
    for numpy, in elements for torch), None otherwise."""
    import numpy as np

    torch = sys.modules.get("torch")
    for i, x in enumerate(inputs):
        if obj is x:
            return [i, "same"]
    for i, x in enumerate(inputs):
        try:
            if isinstance(obj, np.ndarray) and isinstance(x, np.ndarray) and np.may_share_memory(obj, x):
                offset = obj.__array_interface__["data"][0] - x.__array_interface__["data"][0]
                return [i, "view", offset, list(obj.shape), list(obj.strides), obj.dtype.str]
            if (
                torch is not None
                and isinstance(obj, torch.Tensor)
                and isinstance(x, torch.Tensor)
                and obj.dtype == x.dtype
                and obj.device == x.device
                and obj.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
            ):
                offset = obj.storage_offset() - x.storage_offset()
                return [i, "view", offset, list(obj.shape), list(obj.stride()), str(obj.dtype).replace("torch.", "")]
        except Exception:
            continue
    return None


def _synchronize():
    """Wait for the GPU, where this process has used one (so that a call's time includes its work)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def _call_id(tree):
    try:
        return dict((k, v) for k, v in tree["d"]).get("id")
    except Exception:
        return None


def _snapshot(x):
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return (
            tuple(x.shape),
            str(x.dtype),
            x.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if x.numel() else b"",
        )
    return (x.shape, x.dtype.str, x.tobytes())


def child(fd, request, tripwires, notebook_fd=None):
    confine.die_with_parent()  # the zygote
    raw = b""
    if notebook_fd is not None:  # bytes only (at most settings.MAX_NOTEBOOK_BYTES): parsed once confined
        try:
            raw = submissions.read_fd(notebook_fd)
        except submissions.Unreadable as exc:
            raw = exc
        except OSError as exc:
            raw = submissions.Unreadable(f"cannot read the file ({exc.strerror})")
        os.close(notebook_fd)
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    os.closerange(3, fd)
    os.closerange(fd + 1, 65536)
    sock = socket.socket(fileno=fd)
    sock.setblocking(True)
    workdir = request["workdir"]
    owner = confine.nobody() if not confine.root_problem() else (0, 0)
    quota = confine.quota_mount(workdir, request.get("limits", {}).get("disk_mb"), owner)
    os.chdir(workdir)  # after the mount: the tmpfs, not the folder beneath it
    os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir, PYTHONDONTWRITEBYTECODE="1")
    sys.dont_write_bytecode = True
    limits = request.get("limits", {})
    gpu = request.get("gpu") is True  # this process grades GPU questions: CUDA may run here
    applied = []
    memory = limits.get("memory_mb")
    # CUDA reserves tens of gigabytes of address space when it starts: with a GPU, the memory
    # limit is on the data segment (what the process writes to) instead.
    base = _data_size() if gpu else _address_space()
    cap = base + memory * 2**20 if memory and base else None
    if confine.set_limits(
        None if gpu else cap,
        limits.get("cpu_seconds"),
        limits.get("file_mb", MAX_FILE_MB) * 2**20,
        cap if gpu else None,
    ):
        applied.append("limits" + (f" (memory {memory} MB{' of data' if gpu else ''})" if cap else ""))
    roots = confine.readable_roots()
    exposed = landlock.exposed(request.get("hidden", []), roots)
    if quota:
        applied.append(quota)
    for layer in (
        lambda: confine.no_root(workdir, roots),
        lambda: landlock.restrict(workdir, roots, gpu=gpu),
        lambda: seccomp.install(threads=gpu),  # threads only where CUDA needs them
    ):
        try:
            done = layer()
        except Exception as exc:
            done = None
            applied.append(f"(failed: {exc})")
        if done:
            applied.append(done)
    applied += confine.unclosed(applied)
    trap_threads(tripwires)
    pauses.install()
    session = Child(sock, tripwires)
    if isinstance(raw, submissions.Unreadable):
        notebook = {"unreadable": str(raw)}
    else:
        notebook = session.load(raw, request)
    del raw
    _stub_modules(session.namespace)
    session.send({"op": "hello", "pid": os.getpid(), "protections": applied, "exposed": exposed, "notebook": notebook})
    if "unreadable" in notebook:
        return
    head = session.next_message()
    if head.get("op") != "run":
        return
    session.run_cells(head.get("skip", []), head.get("names", []))
    while True:
        head = session.next_message()
        if head.get("op") == "exit":
            return


def _address_space():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _data_size():
    """Bytes of this process's data segment (VmData: private writable memory), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def cuda_initialised():
    """Whether this process has initialised CUDA through PyTorch. A process that forks student
    processes must not have: CUDA does not survive fork() (the children could not use the GPU)."""
    torch = sys.modules.get("torch")
    return bool(torch is not None and torch.cuda.is_initialized())
