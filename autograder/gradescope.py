"""`python -m autograder gradescope <id>`: a Gradescope autograder zip that grades like `grade`.

The zip keeps otter's layout and environment (setup.sh installs otter-grader, numpy and torch
with mamba; run_autograder activates that environment and runs run_otter.py; tests/ holds the
hidden tests, files/ the check helpers), so Gradescope builds it as it builds any otter
autograder. What changes is run_otter.py: instead of otter's in-kernel grading (where student
code and tests share one process), it runs this course's grader (the `autograder` package,
copied into the zip) on the submitted notebook, with the same hidden tests, the same student
process isolation, the same forbidden functions and the same time and memory limits, and writes
Gradescope's results.json: one entry per question with the public tests' messages and the
number of hidden tests passed, and, visible to instructors only, the hidden tests' messages.

On Gradescope the grader runs as root; the student process then also runs as `nobody`, and the
grader makes /autograder/source (the hidden tests) readable by root only before grading.
"""

import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from .paths import CHECKS

MODULES = [
    "__init__.py",
    "wire.py",
    "confine.py",
    "sandbox.py",
    "grading.py",
    "submissions.py",
    "forbidden.py",
    "paths.py",
    "batch.py",
    "cache.py",
    "gradescope.py",
]
CONFIG = "course_grading.json"
PIP_NAMES = {
    "numpy": "numpy",
    "torch": "torch",
    "matplotlib": "matplotlib",
    "PIL": "pillow",
    "sklearn": "scikit-learn",
    "scipy": "scipy",
    "pandas": "pandas",
    "ipywidgets": "ipywidgets",
}

RUN_OTTER = '''\
"""Gradescope runs this (through run_autograder): grade /autograder/submission with the course's
grader (the `autograder` package beside this file), not with otter's in-kernel grading."""
import os
import sys

ROOT = os.environ.get("AUTOGRADER_ROOT", "/autograder")
sys.path.insert(0, os.path.join(ROOT, "source"))

from autograder.gradescope import run  # noqa: E402

if __name__ == "__main__":
    run(ROOT)
'''


def build(aid, output=None, timeout=10.0, cell_timeout=60.0, memory_mb=2048):
    """Write the zip; returns its path."""
    from .forbidden import forbidden_for
    from .generate import generate
    from .paths import ROOT, master_path
    from .submissions import imports, read_notebook

    output = Path(output or ROOT / "_build" / "gradescope" / f"{aid}-gradescope.zip")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        notebook = generate(aid, exercises_root=tmp / "exercises", autograders=tmp / "autograder")
        used = imports(read_notebook(notebook))
        config = {
            "assignment": aid,
            "forbidden": forbidden_for(aid, master_path(aid)),
            "imports": used,
            "timeout": timeout,
            "cell_timeout": cell_timeout,
            "memory_mb": memory_mb,
        }
        source = zipfile.ZipFile(tmp / "autograder" / f"{aid}-autograder.zip")
        staged = output.with_name(f".{output.name}.tmp")
        with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as z:
            for info in sorted(source.infolist(), key=lambda i: i.filename):
                data = source.read(info.filename)
                if info.filename == "run_otter.py":
                    data = RUN_OTTER.encode()
                elif info.filename == "environment.yml":
                    data = _with_packages(data.decode(), used).encode()
                z.writestr(_entry(info.filename, info), data)
            for name in MODULES:
                z.writestr(_entry(f"autograder/{name}"), (Path(__file__).parent / name).read_bytes())
            for path in sorted(CHECKS.glob("*.py")):  # forbidden.py reads the exercises' lists there
                z.writestr(_entry(f"checks/{path.name}"), path.read_bytes())
            z.writestr(_entry(CONFIG), json.dumps(config, indent=1, sort_keys=True) + "\n")
        os.replace(staged, output)
    return output


def _entry(name, like=None):
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = like.external_attr if like is not None and like.external_attr else 0o644 << 16
    if name in ("run_autograder", "setup.sh"):
        info.external_attr = 0o755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _with_packages(environment, used):
    """otter's environment.yml with the packages the exercise notebook imports added to pip's list."""
    wanted = []
    for module in used:
        package = PIP_NAMES.get(module.split(".")[0])
        if package and package not in wanted:
            wanted.append(package)
    lines = environment.splitlines()
    present = {line.strip().lstrip("- ").split("=")[0].split("<")[0].split(">")[0].strip().lower() for line in lines}
    try:
        at = max(i for i, line in enumerate(lines) if line.strip().startswith("- ") and line.startswith("      "))
    except ValueError:
        return environment
    extra = [f"      - {p}" for p in wanted if p.lower() not in present]
    return "\n".join(lines[: at + 1] + extra + lines[at + 1 :]) + "\n"


# ----------------------------------------------------------------------------- on Gradescope


def _lock_down(root):
    """As root on Gradescope: hidden tests and submission readable by root only; the Python
    installation reachable by `nobody`, which the student process becomes."""
    from . import confine

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


def pick_notebook(folder, aid):
    notebooks = sorted(p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for p in notebooks:
        if p.name == f"{aid}.ipynb":
            return p
    return notebooks[0] if notebooks else None


def results_json(aid, outcome, table):
    from .batch import one_line, status_of, totals

    values, total, possible = totals(outcome, table)
    tests = []
    by_name = {q.name: q for q in outcome.questions}
    for (name, full, _), value in zip(table, values):
        q = by_name.get(name)
        if q is not None and q.gpu_skipped:
            tests.append(
                {
                    "name": name,
                    "score": 0,
                    "max_score": 0,
                    "visibility": "visible",
                    "output": "Not graded: this question needs a CUDA GPU and Gradescope has none.",
                }
            )
            continue
        lines, hidden_lines = [], []
        if q is not None:
            lines += [f"0 points: {m}." for m in q.forbidden]
            for c in q.cases:
                if c.hidden:
                    hidden_lines.append(
                        f"{'passed' if c.passed else 'FAILED'}: {c.name}" + ("" if c.passed else f"\n    {c.message}")
                    )
                else:
                    lines.append(f"passed: {c.name}" if c.passed else f"FAILED: {c.name}\n    {c.message}")
            hidden = [c for c in q.cases if c.hidden]
            if hidden:
                lines.append(f"hidden tests: {sum(c.passed for c in hidden)} of {len(hidden)} passed")
        tests.append(
            {
                "name": name,
                "score": float(value or 0),
                "max_score": float(full),
                "visibility": "visible",
                "output": "\n".join(lines),
            }
        )
        if hidden_lines:
            tests.append(
                {
                    "name": f"{name} (hidden tests, instructors only)",
                    "score": 0,
                    "max_score": 0,
                    "visibility": "hidden",
                    "output": "\n".join(hidden_lines),
                }
            )
    notes = list(outcome.notes) + [f"{where}: {text}" for _, where, text in outcome.cell_errors]
    if outcome.unreadable:
        notes.insert(0, f"The file could not be read as a notebook: {outcome.unreadable}")
    output = f"Status: {status_of(outcome)}"
    if notes:
        output += "\n\n" + "\n".join(f"- {one_line(n, 500)}" for n in notes)
    return {"score": float(total), "output": output, "tests": tests, "stdout_visibility": "hidden"}


def run(root="/autograder"):
    """Grade the one submission in <root>/submission; write <root>/results/results.json."""
    from .batch import grade_folder, question_table
    from .grading import SubmissionOutcome

    root = os.path.abspath(root)
    source = os.path.join(root, "source")
    with open(os.path.join(source, CONFIG)) as f:
        config = json.load(f)
    aid = config["assignment"]
    tests = os.path.join(source, "tests")
    results = os.path.join(root, "results")
    os.makedirs(results, exist_ok=True)
    table = question_table(tests)
    # exercise_checks.py beside tests/, as the grader expects it
    checks = os.path.join(source, "files", "exercise_checks.py")
    if os.path.exists(checks):
        shutil.copy(checks, os.path.join(source, "exercise_checks.py"))
    if os.geteuid() == 0 and "AUTOGRADER_ROOT" not in os.environ:
        _lock_down(root)
    notebook = pick_notebook(os.path.join(root, "submission"), aid)
    with tempfile.TemporaryDirectory() as work:
        if notebook is None:
            outcome = SubmissionOutcome(aid, unreadable="no .ipynb file in the submission")
        else:
            folder = os.path.join(work, "in")
            os.makedirs(folder)
            shutil.copy(notebook, os.path.join(folder, f"{aid}.ipynb"))
            (outcome,) = grade_folder(
                aid,
                folder,
                os.path.join(work, "out"),
                tests,
                config["forbidden"],
                config.get("imports", []),
                jobs=1,
                timeout=config["timeout"],
                cell_timeout=config["cell_timeout"],
                memory_mb=config["memory_mb"],
                hidden=[source, os.path.join(root, "submission")],
                progress=False,
                report=False,  # one submission: Gradescope has its own statistics
            )
    data = results_json(aid, outcome, table)
    with open(os.path.join(results, "results.json"), "w") as f:
        json.dump(data, f, indent=1)
    print(data["output"])
    print(f"score: {data['score']:g}")


def main(args):
    path = build(args.id, args.output)
    print(f"{args.id}: wrote {path}", file=sys.stderr)
    print(
        "Upload it on Gradescope: Assignment > Configure Autograder > Zip file upload "
        "(base image: Ubuntu, Python; see book/instructors.md)",
        file=sys.stderr,
    )
    return 0
