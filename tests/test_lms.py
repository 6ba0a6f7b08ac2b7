"""Grades an LMS imports (autograder/outputs/lms/), through the real `python -m autograder grade
... --roster ROSTER --lms FORMAT` on a small class (tests/grading_cases.py)."""

import csv
import io

import grading_cases as gc
import nbformat
import pytest
from conftest import run_grade

# Canvas's gradebook export, the file its import takes back ("The acceptable fields can be found
# and exported from the current Gradebook details"; the import's "four required components" are
# the Student name or ID or SIS User ID, the SIS Login ID, the Section and the assignment
# column), as Ohio State's guide to Canvas's import describes it:
# https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
# and Canvas's own guide https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807.
# Header and rows as an export writes them: the sortable name `Last, First`, Canvas's user ID,
# the SIS ids, the section, one column per assignment named `<title> (<assignment id>)`, and
# the `Points Possible` row second; saved by Canvas with a UTF-8 byte-order mark.
CANVAS_EXPORT = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Convolution (98765),Current Score,Final Score\r\n"
    "    Points Possible,,,,,13.00,(read only),(read only)\r\n"
    '"Smith, Jane",1234,S001,jsmith,CS 101,,0.00,0.00\r\n'
    '"Doe, John",1235,S002,jdoe,CS 101,,0.00,0.00\r\n'
    '"Lee, Ann",1236,S003,alee,CS 101,,0.00,0.00\r\n'
    '"Lee, Ann",1237,S004,alee2,CS 101,,0.00,0.00\r\n'
    '"Absent, Al",1238,S005,aabsent,CS 101,,0.00,0.00\r\n'
    '"Student, Test",9999,,,CS 101,,0.00,0.00\r\n'
)
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def read_csv(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def grade(folder, out, roster, *lms):
    return run_grade(folder, out, "-q", "--roster", roster, *lms, check=False, timeout=600)


@pytest.fixture(scope="module")
def canvas_run(tmp_path_factory):
    """A class downloaded from Canvas (its submission naming, one late), one file that names
    nobody, one that could be either of two students of the same name."""
    tmp = tmp_path_factory.mktemp("canvas")
    wrong = gc.class_of(4)["student03-wrong"]
    files = {
        "smithjane_1234_556677_convolution.ipynb": gc.filled(),
        "doejohn_late_1235_556678_convolution-1.ipynb": wrong,
        "convolution_stranger.ipynb": gc.filled(),
        "ann_lee.ipynb": gc.filled(),
    }
    folder = tmp / "in"
    folder.mkdir()
    for name, nb in files.items():
        nbformat.write(nb, folder / name)
    roster = tmp / "canvas.csv"
    roster.write_bytes(CANVAS_EXPORT.encode("utf-8"))
    proc = grade(folder, tmp / "out", roster, "--lms", "canvas")
    assert proc.returncode == 0, proc.stderr
    grades = {r["submission"]: r for r in csv.DictReader(open(tmp / "out" / "grades.csv", encoding="utf-8"))}
    return tmp / "out", proc, grades


@pytest.mark.slow  # grades a class
def test_canvas_grades_import_as_the_export_is_laid_out(canvas_run):
    out, proc, grades = canvas_run
    rows = read_csv(out / "canvas-grades.csv")
    sample = list(csv.reader(io.StringIO(CANVAS_EXPORT.lstrip("\ufeff"), newline="")))
    # the export's five student columns, then the assignment's own column (its id in parentheses)
    assert rows[0] == sample[0][:5] + [sample[0][5]] == CANVAS_COLUMNS + ["Convolution (98765)"]
    assert rows[1][0] == sample[1][0] and float(rows[1][5]) == float(sample[1][5])
    by_id = {r[1]: r for r in rows[2:]}
    assert set(by_id) == {"1234", "1235"}, rows  # matched by Canvas's user id in the file name
    assert by_id["1234"][:5] == sample[2][:5] and by_id["1235"][:5] == sample[3][:5]
    assert float(by_id["1234"][5]) == float(grades["smithjane_1234_556677_convolution"]["total"]) == 13
    late = float(grades["doejohn_late_1235_556678_convolution-1"]["total"])
    assert float(by_id["1235"][5]) == late < 13
    assert (out / "canvas-grades.csv").read_bytes().count(b"\r\n") == len(rows)


@pytest.mark.slow  # grades a class
def test_canvas_unmatched_are_listed_both_ways(canvas_run):
    out, proc, _ = canvas_run
    rows = list(csv.DictReader(open(out / "canvas-unmatched.csv", encoding="utf-8")))
    kinds = {(r["kind"], r["submission"] or r["student"]) for r in rows}
    assert ("submission with no student", "convolution_stranger") in kinds
    assert ("student with no submission", "Absent, Al (S005)") in kinds
    ambiguous = [r for r in rows if r["kind"] == "ambiguous"]
    assert [r["submission"] for r in ambiguous] == ["ann_lee"]
    assert ambiguous[0]["student"] == "Lee, Ann (S003); Lee, Ann (S004)", "never guessed: both students are named"
    assert not any("Test" in r["student"] for r in rows), "Canvas's test student is not a student"
    summary = [line for line in proc.stderr.splitlines() if "canvas grades" in line]
    assert len(summary) == 1 and "2 of 5 students" in summary[0], proc.stderr
    assert "1 submission with no student, 1 student with no submission, 1 ambiguous" in summary[0]


@pytest.mark.slow  # grades a class
@pytest.mark.parametrize("lms", ["gradescope", "plain"])
def test_simple_roster_formats(tmp_path, lms):
    """A roster with name/email/id columns: files named by email, id and `First Last`."""
    folder = tmp_path / "in"
    folder.mkdir()
    nbformat.write(gc.filled(), folder / "jane.smith@uni.edu.ipynb")
    nbformat.write(gc.filled(corr2d=None), folder / "John Doe - convolution.ipynb")
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,Email,ID\nJane Smith,jane.smith@uni.edu,S001\nJohn Doe,jd@uni.edu,S002\n")
    proc = grade(folder, tmp_path / "out", roster, "--lms", lms)
    assert proc.returncode == 0, proc.stderr
    grades = {r["submission"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv", encoding="utf-8"))}
    rows = read_csv(tmp_path / "out" / f"{lms}-grades.csv")
    if lms == "gradescope":
        assert rows[0] == ["Name", "SID", "Email", "Score"]
        got = {r[1]: (r[0], r[2], float(r[3])) for r in rows[1:]}
        assert got == {
            "S001": ("Jane Smith", "jane.smith@uni.edu", float(grades["jane.smith@uni.edu"]["total"])),
            "S002": ("John Doe", "jd@uni.edu", float(grades["John Doe - convolution"]["total"])),
        }
    else:
        assert rows[0] == ["student id", "name", "score", "possible"]
        got = {r[0]: (r[1], float(r[2]), float(r[3])) for r in rows[1:]}
        assert got == {
            "S001": ("Jane Smith", 13.0, 13.0),
            "S002": ("John Doe", float(grades["John Doe - convolution"]["total"]), 13.0),
        }
    assert got["S001"] != got["S002"]
    assert len(read_csv(tmp_path / "out" / f"{lms}-unmatched.csv")) == 1  # the header only


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such roster file"),
        (b"Name,Score\nJane,3\n", "no column to match students by"),
        (b"Name,ID\nJane,S1\nJohn,s1\n", "'s1' appears twice (lines 2 and 3)"),
        ("Name,ID\nJane,S1\n".encode("utf-16"), "UTF-16"),
        ("Name,ID\nJos\u00e9,S1\n".encode("latin-1"), "not UTF-8 (byte 0xe9 on line 2)"),
        (b"Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n", "no students"),
        (b"Student,ID,SIS User ID,SIS Login ID,Section\nA,1,,,\nB,1,,,\n", "ID '1' appears twice"),
    ],
)
def test_bad_roster_is_one_line_before_grading(tmp_path, content, message):
    folder = tmp_path / "in"
    folder.mkdir()
    nbformat.write(gc.filled(), folder / "jane.ipynb")
    roster = tmp_path / "roster.csv"
    if content is not None:
        roster.write_bytes(content)
    proc = grade(folder, tmp_path / "out", roster)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(roster) in lines[0] and message in lines[0], proc.stderr
    assert not (tmp_path / "out").exists(), "nothing graded"


def test_utf8_bom_and_canvas_export_read_back(tmp_path):
    """The Canvas file this writes reads back as a Canvas roster (Canvas's import takes what
    its export gives), byte-order mark or not."""
    from autograder.outputs.lms.roster import read_roster
    from autograder.outputs.lms.writers import canvas_csv

    path = tmp_path / "canvas.csv"
    path.write_bytes(CANVAS_EXPORT.encode("utf-8"))
    roster = read_roster(path)
    assert roster.canvas and [s.user_id for s in roster.students] == ["1234", "1235", "1236", "1237", "1238"]
    again = tmp_path / "again.csv"
    again.write_text(canvas_csv(roster, "convolution", [(roster.students[0], "13")], "13"), encoding="utf-8")
    back = read_roster(again)
    assert back.canvas and [(s.name, s.user_id, s.login) for s in back.students] == [("Smith, Jane", "1234", "jsmith")]


@pytest.mark.slow  # grades a class
def test_a_run_without_roster_removes_an_earlier_runs_lms_files(canvas_run, tmp_path):
    """Grades of another class must not wait in OUT for upload: a later run into the same folder
    that writes no LMS file removes the earlier ones, and says so."""
    import shutil

    out, _, _ = canvas_run
    again = tmp_path / "out"
    shutil.copytree(out, again)
    proc = run_grade(out.parent / "in", again, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert not (again / "canvas-grades.csv").exists() and not (again / "canvas-unmatched.csv").exists()
    assert f"removed {again / 'canvas-grades.csv'}: an earlier run's" in proc.stderr
    assert (again / "grades.csv").exists()
