"""One submission's student process, and the proxies through which the tests call it."""

import collections
import contextlib
import itertools
import linecache
import os
import select
import shutil
import time

from ..submissions import function_code
from . import wire
from .calls import CallTimeout, NotDefined, ProcessEnded, copy_into, signature_of, student_exception
from .clock import Clock, pauses_made_virtual

# What interpreting a message of the student process may raise when the submission forged it
# (a field of the wrong type, a number out of range): the submission's doing, never a grader error.
GARBLED = (wire.WireError, ValueError, KeyError, TypeError, IndexError, OverflowError, RuntimeError)

MAX_STARTS = 8  # student processes started for one submission at the most
MAX_CELL_ERRORS = 100  # errors in cells recorded for one submission at the most


class BudgetSpent(Exception):
    """The submission has used up its wall-clock budget (Worker.config["submission_timeout"])."""


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
        self.notebook = None  # what the first student process found in the file (student.child.Child.load)
        self.setup_failed = None
        self.starts = 0
        self.blocked = {}
        self.crashes = collections.Counter()
        self.hits = []
        self.said = []  # what the student process said during the current test (its exceptions' messages)
        self.callbacks = {}  # the grader's functions the student process may call, for the current test
        self.callback_ids = itertools.count(1)  # never reused: a function kept from an earlier test is unknown
        self.moved = 0  # bytes of blobs the grader sent since the current call began (Clock.hide)
        self.virtual_pauses = True  # call-backs' time.sleep moves the student's clocks, without waiting
        self.paused = 0.0  # seconds of such pauses in the current test
        self.ids = itertools.count(1)
        self.env = None
        self.gpu_line = None
        self.gpu = False  # whether the student process may use the GPU (GPU questions only)
        self.end_by = time.monotonic() + worker.config["submission_timeout"]
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
            budget = self.worker.config["submission_timeout"]
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
            except GARBLED as e:
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
        self.moved += sum(len(b) for b in blobs)

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
        ident = next(self.callback_ids)
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
                except GARBLED:
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
            student_function.__signature__ = signature_of(node)
        return student_function

    def missing(self, name):
        def not_defined(*args, **kwargs):
            raise NotDefined(
                f"name '{name}' is not defined: no cell that the grader runs defines {name}() "
                "(it skips the cells tagged otter_ignore)"
            )

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
        self.moved = 0
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
                if op == "reply" and type(head.get("id")) is int and head.get("id") == call_id:
                    # what the grader sent, and the result: padding a message, or sending
                    # call-backs, adds nothing to what may be hidden
                    moved = self.moved + wire.payload_bytes(head.get("value"))
                    Clock.hide(Clock.real() - wall_start, head.get("seconds"), moved)
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
        except GARBLED as e:
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
                copy_into(inputs[item[0]], item[1])
        if head.get("ok") is True:
            return head.get("value")
        exc = student_exception(name, head.get("error"))
        if len(self.said) < 20:
            self.said.append(exc.submission_text)
        raise exc

    def run_callback(self, head, sock):
        fn = self.callbacks.get(head.get("cb"))
        token = head.get("token")
        slept = []
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
            with pauses_made_virtual() if self.virtual_pauses else contextlib.nullcontext([]) as slept:
                value = fn(*args, **kwargs)
            message = {"op": "cbreply", "token": token, "ok": True, "value": value}
        except Exception as e:
            message = {"op": "cbreply", "token": token, "ok": False, "message": f"{type(e).__name__}: {e}"[:500]}
        if slept:
            message["paused"] = sum(slept)
            self.paused += message["paused"]
        tree, blobs = wire.encode(
            message, callback=self.register_callback, function_ref=self.own_name, allow_pickle=True
        )
        self.moved += sum(len(b) for b in blobs)
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
