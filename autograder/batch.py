"""`python -m autograder grade`: grade a folder of submitted notebooks, without Docker.

    python -m autograder grade <id> <folder> -o <out> [-j N]

writes, in <out>:
- grades.csv: one row per .ipynb file in the folder, sorted by name: `submission` (file name
  without .ipynb; the whole file name where two files share that stem, as `alice.ipynb` and
  `alice.IPYNB`; bytes that are not UTF-8 and control characters written as escapes, `\xe9`,
  `\n`), one column per question (points earned; empty for a GPU question on a
  machine without a GPU), `total`, `possible`, `status` (`ok`, or one line saying what went
  wrong). A symbolic link or anything else that is not a regular file gets a row saying so and
  is not read. Text cells are safe to open in a spreadsheet (OWASP's advice on CSV injection:
  a cell that would start with = + - @, a tab or a carriage return starts with ' instead).
  Written atomically; the same folder gives the same file.
- feedback/<submission>.md: for the student: score per question, each public test with its
  message, how many hidden tests passed (hidden tests themselves are withheld), and what
  happened to the notebook (errors, timeouts, forbidden functions).
- grading.log: for the instructor: everything, hidden test messages included.
- report.html and mistakes.csv: the class report for the instructor (autograder.report).

Files with the same bytes are graded once; a rerun into the same <out> takes unchanged files
from <out>/cache/ (autograder.cache).

Submissions are graded in parallel (-j, default: the machine's cores); each worker imports
otter, numpy and torch once. See autograder.grading for how one submission is graded.

One run at a time per output folder (a second one refuses, naming the folder). All scratch
files live in one folder under $TMPDIR (`grading-<pid>-*`), removed when the run ends, is
interrupted (Ctrl-C, SIGTERM) or fails; one left by a run that was killed outright is removed
by the next run. As root, student code runs as `nobody`; where it cannot (a Python installation
that `nobody` cannot reach), the command refuses unless given --allow-root (or
AUTOGRADER_ALLOW_ROOT=1), and then says so in grading.log.
"""

import copy
import csv
import dataclasses
import fcntl
import hashlib
import io
import json
import multiprocessing as mp
import multiprocessing.connection
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from pathlib import Path

from . import confine
from .grading import QuestionOutcome, SubmissionOutcome, peak_mb, worker_main
from .submissions import imports, read_notebook

# What the zygote imports before forking (once per worker), besides what the exercise notebook
# imports; torch too when the exercise forbids torch operators (see worker_config).
BASE_PRELOAD = ["numpy", "matplotlib", "matplotlib.pyplot", "PIL.Image", "PIL.JpegImagePlugin", "PIL.PngImagePlugin"]
GPU_NOTE = "GPU questions not graded: no GPU"


class GradingError(Exception):
    """A problem with the grading setup (not with a submission): stops the command."""


# ----------------------------------------------------------------------------- the tests


def _tests_cache(aid, cache_root=None):
    """(the folder where an assignment's prepared tests are kept, the digest of what they are
    generated from: the master, the check helpers and the generator)."""
    from .paths import AUTOGRADERS, CHECKS, master_path

    digest = hashlib.sha256()
    for path in (master_path(aid), *sorted(CHECKS.glob("*.py")), Path(__file__).with_name("generate.py")):
        digest.update(path.read_bytes())
    return Path(cache_root or AUTOGRADERS.parent / "grading") / aid, digest.hexdigest()


def tests_ready(aid, cache_root=None):
    """(tests dir, exercise imports) if the prepared tests of an assignment are current, else None."""
    cache, digest = _tests_cache(aid, cache_root)
    try:
        info = json.loads((cache / "stamp.json").read_text())
    except (OSError, ValueError):
        return None
    if isinstance(info, dict) and info.get("digest") == digest and (cache / "tests").is_dir():
        return cache / "tests", info.get("imports", [])
    return None


def prepare_tests(aid, cache_root=None):
    """The hidden tests of an assignment, generated from its master (cached while the master,
    the check helpers and the generator are unchanged). Returns (tests dir, exercise imports)."""
    ready = tests_ready(aid, cache_root)
    if ready:
        return ready
    cache, digest = _tests_cache(aid, cache_root)
    from .generate import GenerateError, generate  # nbformat and otter: seconds to import, so only here

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        try:
            notebook = generate(aid, exercises_root=tmp / "exercises", autograders=tmp / "autograder")
        except GenerateError as e:
            raise GradingError(str(e).splitlines()[0]) from None
        stage = Path(tempfile.mkdtemp(prefix=f".{aid}-", dir=cache.parent if cache.parent.exists() else None))
        shutil.copytree(tmp / "autograder" / aid / "tests", stage / "tests")
        shutil.copy(tmp / "autograder" / aid / "exercise_checks.py", stage / "exercise_checks.py")
        used = imports(read_notebook(notebook))
        (stage / "stamp.json").write_text(json.dumps({"digest": digest, "imports": used}))
    cache.parent.mkdir(parents=True, exist_ok=True)
    old = cache.with_name(f".{aid}-old-{os.getpid()}")
    if cache.exists():
        os.replace(cache, old)
    try:
        os.replace(stage, cache)
    except OSError:  # another run put it there first
        shutil.rmtree(stage, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    return cache / "tests", used


def worker_config(
    tests,
    forbidden,
    exercise_imports,
    hidden,
    timeout=10.0,
    cell_timeout=60.0,
    memory_mb=2048,
    gpu="auto",
    submission_timeout=600.0,
    disk_mb=256,
    scratch=None,
):
    from . import forbidden as forbidden_mod

    blocked = forbidden_mod.blocked_modules(forbidden)
    preload = BASE_PRELOAD + [m for m in exercise_imports if m.split(".")[0] not in {b.split(".")[0] for b in blocked}]
    if any(e.startswith("aten::") for e in forbidden):
        # Watching torch's operators needs torch and torch._dynamo (seconds to import): in the
        # zygote, once, rather than in each student process that imports torch.
        preload.append("torch")
    return {
        "tests": str(Path(tests).resolve()),
        "preload": list(dict.fromkeys(preload)),
        "forbidden": list(forbidden),
        "blocked": blocked,
        "limits": {"memory_mb": memory_mb, "cpu_seconds": 900, "file_mb": min(64, disk_mb), "disk_mb": disk_mb},
        "submission_timeout": float(submission_timeout),
        "scratch": scratch,
        "hidden": [str(Path(h).resolve()) for h in hidden],
        "call_timeout": float(timeout),
        "cell_timeout": float(cell_timeout),
        "max_reply_bytes": 512 * 2**20,
        "gpu": gpu,
    }


def question_table(tests):
    """[(question, possible, function names)] in order, read in this process."""
    import inspect

    from .grading import load_test_files

    out = []
    for tf in load_test_files(tests):
        names = sorted({n for tc in tf.test_cases for n in inspect.signature(tc.body.test_func).parameters} - {"env"})
        out.append((tf.name, tf.possible, names))
    return out


# ----------------------------------------------------------------------------- workers


class Pool:
    """Worker processes (spawned: a clean interpreter each) fed one submission at a time. A
    worker that dies (a submission that somehow killed it) is replaced; its submission is retried
    once, then recorded as failed."""

    def __init__(self, n, config):
        self.ctx = mp.get_context("spawn")
        self.config = config
        self.workers = [self.spawn() for _ in range(n)]
        self.gpu = None

    def spawn(self):
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker_main, args=(child, self.config), daemon=True)
        proc.start()
        child.close()
        return {"proc": proc, "conn": parent, "ready": False, "job": None}

    def run(self, jobs, done, budget=None):
        """Grade `jobs` [(name, path)]; done(outcome) for each. A worker still on one submission
        `budget` seconds after it took it (the grader's own backstop: the worker enforces the
        budget itself) is killed and the submission recorded as stopped."""
        pending = deque(jobs)
        attempts = Counter()
        while pending or any(w["job"] is not None for w in self.workers):
            for w in self.workers:
                if w["ready"] and w["job"] is None and pending:
                    w["job"] = pending.popleft()
                    w["since"] = time.monotonic()
                    w["conn"].send(w["job"])
            waitables = {}
            for w in self.workers:
                waitables[w["conn"]] = w
                waitables[w["proc"].sentinel] = w
            for w in self.workers:
                if budget and w["job"] is not None and time.monotonic() - w["since"] > budget:
                    job = w["job"]
                    self.replace(w)
                    done(SubmissionOutcome(job[0], notes=[f"grading this submission took over {budget:g} s: stopped"]))
            for ready in mp.connection.wait(list(waitables), timeout=5 if budget else None):
                w = waitables[ready]
                if w not in self.workers:
                    continue
                message = None
                if ready is w["conn"]:
                    try:
                        message = w["conn"].recv()
                    except (EOFError, OSError):
                        message = None
                if message is not None:
                    kind, payload = message
                    if kind == "ready":
                        w["ready"] = True
                        self.gpu = payload.get("gpu")
                    elif kind == "failed":
                        raise GradingError(f"a grading worker could not start: {payload}")
                    elif kind == "done":
                        w["job"] = None
                        done(payload)
                    continue
                # The worker is gone.
                job = w["job"]
                if not w["ready"] and job is None:
                    w["proc"].join(timeout=5)
                    raise GradingError(f"a grading worker stopped while starting (exit code {w['proc'].exitcode})")
                self.replace(w)
                if job is not None:
                    attempts[job[0]] += 1
                    if attempts[job[0]] < 2:
                        pending.appendleft(job)
                    else:
                        done(
                            SubmissionOutcome(
                                job[0], notes=["the grader's process was killed while grading this submission (twice)"]
                            )
                        )

    def replace(self, w):
        """Kill a worker (if still running) and start another in its place."""
        self.workers.remove(w)
        if w["proc"].is_alive():
            w["proc"].kill()
        w["proc"].join(timeout=5)
        self.workers.append(self.spawn())

    def close(self, wait=True):
        """Stop the workers: asked to finish (wait), or killed at once (an interrupted run)."""
        for w in self.workers:
            try:
                if wait:
                    w["conn"].send(None)
            except OSError:
                pass
        for w in self.workers:
            w["proc"].join(timeout=10 if wait else 0)
            if w["proc"].is_alive():
                w["proc"].kill()
                w["proc"].join()


class Progress:
    """A progress bar on stderr (a plain line per submission when stderr is not a terminal)."""

    def __init__(self, total, stream=None):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()

    def update(self, name, text):
        self.done += 1
        elapsed = time.monotonic() - self.started
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            eta = elapsed / self.done * (self.total - self.done)
            line = (
                f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
                f"  {elapsed:5.0f} s, about {eta:.0f} s left  "
            )
            self.stream.write(line)
        else:
            self.stream.write(f"[{self.done}/{self.total}] {name}: {text}\n")
        self.stream.flush()

    def finish(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# ----------------------------------------------------------------------------- outputs


def points(x):
    if x is None:
        return ""
    text = f"{float(x):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def printable(text):
    """text with what cannot be shown on one line escaped: lone surrogates (`\\ud800`), control
    characters (`\\n`, `\\x1b`), other unprintable characters."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def one_line(text, limit=300):
    """Whitespace runs (newlines included) as one space, then printable(), at most `limit`."""
    text = printable(" ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def file_label(name):
    """A file name as the CSV and the log show it: bytes that are not UTF-8 as `\\xe9`, control
    characters escaped."""
    return printable(os.fsencode(name).decode("utf-8", "backslashreplace"))


def spreadsheet_safe(text):
    """A text cell that a spreadsheet will not run as a formula (OWASP, CSV injection): one
    that starts with = + - @, a tab or a carriage return gets a ' in front."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def status_of(outcome):
    if outcome.unreadable:
        return one_line(f"unreadable notebook: {outcome.unreadable}")
    parts = list(outcome.notes)
    if outcome.cell_errors:
        cell, where, text = outcome.cell_errors[0]
        more = f" (and {len(outcome.cell_errors) - 1} more)" if len(outcome.cell_errors) > 1 else ""
        parts.append(f"error in {where}: {text}{more}")
    gpu = any(q.gpu_skipped for q in outcome.questions)
    status = "; ".join(parts) if parts else "ok"
    if gpu:
        status += f"; {GPU_NOTE}"
    return one_line(status)


def totals(outcome, table):
    """(per-question column values, total, possible)."""
    by_name = {q.name: q for q in outcome.questions}
    values, total, possible = [], 0.0, 0.0
    for name, full, _ in table:
        q = by_name.get(name)
        if q is not None and q.gpu_skipped:
            values.append(None)
            continue
        score = q.score if q is not None else 0.0
        values.append(score)
        total += score
        possible += full
    return values, total, possible


def write_atomically(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def csv_text(outcomes, table):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["submission"] + [name for name, _, _ in table] + ["total", "possible", "status"])
    for o in outcomes:
        values, total, possible = totals(o, table)
        writer.writerow(
            [spreadsheet_safe(o.submission)]
            + [points(v) for v in values]
            + [points(total), points(possible), spreadsheet_safe(status_of(o))]
        )
    return buf.getvalue()


def feedback_text(aid, outcome, table):
    values, total, possible = totals(outcome, table)
    lines = [
        f"# {aid}: feedback for {outcome.submission}",
        "",
        f"**Score: {points(total)} / {points(possible)}**",
        "",
        f"Status: {status_of(outcome)}",
        "",
    ]
    if outcome.unreadable:
        lines += [
            "The file could not be read as a Jupyter notebook, so nothing in it could be graded. "
            "Submit the .ipynb file saved by Jupyter or Colab.",
            "",
        ]
        return "\n".join(lines)
    by_name = {q.name: q for q in outcome.questions}
    for (name, full, _), value in zip(table, values):
        q = by_name.get(name)
        if q is not None and q.gpu_skipped:
            lines += [
                f"## {name}: not graded",
                "",
                "This question needs a CUDA GPU and the grading machine has none; it is not counted in the total.",
                "",
            ]
            continue
        lines += [f"## {name}: {points(value)} / {points(full)}", ""]
        if q is None:
            lines += ["Not graded (see the status above).", ""]
            continue
        for message in q.forbidden:
            lines.append(f"- **0 points:** {message}.")
        public = [c for c in q.cases if not c.hidden]
        hidden = [c for c in q.cases if c.hidden]
        for c in public:
            if c.passed:
                lines.append(f"- passed: `{c.name}`")
            else:
                lines.append(f"- FAILED: `{c.name}`")
                shown = [printable(m.replace("```", "` ` `")) for m in c.message.splitlines()[:20]]
                lines += ["", "  ```", *["  " + m for m in shown], "  ```", ""]
        if hidden:
            passed = sum(c.passed for c in hidden)
            lines.append(f"- hidden tests: {passed} of {len(hidden)} passed")
        lines.append("")
    notes = list(outcome.notes) + [f"{where}: {text}" for _, where, text in outcome.cell_errors]
    if notes:
        lines += [
            "## What happened while your notebook ran",
            "",
            "(Cells are counted from the top of the notebook, from 1, text cells included.)",
            "",
        ]
        lines += [f"- {one_line(n, 500)}" for n in notes] + [""]
    return "\n".join(lines)


def log_text(aid, outcome, table):
    values, total, possible = totals(outcome, table)
    lines = [
        f"== {outcome.submission}: {points(total)} / {points(possible)} in {outcome.seconds:.2f} s",
        f"   status: {status_of(outcome)}",
    ]
    if outcome.grader_mb:
        lines.append(f"   grader memory: main {peak_mb()} MB, worker {outcome.grader_mb} MB")
    if outcome.protections:
        lines.append(f"   student process: {one_line(', '.join(outcome.protections), 1000)}")
    for n in outcome.log:  # a traceback of the grader's own keeps its lines, each indented
        lines += ["   " + one_line(line, 1000) for line in str(n).splitlines() if line.strip()]
    for _cell, where, text in outcome.cell_errors:
        lines.append(f"   {one_line(where, 80)}: {one_line(text, 400)}")
    for q in outcome.questions:
        if q.gpu_skipped:
            lines.append(f"   {q.name}: not graded (no GPU)")
            continue
        lines.append(f"   {q.name}: {points(q.score)} / {points(q.possible)}")
        for m in q.forbidden:
            lines.append(f"      FORBIDDEN {one_line(m, 400)}")
        for c in q.cases:
            mark = "pass" if c.passed else "FAIL"
            lines.append(
                f"      {mark} {'hidden' if c.hidden else 'public'} {c.name} ({c.seconds:.2f} s)"
                + ("" if c.passed else ": " + one_line(c.message, 400))
            )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the command


def submissions_in(folder):
    """[(row name, path, problem)] for the .ipynb files of a folder (not its subfolders), by
    file name. Hidden files (`.name`, such as the `._name.ipynb` that macOS puts in zip files)
    are not submissions. problem: None for a regular file; else why it is not read (a symbolic
    link is reported, never followed). Row names are unique: the stem, or the whole file name
    where stems collide; see file_label for how names are written."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradingError(f"{folder}: no such folder")
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.lower().endswith(".ipynb"):
                continue
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as e:
                found.append((entry.name, Path(entry.path), f"cannot read the file ({e.strerror})"))
                continue
            if stat.S_ISLNK(mode):
                try:
                    target = file_label(os.readlink(entry.path))
                except OSError:
                    target = "?"
                found.append((entry.name, Path(entry.path), f"a symbolic link (to {target}): not followed, not graded"))
            elif stat.S_ISDIR(mode):
                continue
            elif not stat.S_ISREG(mode):
                found.append((entry.name, Path(entry.path), "not a regular file: not read, not graded"))
            else:
                found.append((entry.name, Path(entry.path), None))
    found.sort(key=lambda item: os.fsencode(item[0]))
    stems = Counter(file_label(name[: -len(".ipynb")]) for name, _, _ in found)
    out, used = [], set()
    for name, path, problem in found:
        label = file_label(name[: -len(".ipynb")])
        if stems[label] > 1:
            label = file_label(name)
        unique, k = label, 2
        while unique in used:
            unique, k = f"{label} ({k})", k + 1
        used.add(unique)
        out.append((unique, path, problem))
    return out


def feedback_names(names):
    """{row name: feedback file name}: unique even on a case-insensitive file system (macOS,
    Windows), with characters those systems refuse replaced by `_`."""
    out, used = {}, set()
    for name in names:
        base = "".join("_" if ch in '<>:"/\\|?*' or not ch.isprintable() else ch for ch in name).strip(" .") or "_"
        base = base[:150]
        unique, k = base, 2
        while unique.casefold() in used:
            unique, k = f"{base}~{k}", k + 1
        used.add(unique.casefold())
        out[name] = unique + ".md"
    return out


def lock_output(out):
    """Hold the output folder for this run (an flock on the folder itself); a second run
    refuses. Returns the descriptor to close when done. Removes what an earlier run that died
    left behind (staging folders and temporary files)."""
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise GradingError(
            f"{out}: another grading run is writing this folder; wait until it finishes, or use another -o folder"
        ) from None
    for stale in out.glob(".*"):
        if stale.name.startswith((".feedback-", ".grades.csv.", ".grading.log.")):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
    return fd


def make_scratch():
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


def check_root(allow_root=False):
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


class Interrupted(BaseException):
    """SIGTERM or SIGHUP during a run: unwinds it like Ctrl-C, so that its scratch is removed."""


def _interrupted(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def grade_folder(
    aid,
    folder,
    out,
    tests,
    forbidden,
    exercise_imports=(),
    jobs=None,
    timeout=10.0,
    cell_timeout=60.0,
    memory_mb=2048,
    hidden=(),
    progress=True,
    stream=None,
    gpu="auto",
    submission_timeout=600.0,
    disk_mb=256,
    allow_root=False,
    force=False,
    report=True,
):
    """Grade every .ipynb in `folder`; write grades.csv, feedback/ and grading.log in `out`, and
    the class report (report.html, mistakes.csv: autograder.report) unless report=False.
    Returns the list of SubmissionOutcome, in row order. allow_root: grade even where student
    code would run as root (also AUTOGRADER_ALLOW_ROOT=1); said in the log. Files graded by an
    earlier run into `out`, unchanged and with nothing else changed, are taken from
    `out/cache/` (autograder.cache) unless `force`."""
    started = time.monotonic()
    confine.not_dumpable()  # its environment and memory: out of reach through /proc, as the workers'
    root_warning = check_root(allow_root)
    if root_warning:
        print(root_warning, file=stream or sys.stderr)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = lock_output(out)
    handlers = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            handlers[sig] = signal.signal(sig, _interrupted)
        except (ValueError, OSError):  # not the main thread
            pass
    scratch = make_scratch()
    settings = dict(
        exercise_imports=exercise_imports,
        jobs=jobs,
        timeout=timeout,
        cell_timeout=cell_timeout,
        memory_mb=memory_mb,
        hidden=hidden,
        gpu=gpu,
        submission_timeout=submission_timeout,
        disk_mb=disk_mb,
        force=force,
        report=report,
    )
    try:
        return _grade(aid, folder, out, tests, forbidden, settings, scratch, progress, stream, started, root_warning)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for _ in range(3):
            shutil.rmtree(scratch, ignore_errors=True)
            if not os.path.exists(scratch):
                break
            time.sleep(0.5)
        os.close(lock)


def _grade(aid, folder, out, tests, forbidden, settings, scratch, progress, stream, started, root_warning):
    from .cache import Cache, file_key, run_key
    from .grading import Worker
    from .submissions import MAX_BYTES

    cache = Cache(out, force=settings["force"])
    table = cache.table(tests, question_table)
    if not table:
        raise GradingError(f"{tests}: no test files")
    files = submissions_in(folder)
    gpu = settings["gpu"]
    config = worker_config(
        tests,
        forbidden,
        settings["exercise_imports"],
        settings["hidden"],
        settings["timeout"],
        settings["cell_timeout"],
        settings["memory_mb"],
        gpu,
        settings["submission_timeout"],
        settings["disk_mb"],
        scratch,
    )
    # Whether the GPU questions are graded is part of every grade (None: there are none).
    gpu_seen = None
    if any(name.endswith("_gpu") for name, _, _ in table):
        gpu_seen = Worker.detect_gpu() if gpu == "auto" else bool(gpu)
    key = run_key(tests, config, gpu_seen)
    # Files with the same bytes (an untouched starter notebook, handed in by several students)
    # are graded once: twins[name] is the file graded for it.
    outcomes, work, keys, first_with, twins = {}, [], {}, {}, defaultdict(list)
    for name, path, problem in files:
        if problem:
            outcomes[name] = SubmissionOutcome(name, unreadable=problem)
            continue
        keys[name] = file_key(key, path, MAX_BYTES)
        earlier = cache.outcome(keys[name], name)
        if earlier is not None:
            outcomes[name] = earlier
        elif keys[name] is not None and keys[name] in first_with:
            twins[first_with[keys[name]]].append(name)
        else:
            first_with.setdefault(keys[name], name)
            work.append((name, str(path)))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = max(1, min(settings["jobs"] or cores, len(work))) if work else 0
    bar = Progress(len(files), stream) if progress else None

    def show(outcome, note=""):
        if bar:
            if outcome.unreadable:
                bar.update(outcome.submission, status_of(outcome) + note)
            else:
                _, total, possible = totals(outcome, table)
                bar.update(outcome.submission, f"{points(total)} / {points(possible)}, {status_of(outcome)}{note}")

    for name in list(outcomes):
        show(outcomes[name], " (unchanged: from the cache)" if outcomes[name].from_cache else "")
    if work:
        pool = Pool(n, config)

        def done(outcome):
            outcomes[outcome.submission] = outcome
            cache.keep(keys.get(outcome.submission), outcome)
            show(outcome)
            for twin in twins.get(outcome.submission, []):
                outcomes[twin] = dataclasses.replace(copy.deepcopy(outcome), submission=twin)
                show(outcomes[twin], f" (the same file as {outcome.submission}: graded once)")

        finished = False
        try:
            pool.run(work, done, budget=settings["submission_timeout"] + 120)
            if gpu_seen is not None:
                gpu_seen = pool.gpu  # what the workers found, if it differs from this process
            finished = True
        finally:
            pool.close(wait=finished)
    if bar:
        bar.finish()
    if gpu_seen is not None:
        if not gpu_seen:  # rows graded by no worker (unreadable files) leave GPU questions out too
            for o in outcomes.values():
                have = {q.name for q in o.questions}
                o.questions += [
                    QuestionOutcome(name, 0, full, gpu_skipped=True)
                    for name, full, _ in table
                    if name.endswith("_gpu") and name not in have
                ]
    ordered = [outcomes[name] for name, _, _ in files]
    applied = [o.protections for o in ordered if o.protections]
    warnings = [root_warning] if root_warning else []
    if applied and not any("Landlock" in p for ps in applied for p in ps):
        from .confine import landlock_missing

        why = landlock_missing()
        warnings.append(
            "WARNING: no Landlock on this machine"
            + (f" ({why})" if why else "")
            + ": student code could read any file this user can "
            "read, the answer keys in solutions/ included (see book/instructors.md)"
        )
        print(warnings[-1], file=stream or sys.stderr)
    meta = dict(settings, assignment=aid, folder=str(Path(folder).resolve()), tests=str(Path(tests).resolve()))
    meta.update(
        warning="\n".join(warnings) or None,
        workers=n,
        gpu=gpu_seen,
        forbidden=forbidden,
        seconds=time.monotonic() - started,
        files=len(files),
        reused=sum(o.from_cache for o in ordered),
    )
    write_outputs(aid, out, ordered, table, meta)
    cache.prune()
    return ordered


def _row_text(fn, aid, outcome, table):
    """fn(aid, outcome, table), or a line saying the grader could not write it (never raises)."""
    try:
        return fn(aid, outcome, table)
    except Exception as e:
        return f"== {outcome.submission}: the grader could not write this entry ({type(e).__name__}: {one_line(e)})"


def write_outputs(aid, out, outcomes, table, meta):
    feedback = out / "feedback"
    stage = Path(tempfile.mkdtemp(prefix=".feedback-", dir=out))
    try:
        files = feedback_names([o.submission for o in outcomes])
        for o in outcomes:
            text = _row_text(feedback_text, aid, o, table)
            (stage / files[o.submission]).write_text(text, encoding="utf-8", errors="backslashreplace")
        os.chmod(stage, 0o755)
        old = out / f".feedback-old-{os.getpid()}"
        if feedback.exists():
            os.replace(feedback, old)
        os.replace(stage, feedback)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    header = [
        f"grading {meta['assignment']}: {meta['files']} submissions from {file_label(meta['folder'])}",
        f"tests: {meta['tests']}",
        f"workers: {meta['workers']}; GPU: {'yes' if meta['gpu'] else 'no'}; time limits: "
        f"{meta['timeout']:g} s per call, {meta['cell_timeout']:g} s per cell statement, "
        f"{meta['submission_timeout']:g} s per submission; "
        f"memory: {meta['memory_mb']} MB per student process; disk: {meta['disk_mb']} MB per submission",
        f"forbidden: {', '.join(meta['forbidden']) or 'nothing'}",
        f"took {meta['seconds']:.1f} s ({meta['seconds'] / max(meta['files'], 1):.2f} s per submission)"
        + (f"; {meta['reused']} unchanged since the last run, taken from the cache" if meta.get("reused") else ""),
    ]
    header += [meta["warning"], ""] if meta.get("warning") else [""]
    entries = [_row_text(log_text, aid, o, table) for o in outcomes]
    write_atomically(out / "grading.log", "\n".join(header + entries) + "\n")
    write_atomically(out / "grades.csv", csv_text(outcomes, table))
    if not meta.get("report", True):
        return
    from . import report

    try:
        report.write(aid, out, outcomes, table)
    except Exception as e:  # the grades are written; a report that fails must not take them away
        print(f"{out / 'report.html'}: not written ({type(e).__name__}: {one_line(e)})", file=sys.stderr)


def main(args):
    """The `grade` subcommand (arguments parsed by autograder.__main__)."""
    from .paths import ROOT, master_path

    aid = args.id
    master = master_path(aid)
    check_root(args.allow_root)  # before minutes of preparing the tests
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    from . import lms

    export = lms.prepare(args)  # a bad roster stops the command before grading
    if args.tests:
        tests, used = Path(args.tests), []
    else:
        if not tests_ready(aid):
            say(f"{aid}: preparing the hidden tests from {master.relative_to(ROOT)} (once per change of it)")
        tests, used = prepare_tests(aid)
    from . import forbidden as forbidden_mod

    forbidden = forbidden_mod.forbidden_for(aid, master)
    outcomes = grade_folder(
        aid,
        args.folder,
        args.output,
        tests,
        forbidden,
        used,
        jobs=args.jobs,
        timeout=args.timeout,
        cell_timeout=args.cell_timeout,
        memory_mb=args.memory,
        hidden=[ROOT, tests],
        progress=not args.quiet,
        submission_timeout=args.submission_timeout,
        disk_mb=args.disk,
        allow_root=args.allow_root,
        force=args.force,
    )
    csv_path = Path(args.output) / "grades.csv"
    ok = sum(status_of(o).startswith("ok") for o in outcomes)
    say(f"{aid}: {summary(outcomes, ok)} -> {csv_path}")
    if export:
        export.write(args.output, aid, outcomes, tests)
    lms.remove_stale(args.output, export.lms if export else None)
    if getattr(args, "similarity", False):
        from . import similarity

        similarity.write_report(aid, args.folder, args.output, progress=not args.quiet)
    return 0


def plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(outcomes, ok):
    """ "graded 40 submissions (35 ok; 38 unchanged, from the cache)"."""
    reused = sum(o.from_cache for o in outcomes)
    parts = [f"{ok} ok"] + ([f"{reused} unchanged, from the cache"] if reused else [])
    return f"graded {plural(len(outcomes), 'submission')} ({'; '.join(parts)})"
