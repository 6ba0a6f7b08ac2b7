"""Student notebooks and autograders, generated from the otter master notebooks.

For each solutions/<id>.ipynb this runs `otter assign` in a scratch folder (which also runs the
answer key against every test, public and hidden, and fails if one fails), then writes:

- exercises/<id>/<id>.ipynb: otter's student notebook, its title first, then a short first cell
  that installs otter-grader where it is missing (Colab) and downloads the exercise's public
  files from the course's public repository when they are not beside the notebook; outputs,
  execution counts and cell ids normalised so that the file depends on the master alone;
- exercises/<id>/exercise_checks.py and exercises/<id>/tests/*.py: the public files (the
  chapter's checks, bundled by `checks_bundle`, and the public tests), committed beside the
  notebook;
- _build/autograder/<id>-autograder.zip (otter's Gradescope zip) and _build/autograder/<id>/
  (hidden tests and checks): build output, not committed.
"""

import ast
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from ..paths import AUTOGRADERS, EXERCISES, OTTER_VERSION, checks_modules, master_path, student_path
from .repository import raw_files_url

# What the Gradescope image installs besides otter (Gradescope's own machines reach PyPI and
# PyTorch's CPU wheel index; the CPU wheel keeps the image small).
GRADESCOPE_REQUIREMENTS = """\
--extra-index-url https://download.pytorch.org/whl/cpu
numpy
torch
"""

# In an otter test file, a case that is hidden (`hidden=True`, or `'hidden': True` in otter's
# older format). The tests look for it.
HIDDEN_CASE = r"hidden\W*True"

# The first code cell of every student notebook. CNN_COURSE_FILES may point elsewhere (a mirror,
# or a local server in the tests). Files already there, such as a grader's tests, are left alone.
SETUP_CELL = """\
# Run this cell first, unedited: it installs otter-grader and fetches the public tests if missing.
import contextlib, os, pathlib, subprocess, sys, urllib.request
try:
    import otter
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "otter-grader=={version}"])
URL = "{url}"
FILES = os.environ.get("CNN_COURSE_FILES", URL) + "/{aid}"
NAMES = {names}
for name in [n for n in NAMES if not pathlib.Path(n).exists()]:
    pathlib.Path(name).parent.mkdir(exist_ok=True)
    with contextlib.suppress(OSError):
        urllib.request.urlretrieve(f"{{FILES}}/{{name}}", name)
if missing := [n for n in NAMES if not pathlib.Path(n).exists()]:
    print(f"Missing {{', '.join(missing)}}: not downloaded from {{FILES}} (no network?). Connect to"
          " the internet and run this cell again, or save those files beside this notebook.")
"""


class GenerateError(Exception):
    pass


def run_otter_assign(aid, scratch):
    """Run `otter assign` on a copy of the master; returns otter's output folder."""
    stage = Path(scratch) / "stage"
    stage.mkdir(parents=True)
    shutil.copy(master_path(aid), stage / f"{aid}.ipynb")
    (stage / "exercise_checks.py").write_text(checks_bundle(aid), encoding="utf-8")
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


def checks_bundle(aid):
    """exercise_checks.py of an exercise: checks/core.py, then the chapter modules the chapter's
    module imports from, then the chapter's module, as one file (relative imports removed).
    A function or class defined twice is an error: it would be shadowed. (FORBIDDEN and MISTAKES
    are per module; the chapter's own come last.)"""
    order = checks_modules(aid)
    parts, defined = [], {}
    for path in order:
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines(keepends=True)
        tree = ast.parse(source)
        for node in reversed(tree.body):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                del lines[node.lineno - 1 : node.end_lineno]
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                if node.name in defined:
                    raise GenerateError(f"{path}: {node.name} is also defined in {defined[node.name]}")
                defined[node.name] = path.name
        parts.append(f"# ---------------------------------------------------------------- checks/{path.name}\n\n")
        parts.append("".join(lines).rstrip() + "\n\n\n")
    header = (
        f'"""The checks of the {aid} exercise, written for students to read. Generated by\n'
        f"`python -m autograder generate` from {', '.join(f'checks/{p.name}' for p in order)};\n"
        'do not edit."""\n\n'
    )
    return header + "".join(parts).rstrip() + "\n"


def public_files(student_dir):
    """{relative path: text} of the files a student needs beside the notebook."""
    files = {f"tests/{p.name}": p.read_text() for p in sorted((student_dir / "tests").glob("*.py"))}
    files["exercise_checks.py"] = (student_dir / "exercise_checks.py").read_text()
    return dict(sorted(files.items()))


def wrapped_list(items, indent, width=96):
    """A Python list literal of strings, wrapped to `width` columns, continuation lines indented."""
    lines, line = [], "["
    for i, item in enumerate(items):
        piece = json.dumps(item) + ("]" if i == len(items) - 1 else ",")
        if len(line) + 1 + len(piece) + indent > width and line != "[":
            lines.append(line)
            line = " " * (indent + 1) + piece
        else:
            line += ("" if line == "[" else " ") + piece
    return "\n".join([*lines, line]) if items else "[]"


def student_notebook(aid, dist):
    """otter's student notebook, title first, with the setup cell; deterministic."""
    student_dir = dist / "student"
    nb = nbformat.read(student_dir / f"{aid}.ipynb", as_version=4)
    names = wrapped_list(list(public_files(student_dir)), indent=len("NAMES = "))
    text = SETUP_CELL.format(version=OTTER_VERSION, url=raw_files_url(), names=names, aid=aid)
    setup = nbformat.v4.new_code_cell(text)
    setup.metadata = {"tags": ["hide-input"], "deletable": False, "editable": False}
    title = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
    title_cell = nb.cells.pop(title)
    nb.cells[0:0] = [title_cell, setup]
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


def write_student_files(aid, dist, exercises_root):
    """The notebook and its public files into exercises_root/<id>/ (stale public files removed)."""
    target = student_path(aid, exercises_root)
    folder = target.parent
    shutil.rmtree(folder / "tests", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(student_notebook(aid, dist), target)
    for name, text in public_files(dist / "student").items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return target


def generate(aid, exercises_root=EXERCISES, autograders=AUTOGRADERS):
    """Generate one assignment's student notebook (and its autograder). Returns the notebook path."""
    with tempfile.TemporaryDirectory() as scratch:
        dist = run_otter_assign(aid, scratch)
        target = write_student_files(aid, dist, exercises_root)
        if autograders is not None:
            out = Path(autograders)
            out.mkdir(parents=True, exist_ok=True)
            (zipfile,) = (dist / "autograder").glob("*.zip")
            shutil.copy(zipfile, out / f"{aid}-autograder.zip")
            shutil.rmtree(out / aid, ignore_errors=True)
            shutil.copytree(dist / "autograder" / "tests", out / aid / "tests")
            shutil.copy(dist / "autograder" / "exercise_checks.py", out / aid / "exercise_checks.py")
    return target
