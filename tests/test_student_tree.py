"""The student tree (`python -m autograder publish`) holds no answer: no master, no hidden test,
and no function in it, bound to any graded name, earns a question's full marks from the grader."""

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.publish import PUBLISHED, problems
from autograder.paths import ROOT, assignment_ids, master_path, student_path

HERE = Path(__file__).parent


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tree(student_tree):
    return student_tree


def test_the_student_tree_holds_what_readers_and_students_need(tree):
    assert sorted(p.name for p in tree.iterdir()) == sorted([*PUBLISHED, "README.md", ".gitignore"])
    for aid in assignment_ids():
        folder = tree / "exercises" / aid
        assert (folder / f"{aid}.ipynb").exists() and (folder / "exercise_checks.py").exists()
        assert list((folder / "tests").glob("q*.py")), f"{aid}: no public tests"
    assert not list(tree.rglob("reference.py")) and not (tree / "solutions").exists()


def test_the_student_tree_holds_no_master_hidden_test_or_answer_line(tree):
    assert problems(tree) == []


def test_the_check_finds_a_planted_answer(tree, tmp_path):
    """The leak check is not blind: a copied master and a hidden test are found."""
    planted = tmp_path / "planted"
    (planted / "lectures").mkdir(parents=True)
    (planted / "lectures" / "copy.ipynb").write_text(master_path("convolution").read_text())
    found = problems(planted)
    assert any("master notebook" in f for f in found) and any("hidden test" in f for f in found), found


# The answer hunt's first pass, kept by the digest of everything it reads.
HUNTS = ROOT / "_build" / "answer-hunt"


def hunt_digest(tree, tests_root):
    """A digest of what the hunt's first pass reads: every file of the student tree and of the
    grader's tests, the hunt itself, the test runner it calls, and the pinned packages."""
    digest = hashlib.sha256()
    files = [(f"{label}/{p.relative_to(top)}", p) for label, top in [("tree", tree), ("tests", tests_root)]
             for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for name in ["tests/answer_hunt.py", "autograder/engine/testfiles.py", "autograder/master.py", "requirements.txt"]:
        files.append((name, ROOT / name))
    for name, path in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def _grade(aid, submissions, out):
    subprocess.run(
        [sys.executable, "-m", "autograder", "grade", aid, str(submissions), "-o", str(out), "-q"],
        check=True,
        timeout=1800,
    )
    with open(out / "grades.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def _submission(aid, name, source):
    """The student notebook with the answer cell of `name` replaced by source (+ a binding)."""
    nb = nbformat.read(student_path(aid), as_version=4)
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and f"def {name}(" in c.source]
    cell.source = source
    return nb


def test_no_function_of_the_student_tree_earns_full_marks(tree, generated, tmp_path):
    """Every function defined anywhere in the student tree, under every contract name whose
    arguments it accepts: the bindings that pass a question's tests in a generous first pass
    (no forbidden-function rules; kept in _build/answer-hunt/ by the digest of all it reads)
    are graded by `python -m autograder grade`; none may earn the question's full marks."""
    tests_root = tmp_path / "tests"
    for aid in assignment_ids():
        source = generated(aid) / "autograder" / aid
        (tests_root / aid).mkdir(parents=True)
        subprocess.run(["cp", "-r", str(source / "tests"), str(source / "exercise_checks.py"), str(tests_root / aid)])
    out = HUNTS / f"{hunt_digest(tree, tests_root)}.json"
    if not out.exists():  # the first pass, once per content (minutes); the grading below runs every time
        shutil.rmtree(HUNTS, ignore_errors=True)  # older contents' hunts
        HUNTS.mkdir(parents=True, exist_ok=True)
        fresh = tmp_path / "hunt.json"
        subprocess.run(
            [sys.executable, str(HERE / "answer_hunt.py"), str(tree), str(tests_root), str(fresh)],
            check=True,
            timeout=3000,
            cwd=tmp_path,
        )
        shutil.copy(fresh, out)
    hunt = json.loads(out.read_text())
    print(
        f"answer hunt: {hunt['functions']} functions, {hunt['tried']} bindings tried, "
        f"{len(hunt['full_marks'])} passed a question's tests without forbidden-function rules"
    )
    assert hunt["functions"] > 100 and hunt["tried"] > 100, "the hunt found too little to try"
    full = []
    by_aid = {}
    for i, w in enumerate(hunt["full_marks"]):
        by_aid.setdefault(w["aid"], []).append((f"binding{i:03d}", w))
    for aid, bindings in by_aid.items():
        folder = tmp_path / "submissions" / aid
        folder.mkdir(parents=True)
        for label, w in bindings:
            source = f"{w['source']}\n\n{w['name']} = {w['function']}\n"
            nbformat.write(_submission(aid, w["name"], source), folder / f"{label}.ipynb")
        rows = _grade(aid, folder, tmp_path / "grades" / aid)
        for label, w in bindings:
            if float(rows[label][w["question"]] or 0) >= w["possible"]:
                full.append(f"{w['file']}: {w['function']} as {w['name']} earns all of {aid} {w['question']}")
    assert full == []
