"""Grading speed, every chapter: `python -m autograder grade` and the Gradescope zip's
run_autograder against `otter run`, in the same run.

    .venv/bin/python benchmarks/grading.py [--chapters convolution,pooling] [--sizes 8,40]
        [--jobs 2] [--otter-sample 2] [--otter-all] [--repeat 3]

For each chapter it prints:
- preparation: the hidden tests from the master (otter assign), made once per content and
  cached (autograder/authoring/prepared.py); both graders need it (otter run reads the zip it
  writes), so it is timed on its own and left out of both sides below;
- first run: `grade` of a class of N into a new output folder (no cached grade), N = each of
  --sizes; every file its own bytes (the grader grades files with the same bytes once);
- rerun: the same command again, nothing changed (every grade from <out>/cache/; median of
  --repeat);
- Gradescope cold start: the zip built by `python -m autograder gradescope`, laid out as
  Gradescope lays it out, run_autograder run on one correct submission, as Gradescope runs it
  once per container (median of --repeat; setup.sh not run: this Python stands in for the
  one it installs);
- `otter run` on the same submissions, one after another (it grades one notebook per call, in
  this environment; no time limit, no parallelism): on --otter-sample of the class (the first
  ones: correct and unanswered), its class figure extrapolated as N times the mean per
  submission, unless --otter-all runs it on the whole class; and whether both graders give
  the same points per question on what both graded.

The class: the chapter's student notebook with the answer key filled in (3 in 4), or with
every answer left unanswered (1 in 4), each tagged with its student's name in its metadata.

Each line carries the load average: other work on the machine slows both graders. Each figure
comes with the CPU seconds it cost (user and system time of the command and of every process
it waited for), which other work changes much less: on an idle machine `otter run` takes about
its CPU time, and the grader, which uses both cores, less than its.
"""

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import grading_cases  # noqa: E402
import nbformat  # noqa: E402

from autograder.authoring.prepared import cached_generation, prepared_tests  # noqa: E402
from autograder.paths import ROOT as COURSE  # noqa: E402
from autograder.paths import assignment_ids  # noqa: E402
from autograder.secret import create_secret, secret_path  # noqa: E402
from autograder.settings import SECRET_ENV  # noqa: E402

NOT_QUESTIONS = ("submission", "total", "possible", "status")  # the other columns of grades.csv
ENV = dict(os.environ, AUTOGRADER_ALLOW_ROOT="1")  # as the suite: a root machine (FIELD-NOTES)
ENV["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])


def load():
    return f"load {os.getloadavg()[0]:.1f}"


def class_of(aid, n):
    """{name: notebook}: 3 in 4 answered with the key, 1 in 4 unanswered, each its own bytes."""
    keys = grading_cases.answers(aid)
    students = {}
    for i in range(n):
        if i % 4 == 1:
            nb, kind = grading_cases.filled(aid, **{name: None for name in keys}), "unanswered"
        else:
            nb, kind = grading_cases.filled(aid), "correct"
        nb.metadata["student"] = f"student{i:02d}"
        students[f"student{i:02d}-{kind}"] = nb
    return students


def write_class(folder, students):
    folder.mkdir(parents=True)
    for name, nb in students.items():
        nbformat.write(nb, folder / f"{name}.ipynb")


OTTER_CPU = []  # CPU seconds of each otter run
CPU = []  # CPU seconds (user + system, the command and every process it waited for) of each timed command


def timed(command, cwd=COURSE, env=ENV):
    """(wall seconds, CompletedProcess); the CPU seconds go to CPU[-1]: what the command cost the
    machine, which other work on it changes much less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}")
    return seconds, proc


def ours_rows(out):
    with open(out / "grades.csv", newline="") as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


def otter_run(aid, nb, folder, zip_path):
    """`otter run` on one submission: (seconds, {question: points})."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True)
    path = folder / f"{aid}.ipynb"  # otter opens the notebook by the assignment's name
    nbformat.write(nb, path)
    otter = str(Path(sys.executable).with_name("otter"))
    seconds, proc = timed([otter, "run", "-a", str(zip_path), "-o", str(folder), str(path)], cwd=folder)
    OTTER_CPU.append(CPU[-1])
    try:
        results = json.loads((folder / "results.json").read_text())
        scores = {t["name"]: t.get("score") for t in results["tests"] if "score" in t}
    except (OSError, ValueError, KeyError):
        scores = {"error": proc.stderr[-300:]}
    return seconds, scores


def gradescope_cold_start(aid, nb, work, repeat):
    """The zip's run_autograder on one submission, as Gradescope runs it: median seconds, score."""
    zip_path = work / f"{aid}-gradescope.zip"
    timed([sys.executable, "-m", "autograder", "gradescope", aid, "-o", str(zip_path)])
    seconds, cpu, score = [], [], None
    for i in range(repeat):
        root = work / f"gradescope-{i}"
        for sub in ("source", "submission", "results"):
            (root / sub).mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as z:
            for info in z.infolist():
                z.extract(info, root / "source")
                if info.external_attr >> 16:
                    os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        nbformat.write(nb, root / "submission" / "submission.ipynb")
        env = dict(ENV, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
        env.pop("PYTHONPATH")  # the zip's own copy of the grader, as on Gradescope
        s, _ = timed([str(root / "run_autograder")], cwd=root, env=env)
        seconds.append(s)
        cpu.append(CPU[-1])
        score = json.loads((root / "results" / "results.json").read_text())["score"]
    return statistics.median(seconds), statistics.median(cpu), score


def chapter(aid, args, work):
    print(f"\n== {aid} ({load()})", flush=True)
    start = time.perf_counter()
    prepared_tests(aid)
    print(f"  preparation (otter assign; cached by content, for both graders): {time.perf_counter() - start:.1f} s")
    otter_zip = cached_generation(aid) / "autograder" / f"{aid}-autograder.zip"
    largest = class_of(aid, max(args.sizes))
    sample = list(largest)[: len(largest) if args.otter_all else args.otter_sample]
    otter_seconds, otter_scores = {}, {}
    for name in sample:
        otter_seconds[name], otter_scores[name] = otter_run(aid, largest[name], work / "otter" / name, otter_zip)
    per_otter = statistics.mean(otter_seconds.values())
    otter_cpu = statistics.mean(OTTER_CPU[-len(sample) :])
    print(
        f"  otter run: {per_otter:.2f} s per submission (mean of {len(sample)}: "
        f"{', '.join(f'{s:.1f}' for s in otter_seconds.values())}; CPU {otter_cpu:.2f} s; {load()})"
    )
    for n in args.sizes:
        folder, out = work / f"class-{n}", work / f"out-{n}"
        write_class(folder, dict(list(largest.items())[:n]))
        command = [sys.executable, "-m", "autograder", "grade", aid, str(folder), "-o", str(out), "-q"]
        command += ["-j", str(args.jobs)]
        first, _ = timed(command)
        first_cpu = CPU[-1]
        rows = ours_rows(out)
        reruns = [timed(command)[0] for _ in range(args.repeat)]
        graded_by_both = [name for name in sample if name in rows]
        otter_class = sum(otter_seconds[name] for name in rows) if args.otter_all else per_otter * n
        how = "measured" if args.otter_all else f"{n} x {per_otter:.2f} s"
        print(
            f"  class of {n}: first run {first:.1f} s, otter run {otter_class:.1f} s ({how}): "
            f"{otter_class / first:.1f}x; CPU {first_cpu:.1f} s against {otter_cpu * n:.1f} s: "
            f"{otter_cpu * n / first_cpu:.1f}x; rerun {statistics.median(reruns):.2f} s "
            f"(median of {args.repeat}): {otter_class / statistics.median(reruns):.0f}x ({load()})"
        )
        differ = []
        for name in graded_by_both:
            mine = {q: float(v) for q, v in rows[name].items() if q not in NOT_QUESTIONS and v != ""}  # "": not graded
            theirs = otter_scores[name]
            if any(theirs.get(q) is None or abs(float(theirs[q]) - mine[q]) > 1e-9 for q in mine):
                differ.append((name, mine, theirs))
        if differ:
            for name, mine, theirs in differ:
                print(f"    points differ for {name}: ours {mine}, otter {theirs}")
    if not args.no_gradescope:
        name = next(n for n in largest if n.endswith("correct"))
        cold, cold_cpu, score = gradescope_cold_start(aid, largest[name], work, args.repeat)
        theirs = otter_run(aid, largest[name], work / "otter-gs", otter_zip)[0]  # just after, same load
        print(
            f"  Gradescope cold start (run_autograder, one submission): {cold:.2f} s (median of {args.repeat}), "
            f"score {score:g}; otter run {theirs:.2f} s: {theirs / cold:.1f}x; CPU {cold_cpu:.2f} s against "
            f"{OTTER_CPU[-1]:.2f} s: {OTTER_CPU[-1] / cold_cpu:.1f}x ({load()})"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapters", default=None, help="comma-separated exercise ids (default: every chapter)")
    parser.add_argument("--sizes", default="8,40", help="class sizes (default: 8,40)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--otter-sample", type=int, default=2, help="submissions `otter run` grades (default 2)")
    parser.add_argument("--otter-all", action="store_true", help="otter run on the whole class (slow: ~10 s each)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each rerun and cold start (median)")
    parser.add_argument("--no-gradescope", action="store_true")
    args = parser.parse_args()
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    chapters = args.chapters.split(",") if args.chapters else assignment_ids()
    print(f"machine: {os.cpu_count()} cores, {load()} (other work on the machine slows both graders)")
    work = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    if not secret_path().exists():  # as the suite: a scratch grading secret, not the instructor's
        ENV[SECRET_ENV] = str(create_secret(str(work / "grading-secret"))[0])
    try:
        for aid in chapters:
            chapter(aid, args, work / aid)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
