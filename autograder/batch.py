"""`python -m autograder grade`: grade a folder of submitted notebooks, without Docker.

    python -m autograder grade <id> <folder> -o <out> [-j N]

writes, in <out>:
- grades.csv: one row per .ipynb file in the folder, sorted by name: `submission` (file name
  without .ipynb), one column per question (points earned; empty for a GPU question on a
  machine without a GPU), `total`, `possible`, `status` (`ok`, or one line saying what went
  wrong). Written atomically; the same folder gives the same file.
- feedback/<submission>.md: for the student: score per question, each public test with its
  message, how many hidden tests passed (hidden tests themselves are withheld), and what
  happened to the notebook (errors, timeouts, forbidden functions).
- grading.log: for the instructor: everything, hidden test messages included.

Submissions are graded in parallel (-j, default: the machine's cores); each worker imports
otter, numpy and torch once. See autograder.grading for how one submission is graded.
"""

import csv
import hashlib
import io
import json
import multiprocessing as mp
import multiprocessing.connection
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path

from . import forbidden as forbidden_mod
from .grading import QuestionOutcome, SubmissionOutcome, worker_main
from .submissions import Unreadable, imports, read_notebook

# What the zygote imports before forking (once per worker), besides what the exercise notebook
# imports; torch too when the exercise forbids torch operators (see worker_config).
BASE_PRELOAD = ["numpy", "matplotlib", "matplotlib.pyplot", "PIL.Image", "PIL.JpegImagePlugin", "PIL.PngImagePlugin"]
GPU_NOTE = "GPU questions not graded: no GPU"


class GradingError(Exception):
    """A problem with the grading setup (not with a submission): stops the command."""


# ----------------------------------------------------------------------------- the tests


def prepare_tests(aid, cache_root=None):
    """The hidden tests of an assignment, generated from its master (cached while the master,
    the check helpers and the generator are unchanged). Returns (tests dir, exercise imports)."""
    from .generate import GenerateError, generate
    from .paths import AUTOGRADERS, CHECKS, master_path

    master = master_path(aid)
    digest = hashlib.sha256()
    for path in (master, *sorted(CHECKS.glob("*.py")), Path(__file__).with_name("generate.py")):
        digest.update(path.read_bytes())
    digest = digest.hexdigest()
    cache = Path(cache_root or AUTOGRADERS.parent / "grading") / aid
    stamp = cache / "stamp.json"
    if stamp.exists():
        try:
            info = json.loads(stamp.read_text())
            if info.get("digest") == digest and (cache / "tests").is_dir():
                return cache / "tests", info.get("imports", [])
        except ValueError:
            pass
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
    tests, forbidden, exercise_imports, hidden, timeout=10.0, cell_timeout=60.0, memory_mb=2048, gpu="auto"
):
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
        "limits": {"memory_mb": memory_mb, "cpu_seconds": 900, "file_mb": 64},
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

    def run(self, jobs, done):
        pending = deque(jobs)
        attempts = Counter()
        while pending or any(w["job"] is not None for w in self.workers):
            for w in self.workers:
                if w["ready"] and w["job"] is None and pending:
                    w["job"] = pending.popleft()
                    w["conn"].send(w["job"])
            waitables = {}
            for w in self.workers:
                waitables[w["conn"]] = w
                waitables[w["proc"].sentinel] = w
            for ready in mp.connection.wait(list(waitables)):
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
                self.workers.remove(w)
                w["proc"].join(timeout=5)
                if not w["ready"] and job is None:
                    raise GradingError(f"a grading worker stopped while starting (exit code {w['proc'].exitcode})")
                self.workers.append(self.spawn())
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

    def close(self):
        for w in self.workers:
            try:
                w["conn"].send(None)
            except OSError:
                pass
        for w in self.workers:
            w["proc"].join(timeout=10)
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


def one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def csv_text(outcomes, table):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["submission"] + [name for name, _, _ in table] + ["total", "possible", "status"])
    for o in outcomes:
        values, total, possible = totals(o, table)
        writer.writerow([o.submission] + [points(v) for v in values] + [points(total), points(possible), status_of(o)])
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
                lines += ["", "  ```", *["  " + m for m in c.message.splitlines()[:20]], "  ```", ""]
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
    if outcome.protections:
        lines.append(f"   student process: {', '.join(outcome.protections)}")
    for n in outcome.log:
        lines += ["   " + line for line in str(n).splitlines()]
    for _cell, where, text in outcome.cell_errors:
        lines.append(f"   {where}: {text}")
    for q in outcome.questions:
        if q.gpu_skipped:
            lines.append(f"   {q.name}: not graded (no GPU)")
            continue
        lines.append(f"   {q.name}: {points(q.score)} / {points(q.possible)}")
        for m in q.forbidden:
            lines.append(f"      FORBIDDEN {m}")
        for c in q.cases:
            mark = "pass" if c.passed else "FAIL"
            lines.append(
                f"      {mark} {'hidden' if c.hidden else 'public'} {c.name} ({c.seconds:.2f} s)"
                + ("" if c.passed else ": " + one_line(c.message, 400))
            )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the command


def submissions_in(folder):
    """The .ipynb files of a folder (not its subfolders), by name. Hidden files (`.name`, such
    as the `._name.ipynb` that macOS puts in zip files) are not submissions."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradingError(f"{folder}: no such folder")
    return sorted(
        (p for p in folder.iterdir() if p.suffix.lower() == ".ipynb" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )


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
):
    """Grade every .ipynb in `folder`; write grades.csv, feedback/ and grading.log in `out`.
    Returns the list of SubmissionOutcome, in row order."""
    started = time.monotonic()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = question_table(tests)
    if not table:
        raise GradingError(f"{tests}: no test files")
    functions = {name: names for name, _, names in table}
    files = submissions_in(folder)
    outcomes, work = {}, []
    for path in files:
        name = path.stem
        try:
            cells = read_notebook(path)
        except Unreadable as e:
            outcomes[name] = SubmissionOutcome(name, unreadable=str(e))
            continue
        static = forbidden_mod.static_violations(cells, forbidden, functions)
        work.append((name, cells, static))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = max(1, min(jobs or cores, len(work) or 1))
    bar = Progress(len(files), stream) if progress else None
    for name, o in outcomes.items():
        if bar:
            bar.update(name, status_of(o))
    gpu_seen = None
    if work:
        config = worker_config(tests, forbidden, exercise_imports, hidden, timeout, cell_timeout, memory_mb, gpu)
        pool = Pool(n, config)

        def done(outcome):
            outcomes[outcome.submission] = outcome
            if bar:
                _, total, possible = totals(outcome, table)
                bar.update(outcome.submission, f"{points(total)} / {points(possible)}, {status_of(outcome)}")

        try:
            pool.run(work, done)
            gpu_seen = pool.gpu
        finally:
            pool.close()
    if bar:
        bar.finish()
    if any(name.endswith("_gpu") for name, _, _ in table):
        if gpu_seen is None:
            from .grading import Worker

            gpu_seen = Worker.detect_gpu() if gpu == "auto" else bool(gpu)
        if not gpu_seen:  # rows graded by no worker (unreadable files) leave GPU questions out too
            for o in outcomes.values():
                have = {q.name for q in o.questions}
                o.questions += [
                    QuestionOutcome(name, 0, full, gpu_skipped=True)
                    for name, full, _ in table
                    if name.endswith("_gpu") and name not in have
                ]
    ordered = [outcomes[p.stem] for p in files]
    applied = [o.protections for o in ordered if o.protections]
    warning = None
    if applied and not any("Landlock" in p for ps in applied for p in ps):
        from .confine import landlock_missing

        why = landlock_missing()
        warning = (
            "WARNING: no Landlock on this machine"
            + (f" ({why})" if why else "")
            + ": student code could read any file this user can "
            "read, the answer keys in solutions/ included (see book/instructors.md)"
        )
        print(warning, file=stream or sys.stderr)
    write_outputs(
        aid,
        out,
        ordered,
        table,
        {
            "warning": warning,
            "assignment": aid,
            "folder": str(Path(folder).resolve()),
            "tests": str(Path(tests).resolve()),
            "workers": n,
            "gpu": gpu_seen,
            "forbidden": forbidden,
            "timeout": timeout,
            "cell_timeout": cell_timeout,
            "memory_mb": memory_mb,
            "seconds": time.monotonic() - started,
            "files": len(files),
        },
    )
    return ordered


def write_outputs(aid, out, outcomes, table, meta):
    feedback = out / "feedback"
    stage = Path(tempfile.mkdtemp(prefix=".feedback-", dir=out))
    for o in outcomes:
        (stage / f"{o.submission}.md").write_text(feedback_text(aid, o, table), encoding="utf-8")
    os.chmod(stage, 0o755)
    old = out / f".feedback-old-{os.getpid()}"
    if feedback.exists():
        os.replace(feedback, old)
    os.replace(stage, feedback)
    shutil.rmtree(old, ignore_errors=True)
    header = [
        f"grading {meta['assignment']}: {meta['files']} submissions from {meta['folder']}",
        f"tests: {meta['tests']}",
        f"workers: {meta['workers']}; GPU: {'yes' if meta['gpu'] else 'no'}; time limits: "
        f"{meta['timeout']:g} s per call, {meta['cell_timeout']:g} s per cell statement; "
        f"memory: {meta['memory_mb']} MB per student process",
        f"forbidden: {', '.join(meta['forbidden']) or 'nothing'}",
        f"took {meta['seconds']:.1f} s ({meta['seconds'] / max(meta['files'], 1):.2f} s per submission)",
    ]
    header += [meta["warning"], ""] if meta.get("warning") else [""]
    write_atomically(out / "grading.log", "\n".join(header + [log_text(aid, o, table) for o in outcomes]) + "\n")
    write_atomically(out / "grades.csv", csv_text(outcomes, table))


def main(args):
    """The `grade` subcommand (arguments parsed by autograder.__main__)."""
    from .paths import ROOT, master_path

    aid = args.id
    master = master_path(aid)
    if args.tests:
        tests, used = Path(args.tests), []
    else:
        print(f"{aid}: preparing the hidden tests from {master.relative_to(ROOT)}", file=sys.stderr)
        tests, used = prepare_tests(aid)
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
    )
    csv_path = Path(args.output) / "grades.csv"
    ok = sum(status_of(o).startswith("ok") for o in outcomes)
    print(f"{aid}: graded {len(outcomes)} submissions ({ok} ok) -> {csv_path}", file=sys.stderr)
    return 0
