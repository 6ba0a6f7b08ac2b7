"""Grading a folder's submissions into outcomes, in parallel, without writing anything.

One run: student code must not run as root unless allowed (`check_root`); a scratch folder
under $TMPDIR (`grading-<pid>-*`, removed when the run ends, is interrupted by Ctrl-C, SIGTERM
or SIGHUP, or fails; one left by a run that was killed outright is removed by the next run);
files with the same bytes graded once; files unchanged since an earlier run into the same cache
taken from it (engine.cache); the rest graded by a pool of workers (engine.pool), each of
which imports otter, numpy and torch once. What the outputs write is the command's business.
"""

import copy
import dataclasses
import os
import shutil
import signal
import sys
import tempfile
import time
import timeit
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import forbidden as forbidden_lists
from ..results import GradingError, GradingRun, Question, QuestionOutcome, SubmissionOutcome
from ..secret import load_secret
from ..settings import MAX_NOTEBOOK_BYTES, MAX_REPLY_BYTES, WORKER_GRACE_SECONDS, GradingSettings
from ..submissions import submissions_in
from . import confine, landlock
from .cache import Cache, file_key, run_key
from .clock import Clock
from .pool import Pool
from .testfiles import question_table
from .worker import Worker, grade_one, peak_mb

# What the zygote imports before forking (once per worker), besides the modules that the graded
# cells of the exercise's notebook import (Assignment.imports): a student process that imports
# anything else (matplotlib, torch where the notebook does not) pays for it itself.
BASE_PRELOAD = ["numpy"]


@dataclass(frozen=True)
class Assignment:
    """What an assignment is graded with: its prepared tests, its forbidden functions, the
    modules its notebook imports, and the folders student code must not read."""

    aid: str
    tests: Path
    forbidden: list[str]
    imports: list[str] = dataclasses.field(default_factory=list)
    hidden: list[Path] = dataclasses.field(default_factory=list)
    master_fingerprint: str | None = None  # master.master_fingerprint: a copy of it is not graded


def worker_config(assignment: Assignment, settings: GradingSettings, scratch: str | None = None) -> dict:
    """The workers' configuration: plain data, sent to each worker process and keyed by the cache."""
    blocked = forbidden_lists.blocked_modules(assignment.forbidden)
    blocked_roots = {b.split(".")[0] for b in blocked}
    preload = BASE_PRELOAD + [m for m in assignment.imports if m.split(".")[0] not in blocked_roots]
    return {
        "tests": str(Path(assignment.tests).resolve()),
        "preload": list(dict.fromkeys(preload)),
        "forbidden": list(assignment.forbidden),
        "blocked": blocked,
        "limits": settings.limits(),
        "submission_timeout": float(settings.submission_timeout),
        "scratch": scratch,
        "hidden": [str(Path(h).resolve()) for h in assignment.hidden],
        "call_timeout": float(settings.call_timeout),
        "cell_timeout": float(settings.cell_timeout),
        "max_reply_bytes": MAX_REPLY_BYTES,
        "gpu": settings.gpu,
        "master_fingerprint": assignment.master_fingerprint,
        "public_points": bool(settings.public_points),
        # what seeds the hidden tests (autograder.secret): the cache keys by its digest, never by it
        "secret": load_secret(settings.secret or None).decode("ascii"),
    }


def check_root(allow_root: bool = False) -> str | None:
    """None where student code will not run as root; the warning for the log where it will and
    that is allowed (allow_root, or AUTOGRADER_ALLOW_ROOT=1); else GradingError, with the fix."""
    root = confine.root_problem()
    if not root:
        return None
    if not (allow_root or os.environ.get("AUTOGRADER_ALLOW_ROOT") == "1"):
        raise GradingError(
            f"{root}. Run the grader as an ordinary user, or from a Python installed where other users "
            "can read it (not under /root), or pass --allow-root to grade anyway (logged)"
        )
    how = "--allow-root" if allow_root else "AUTOGRADER_ALLOW_ROOT=1"
    return f"WARNING: student code ran as root ({how}): {root}"


def make_scratch() -> str:
    """The run's scratch folder under $TMPDIR, `grading-<pid>-*` (reachable by `nobody`). Those
    of runs that were killed outright (their process is gone) are removed first."""
    tmp = Path(tempfile.gettempdir())
    for old in tmp.glob("grading-*-*"):
        try:
            pid = int(old.name.split("-")[1])
            if old.is_symlink() or old.lstat().st_uid != os.geteuid():
                continue
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except (ValueError, OSError):
            continue
    scratch = tempfile.mkdtemp(prefix=f"grading-{os.getpid()}-")
    os.chmod(scratch, 0o711)
    return scratch


def read_once(path: Path, copy: Path) -> tuple[bytes | None, Path]:
    """(the file's bytes, up to one more than the grader reads; the path of a private copy of
    them to grade) or (None, path) where it cannot be read (the worker then says why)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None, path
    try:
        with os.fdopen(fd, "rb") as f:
            data = f.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError:
        return None, path
    copy.write_bytes(data)
    return data, copy


class Interrupted(BaseException):
    """SIGTERM or SIGHUP during a run: unwinds it like Ctrl-C, so that its scratch is removed."""


def _interrupted(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


class InProcess:
    """Pool's interface (engine.pool), one Worker in this process: for a run with one job and one
    file to grade. Its zygote starts first and warms up while the tests load. The grader's clock
    (engine.clock) is installed while it grades and taken back after. What it lacks is the
    pool's backstop, killing a worker past its budget: the worker keeps the budget itself."""

    def __init__(self, n: int, config: dict):
        self.worker = Worker(config)
        self.gpu = self.worker.gpu

    def run(self, jobs, done, budget=None):
        saved = time.perf_counter, time.perf_counter_ns, timeit.default_timer
        Clock.install()
        try:
            for name, path in jobs:
                done(grade_one(self.worker, name, path))
        finally:
            time.perf_counter, time.perf_counter_ns, timeit.default_timer = saved

    def close(self, wait=True):
        # The zygote has no child left (each was ended with its session) and nothing to write:
        # stopped at once, rather than waiting for an interpreter holding torch to finalise.
        zygote = self.worker.zygote
        if zygote.proc is not None and zygote.proc.poll() is None:
            zygote.proc.kill()
        self.worker.close()


Show = Callable[[SubmissionOutcome, str], None]


def grade_folder(
    assignment: Assignment,
    folder: str | Path,
    settings: GradingSettings,
    cache: Cache,
    progress: Callable[[int, list[Question]], Show] | None = None,
    stream=None,
) -> GradingRun:
    """Grade every .ipynb in `folder` (submissions.submissions_in). progress(number of files,
    question table) gives the function to call with each outcome as it is known, and a note. Files graded
    by an earlier run into the same cache, unchanged and with nothing else changed, are taken
    from it (unless the cache was opened with force)."""
    started = time.monotonic()
    confine.not_dumpable()  # its environment and memory: out of reach through /proc, as the workers'
    stream = stream or sys.stderr
    files = submissions_in(folder)
    root_warning = check_root(settings.allow_root)
    if root_warning:
        print(root_warning, file=stream)
    handlers = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            handlers[sig] = signal.signal(sig, _interrupted)
        except (ValueError, OSError):  # not the main thread
            pass
    scratch = make_scratch()
    try:
        run = _grade(assignment, files, settings, cache, scratch, progress)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for _ in range(3):
            shutil.rmtree(scratch, ignore_errors=True)
            if not os.path.exists(scratch):
                break
            time.sleep(0.5)
    for warning in run.warnings:
        print(warning, file=stream)
    run.warnings = ([root_warning] if root_warning else []) + run.warnings
    run.folder = str(Path(folder).resolve())
    run.seconds = time.monotonic() - started
    run.main_mb = peak_mb()
    return run


def _grade(assignment, files, settings, cache, scratch, progress):
    table = cache.table(assignment.tests, question_table)
    if not table:
        raise GradingError(f"{assignment.tests}: no test files")
    show = progress(len(files), table) if progress else (lambda outcome, note: None)
    config = worker_config(assignment, settings, scratch)
    # Whether the GPU questions are graded is part of every grade (None: there are none).
    gpu_seen = None
    if any(name.endswith("_gpu") for name, _, _ in table):
        gpu_seen = Worker.detect_gpu() if settings.gpu == "auto" else bool(settings.gpu)
    key = run_key(assignment.tests, config, gpu_seen)
    # Files with the same bytes (an untouched starter notebook, handed in by several students)
    # are graded once: twins[name] is the file graded for it.
    outcomes, work, keys, first_with, twins = {}, [], {}, {}, defaultdict(list)
    copies = Path(scratch) / "submissions"
    copies.mkdir()
    for number, (name, path, problem) in enumerate(files):
        if problem:
            outcomes[name] = SubmissionOutcome(name, unreadable=problem)
            continue
        # One read of each file: its key, its grade, its cache entry and its twins all come from
        # these bytes (a file replaced while the run goes on changes nothing graded).
        data, path = read_once(path, copies / f"{number}.ipynb")
        keys[name] = file_key(key, data, MAX_NOTEBOOK_BYTES)
        earlier = cache.outcome(keys[name], name)
        if earlier is not None:
            outcomes[name] = earlier
        elif keys[name] is not None and keys[name] in first_with:
            twins[first_with[keys[name]]].append(name)
        else:
            first_with.setdefault(keys[name], name)
            work.append((name, str(path)))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = max(1, min(settings.jobs or cores, len(work))) if work else 0
    for name in list(outcomes):
        show(outcomes[name], " (unchanged: from the cache)" if outcomes[name].from_cache else "")
    if work:
        # One job and one file (Gradescope grades one submission per run): graded here, without
        # starting an interpreter that imports the grader and loads the tests a second time.
        if settings.jobs == 1 and len(work) == 1:
            pool = InProcess(n, config)
        else:
            pool = Pool(n, config)

        def done(outcome):
            outcomes[outcome.submission] = outcome
            cache.keep(keys.get(outcome.submission), outcome)
            show(outcome, "")
            for twin in twins.get(outcome.submission, []):
                outcomes[twin] = dataclasses.replace(copy.deepcopy(outcome), submission=twin)
                show(outcomes[twin], f" (the same file as {outcome.submission}: graded once)")

        finished = False
        try:
            pool.run(work, done, budget=settings.submission_timeout + WORKER_GRACE_SECONDS)
            if gpu_seen is not None:
                gpu_seen = pool.gpu  # what the workers found, if it differs from this process
            finished = True
        finally:
            pool.close(wait=finished)
    if gpu_seen is not None and not gpu_seen:
        # rows graded by no worker (unreadable files) leave GPU questions out too
        for o in outcomes.values():
            have = {q.name for q in o.questions}
            o.questions += [
                QuestionOutcome(name, 0, full, gpu_skipped=True)
                for name, full, _ in table
                if name.endswith("_gpu") and name not in have
            ]
    ordered = [outcomes[name] for name, _, _ in files]
    warnings = []
    applied = [o.protections for o in ordered if o.protections]
    if applied and not any("Landlock" in p for ps in applied for p in ps):
        why = landlock.landlock_missing()
        warnings.append(
            "WARNING: no Landlock on this machine"
            + (f" ({why})" if why else "")
            + ": student code could read any file this user can "
            "read, the answer keys in solutions/ included (see book/instructors.md)"
        )
    cache.prune()
    return GradingRun(
        assignment.aid,
        "",
        str(Path(assignment.tests).resolve()),
        list(assignment.forbidden),
        settings,
        ordered,
        table,
        workers=n,
        gpu=gpu_seen,
        warnings=warnings,
    )
