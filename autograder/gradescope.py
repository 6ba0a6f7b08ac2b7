"""`python -m autograder gradescope <id>`: a Gradescope autograder zip that grades like `grade`.

The zip keeps otter's layout (run_autograder runs run_otter.py; tests/ holds the hidden tests,
files/ the check helpers) but not otter's environment: setup.sh builds the environment the
course is tested in, Python 3.11 in a virtual environment with the pins of the repository's
requirements.txt (written into the zip by `gradescope_requirements`; torch from PyTorch's CPU
index; no browser), and run_autograder runs the grader with that Python. What changes in
run_otter.py: instead of otter's in-kernel grading (where student code and tests share one
process), it runs this course's grader (the `autograder` package, copied into the zip) on the
submitted notebook, with the same hidden tests, the same student process isolation, the same
forbidden functions and the same time and memory limits, and writes Gradescope's results.json:
one entry per question with the public tests' messages and the number of hidden tests passed,
and, visible to instructors only, the hidden tests' messages.

On Gradescope the grader runs as root; the student process then also runs as `nobody`, and the
grader makes /autograder/source (the hidden tests) readable by root only before grading.
"""

import json
import os
import re
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

# The environment on Gradescope: the tested one (pyproject.toml's requires-python; numpy 2.4
# needs 3.11), in a virtual environment outside /autograder so that `nobody` can run its Python.
PYTHON = "3.11"
VENV = "/opt/cnn-course-venv"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Pins of requirements.txt that grading never imports: the book build (jupyter-book), the tests
# and lint (pytest, ruff), local editing (jupyterlab) and the instructor's similarity command
# (copydetect). No other pinned package requires one of them (tests/test_gradescope.py checks);
# what they alone pulled in stays, so the image is the tested environment less these five, not a
# re-resolved one. playwright stays pinned: otter-grader requires nbconvert[webpdf], which
# requires it (left out, pip would install an unpinned one). It is the Python package only:
# nothing runs `playwright install`, so no browser is installed.
LEFT_OUT = ("copydetect", "jupyter-book", "jupyterlab", "pytest", "ruff")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu). It builds
# the environment the course is tested in: Python {python} and requirements.txt beside this file
# (the course repository's pins, torch from the CPU index). Written by autograder/gradescope.py.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Python {python}: the base image's if it has one with venv, else Ubuntu's (22.04: universe), else
# the deadsnakes PPA (Ubuntu 24.04 and later ship a newer Python only).
if ! python{python} -m venv {venv} 2>/dev/null; then
    rm -rf {venv}
    apt-get update
    if ! apt-get install -y --no-install-recommends python{python} python{python}-venv; then
        apt-get install -y --no-install-recommends software-properties-common gpg-agent
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y --no-install-recommends python{python} python{python}-venv
    fi
    python{python} -m venv {venv}
fi

{venv}/bin/python -m pip install --no-cache-dir --no-input -r /autograder/source/requirements.txt
{venv}/bin/python -m pip check
# Stop here rather than build an image with torch's CUDA build (several GB, and no GPU to use).
{venv}/bin/python -c "import sys, torch; sys.exit(torch.version.cuda and f'CUDA build: torch {{torch.__version__}}')"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission, as root, in /autograder: the course's grader, with the
# Python that setup.sh installed. (AUTOGRADER_ROOT and AUTOGRADER_PYTHON are for the course's tests.)
set -euo pipefail
exec "${{AUTOGRADER_PYTHON:-{venv}/bin/python}}" "${{AUTOGRADER_ROOT:-/autograder}}/source/run_otter.py"
"""

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
        requirements = gradescope_requirements((ROOT / "requirements.txt").read_text())
        _check_imports(used, requirements)
        environment = {
            "requirements.txt": requirements,
            "setup.sh": SETUP_SH.format(python=PYTHON, venv=VENV),
            "run_autograder": RUN_AUTOGRADER.format(venv=VENV),
        }
        source = zipfile.ZipFile(tmp / "autograder" / f"{aid}-autograder.zip")
        staged = output.with_name(f".{output.name}.tmp")
        with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as z:
            for info in sorted(source.infolist(), key=lambda i: i.filename):
                if info.filename in environment or info.filename == "environment.yml":
                    continue  # otter's environment (mamba, Python 3.13, unpinned, a browser): ours instead
                data = source.read(info.filename)
                if info.filename == "run_otter.py":
                    data = RUN_OTTER.encode()
                z.writestr(_entry(info.filename, info), data)
            for name, text in environment.items():
                z.writestr(_entry(name), text)
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


def pins(requirements):
    """[(name, version)] of a requirements file's text, in its order; comments, blank lines and
    options (`--extra-index-url ...`) skipped. ValueError for a requirement that is not a pin
    (`name==version`): a range, a marker, an extra, a URL."""
    out = []
    for line in requirements.splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip() or any(c in line for c in "<>~!;[ @"):
            raise ValueError(f"requirements.txt: not a pin (name==version): {line!r}")
        out.append((name.strip(), version.strip()))
    return out


def canonical(name):
    """A package's name as pip compares it (PEP 503): `Jinja2` and `jinja2`, `typing_extensions`
    and `typing-extensions` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def gradescope_requirements(repository_requirements):
    """The zip's requirements.txt (text) from the repository's (text): PyTorch's CPU index, then
    every pin in the repository's order and spelling, less those of LEFT_OUT."""
    left_out = {canonical(n) for n in LEFT_OUT}
    lines = [
        "# Generated by autograder/gradescope.py from the course repository's requirements.txt:",
        "# the same pins, less what grading never imports:",
        f"# {', '.join(LEFT_OUT)}.",
        "# torch==X matches the CPU index's X+cpu, which pip prefers to PyPI's CUDA build of X.",
        f"--extra-index-url {TORCH_CPU_INDEX}",
    ]
    kept = [(name, version) for name, version in pins(repository_requirements) if canonical(name) not in left_out]
    lines += [f"{name}=={version}" for name, version in kept]
    return "\n".join(lines) + "\n"


def _check_imports(used, requirements):
    """ValueError if the exercise notebook imports a library of PIP_NAMES that requirements (the
    zip's requirements.txt, text) does not install."""
    pinned = {canonical(name) for name, _ in pins(requirements)}
    wanted = {PIP_NAMES[m.split(".")[0]] for m in used if m.split(".")[0] in PIP_NAMES}
    missing = sorted(p for p in wanted if canonical(p) not in pinned)
    if missing:
        raise ValueError(f"the exercise imports {', '.join(missing)}, which the zip's requirements.txt does not pin")


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
        "(base image: Ubuntu 22.04; see book/instructors.md)",
        file=sys.stderr,
    )
    return 0
