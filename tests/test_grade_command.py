"""The grading command as an instructor runs it: from any folder, with truthful progress lines,
and reruns that grade again only what changed (autograder.cache).

The time of a rerun is measured by benchmarks/grading.py (40 submissions; goal under 2 s),
not here: these tests check what makes it fast, that nothing is graded again, and that what
is taken from the cache is what grading would give.
"""

import csv
import os
import shutil
from pathlib import Path

import grading_cases as gc
import pytest
from conftest import run_grade
from mistakes.convolution import corr2d_flipped

from autograder.paths import ROOT

pytestmark = pytest.mark.slow  # batch grading: not in `make test-fast`

LIMITS = ["--timeout", "4", "--cell-timeout", "10", "--memory", "1024", "-j", "2"]
FLIPPED = (
    gc.CORR2D_REFERENCE + "\n\n" + gc.source_of(corr2d_flipped, "corr2d").replace("right_corr2d(", "_right_corr2d(")
)


def write(folder, notebooks):
    """gc.write for {file name: notebook or bytes}, without expectations."""
    return gc.write(folder, {name: (content, None) for name, content in notebooks.items()})


def grade(folder, out, *extra, cwd=ROOT):
    return run_grade(folder, out, *LIMITS, *extra, cwd=cwd, timeout=600)


def rows(out):
    with open(Path(out) / "grades.csv", newline="") as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


def progress(proc):
    """{submission: its progress line} (stderr is not a terminal: one line per submission)."""
    return {line.split("] ", 1)[1].split(":")[0]: line for line in proc.stderr.splitlines() if line.startswith("[")}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """Four submissions graded once, from a folder that is not the repository, with relative paths."""
    root = tmp_path_factory.mktemp("rerun")
    write(
        root / "class",
        {
            "correct.ipynb": gc.filled(),
            "flipped.ipynb": gc.filled(corr2d=FLIPPED),
            "unanswered.ipynb": gc.filled(corr2d=None, convolve2d=None),
            "broken.ipynb": b'{"cells": [',
        },
    )
    proc = grade("class", "out", cwd=root)
    return {"root": root, "proc": proc, "csv": (root / "out" / "grades.csv").read_bytes(), "rows": rows(root / "out")}


def test_the_command_works_from_any_folder(first_run):
    assert not str(first_run["root"]).startswith(str(ROOT))
    assert set(first_run["rows"]) == {"correct", "flipped", "unanswered", "broken"}
    assert first_run["rows"]["correct"]["total"] == "13"
    assert "graded 4 submissions (3 ok) -> out/grades.csv" in first_run["proc"].stderr


def test_the_first_run_says_nothing_of_a_cache(first_run):
    assert "cache" not in first_run["proc"].stderr
    assert "unchanged since the last run" not in (first_run["root"] / "out" / "grading.log").read_text()


def test_a_rerun_with_nothing_changed_grades_nothing(first_run):
    root = first_run["root"]
    proc = grade("class", "out", cwd=root)
    assert (root / "out" / "grades.csv").read_bytes() == first_run["csv"]
    lines = progress(proc)
    assert set(lines) == {"correct", "flipped", "unanswered", "broken"}
    assert all("(unchanged: from the cache)" in line for line in lines.values()), lines
    assert "4 unchanged, from the cache" in proc.stderr
    assert "preparing the hidden tests" not in proc.stderr
    log = (root / "out" / "grading.log").read_text()
    assert "workers: 0;" in log, log.splitlines()[:4]  # no worker process was started
    assert "4 unchanged since the last run, taken from the cache" in log


def test_only_the_changed_file_is_graded_again(first_run, tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(first_run["root"] / "class", folder)
    shutil.copytree(first_run["root"] / "out", out)
    write(folder, {"flipped.ipynb": gc.filled(corr2d=gc.CORR2D_VECTORISED)})  # the student fixed the kernel
    os.rename(folder / "correct.ipynb", folder / "correct-renamed.ipynb")  # same bytes, new name
    proc = grade(folder, out)
    lines = progress(proc)
    assert "from the cache" not in lines["flipped"]
    assert "from the cache" in lines["correct-renamed"] and "from the cache" in lines["unanswered"]
    got = rows(out)
    assert got["flipped"]["total"] == "13" and got["correct-renamed"]["total"] == "13"
    assert "correct" not in got
    assert len(list((out / "cache").glob("*.json"))) == 4 + 1  # one per graded file, plus the question table


def test_changed_tests_or_force_grade_everything_again(first_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(first_run["root"] / "out", out)
    folder = first_run["root"] / "class"
    proc = grade(folder, out, "--force")
    assert not any("from the cache" in line for line in progress(proc).values())
    assert (out / "grades.csv").read_bytes() == first_run["csv"]

    tests = tmp_path / "tests"
    from autograder.authoring.prepared import prepared_tests

    shutil.copytree(prepared_tests("convolution")[0].parent, tests)
    grade(folder, out, "--tests", str(tests / "tests"))
    proc = grade(folder, out, "--tests", str(tests / "tests"))
    assert sum("from the cache" in line for line in progress(proc).values()) == 4
    q1 = tests / "tests" / "q1.py"
    q1.write_text(q1.read_text() + "\n# an instructor's edit\n")
    proc = grade(folder, out, "--tests", str(tests / "tests"))
    assert not any("from the cache" in line for line in progress(proc).values())


def test_a_damaged_cache_costs_a_regrade_not_the_run(first_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(first_run["root"] / "out", out)
    for i, entry in enumerate(sorted((out / "cache").glob("*.json"))):
        entry.write_text(["{", "[]", '{"version": 1, "outcome": {"submission": 3}}', "null"][i % 4])
    proc = grade(first_run["root"] / "class", out)
    assert not any("from the cache" in line for line in progress(proc).values())
    assert (out / "grades.csv").read_bytes() == first_run["csv"]


def test_quiet_prints_nothing_but_warnings(first_run):
    root = first_run["root"]
    proc = grade("class", "out", "-q", cwd=root)
    assert [line for line in proc.stderr.splitlines() if not line.startswith("WARNING")] == []
    assert proc.stdout == ""


def test_one_submission_is_one_submission(tmp_path):
    write(tmp_path / "one", {"alone.ipynb": gc.filled()})
    proc = grade(tmp_path / "one", tmp_path / "out")
    assert "graded 1 submission (1 ok)" in proc.stderr


def test_files_with_the_same_bytes_are_graded_once(tmp_path):
    """Two students hand in the same file (the untouched starter notebook, say): it is graded
    once, and both get its row and their own feedback."""
    write(tmp_path / "twins", {"ann.ipynb": gc.filled(corr2d=FLIPPED), "bob.ipynb": gc.filled(corr2d=FLIPPED)})
    proc = grade(tmp_path / "twins", tmp_path / "out")
    lines = progress(proc)
    assert "(the same file as ann: graded once)" in lines["bob"], lines
    assert "same file" not in lines["ann"]
    ann, bob = (rows(tmp_path / "out")[name] for name in ("ann", "bob"))
    assert {**ann, "submission": "bob"} == bob and float(ann["total"]) < 13
    feedback = sorted(p.name for p in (tmp_path / "out" / "feedback").iterdir())
    assert feedback == ["ann.md", "bob.md"]
    assert "feedback for bob" in (tmp_path / "out" / "feedback" / "bob.md").read_text()
