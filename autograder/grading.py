"""Grading one submission: the grader's side.

A `Worker` loads an assignment's hidden tests once (otter's exception-based test files), starts
a warm zygote (autograder.sandbox) and grades submissions one after another. For each
submission it forks a student process from the zygote, which runs the submission's code cells.
Then it runs every test case here, in the grader, passing it *proxies* instead of the student's
functions: calling a proxy sends the arguments to the student process, which runs the student's
function and sends back the result (decoded safely: autograder.wire), the inputs the function
changed in place (copied back into the test's own arrays, so that "inputs not modified" checks
work as in a notebook), and the forbidden functions it tried.

Student code therefore never sees a test, an expected value or a comparison, and cannot reach
the verdict: replacing otter's test runner, numpy or torch in the student process changes
nothing here. What a submission can do is bounded per call and per statement:

- a call that does not return within `call_timeout` fails its test; the student process is
  killed and restarted (re-running the cells) for the next test, and that function is not called
  again (its other tests fail at once, so a loop costs one timeout, not one per test);
- a statement of a cell that does not finish within `cell_timeout`, or that ends the process
  (os._exit, a crash), is skipped with the rest of its cell on a restart, as if the cell had been
  interrupted; its notebook's other cells still count;
- all of a submission (its cells and every test) has one wall-clock budget,
  `submission_timeout`, kept by the grader: when it runs out the process is stopped and the
  remaining tests fail. Progress reports from the student process only ever move forward
  through the notebook's real statements, so resending them extends nothing;
- questions whose name ends in `_gpu` are graded only where the grader sees a CUDA GPU, in a
  student process of their own: the only one that Landlock lets at the GPU's device nodes.

CUDA does not survive fork(): a process that has initialised it cannot give its children a
working GPU. So no process that forks a student process touches CUDA: the zygote imports torch
but never initialises CUDA (and refuses to fork if it has), and the grader looks for a GPU
through NVML (PYTORCH_NVML_BASED_CUDA_CHECK=1), which does not initialise CUDA either. The
worker itself may use CUDA in the GPU questions' tests: it starts the zygote with fork+exec.

The grader never reads the submission's file itself: it hands the student process a
descriptor, and that process parses the notebook and its code (confined) and reports what it
found before any submission code runs. A result that shares memory with an argument comes back
as the test's own argument (or a view of it): see wire.Decoder.alias.
"""

import builtins
import collections
import inspect
import itertools
import json
import linecache
import os
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import confine, wire
from .sandbox import NVML_CHECK, read_frame, write_frame
from .submissions import function_code

PACKAGE_PARENT = str(Path(__file__).resolve().parents[1])
MAX_STARTS = 8


# ----------------------------------------------------------------------------- the grader's clock


class Clock:
    """Time spent moving data to and from the student process, hidden from the grader's clocks.

    Timing tests written for a notebook kernel (`alternating_medians([lambda: loops(x),
    lambda: conv2d_im2col(x)])`) time a student's function with time.perf_counter() around the
    call. Through a proxy that call also pays for sending the arrays both ways. `install()`
    makes time.perf_counter (and perf_counter_ns, timeit.default_timer) run slower by exactly
    that transfer time: after each proxy call the grader's clock has advanced by the time the
    call took inside the student process (measured there, with the GPU synchronised), as in a
    notebook. The grader's own measurements use `real`.
    """

    real = staticmethod(time.perf_counter)
    real_ns = staticmethod(time.perf_counter_ns)
    hidden = 0.0

    @classmethod
    def install(cls):
        import timeit

        def perf_counter():
            return cls.real() - cls.hidden

        def perf_counter_ns():
            return cls.real_ns() - int(cls.hidden * 1e9)

        time.perf_counter = perf_counter
        time.perf_counter_ns = perf_counter_ns
        timeit.default_timer = perf_counter


# ----------------------------------------------------------------------------- results


@dataclass
class CaseOutcome:
    name: str
    hidden: bool
    passed: bool
    points: float
    message: str = ""
    seconds: float = 0.0


@dataclass
class QuestionOutcome:
    name: str
    score: float
    possible: float
    cases: list = field(default_factory=list)
    gpu_skipped: bool = False
    forbidden: list = field(default_factory=list)


@dataclass
class SubmissionOutcome:
    submission: str
    questions: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # one-line events worth the status column
    cell_errors: list = field(default_factory=list)  # (cell, line, "Type: message")
    log: list = field(default_factory=list)  # details for the instructor's log
    unreadable: str = None
    seconds: float = 0.0
    protections: list = field(default_factory=list)
    grader_mb: int = 0  # peak memory (RSS) of the worker that graded it, so far
    from_cache: bool = False  # taken from an earlier run (autograder.cache), not graded now


# ----------------------------------------------------------------------------- exceptions seen by tests


class StudentCodeError(Exception):
    """Base of the exceptions raised by a proxy when the student's function raised."""


class CallTimeout(Exception):
    pass


class ProcessEnded(Exception):
    pass


class NotDefined(NameError):
    pass


_exception_classes = {}


def student_exception(function, error):
    """An exception for the grader's test, from a student's exception described as data."""
    if not isinstance(error, dict):
        error = {}
    type_name = str(error.get("type", "Exception"))[:60]
    module = str(error.get("module", ""))[:100]
    message = str(error.get("message", ""))[:2000]
    where = error.get("where")
    text = f"{function}() raised {type_name}: {message}" if message else f"{function}() raised {type_name}"
    if isinstance(where, str):
        text += f" ({where[:60]})"
    cls = None
    if module == "builtins":
        candidate = getattr(builtins, type_name, None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            cls = candidate
    elif module.split(".")[0] in ("numpy", "torch") and module in sys.modules:
        candidate = getattr(sys.modules[module], type_name, None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            cls = candidate
    exc = None
    if cls is not None:
        try:
            exc = cls(text)
        except Exception:
            exc = None
    if exc is None:
        safe = "".join(ch for ch in type_name if ch.isalnum() or ch == "_") or "StudentError"
        if safe not in _exception_classes:
            _exception_classes[safe] = type(safe, (StudentCodeError,), {})
        exc = _exception_classes[safe](text)
    exc._grading_text = text  # the message already says which function raised what
    return exc


# ----------------------------------------------------------------------------- zygote


class Zygote:
    """The warm process that forks student processes (see autograder.sandbox)."""

    def __init__(self, config, scratch):
        self.config = config
        self.scratch = scratch
        self.proc = None
        self.control = None

    def start(self):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # An allow-list, never the grader's environment; TMPDIR and HOME: the run's scratch
        env = confine.student_environment(self.scratch, python_path=[PACKAGE_PARENT])
        self.stderr = open(os.path.join(self.scratch, "zygote.err"), "w+b")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "autograder.sandbox",
                str(child.fileno()),
                json.dumps(
                    {
                        "preload": self.config["preload"],
                        "forbidden": self.config["forbidden"],
                        "blocked": self.config.get("blocked", []),
                    }
                ),
            ],
            pass_fds=[child.fileno()],
            cwd=self.scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        child.close()
        self.control = parent

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def request(self, message, fds=(), timeout=300):
        if not self.alive():
            self.close()
            self.start()
        data = json.dumps(message).encode()
        error = None
        try:
            write_frame(self.control, data, fds)
            self.control.settimeout(timeout)
            reply, _ = read_frame(self.control)
        except (OSError, EOFError) as e:
            reply = b""
            error = e
        if not reply:
            self.stderr.seek(0)
            tail = self.stderr.read()[-2000:].decode(errors="replace")
            self.close()
            raise RuntimeError(f"the grader's student-process server stopped: {tail or error}")
        return json.loads(reply)

    def fork(self, limits, hidden, gpu=False, notebook_fd=None, **request):
        """A new student process: (pid, socket, workdir). gpu=True: one that may use the GPU.
        notebook_fd: the submission's file, open for reading; request: the rest of what
        sandbox.child reads (scan, names)."""
        request = dict(request, limits=limits, hidden=hidden, gpu=bool(gpu))
        workdir = tempfile.mkdtemp(prefix="student-", dir=self.scratch)
        os.chmod(workdir, 0o700)
        self.seed(workdir)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            fds = [theirs.fileno()] + ([notebook_fd] if notebook_fd is not None else [])
            reply = self.request(dict(request, op="fork", workdir=workdir), fds=fds)
        finally:
            theirs.close()
        if "error" in reply:
            mine.close()
            raise RuntimeError(f"the grader's student-process server refused to fork: {reply['error']}")
        return reply["pid"], mine, workdir

    def seed(self, workdir):
        """Put beside the notebook what a student's folder holds, so that its first cell finds
        its files and downloads nothing: the exercise's checks (public) and, in place of the
        test files, a line saying they are the grader's (the hidden tests never go there)."""
        tests = Path(self.config["tests"])
        checks = tests.parent / "exercise_checks.py"
        if checks.exists():
            shutil.copy(checks, os.path.join(workdir, "exercise_checks.py"))
        os.makedirs(os.path.join(workdir, "tests"))
        for path in sorted(tests.glob("*.py")):
            Path(workdir, "tests", path.name).write_text("# The grader runs this question's tests itself.\n")

    def status(self):
        """{"cuda_initialised", "nvml_check", "torch"}: the zygote's own state."""
        return self.request({"op": "status"}, timeout=60)

    def end(self, pid, kill):
        try:
            return self.request({"op": "kill" if kill else "wait", "pid": pid}, timeout=60)["status"]
        except RuntimeError as e:
            return str(e)

    def close(self):
        if self.proc is not None:
            try:
                write_frame(self.control, json.dumps({"op": "exit"}).encode())
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.control.close()
            self.stderr.close()
        self.proc = None


# ----------------------------------------------------------------------------- one submission


class BudgetSpent(Exception):
    """The submission has used up its wall-clock budget (Worker.config["submission_timeout"])."""


MAX_CELL_ERRORS = 100


class Session:
    """One submission's student process (restarted when needed) and the proxies that call it.

    Its clock: one wall-clock budget for the whole submission (`submission_timeout`, from the
    moment grading it starts), kept here; every wait on the student process ends by then,
    whatever it sends. Within it, the per-statement and per-call limits."""

    def __init__(self, worker, outcome, notebook_fd, names):
        self.worker = worker
        self.outcome = outcome
        self.notebook_fd = notebook_fd
        self.names = names
        self.skip = []
        self.errors = {}
        self.child = None
        self.info = None
        self.notebook = None  # what the first student process found in the file (sandbox.Child.load)
        self.setup_failed = None
        self.starts = 0
        self.blocked = {}
        self.crashes = collections.Counter()
        self.hits = []
        self.callbacks = {}
        self.ids = itertools.count(1)
        self.env = None
        self.gpu_line = None
        self.gpu = False  # whether the student process may use the GPU (GPU questions only)
        self.end_by = time.monotonic() + worker.config.get("submission_timeout", 600.0)
        self.spent = None
        self.quota_checked = False  # True when the grader must watch the disk quota itself
        self.next_disk_check = 0.0

    def use_gpu(self, gpu):
        """From now on, a student process with (gpu=True) or without access to the GPU; the
        current one is stopped when it is the other kind (the next call starts a new one)."""
        if gpu != self.gpu:
            self.gpu = gpu
            if self.child is not None:
                self.stop(kill=True)

    # -- the student process
    def note(self, text):
        if text not in self.outcome.notes:
            self.outcome.notes.append(text)
        self.outcome.log.append(text)

    def spend(self):
        """Record that the budget is used up: the process is stopped, nothing more is called."""
        if self.spent is None:
            budget = self.worker.config.get("submission_timeout", 600.0)
            self.spent = BudgetSpent(f"the submission used up its {budget:g} s time budget: stopped, not called again")
            self.note(f"the submission used up its {budget:g} s time budget: grading stopped there")
        self.stop(kill=True)
        self.setup_failed = self.setup_failed or str(self.spent)
        return self.spent

    def request(self):
        cfg = self.worker.config
        return {
            "limits": cfg["limits"],
            "hidden": cfg["hidden"],
            "scan": {"forbidden": cfg["forbidden"], "questions": self.worker.questions},
            "names": self.names,
            "gpu": bool(self.gpu),
        }

    def hello(self, head):
        """Take in the first message of a student process: sent before any submission code ran."""
        if head.get("op") != "hello":
            raise wire.WireError("unexpected first message")
        protections = [str(p)[:80] for p in head.get("protections", [])][:10]
        if not self.outcome.protections:
            self.outcome.protections = protections
            exposed = head.get("exposed") or []
            if exposed:
                self.outcome.log.append(f"WARNING: readable by student code: {str(exposed)[:500]}")
        if self.gpu and not self.gpu_line:
            self.gpu_line = "student process for GPU questions: " + ", ".join(protections)
            self.outcome.log.append(self.gpu_line)
        self.quota_checked = not any("disk quota" in p for p in self.outcome.protections)
        if self.notebook is None:
            notebook = head.get("notebook")
            if not isinstance(notebook, dict):
                raise wire.WireError("no notebook report")
            self.notebook = notebook
            self.statements = {}
            for item in notebook.get("statements") or []:
                if isinstance(item, list) and len(item) == 2 and all(type(v) is int for v in item):
                    self.statements[item[0]] = item[1]

    def advance(self, position, head):
        """The position an "at" message reports, if it is a real step forward: a statement of the
        notebook after the last one reported. Anything else extends nothing."""
        cell, stmt, line = int(head["cell"]), int(head["stmt"]), int(head.get("line", 0))
        if not 0 <= stmt < self.statements.get(cell, 0):
            return None
        if position is not None and (cell, stmt) <= position[:2]:
            return None
        return (cell, stmt, line)

    def start(self):
        """Start a student process and run the cells; False if it cannot be done."""
        cfg = self.worker.config
        while self.starts < MAX_STARTS:
            if self.spent is not None:
                return False
            self.starts += 1
            pid, sock, workdir = self.worker.zygote.fork(notebook_fd=self.notebook_fd, **self.request())
            self.child = (pid, sock, workdir)
            position = None
            try:
                self.hello(self.receive(time.monotonic() + 120))
                if "unreadable" in self.notebook:
                    self.outcome.unreadable = str(self.notebook["unreadable"])[:300]
                    self.setup_failed = "unreadable notebook"
                    self.stop(kill=True)
                    return False
                self.send({"op": "run", "skip": self.skip, "names": self.names})
                deadline = time.monotonic() + cfg["cell_timeout"]
                while True:
                    head = self.receive(deadline)
                    op = head.get("op")
                    if op == "at":
                        step = self.advance(position, head)
                        if step is not None:
                            position = step
                            deadline = time.monotonic() + cfg["cell_timeout"]
                    elif op == "error":
                        key = (int(head["cell"]), int(head["stmt"]))
                        if key not in self.errors and len(self.errors) < MAX_CELL_ERRORS:
                            err = head.get("error") or {}
                            where = err.get("where") or f"cell {key[0]}"
                            text = f"{str(err.get('type'))[:60]}: {str(err.get('message'))[:300]}"
                            self.errors[key] = (where, text)
                            self.outcome.cell_errors.append((key[0], str(where)[:60], text))
                    elif op == "ready":
                        names = head.get("names")
                        if not isinstance(names, dict):
                            raise wire.WireError("bad list of names")
                        self.info = names
                        return True
                    else:
                        raise wire.WireError(f"unexpected message {op!r}")
            except BudgetSpent:
                self.spend()
                return False
            except wire.WireTimeout:
                self.stop(kill=True)
                if position is None:
                    self.note("the student process did not start")
                    continue
                self.skip.append([position[0], position[1]])
                self.note(
                    f"cell {position[0]} (line {position[2]}) did not finish within "
                    f"{cfg['cell_timeout']:g} s: stopped, rest of that cell skipped"
                )
            except (wire.PeerClosed, OSError):
                status = self.stop(kill=False)
                if position is None:
                    self.note(f"the student process ended before running any cell ({status})")
                    continue
                self.skip.append([position[0], position[1]])
                self.note(
                    f"cell {position[0]} (line {position[2]}) ended the process ({status}): rest of that cell skipped"
                )
            except (wire.WireError, ValueError, KeyError, TypeError) as e:
                self.stop(kill=True)
                if position is None:
                    self.note(f"the student process misbehaved before running any cell ({str(e)[:200]})")
                    continue
                self.skip.append([position[0], position[1]])
                self.note(
                    f"cell {position[0]} (line {position[2]}) garbled the grader's connection: "
                    f"rest of that cell skipped"
                )
        self.setup_failed = "the notebook could not be run (too many cells hung or crashed)"
        self.note(self.setup_failed)
        return False

    def send(self, message, inputs=None):
        tree, blobs = wire.encode(
            message, callback=self.register_callback, function_ref=self.own_name, allow_pickle=True, inputs=inputs
        )
        wire.send(self.child[1], tree, blobs, timeout=max(self.worker.config["call_timeout"], 30.0))

    def receive(self, deadline, sock=None, aliases=None):
        """The next message of the student process, decoded, by `deadline` (time.monotonic) or
        the submission's budget, whichever comes first (WireTimeout, BudgetSpent). While
        waiting, the grader watches the disk quota where the student process has no tmpfs."""
        sock = sock or self.child[1]
        end = min(deadline, self.end_by)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            if select.select([sock], [], [], min(left, 0.5))[0]:
                break
            self.check_disk()
        try:
            tree, blobs = wire.recv(sock, end, self.worker.config["max_reply_bytes"])
        except wire.WireTimeout:
            if time.monotonic() >= self.end_by:
                raise BudgetSpent() from None
            raise
        head = wire.decode(tree, blobs, device_ok=self.worker.device_ok, aliases=aliases)
        if not isinstance(head, dict):
            raise wire.WireError("message is not a dict")
        return head

    def check_disk(self):
        """Where the student process has no tmpfs of its own, stop it once its folder holds more
        than the quota (measured here, every half second of waiting)."""
        if not self.quota_checked or self.child is None or time.monotonic() < self.next_disk_check:
            return
        self.next_disk_check = time.monotonic() + 0.5
        limit = self.worker.config["limits"].get("disk_mb")
        if limit and folder_bytes(self.child[2], limit * 2**20) > limit * 2**20:
            self.note(f"the submission wrote more than {limit} MB in its folder: its process was stopped")
            self.stop(kill=True)
            raise wire.PeerClosed("disk quota")

    def stop(self, kill):
        if self.child is None:
            return "not running"
        pid, sock, workdir = self.child
        self.child = None
        try:
            sock.close()
        except OSError:
            pass
        status = self.worker.zygote.end(pid, kill=kill)
        shutil.rmtree(workdir, ignore_errors=True)
        return status

    def close(self):
        if self.child is not None:
            self.stop(kill=True)

    # -- proxies
    def own_name(self, obj):
        return getattr(obj, "_grading_name", None) if getattr(obj, "_grading_session", None) is self else None

    def register_callback(self, obj):
        ident = len(self.callbacks) + 1
        self.callbacks[ident] = obj
        return ident

    def environment(self):
        """name -> proxy or value, as the tests' parameters ask; built once per submission."""
        if self.env is not None:
            return self.env
        if self.child is None and self.setup_failed is None:
            self.start()
        info = self.info or {}
        env = {}
        for name in set(self.names if self.names != "*" else []) | set(info):
            entry = info.get(name) if isinstance(info.get(name), dict) else {"kind": "missing"}
            kind = entry.get("kind")
            if kind == "function":
                env[name] = self.proxy(name)
            elif kind == "value":
                try:
                    blobs = [memoryview(b) for b in entry.get("blobs", []) if isinstance(b, bytes)]
                    env[name] = wire.decode(entry.get("tree"), blobs, device_ok=self.worker.device_ok)
                except wire.WireError:
                    env[name] = None
            else:
                env[name] = self.missing(name)
        self.env = env
        return env

    def proxy(self, name):
        session = self

        def student_function(*args, **kwargs):
            return session.call(name, args, kwargs)

        student_function.__name__ = student_function.__qualname__ = name
        student_function.__doc__ = f"The submission's {name}, run in the student process."
        student_function._grading_session = self
        student_function._grading_name = name
        entry = ((self.notebook or {}).get("defs") or {}).get(name)
        found = None
        if isinstance(entry, dict) and type(entry.get("cell")) is int and type(entry.get("line")) is int:
            if isinstance(entry.get("source"), str) and 0 < entry["line"] < 10**6:
                found = function_code(name, entry["cell"], entry["line"], entry["source"])
        if found is not None:
            code, filename, source, node = found
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            student_function.__wrapped__ = code  # inspect.getsource(proxy) shows the student's code
            student_function.__signature__ = _signature(node)
        return student_function

    def missing(self, name):
        def not_defined(*args, **kwargs):
            raise NotDefined(f"name '{name}' is not defined: the notebook does not define {name}()")

        not_defined.__name__ = name
        return not_defined

    def call(self, name, args, kwargs):
        if self.spent is not None:
            raise self.spent
        if name in self.blocked:
            raise self.blocked[name]
        if self.child is None:
            if self.setup_failed or not self.start():
                raise ProcessEnded(f"{name}() could not be called: {self.setup_failed}")
        entry = (self.info or {}).get(name)
        if not isinstance(entry, dict) or entry.get("kind") != "function":
            raise NotDefined(f"name '{name}' is not defined after running the notebook")
        pid, sock, _ = self.child
        call_id = next(self.ids)
        inputs = []
        timeout = self.worker.config["call_timeout"]
        try:
            self.send(
                {"op": "call", "id": call_id, "fn": name, "args": tuple(args), "kwargs": dict(kwargs)}, inputs=inputs
            )
        except OSError:
            self.stop(kill=True)
            raise ProcessEnded(f"the submission's process ended before {name}() could be called") from None
        deadline = time.monotonic() + timeout
        wall_start = Clock.real()
        try:
            while True:
                head = self.receive(deadline, sock, aliases=inputs)
                op = head.get("op")
                if op == "reply" and head.get("id") == call_id:
                    wall = Clock.real() - wall_start
                    inside = head.get("seconds")
                    if type(inside) is float and 0 <= inside <= wall:
                        Clock.hidden += wall - inside
                    break
                if op == "callback":
                    self.run_callback(head, sock)
                    continue
                raise wire.WireError(f"unexpected message {op!r}")
        except BudgetSpent:
            raise self.spend() from None
        except wire.WireTimeout:
            self.stop(kill=True)
            message = f"{name}() did not return within {timeout:g} s: stopped"
            self.blocked[name] = CallTimeout(
                f"{name}() timed out in an earlier test (after {timeout:g} s); not called again"
            )
            self.note(f"timeout: {name}() did not return within {timeout:g} s")
            raise CallTimeout(message) from None
        except wire.PeerClosed:
            status = self.stop(kill=False) if self.child is not None and self.child[0] == pid else "ended"
            self.crashes[name] += 1
            message = f"the submission's process ended during {name}() ({status})"
            if self.crashes[name] >= 2:
                self.blocked[name] = ProcessEnded(message + "; not called again")
            self.note(f"{name}() ended the submission's process ({status})")
            raise ProcessEnded(message) from None
        except (wire.WireError, ValueError, KeyError, TypeError, IndexError) as e:
            if self.child is not None and self.child[0] == pid:
                self.stop(kill=True)
            self.crashes[name] += 1
            message = f"{name}() sent an invalid reply ({str(e)[:200]})"
            if self.crashes[name] >= 2:
                self.blocked[name] = ProcessEnded(message + "; not called again")
            self.note(f"{name}() garbled the grader's connection")
            raise ProcessEnded(message) from None
        return self.reply(name, head, inputs)  # outside the try: the student's own exception goes to the test

    def reply(self, name, head, inputs):
        hits = head.get("hits") or []
        if isinstance(hits, list):
            self.hits += [str(h)[:120] for h in hits[:20]]
        for item in head.get("mutated") or []:
            if isinstance(item, list) and len(item) == 2 and type(item[0]) is int and 0 <= item[0] < len(inputs):
                _copy_into(inputs[item[0]], item[1])
        if head.get("ok") is True:
            return head.get("value")
        raise student_exception(name, head.get("error"))

    def run_callback(self, head, sock):
        fn = self.callbacks.get(head.get("cb"))
        token = head.get("token")
        try:
            if fn is None:
                raise RuntimeError("unknown function")
            args = head.get("args") or ()
            kwargs = head.get("kwargs") or {}
            if (
                not isinstance(args, tuple)
                or not isinstance(kwargs, dict)
                or not all(isinstance(k, str) for k in kwargs)
            ):
                raise TypeError("bad arguments")
            value = fn(*args, **kwargs)
            message = {"op": "cbreply", "token": token, "ok": True, "value": value}
        except Exception as e:
            message = {"op": "cbreply", "token": token, "ok": False, "message": f"{type(e).__name__}: {e}"[:500]}
        tree, blobs = wire.encode(
            message, callback=self.register_callback, function_ref=self.own_name, allow_pickle=True
        )
        try:
            wire.send(sock, tree, blobs, timeout=max(self.worker.config["call_timeout"], 30.0))
        except OSError:
            pass  # the student process is gone or stuck: the pending call will find out


def folder_bytes(folder, stop_at):
    """Bytes in the files beneath `folder` (counting stops past `stop_at`, or past 20,000 entries,
    which counts as too much)."""
    total, seen, todo = 0, 0, [folder]
    while todo and total <= stop_at:
        try:
            with os.scandir(todo.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > 20_000:
                        return stop_at + 1
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
    return total


def _signature(node):
    """inspect.Signature of a def, from its syntax tree (defaults that are literals only)."""
    P = inspect.Parameter
    a = node.args
    params = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for i, (arg, default) in enumerate(zip(positional, defaults)):
        kind = P.POSITIONAL_ONLY if i < len(a.posonlyargs) else P.POSITIONAL_OR_KEYWORD
        params.append(P(arg.arg, kind, default=_literal(default)))
    if a.vararg:
        params.append(P(a.vararg.arg, P.VAR_POSITIONAL))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        params.append(P(arg.arg, P.KEYWORD_ONLY, default=_literal(default)))
    if a.kwarg:
        params.append(P(a.kwarg.arg, P.VAR_KEYWORD))
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def _literal(node):
    import ast

    if node is None:
        return inspect.Parameter.empty
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ast.unparse(node)


def _copy_into(target, value):
    """Copy a student's in-place change of an input back into the test's own array or tensor."""
    import numpy as np

    torch = sys.modules.get("torch")
    try:
        if isinstance(target, np.ndarray) and isinstance(value, np.ndarray):
            if target.shape != value.shape:
                target.resize(value.shape, refcheck=False)
            np.copyto(target, value, casting="unsafe")
        elif torch is not None and isinstance(target, torch.Tensor) and isinstance(value, torch.Tensor):
            with torch.no_grad():
                if target.shape == value.shape:
                    target.copy_(value)
                else:
                    target.data = value.to(target.device, target.dtype)
    except (ValueError, TypeError, RuntimeError):
        pass


# ----------------------------------------------------------------------------- the worker


def describe_failure(exc):
    if isinstance(exc, (AssertionError, CallTimeout, ProcessEnded, NotDefined)):
        text = str(exc) or "an assertion failed"
    elif getattr(exc, "_grading_text", None):
        text = exc._grading_text
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:1500]


def load_test_files(tests):
    """otter's exception-based test files of a folder, in name order, and exercise_checks (beside
    the folder) importable. otter's package __init__ (which imports most of otter, about 2 s) is
    skipped: only otter.test_files is needed, which is what the test files import."""
    import importlib.util
    import types

    if "otter" not in sys.modules:
        spec = importlib.util.find_spec("otter")
        package = types.ModuleType("otter")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__, package.__file__, package.__package__ = spec, spec.origin, "otter"
        sys.modules["otter"] = package
    from otter.test_files import ExceptionTestFile

    tests = Path(tests)
    if str(tests.parent) not in sys.path:
        sys.path.insert(0, str(tests.parent))
    sys.modules.pop("exercise_checks", None)
    return [ExceptionTestFile.from_file(str(p)) for p in sorted(tests.glob("*.py"))]


class Worker:
    """Grades submissions of one assignment, one at a time. config: see batch.worker_config."""

    def __init__(self, config):
        self.config = config
        scratch = config.get("scratch")  # the command's own folder for this run (batch.make_scratch)
        self.scratch = tempfile.mkdtemp(prefix="worker-" if scratch else "grading-", dir=scratch)
        os.chmod(self.scratch, 0o711)  # a student process that runs as `nobody` must reach its folder
        self.zygote = Zygote(config, self.scratch)
        self.zygote.start()  # it warms up while this process loads the tests
        self.test_files = load_test_files(config["tests"])
        self.gpu = self.detect_gpu() if config.get("gpu", "auto") == "auto" else bool(config["gpu"])
        self._names = self._test_names()
        self.questions = self.question_functions()

    @staticmethod
    def detect_gpu():
        """Whether torch sees a CUDA GPU, asked through NVML: CUDA is not initialised here."""
        os.environ.update(NVML_CHECK)
        try:
            import torch

            return bool(torch.cuda.is_available())
        except Exception:
            return False

    def device_ok(self, device):
        return self.gpu and str(device).startswith("cuda")

    def names(self):
        return self._names

    def _test_names(self):
        """The names the tests take as parameters ("*" when a test asks for the whole `env`)."""
        names = set()
        for tf in self.test_files:
            for tc in tf.test_cases:
                names |= set(inspect.signature(tc.body.test_func).parameters)
        return "*" if "env" in names else sorted(names)

    def question_functions(self):
        return {
            tf.name: sorted(
                {p for tc in tf.test_cases for p in inspect.signature(tc.body.test_func).parameters} - {"env"}
            )
            for tf in self.test_files
        }

    def grade(self, name, path):
        """Grade one submission: its row name and the path of its file (a regular file, opened
        without following a symbolic link)."""
        started = Clock.real()
        outcome = SubmissionOutcome(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as e:
            outcome.unreadable = f"cannot open the file ({e.strerror})"
            return outcome
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                outcome.unreadable = "not a regular file"
                return outcome
            return self.grade_file(outcome, fd, started)
        finally:
            os.close(fd)

    def grade_file(self, outcome, fd, started):
        from otter.test_files.abstract_test import TestCaseResult

        session = Session(self, outcome, fd, self.names())
        try:
            session.start()
            if outcome.unreadable:
                return outcome
            found = (session.notebook or {}).get("static")
            static = {}
            for question, messages in (found if isinstance(found, dict) else {}).items():
                if isinstance(messages, list):
                    static[str(question)] = [str(m)[:300] for m in messages[:20]]
            for tf in self.test_files:
                if tf.name.endswith("_gpu") and not self.gpu:
                    outcome.questions.append(QuestionOutcome(tf.name, 0, tf.possible, gpu_skipped=True))
                    continue
                session.use_gpu(tf.name.endswith("_gpu"))
                session.hits = []
                for value in session.environment().values():  # what the tests' expect_allowed reports
                    if getattr(value, "_grading_session", None) is session:
                        value.forbidden_uses = list(static.get(tf.name, []))
                cases, results = [], []
                for tc in tf.test_cases:
                    env = session.environment()
                    t0 = Clock.real()
                    try:
                        tc.body.call_func(env)
                        passed, message = True, ""
                    except Exception as exc:
                        passed, message = False, describe_failure(exc)
                    seconds = Clock.real() - t0
                    cases.append(
                        CaseOutcome(tc.body.test_func.__name__, tc.hidden, passed, tc.points, message, seconds)
                    )
                    results.append(TestCaseResult(test_case=tc, message=message, passed=passed))
                tf.test_case_results = results
                tf._score = None
                forbidden = list(static.get(tf.name, []))
                for hit in dict.fromkeys(session.hits):
                    forbidden.append(f"a graded call used {hit}, which this exercise forbids")
                score = 0 if forbidden else tf.score
                outcome.questions.append(QuestionOutcome(tf.name, score, tf.possible, cases, forbidden=forbidden))
                if forbidden:
                    outcome.notes.append(f"forbidden function in {tf.name}")
        finally:
            session.close()
            session.callbacks.clear()
            outcome.seconds = Clock.real() - started
        return outcome

    def close(self):
        self.zygote.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def peak_mb():
    """This process's peak resident memory so far, in MB (its children not counted).

    On Linux it is VmHWM, the high-water mark of this process's own address space. Not
    ru_maxrss: Linux keeps that across execve, so a grader started by a large process (a test
    runner holding torch) would report its parent's peak as its own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(kb / 1024) if sys.platform.startswith("linux") else int(kb / 2**20)


def worker_main(conn, config):
    """Entry point of a worker process: (name, path) jobs in, SubmissionOutcome out."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        confine._libc().prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the command
    except Exception:
        pass
    confine.not_dumpable()
    Clock.install()
    try:
        worker = Worker(config)
    except BaseException as e:
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", {"gpu": worker.gpu}))
    try:
        while True:
            job = conn.recv()
            if job is None:
                break
            name, path = job
            try:
                result = worker.grade(name, path)
            except Exception as e:
                import traceback

                result = SubmissionOutcome(
                    name, notes=[f"grader error: {type(e).__name__}: {e}"[:200]], log=[traceback.format_exc()]
                )
            result.grader_mb = peak_mb()
            conn.send(("done", result))
    except (EOFError, OSError):
        pass
    finally:
        worker.close()
