"""Small, direct tests of the grader's pure functions: text made safe, and file names matched to
a roster. No process, no file: each runs in microseconds."""

import csv
import io
from pathlib import Path

from autograder.outputs.lms.matching import candidates, join
from autograder.outputs.lms.roster import Roster, Student, fold, name_keys
from autograder.results import points
from autograder.settings import GradingSettings, options
from autograder.text import counted, csv_text, one_line, spreadsheet_safe


def test_spreadsheet_safe():
    assert spreadsheet_safe("=1+1") == "'=1+1"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("-2") == "'-2" and spreadsheet_safe("+2") == "'+2"
    assert spreadsheet_safe("\tx") == "'\tx" and spreadsheet_safe("\rx") == "'\rx"
    assert spreadsheet_safe("alice") == "alice" and spreadsheet_safe("") == ""


def test_csv_text_escapes_every_text_cell_and_keeps_numbers():
    text = csv_text(["name", "score"], [["=HYPERLINK(1)", 13], ["bob", "0.5"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "score"], ["'=HYPERLINK(1)", "13"], ["bob", "0.5"]]
    assert csv_text(["a"], [["b"]], lineterminator="\r\n") == "a\r\nb\r\n"


def test_one_line():
    assert one_line("a\n\n  b\tc") == "a b c"
    assert one_line("\x1b[31mred") == "\\x1b[31mred"
    assert one_line("x" * 400, limit=10) == "xxxxxxx..."


def test_counted_and_points():
    assert counted(1, "student") == "1 student" and counted(2, "student") == "2 students"
    assert points(13.0) == "13" and points(0.5) == "0.5" and points(-0.0) == "0" and points(None) == ""


def test_every_setting_is_an_option_with_its_default():
    by_name = {name: (option, default) for name, option, default, _ in options()}
    defaults = GradingSettings()
    assert by_name["call_timeout"] == ("--timeout", defaults.call_timeout)
    assert by_name["memory_mb"] == ("--memory", defaults.memory_mb)
    assert by_name["jobs"] == ("--jobs", None)
    assert defaults.limits()["file_mb"] == min(64, defaults.disk_mb)


def test_fold_and_name_keys():
    assert fold("Müller-Lüdenscheidt, Jo") == "mullerludenscheidtjo"
    assert name_keys("Smith, Jane") == {"smithjane", "janesmith"}
    assert "smithjane" in name_keys("Jane Smith")


def roster():
    return Roster(
        Path("roster.csv"),
        [
            Student(2, name="Smith, Jane", sis_user_id="s1001", email="jsmith@uni.edu"),
            Student(3, name="Doe, John", sis_user_id="s1002"),
            Student(4, name="Doe, John", sis_user_id="s1003"),
        ],
        canvas=False,
        columns=["id", "name"],
    )


def test_candidates_by_identifier_and_by_name():
    r = roster()
    assert candidates("s1001_convolution.ipynb", r) == {0}
    assert candidates("jsmith.ipynb", r) == {0}  # the part of the email before @
    assert candidates("jane-smith.ipynb", r) == {0}
    assert candidates("doe_john.ipynb", r) == {1, 2}  # two students of that name: ambiguous
    assert candidates("nobody.ipynb", r) == set()


def test_join_lists_what_it_cannot_match():
    joined = join(["s1001_hw", "doe_john", "stranger"], roster())
    assert [(s.sis_user_id, name) for s, name in joined.matched] == [("s1001", "s1001_hw")]
    assert joined.no_student == ["stranger"]
    assert [name for name, _, _ in joined.ambiguous] == ["doe_john"]
