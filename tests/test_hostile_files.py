"""Files that are not what they seem, graded through the real command (issue 21's classes that
the student process itself cannot show): a file replaced while the run goes on, a hard link, a
copy of the answer key's master notebook, and roster fields written to look like formulas.

One run grades the whole folder (-j 1, so that the order is known); a thread replaces a file's
bytes with the answer key's once the first student process has started.
"""

import csv
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import grading_cases as gc
import pytest
from conftest import run_grade

from autograder.paths import master_path

pytestmark = pytest.mark.slow  # batch grading: not in `make test-fast`

FULL = 13
WRONG = gc.filled(corr2d=None, convolve2d=None)  # the starter's stubs: an honest zero


def rows_of(out, name="grades.csv"):
    with open(Path(out) / name, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("files")
    folder, out, outside = root / "in", root / "out", root / "outside"
    outside.mkdir()
    gc.write(
        folder,
        {
            "aa_slow.ipynb": (gc.with_cell(gc.filled(), "import time\ntime.sleep(8)\n"), None),
            "correct.ipynb": (gc.filled(), None),
            "wrong_a.ipynb": (WRONG, None),
            "wrong_b.ipynb": (WRONG, None),
            "4242.ipynb": (gc.filled(), None),
        },
    )
    shutil.copy(master_path("convolution"), folder / "master_copy.ipynb")
    shutil.copy(master_path("convolution"), outside / "key.ipynb")
    os.link(outside / "key.ipynb", folder / "hardlink.ipynb")
    roster = root / "roster.csv"
    roster.write_text('id,name,section\n4242,"=HYPERLINK(""http://evil.example"",""x"")",@SUM(1+1)\n')
    tmp = Path(tempfile.mkdtemp(prefix="files-tmp-", dir="/tmp"))
    os.chmod(tmp, 0o711)

    def replace_once_grading_started():
        deadline = time.monotonic() + 300
        while not list(tmp.glob("grading-*/worker-*/student-*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        shutil.copy(master_path("convolution"), folder / "wrong_a.ipynb")

    replacer = threading.Thread(target=replace_once_grading_started)
    replacer.start()
    proc = run_grade(
        folder, out, "-j", "1", "--roster", roster, "--lms", "canvas", env=dict(os.environ, TMPDIR=str(tmp))
    )
    replacer.join()
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv", newline=""))}
    yield {"proc": proc, "rows": rows, "out": out, "folder": folder, "root": root}
    shutil.rmtree(tmp, ignore_errors=True)


def test_the_control_gets_full_marks(graded):
    assert graded["rows"]["correct"]["total"] == str(FULL), graded["rows"]["correct"]


def test_a_file_replaced_while_grading_is_graded_as_it_was_read(graded):
    """Its key, its grade, its cache entry and its twin all come from one read: the bytes it had
    when the run began (an honest zero here), not the answer key put there afterwards."""
    rows = graded["rows"]
    assert (graded["folder"] / "wrong_a.ipynb").read_bytes() == master_path("convolution").read_bytes()
    assert rows["wrong_a"]["total"] == rows["wrong_b"]["total"] == "0", (rows["wrong_a"], rows["wrong_b"])
    # A rerun reads the file again: now the master, which is not graded as anyone's own work;
    # the twin keeps its grade (from the cache, under its own bytes).
    out = graded["root"] / "rerun"
    shutil.copytree(graded["out"], out)
    rerun = run_grade(graded["folder"], out, "-j", "1")
    again = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv", newline=""))}
    assert again["wrong_a"]["status"].startswith("answer-key copy"), again["wrong_a"]
    assert again["wrong_b"]["total"] == "0" and "wrong_b: 0 / 13, ok (unchanged: from the cache)" in rerun.stderr


def test_a_hard_link_is_not_graded(graded):
    row = graded["rows"]["hardlink"]
    assert row["total"] == "0" and row["status"].startswith("a hard link (2 names for one file)"), row


def test_a_copy_of_the_master_is_not_graded(graded):
    row = graded["rows"]["master_copy"]
    assert row["total"] == "0" and row["status"].startswith("answer-key copy"), row
    feedback = (graded["out"] / "feedback" / "master_copy.md").read_text()
    assert "not graded as your own work" in feedback


def test_the_report_lists_files_that_are_not_the_students_own(graded):
    page = (graded["out"] / "report.html").read_text()
    assert "not the student&#x27;s own file" in page or "not the student's own file" in page
    assert "hardlink" in page and "master_copy" in page


def test_roster_fields_cannot_become_formulas(graded):
    """Every cell of every CSV the grader writes is escaped alike: roster fields too."""
    for name in ("canvas-grades.csv", "canvas-unmatched.csv", "grades.csv", "mistakes.csv"):
        for row in rows_of(graded["out"], name):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
    cells = [c for row in rows_of(graded["out"], "canvas-grades.csv") for c in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells and "'@SUM(1+1)" in cells, cells
