"""On Gradescope (run_otter.py, through run_autograder): grade the one submission in
/autograder/submission with the course's grader and write /autograder/results/results.json.

The grader runs as root there; the student process then runs as `nobody`, and the grader makes
/autograder/source (the hidden tests) readable by root only before grading. The tests come
prepared in the zip (authoring.gradescope_zip); this imports only what grading one file needs.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..engine import confine
from ..engine.batch import Assignment, grade_folder
from ..engine.cache import Cache
from ..engine.testfiles import question_table
from ..outputs import gradescope_results
from ..results import GradingRun, SubmissionOutcome
from ..secret import ZIP_NAME
from ..settings import GradingSettings

CONFIG = "course_grading.json"


def _lock_down(root: str) -> None:
    """As root on Gradescope: hidden tests and submission readable by root only; the Python
    installation reachable by `nobody`, which the student process becomes."""
    for sub in ("source", "submission", "results"):
        path = os.path.join(root, sub)
        if os.path.isdir(path):
            os.chmod(path, 0o700)
    for path in confine.readable_roots():
        path = os.path.realpath(path)
        while path != "/":
            try:
                mode = os.stat(path).st_mode
                if not mode & 0o001:
                    os.chmod(path, (mode & 0o7777) | 0o001)
            except OSError:
                break
            path = os.path.dirname(path)


def pick_notebook(folder: str, aid: str) -> Path | None:
    notebooks = sorted(p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for p in notebooks:
        if p.name == f"{aid}.ipynb":
            return p
    return notebooks[0] if notebooks else None


def run(root: str = "/autograder") -> None:
    """Grade the one submission in <root>/submission; write <root>/results/results.json."""
    root = os.path.abspath(root)
    source = os.path.join(root, "source")
    with open(os.path.join(source, CONFIG)) as f:
        config = json.load(f)
    aid = config["assignment"]
    tests = os.path.join(source, "tests")
    results = os.path.join(root, "results")
    os.makedirs(results, exist_ok=True)
    # exercise_checks.py beside tests/, as the grader expects it
    checks = os.path.join(source, "files", "exercise_checks.py")
    if os.path.exists(checks):
        shutil.copy(checks, os.path.join(source, "exercise_checks.py"))
    if os.geteuid() == 0 and "AUTOGRADER_ROOT" not in os.environ:
        _lock_down(root)
    settings = GradingSettings(
        call_timeout=config["timeout"],
        cell_timeout=config["cell_timeout"],
        memory_mb=config["memory_mb"],
        jobs=1,
        secret=os.path.join(source, ZIP_NAME),  # the instructor's, carried in the zip (readable by root only)
        report=False,  # one submission: Gradescope has its own statistics
        progress=False,
    )
    assignment = Assignment(
        aid,
        Path(tests),
        config["forbidden"],
        config.get("imports", []),
        [source, os.path.join(root, "submission")],
        config.get("master_fingerprint"),
    )
    notebook = pick_notebook(os.path.join(root, "submission"), aid)
    with tempfile.TemporaryDirectory() as work:
        if notebook is None:
            outcome = SubmissionOutcome(aid, unreadable="no .ipynb file in the submission")
            graded = GradingRun(aid, "", tests, assignment.forbidden, settings, [outcome], question_table(tests))
        else:
            folder = os.path.join(work, "in")
            os.makedirs(folder)
            shutil.copy(notebook, os.path.join(folder, f"{aid}.ipynb"))
            graded = grade_folder(assignment, folder, settings, Cache(work, force=True))
    data = gradescope_results.write(Path(results), graded)
    print(data["output"])
    print(f"score: {data['score']:g}")
