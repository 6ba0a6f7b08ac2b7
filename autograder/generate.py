"""Student notebooks and autograders, generated from the otter master notebooks.

For each solutions/<id>.ipynb this runs `otter assign` in a scratch folder (which also runs the
answer key against every test, public and hidden, and fails if one fails), then:

- writes exercises/<id>/<id>.ipynb: otter's student notebook with a first cell that installs
  otter-grader where it is missing (Colab) and writes the public tests and `exercise_checks.py`
  beside the notebook, so that the notebook is all a student needs; outputs, execution counts
  and cell ids are normalised so that the file depends on the master alone;
- copies otter's Gradescope zip to _build/autograder/<id>-autograder.zip and the hidden tests
  to _build/autograder/<id>/tests/ (build output, not committed).
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .paths import AUTOGRADERS, CHECKS_MODULE, EXERCISES, OTTER_VERSION, master_path, student_path

# What the Gradescope image installs besides otter (Gradescope's own machines reach PyPI and
# PyTorch's CPU wheel index; the CPU wheel keeps the image small).
GRADESCOPE_REQUIREMENTS = """\
--extra-index-url https://download.pytorch.org/whl/cpu
numpy
torch
"""

# In an otter test file, a case that is hidden (`hidden=True`, or `'hidden': True` in otter's
# older format). The first cell of a student notebook looks for it; so do the tests.
HIDDEN_CASE = r"hidden\W*True"

SETUP_CELL = """\
# Run this cell first; do not edit it. It installs the grading tool where it is missing
# (on Colab) and writes this exercise's public tests next to the notebook. A grader's copy
# of a test (one with hidden cases, as under otter run or Gradescope) is left as it is.
import importlib.util, pathlib, re, subprocess, sys
if importlib.util.find_spec("otter") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "otter-grader=={version}"], check=True)
for _name, _text in {files}.items():
    _path = pathlib.Path(_name)
    if _path.exists() and re.search(r"{hidden_case}", _path.read_text(encoding="utf-8")):
        continue
    _path.parent.mkdir(parents=True, exist_ok=True)
    _path.write_text(_text, encoding="utf-8")
"""


class GenerateError(Exception):
    pass


def run_otter_assign(aid, scratch):
    """Run `otter assign` on a copy of the master; returns otter's output folder."""
    stage = Path(scratch) / "stage"
    stage.mkdir(parents=True)
    shutil.copy(master_path(aid), stage / f"{aid}.ipynb")
    shutil.copy(CHECKS_MODULE, stage / "exercise_checks.py")
    (stage / "requirements.txt").write_text(GRADESCOPE_REQUIREMENTS)
    proc = subprocess.run(
        [sys.executable, "-m", "otter", "assign", f"{aid}.ipynb", "dist"],
        cwd=stage,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        log = (proc.stdout + proc.stderr).strip()
        failed = [line.strip() for line in log.splitlines() if "failed" in line.lower() or "Error" in line]
        raise GenerateError(
            f"solutions/{aid}.ipynb: otter assign failed ({failed[-1] if failed else log.splitlines()[-1]})\n{log}"
        )
    return stage / "dist"


def public_files(student_dir):
    """The files a student needs beside the notebook: public tests and the check helpers."""
    files = {f"tests/{p.name}": p.read_text() for p in sorted((student_dir / "tests").glob("*.py"))}
    files["exercise_checks.py"] = (student_dir / "exercise_checks.py").read_text()
    return files


def student_notebook(aid, dist):
    """otter's student notebook, made self-contained and deterministic."""
    student_dir = dist / "student"
    nb = nbformat.read(student_dir / f"{aid}.ipynb", as_version=4)
    files = json.dumps(public_files(student_dir), indent=1, sort_keys=True)
    setup = nbformat.v4.new_code_cell(SETUP_CELL.format(version=OTTER_VERSION, files=files, hidden_case=HIDDEN_CASE))
    setup.metadata = {"tags": ["hide-input"], "deletable": False, "editable": False}
    nb.cells.insert(0, setup)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{aid}-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "otter": nb.metadata.get("otter", {}),
    }
    return nb


def generate(aid, exercises_root=EXERCISES, autograders=AUTOGRADERS):
    """Generate one assignment's student notebook (and its autograder). Returns the notebook path."""
    with tempfile.TemporaryDirectory() as scratch:
        dist = run_otter_assign(aid, scratch)
        target = student_path(aid, exercises_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(aid, dist), target)
        if autograders is not None:
            out = Path(autograders)
            out.mkdir(parents=True, exist_ok=True)
            (zipfile,) = (dist / "autograder").glob("*.zip")
            shutil.copy(zipfile, out / f"{aid}-autograder.zip")
            shutil.rmtree(out / aid, ignore_errors=True)
            shutil.copytree(dist / "autograder" / "tests", out / aid / "tests")
            shutil.copy(dist / "autograder" / "exercise_checks.py", out / aid / "exercise_checks.py")
    return target


def stale(aid):
    """None if exercises/<id>/<id>.ipynb is what `generate` writes; else a one-line reason."""
    committed = student_path(aid)
    if not committed.exists():
        return f"{committed}: missing; run `make notebooks`"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(aid, exercises_root=tmp, autograders=None)
        if fresh.read_bytes() != committed.read_bytes():
            return f"{committed}: stale (differs from solutions/{aid}.ipynb); run `make notebooks`"
    return None
