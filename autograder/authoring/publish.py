"""`python -m autograder publish DIR`: the student-facing tree, written from this repository.

This repository is the instructor's: answer keys and hidden tests (solutions/), the reference
implementations (solutions/reference.py), the checks' sources (checks/), the grader
(autograder/) and the course's own tests. What readers and students get is a copy of a few
paths, listed in PUBLISHED: the book's sources, the lecture notebooks, the student notebooks
with their public tests and checks, the support package that lectures install, and what it
takes to build the book. Nothing else is copied, and the copy is checked before it is kept:
no master notebook, no hidden test case, no line of an answer key.
"""

import re
import shutil
from pathlib import Path

from .. import master
from ..paths import ROOT, assignment_ids, master_path
from .generate import HIDDEN_CASE

# What the student tree holds: paths relative to the repository root.
PUBLISHED = [
    "_config.yml",
    "_toc.yml",
    "book",
    "lectures",
    "exercises",
    "cnn_course",
    "data",
    "pyproject.toml",
    "requirements.txt",
    "package.json",
    "package-lock.json",
]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info", ".OTTER_LOG")

README = """\
# Convolutional Neural Networks: an interactive course

The book, its lecture notebooks and the exercises. Every notebook page of the published book
has an *Open in Colab* button, which opens the notebook from this repository and runs it on a
Colab GPU with no other step.

## Exercises

`exercises/<chapter>/<chapter>.ipynb` is the exercise of each chapter. Beside it are its public
tests (`tests/`) and the checks they use (`exercise_checks.py`); on Colab the notebook's first
cell downloads them. Write your code where you see `...` and run `grader.check("q1")` after a
question: a failing check says which call, which shape or which element is wrong. When you
submit, hidden tests try more cases (random shapes, strides, paddings; whether your function
changes its inputs); functions the exercise forbids earn nothing, and the public checks say so.

## On your own machine (Python 3.11 or later)

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt
.venv/bin/pip install --no-deps -e .
.venv/bin/jupyter lab            # open lectures/ and exercises/
```

To build the book: `python3 book/_ext/offline_assets.py` (installs the site's JavaScript with
npm), then `.venv/bin/jupyter-book build .` and open `_build/html/index.html`.
"""


# Passages of the book's pages that only the instructor repository needs (its make targets, how
# to regenerate and grade, what the grader does not defend against): left out of the student tree.
INSTRUCTORS_ONLY = re.compile(
    r"<!-- instructors' repository only\b.*?-->.*?<!-- end of instructors' repository only -->\n?", re.S
)


def cut_instructors_only(tree):
    """Remove the instructors-only passages from the book's Markdown pages under `tree`."""
    for page in sorted((Path(tree) / "book").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        if INSTRUCTORS_ONLY.search(text):
            page.write_text(INSTRUCTORS_ONLY.sub("", text), encoding="utf-8")


class PublishError(Exception):
    pass


def problems(tree):
    """What must not be in a student tree: masters, hidden test cases, answer-key lines."""
    tree = Path(tree)
    keys = {
        aid: (master.solution_lines(master_path(aid)), master.hidden_test_names(master_path(aid)))
        for aid in assignment_ids()
    }
    found = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        rel = path.relative_to(tree)
        if rel.parts[0] in ("solutions", "checks", "autograder", "tests") or path.name == "reference.py":
            found.append(f"{rel}: instructor file")
            continue
        if path.suffix not in (".py", ".ipynb", ".md", ".txt", ".yml", ".json", ".toml"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb" and "# ASSIGNMENT CONFIG" in text:
            found.append(f"{rel}: a master notebook")
        if re.search(HIDDEN_CASE, text) or re.search(r"BEGIN SOLUTION|END SOLUTION|# HIDDEN\b", text):
            found.append(f"{rel}: hidden test or solution markers")
        for aid, (lines, hidden) in keys.items():
            # Lines of 20+ characters: shorter ones ("if b is not None:") are idioms, not answers;
            # tests/test_student_tree.py grades every function of the tree to find answers that
            # no line gives away.
            found += [f"{rel}: answer line of {aid}: {line}" for line in lines if len(line) >= 20 and line in text]
            found += [f"{rel}: hidden test {name} of {aid}" for name in hidden if f"{name}(" in text]
    return found


def publish(target):
    """Write the student tree into `target` (replaced if it exists). Returns the target."""
    target = Path(target).resolve()
    if target == ROOT or ROOT in target.parents and target.parts[len(ROOT.parts)] in PUBLISHED:
        raise PublishError(f"{target}: would overwrite the repository's own files; choose another folder")
    stage = target.with_name(f".{target.name}.partial")
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    for name in PUBLISHED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, stage / name, ignore=IGNORED)
        elif source.exists():
            shutil.copy2(source, stage / name)
    cut_instructors_only(stage)
    (stage / "README.md").write_text(README, encoding="utf-8")
    (stage / ".gitignore").write_text(".venv/\n_build/\nnode_modules/\n__pycache__/\n*.egg-info/\n", encoding="utf-8")
    found = problems(stage)
    if found:
        shutil.rmtree(stage, ignore_errors=True)
        raise PublishError("the student tree would hold answers:\n" + "\n".join(found))
    shutil.rmtree(target, ignore_errors=True)
    stage.rename(target)
    return target
