"""Benchmark (prints figures; not a test): the book's builds, and one grader.check.

    .venv/bin/python benchmarks/book_and_check.py [--skip-book] [--rebuilds N]

The book is built with `make book`, in a scratch copy of the working tree (the files git would
commit, with .venv and node_modules linked in), so that editing a lecture there touches
nothing of yours:
- cold build: an empty _build, so every lecture notebook is executed;
- rebuild with nothing changed: `make book` again, N times (default 3), the median printed;
  also the build itself with nothing changed (book/_ext/build.py, which `make book` runs when
  a file changed: the notebooks come from the execution cache and no slide deck is rebuilt);
- rebuild after editing one lecture (a code cell appended): the notebooks it executed are
  printed, which should be that lecture alone.
grader.check: the median of repeated calls for each question of the convolution exercise,
from a student notebook's folder, with the answer key's functions.
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import master  # noqa: E402
from autograder.paths import master_path, student_path  # noqa: E402

EDITED = "stride"  # the lecture the bench edits (in its copy)


def scratch_copy(dest):
    """The working tree as git would commit it (tracked and untracked, not ignored) -> dest,
    with this checkout's .venv and node_modules linked in."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for linked in ["node_modules", ".venv"]:
        (dest / linked).symlink_to(ROOT / linked)
    return dest


def timed(cmd, cwd):
    """Run cmd in cwd: (seconds, the notebooks it executed). Exits if it fails."""
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    executed = sorted(set(re.findall(r"(\S+\.ipynb): Executing notebook", proc.stdout + proc.stderr)))
    return seconds, [Path(e).relative_to(cwd).as_posix() for e in executed]


def make_book(src):
    return timed(["make", "--no-print-directory", "book"], src)


def sphinx_build(src):
    return timed([sys.executable, str(src / "book" / "_ext" / "build.py"), ".", "-W", "--keep-going"], src)


def edit_lecture(src, name):
    """Append a code cell to lectures/<name>.ipynb in the copy (its code changes)."""
    path = src / "lectures" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('edited by benchmarks/book_and_check.py')"))
    nbformat.write(nb, path)


def time_grader_check(aid="convolution", repeats=5):
    nb = nbformat.read(student_path(aid), as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        shutil.copy(student_path(aid), f"{aid}.ipynb")
        env = {}
        exec(nb.cells[0].source, env)  # the setup cell: writes tests/ and exercise_checks.py
        sys.path.insert(0, tmp)
        import otter

        grader = otter.Notebook(f"{aid}.ipynb")
        env = master.answer_key(master_path(aid))
        questions = sorted(p.stem for p in Path("tests").glob("*.py"))
        times = {}
        for q in questions:
            samples = []
            for _ in range(repeats):
                t = time.perf_counter()
                result = grader.check(q, env)
                samples.append(time.perf_counter() - t)
            assert result.passed_all, f"answer key fails {q}"
            times[q] = statistics.median(samples)
        os.chdir(ROOT)
        return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-book", action="store_true")
    parser.add_argument("--rebuilds", type=int, default=3, help="no-change rebuilds to time (median printed)")
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if not args.skip_book:
        tmp = Path(tempfile.mkdtemp(prefix="book-bench-"))
        try:
            src = scratch_copy(tmp / "src")
            cold, executed = make_book(src)
            print(f"book build, cold (make book; {len(executed)} notebooks executed): {cold:6.1f} s")
            for name, build in [("make book", make_book), ("the build itself, book/_ext/build.py", sphinx_build)]:
                again = [build(src) for _ in range(args.rebuilds)]
                assert all(not e for _, e in again), f"a rebuild with nothing changed executed {again}"
                times = ", ".join(f"{t:.2f}" for t, _ in again)
                median = statistics.median(t for t, _ in again)
                print(f"rebuild, nothing changed: {name}, median of {args.rebuilds}: {median:6.2f} s  ({times})")
            edit_lecture(src, EDITED)
            seconds, executed = make_book(src)
            done = ", ".join(executed) or "nothing"
            print(f"rebuild after editing lectures/{EDITED}.ipynb (make book): {seconds:6.1f} s, executed: {done}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    for q, t in time_grader_check().items():
        print(f"grader.check({q!r}) on the convolution exercise: {t * 1000:6.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
