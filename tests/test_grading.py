"""The grading command (`python -m autograder grade`) and the Gradescope zip, on real notebooks.

The hostile submissions (tests/grading_cases.py) are the convolution exercise's student
notebook with its answer cells filled in: correct, unanswered, looping, crashing, exiting,
memory-hungry, renamed, re-kerneled, cut, shuffled, unreadable, and cheating in the ways
FIELD-NOTES found to work against stock otter. They are all graded in ONE run of the real
command, and each row of grades.csv is checked.
"""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import grading_cases
import pytest
from conftest import run_grade

from autograder.paths import ROOT

pytestmark = pytest.mark.slow  # a browser, a book build or batch grading: not in `make test-fast`

FULL = 13  # q1: 8 tests, q2: 5 tests, one point each
RUN = [sys.executable, "-m", "autograder", "grade"]
LIMITS = ["--timeout", "4", "--cell-timeout", "10", "--memory", "1024"]
CASES = grading_cases.hostile()


def grade(folder, out, *extra, jobs=2):
    proc = run_grade(folder, out, "-j", jobs, *LIMITS, *extra)
    with open(Path(out) / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return proc, rows


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    folder, out = root / "submissions", root / "out"
    grading_cases.write(folder, grading_cases.hostile(out_dir=out))
    (folder / "._correct.ipynb").write_bytes(b"\x00\x05\x16\x07")  # macOS zip litter: not a submission
    (folder / "notes.txt").write_text("not a notebook")
    proc, rows = grade(folder, out)
    return {
        "proc": proc,
        "rows": {r["submission"]: r for r in rows},
        "order": [r["submission"] for r in rows],
        "out": out,
        "folder": folder,
    }


def test_every_submission_has_a_row_feedback_and_a_log(hostile_run):
    names = sorted(Path(n).stem for n in CASES)
    assert hostile_run["order"] == names, "one row per .ipynb file (hidden files aside), in name order"
    out = hostile_run["out"]
    with open(out / "grades.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["submission", "q1", "q2", "total", "possible", "status"]
    for name in names:
        assert (out / "feedback" / f"{name}.md").exists()
    log = (out / "grading.log").read_text()
    assert all(f"== {name}:" in log for name in names)
    assert "[" in hostile_run["proc"].stderr and "/" in hostile_run["proc"].stderr, "progress on stderr"
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "no temporary files left behind"


@pytest.mark.parametrize("filename", sorted(CASES))
def test_hostile_submission(filename, hostile_run):
    expect = CASES[filename][1]
    row = hostile_run["rows"][Path(filename).stem]
    baseline = float(hostile_run["rows"]["unanswered"]["total"])
    total = float(row["total"])
    assert float(row["possible"]) == FULL, row
    assert total == pytest.approx(float(row["q1"]) + float(row["q2"]))
    score = expect["score"]
    if score == "full":
        assert total == FULL, row
    elif score == "baseline":
        assert total <= baseline, f"a cheat scored more than the unanswered notebook: {row}"
    elif score == "zeros":
        honest = float(hostile_run["rows"]["returns_zeros"]["total"])
        assert total <= honest, f"a cheat scored more than the same functions without the cheat: {row}"
    elif isinstance(score, dict):
        full = {"q1": 8, "q2": 5}
        for q, points in score.items():
            if points == "full":
                assert float(row[q]) == full[q], row
            elif points == "some":
                assert 0 < float(row[q]) < full[q], row
            else:
                assert float(row[q]) == points, row
    else:
        assert total == score, row
    status = expect.get("status")
    if status == "ok":
        assert row["status"] == "ok", row
    elif status:
        for fragment in status:
            assert fragment in row["status"], row
    assert "\n" not in row["status"]


def test_baseline_is_what_an_unanswered_notebook_earns(hostile_run):
    # The unanswered functions return None without touching their inputs: even the two
    # "inputs not modified" tests give them nothing. Every cheat is held to this.
    row = hostile_run["rows"]["unanswered"]
    assert (row["q1"], row["q2"], row["total"]) == ("0", "0", "0")


def test_cheats_could_not_touch_the_grader_outputs(hostile_run):
    out = hostile_run["out"]
    assert "cheat_reads_answer_key,8,5,13" not in (out / "grades.csv").read_text()
    feedback = (out / "feedback" / "cheat_reads_answer_key.md").read_text()
    assert feedback.startswith("# convolution: feedback for cheat_reads_answer_key")


def test_forbidden_function_feedback_names_it(hostile_run):
    text = (hostile_run["out"] / "feedback" / "cheat_uses_conv2d.md").read_text()
    assert "torch.nn.functional.conv2d" in text and "forbids" in text
    hidden = (hostile_run["out"] / "feedback" / "cheat_hides_conv2d.md").read_text()
    assert "forbids" in hidden


def test_feedback_shows_failed_hidden_tests(hostile_run):
    """The student sees public tests with their messages, each failed hidden test with its message
    (its inputs were drawn for that submission alone: issue 20; it used to be withheld) and a
    count of hidden tests passed; the instructor's log has everything."""
    text = (hostile_run["out"] / "feedback" / "mutates_input.md").read_text()
    assert "hidden tests:" in text
    assert "FAILED hidden test: `test_inputs_not_modified`" in text and "changed its input" in text
    log = (hostile_run["out"] / "grading.log").read_text()
    assert "FAIL hidden test_inputs_not_modified" in log and "changed its input" in log
    public = (hostile_run["out"] / "feedback" / "unanswered.md").read_text()
    assert "FAILED: `test_worked_example`" in public and "returned None" in public


def test_feedback_says_where_a_function_the_grader_did_not_run_is(hostile_run):
    """An answer written only in a cell tagged otter_ignore is not run (otter's grader skips such
    cells too): the feedback says why the function is missing."""
    text = (hostile_run["out"] / "feedback" / "answer_in_ignored_cell.md").read_text()
    assert "no cell that the grader runs defines corr2d()" in text and "otter_ignore" in text, text


def test_looping_function_costs_one_timeout_per_function(hostile_run):
    log = (hostile_run["out"] / "grading.log").read_text()
    section = log.split("== loop_in_function:")[1].split("\n== ")[0]
    assert section.count("did not return within 4 s: stopped") == 1, section
    assert section.count("not called again") == 7, section


def test_student_process_is_confined(hostile_run):
    """On Linux the student process runs under Landlock and seccomp where the kernel has them."""
    log = (hostile_run["out"] / "grading.log").read_text()
    assert "student process: limits" in log
    if sys.platform.startswith("linux"):
        from autograder.engine import landlock

        if landlock.landlock_abi() >= 1:
            assert "Landlock" in log
        assert "seccomp" in log


@pytest.fixture(scope="module")
def gpu_tests(tmp_path_factory, hostile_run):
    """The convolution tests plus a question that needs a GPU (named q3_gpu)."""
    tests = tmp_path_factory.mktemp("gpu-tests")
    from autograder.authoring.prepared import prepared_tests

    cache = prepared_tests("convolution")[0].parent
    shutil.copytree(cache / "tests", tests / "tests")
    shutil.copy(cache / "exercise_checks.py", tests / "exercise_checks.py")
    (tests / "tests" / "q3_gpu.py").write_text(
        'from otter.test_files import test_case\n\nOK_FORMAT = False\n\nname = "q3_gpu"\npoints = 2\n\n'
        "@test_case(points=None, hidden=False)\ndef test_on_the_gpu(corr2d):\n"
        '    import torch\n    assert torch.cuda.is_available(), "skipped: no GPU"\n'
        '    x = torch.ones(4, 4, device="cuda")\n    corr2d(x.cpu().numpy(), x[:2, :2].cpu().numpy())\n'
    )
    return tests / "tests"


def test_same_folder_same_csv_and_gpu_questions(tmp_path, hostile_run, gpu_tests):
    """Grading twice into the same output folder gives the same bytes; the scores agree with
    the big run; without a GPU a `_gpu` question is left out of `possible` and said so."""
    folder = tmp_path / "few"
    folder.mkdir()
    names = ["correct", "mutates_input", "unanswered", "invalid_json"]
    for name in names:
        shutil.copy(hostile_run["folder"] / f"{name}.ipynb", folder)
    out = tmp_path / "out"
    _, rows = grade(folder, out, "--tests", str(gpu_tests), jobs=1)
    first = (out / "grades.csv").read_bytes()
    (out / "feedback" / "stale.md").write_text("from an earlier run")
    _, again = grade(folder, out, "--tests", str(gpu_tests), jobs=1)
    assert (out / "grades.csv").read_bytes() == first
    assert not (out / "feedback" / "stale.md").exists()
    assert [r["submission"] for r in rows] == sorted(names)
    import torch

    for r in rows:
        big = hostile_run["rows"][r["submission"]]
        assert (r["q1"], r["q2"]) == (big["q1"], big["q2"])
        if torch.cuda.is_available():
            continue
        assert r["q3_gpu"] == ""
        assert r["possible"] == str(FULL)
        if r["submission"] != "invalid_json":
            assert r["status"].endswith("GPU questions not graded: no GPU"), r
    correct = next(r for r in rows if r["submission"] == "correct")
    if not torch.cuda.is_available():
        assert correct["status"] == "ok; GPU questions not graded: no GPU"


def test_unknown_assignment_is_an_error(tmp_path):
    proc = subprocess.run(
        RUN + ["no-such-chapter", str(tmp_path), "-o", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "no such master notebook" in proc.stdout + proc.stderr


# ----------------------------------------------------------------------------- Gradescope


def nbformat_write(nb, path):
    import nbformat

    nbformat.write(nb, path)


def test_gradescope_zip_carries_every_module_the_grader_imports():
    """The zip's modules are found from the imports of the Gradescope run and of the student
    side: each import of a shipped module (lazy ones inside functions included) that names one
    of the grader's own modules must be shipped too, or the grader fails on Gradescope only."""
    import ast

    from autograder.authoring import gradescope_zip

    shipped = {p.as_posix() for p in gradescope_zip.shipped_modules()}
    assert "autograder/commands/gradescope_run.py" in shipped and "autograder/engine/student/server.py" in shipped
    wanted = set()
    for name in shipped:
        package = ".".join(name.removesuffix(".py").split("/")[: -1 if not name.endswith("__init__.py") else -1])
        for node in ast.walk(ast.parse((ROOT / name).read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
                for target in [base] + [f"{base}.{a.name}" for a in node.names]:
                    path = gradescope_zip.module_path(target)
                    if path is not None:
                        wanted.add(path.relative_to(ROOT).as_posix())
    # Only the command line reaches these: preparing the tests from a master (authoring), grade
    # --roster (lms), --similarity and the class report (the Gradescope run writes results.json).
    missing = wanted - shipped
    assert not missing, f"imported by the grader but not in the Gradescope zip: {sorted(missing)}"
    for command_only in ("autograder/authoring/generate.py", "autograder/outputs/report.py"):
        assert command_only not in shipped, command_only


def test_gradescope_grades_like_the_command(run_autograder, tmp_path, hostile_run):
    honest = grading_cases.hostile()["mutates_input.ipynb"][0]
    result = run_autograder(honest, tmp_path / "honest")
    row = hostile_run["rows"]["mutates_input"]
    assert result["score"] == float(row["total"])
    visible = [t for t in result["tests"] if t.get("visibility") == "visible"]
    assert [(t["name"], t["score"]) for t in visible] == [("q1", float(row["q1"])), ("q2", float(row["q2"]))]
    # a failed hidden test shows its message to the student too (issue 20: its inputs were drawn
    # for this submission alone; it used to be for instructors only)
    assert any("changed its input" in t["output"] for t in visible), visible
    assert any(t.get("visibility") == "hidden" and "changed its input" in t["output"] for t in result["tests"])


def test_stock_otter_run_grades_the_hidden_tests(tmp_path, hostile_run, generated):
    """Stock `otter run` with the generated autograder zip, on a submission whose first cell is
    intact: that cell writes the public tests, and must leave otter's hidden ones in place. The
    submission changes its input, which only a hidden test catches."""
    zip_path = generated("convolution") / "autograder" / "convolution-autograder.zip"
    submission = tmp_path / "convolution.ipynb"
    nbformat_write(grading_cases.hostile()["mutates_input.ipynb"][0], submission)
    otter = Path(sys.executable).with_name("otter")
    proc = subprocess.run(
        [str(otter), "run", "-a", str(zip_path), "-o", str(tmp_path), str(submission)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (tmp_path / "results.json").exists(), proc.stdout + proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    scores = {t["name"]: t.get("score") for t in results["tests"]}
    row = hostile_run["rows"]["mutates_input"]
    assert float(row["total"]) < FULL, "the hidden tests should catch the changed input"
    # Every hidden test fails under otter too (the checks see the changed input on every call), so
    # otter's score is its public tests' points alone (one each: 3 in q1, 2 in q2), which the
    # course's grader does not count (issue 20: points follow the hidden tests); it used to equal
    # the command's row, when public tests carried points there too.
    assert (scores["q1"], scores["q2"]) == (3.0, 2.0), (scores, row)
    assert (float(row["q1"]), float(row["q2"])) == (0.0, 0.0), row


# ----------------------------------------------------------------------------- units
