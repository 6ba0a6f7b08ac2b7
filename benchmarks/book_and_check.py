"""Benchmark (prints figures; not a test): the book's cold and cached build, and one grader.check.

    .venv/bin/python benchmarks/book_and_check.py [--skip-book]

Cold build: a fresh output folder, so every lecture notebook is executed. Cached build: the
same command again, so jupyter-cache skips unchanged notebooks. grader.check: the median of
repeated calls for each question of the convolution exercise, from a student notebook's folder,
with the answer key's functions.
"""

import argparse
import os
import platform
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


def time_build(out):
    jb = Path(sys.executable).with_name("jupyter-book")
    t = time.perf_counter()
    subprocess.run(
        [str(jb), "build", str(ROOT), "-W", "--keep-going", "--path-output", str(out)], check=True, capture_output=True
    )
    return time.perf_counter() - t


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
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    if not args.skip_book:
        out = Path(tempfile.mkdtemp(prefix="book-bench-"))
        try:
            cold = time_build(out)
            cached = time_build(out)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        print(f"book build, cold (every notebook executed): {cold:6.1f} s")
        print(f"book build, cached (nothing changed):       {cached:6.1f} s")
    for q, t in time_grader_check().items():
        print(f"grader.check({q!r}) on the convolution exercise: {t * 1000:6.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
