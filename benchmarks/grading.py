"""Grading speed: `python -m autograder grade` against `otter run`, on a generated class.

    .venv/bin/python benchmarks/grading.py [--students 40] [--jobs 2] [--otter N]

Writes a class of submissions of the convolution exercise (correct, wrong: the classic mistakes
of tests/mistakes/convolution.py, broken: a syntax error, an unanswered question; nothing that
hangs, since `otter run` has no time limit), grades it with the project's grader (-j workers,
default 2) and, in the same run, with `otter run` one submission after another, and prints the
seconds per submission of each and whether their scores agree.

For `otter run`, each submission is copied as convolution.ipynb (otter opens the notebook by the
assignment's name), first cell included: that cell writes the public tests into ./tests but
leaves a test file that already holds hidden cases (otter's) alone.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import grading_cases  # noqa: E402
import nbformat  # noqa: E402

from autograder.authoring.generate import generate  # noqa: E402
from autograder.authoring.prepared import prepared_tests  # noqa: E402

AID = "convolution"


def otter_copy(nb, folder):
    """The submission as otter run needs it: named like the assignment, python3 kernel."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True)
    path = folder / f"{AID}.ipynb"
    nbformat.write(nb, path)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--otter", type=int, default=None, help="grade only the first N with otter run (default: all)")
    args = parser.parse_args()

    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        f"(other work on the machine slows both graders)"
    )
    work = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    try:
        students = grading_cases.class_of(args.students)
        folder = work / "class"
        folder.mkdir()
        for name, nb in students.items():
            nb.metadata["student"] = name  # every file its own bytes, as real hand-ins are
            nbformat.write(nb, folder / f"{name}.ipynb")
        kinds = {}
        for name in students:
            kind = name.split("-")[1]
            kinds[kind] = kinds.get(kind, 0) + 1
        print(f"class: {len(students)} submissions ({', '.join(f'{n} {k}' for k, n in kinds.items())})")
        distinct = len({(folder / f"{name}.ipynb").read_bytes() for name in students})
        print(f"  {distinct} distinct files (the grader would grade files with the same bytes once)")

        prepared_tests(AID)  # the hidden tests, generated once (cached), as the command would
        command = [sys.executable, "-m", "autograder", "grade", AID, str(folder), "-o", str(work / "out")]
        command += ["-j", str(args.jobs), "-q"]
        start = time.perf_counter()
        proc = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        ours = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(proc.stderr)
        with open(work / "out" / "grades.csv", newline="") as f:
            rows = {r["submission"]: r for r in csv.DictReader(f)}
        print(
            f"python -m autograder grade -j {args.jobs}: {ours:.1f} s for {len(students)} "
            f"= {ours / len(students):.2f} s per submission (worker start-up included)"
        )
        first_csv = (work / "out" / "grades.csv").read_bytes()
        rerun = []
        for _ in range(3):  # nothing changed: every grade comes from <out>/cache/
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
            rerun.append(time.perf_counter() - start)
        same = (work / "out" / "grades.csv").read_bytes() == first_csv
        print(
            f"rerun with nothing changed: {sorted(rerun)[1]:.2f} s (median of 3; goal: under 2 s), "
            f"{rerun[0] / ours:.3f} of the first run; grades.csv {'byte for byte the same' if same else 'DIFFERS'}"
        )

        generate(AID, exercises_root=work / "exercises", autograders=work / "autograder")
        zip_path = work / "autograder" / f"{AID}-autograder.zip"
        names = list(students)[: args.otter] if args.otter else list(students)
        otter_scores, otter_seconds = {}, []
        for i, name in enumerate(names):
            sub = otter_copy(students[name], work / "otter" / name)
            start = time.perf_counter()
            proc = subprocess.run(
                [
                    str(Path(sys.executable).with_name("otter")),
                    "run",
                    "-a",
                    str(zip_path),
                    "-o",
                    str(sub.parent),
                    str(sub),
                ],
                cwd=sub.parent,
                capture_output=True,
                text=True,
            )
            otter_seconds.append(time.perf_counter() - start)
            try:
                results = json.loads((sub.parent / "results.json").read_text())
                otter_scores[name] = {t["name"]: t.get("score") for t in results["tests"] if t["name"] in ("q1", "q2")}
            except (OSError, ValueError, KeyError):
                otter_scores[name] = {"error": proc.stderr[-300:]}
            print(f"  otter run {i + 1}/{len(names)}: {otter_seconds[-1]:.1f} s", file=sys.stderr)
        per_otter = sum(otter_seconds) / len(otter_seconds)
        print(f"otter run, one by one: {sum(otter_seconds):.1f} s for {len(names)} = {per_otter:.2f} s per submission")
        print(f"speed-up: {per_otter / (ours / len(students)):.1f} times faster per submission")

        differ = []
        for name in names:
            theirs = otter_scores[name]
            mine = {q: float(rows[name][q]) for q in ("q1", "q2")}
            if any(theirs.get(q) is None or abs(float(theirs[q]) - mine[q]) > 1e-9 for q in mine):
                differ.append((name, mine, theirs))
        print(
            f"scores: {len(names) - len(differ)} of {len(names)} submissions get the same points per question "
            f"from both graders"
        )
        for name, mine, theirs in differ:
            print(f"  {name}: ours {mine}, otter {theirs}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
