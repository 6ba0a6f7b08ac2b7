"""The Gradescope zip (`python -m autograder gradescope <id>`) is the tested environment, and its
run_autograder, run as Gradescope runs it, writes a results.json that Gradescope accepts.

What the zip installs is read from the zip itself (setup.sh, requirements.txt, run_autograder)
and compared with the repository's requirements.txt parsed here, not with what
autograder/authoring/gradescope_zip.py meant to write.
"""

import importlib.metadata
import re
import subprocess
import zipfile

import grading_cases
import jsonschema
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from autograder.paths import ROOT

FULL = 13  # convolution: q1 8 tests, q2 5 tests, one point each
PYTHON = "3.11"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What the grader (numpy, torch, nbformat, IPython, otter) and the exercises' code (matplotlib,
# pillow, scikit-learn's digits, scipy) import: each must be installed at the repository's pin.
NEEDED = {"numpy", "torch", "matplotlib", "pillow", "scikit-learn", "scipy", "otter-grader", "nbformat", "ipython"}
# All that the zip may leave out of requirements.txt: the book build, tests and lint, the browser
# they drive, local editing, the similarity command. Grading imports none of them.
DEV_ONLY = {"jupyter-book", "pytest", "pytest-xdist", "ruff", "playwright", "jupyterlab", "copydetect"}
# `pip freeze` (make freeze) leaves these out of requirements.txt; pip installs them as it needs.
UNPINNED_BY_FREEZE = {"pip", "setuptools", "wheel"}
# A browser, or what downloads one. The playwright Python package itself ships none (otter-grader
# requires it, through nbconvert[webpdf]): its pin, alone, is allowed.
BROWSER = re.compile(r"playwright|chromium|chrome|firefox|webkit|selenium|geckodriver", re.IGNORECASE)
PLAYWRIGHT_PIN = re.compile(r"^playwright==\S+$", re.MULTILINE)
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)")

# results.json as Gradescope documents it: https://gradescope-autograders.readthedocs.io/en/latest/specs/
# ("Output format"; the page's source is docs/specs.md of github.com/gradescope/autograder_samples).
# Every documented key, with its type; no other key (a misspelt one would be silently ignored).
VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
TEXT_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
TEST_CASE = {
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number"},
        "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"},
        "name_format": TEXT_FORMAT,
        "number": {"type": "string"},
        "output": {"type": "string"},
        "output_format": TEXT_FORMAT,
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": VISIBILITY,
        "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
}
RESULTS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": TEXT_FORMAT,
        "test_output_format": TEXT_FORMAT,
        "test_name_format": TEXT_FORMAT,
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": TEST_CASE},
        "leaderboard": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "value": {"type": ["number", "string"]},
                    "order": {"enum": ["asc", "desc"]},
                },
                "required": ["name", "value"],
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
    # "score: optional, but required if not on each test case"; a test case may carry a status instead
    "anyOf": [
        {"required": ["score"]},
        {
            "required": ["tests"],
            "properties": {"tests": {"items": {"anyOf": [{"required": ["score"]}, {"required": ["status"]}]}}},
        },
    ],
}


def repository_pins():
    """{canonical name: version} of the repository's requirements.txt."""
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = PIN.fullmatch(line)
            assert match, f"requirements.txt: not a pin: {line!r}"
            out[canonicalize_name(match[1])] = match[2]
    return out


def zip_environment(zip_path):
    """{file name: text} of the zip's setup.sh, run_autograder, requirements.txt, and the zip's
    file names and modes ({name: mode})."""
    with zipfile.ZipFile(zip_path) as z:
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        files = {n: z.read(n).decode() for n in ("setup.sh", "run_autograder", "requirements.txt")}
    return files, modes


def zip_pins(requirements):
    """(options, {canonical name: version}) of the zip's requirements.txt (text)."""
    options, pins = [], {}
    for line in requirements.splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-"):
            options.append(line)
        elif line:
            match = PIN.fullmatch(line)
            assert match, f"the zip's requirements.txt: not a pin: {line!r}"
            assert canonicalize_name(match[1]) not in pins, f"pinned twice: {line}"
            pins[canonicalize_name(match[1])] = match[2]
    return options, pins


@pytest.mark.slow
def test_zip_has_otters_layout_and_no_otter_environment(gradescope_zip):
    _, modes = zip_environment(gradescope_zip)
    assert {
        "run_autograder",
        "setup.sh",
        "requirements.txt",
        "run_otter.py",
        "tests/q1.py",
        "tests/q2.py",
        "files/exercise_checks.py",
        "autograder/engine/student/child.py",
    } <= modes.keys()
    assert "environment.yml" not in modes, "otter's conda environment (Python 3.13, unpinned) is not ours"
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & 0o111, f"{script} must be executable"


@pytest.mark.slow
def test_zip_pins_are_the_repositorys(gradescope_zip):
    files, _ = zip_environment(gradescope_zip)
    options, pins = zip_pins(files["requirements.txt"])
    repository = repository_pins()
    differ = {
        name: (version, repository.get(name)) for name, version in pins.items() if repository.get(name) != version
    }
    assert not differ, f"pinned otherwise than in requirements.txt (zip, repository): {differ}"
    assert NEEDED <= pins.keys(), f"not installed: {sorted(NEEDED - pins.keys())}"
    left_out = set(repository) - pins.keys()
    assert left_out <= DEV_ONLY, f"left out, though grading may need them: {sorted(left_out - DEV_ONLY)}"
    # torch: the same pin, from PyTorch's CPU index (torch==X matches its X+cpu; pip prefers it)
    assert pins["torch"] == repository["torch"]
    assert options in ([f"--extra-index-url {TORCH_CPU_INDEX}"], [f"--index-url {TORCH_CPU_INDEX}"]), options


@pytest.mark.slow
def test_setup_builds_python_311_from_the_requirements_and_no_browser(gradescope_zip):
    files, _ = zip_environment(gradescope_zip)
    setup, run = files["setup.sh"], files["run_autograder"]
    for name, text in files.items():
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))  # comments aside
        if name == "requirements.txt":
            code = PLAYWRIGHT_PIN.sub("", code)
        assert not BROWSER.search(code), f"{name} installs a browser: {BROWSER.search(code)[0]}"
        assert not re.search(r"\b(mamba|conda|micromamba)\b", code), f"{name}: otter's conda environment"
        if name != "requirements.txt":
            check = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
            assert check.returncode == 0, f"{name}: {check.stderr}"
    venvs = re.findall(r"python(3\.\d+) -m venv (\S+)", setup)
    assert venvs and {v for v, _ in venvs} == {PYTHON}, venvs
    (venv,) = {path for _, path in venvs}
    # one pip install, with the venv's Python, of requirements.txt and of nothing else
    installs = [line.split() for line in setup.splitlines() if re.search(r"\bpip3? install\b", line)]
    assert len(installs) == 1 and installs[0][:4] == [f"{venv}/bin/python", "-m", "pip", "install"], installs
    arguments = [word for word in installs[0][4:] if not word.startswith("-")]
    assert arguments == ["/autograder/source/requirements.txt"] and "-r" in installs[0], installs
    apt = {
        word for line in re.findall(r"apt-get install ([^;&|\n]*)", setup) for word in line.split() if word[0] != "-"
    }
    assert apt <= {f"python{PYTHON}", f"python{PYTHON}-venv", "software-properties-common", "gpg-agent"}, apt
    assert re.search(rf"{re.escape(venv)}/bin/python\b[^\n]*/source/run_otter\.py", run), run


@pytest.mark.slow
def test_zip_environment_is_the_tested_one(gradescope_zip):
    """pip installs from the zip's requirements.txt what it pins and nothing else: each requirement
    of a pinned package (markers and extras evaluated as here, on Linux with Python 3.11) is
    pinned too, pip, setuptools and wheel aside. And each is installed here at its pin: this is
    the environment the tests grade in."""
    files, _ = zip_environment(gradescope_zip)
    _, pins = zip_pins(files["requirements.txt"])
    drift, unpinned, seen = {}, [], set()
    todo = [(name, ()) for name in pins]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            drift[name] = (None, pins[name])
            continue
        if Version(dist.version).public != Version(pins[name]).public:  # torch here: 2.13.0+cpu
            drift[name] = (dist.version, pins[name])
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
                continue
            needed = canonicalize_name(req.name)
            if needed in pins:
                todo.append((needed, tuple(sorted(req.extras))))
            elif needed not in UNPINNED_BY_FREEZE:
                unpinned.append(f"{name}{list(extras) or ''} requires {line}")
    assert not drift, f"installed here otherwise than pinned (installed, pinned): {drift}"
    assert not unpinned, f"pip would install these unpinned: {unpinned}"


def test_results_schema_rejects_what_gradescope_would_not_read():
    good = {"score": 1.0, "tests": [{"name": "q1", "score": 1.0, "max_score": 1.0, "visibility": "visible"}]}
    jsonschema.validate(good, RESULTS_SCHEMA)
    for bad in [
        {"score": "1"},
        {"tests": [{"name": "q1"}]},  # neither a score anywhere nor a status
        {"score": 1.0, "tests": [{"name": "q1", "points": 1}]},
        {"score": 1.0, "visibility": "students"},
        {"score": 1.0, "results": []},
    ]:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, RESULTS_SCHEMA)


@pytest.mark.slow
def test_run_autograder_writes_gradescopes_results(run_autograder, tmp_path):
    """A correct notebook scores full marks, one whose convolve2d does not flip the kernel loses
    points on q2 only; both results.json files follow Gradescope's schema."""
    not_flipped = grading_cases.answers()["corr2d"].replace("def corr2d(", "def convolve2d(", 1)
    results = {
        "correct": run_autograder(grading_cases.filled(), tmp_path / "correct"),
        "not_flipped": run_autograder(grading_cases.filled(convolve2d=not_flipped), tmp_path / "not_flipped"),
    }
    scores = {}
    for name, result in results.items():
        jsonschema.validate(result, RESULTS_SCHEMA)
        visible = {t["name"]: t for t in result["tests"] if t["visibility"] == "visible"}
        assert sum(t["score"] for t in visible.values()) == result["score"], name
        assert sum(t["max_score"] for t in visible.values()) == FULL, name
        scores[name] = {q: t["score"] for q, t in visible.items()} | {"total": result["score"]}
    assert scores["correct"] == {"q1": 8, "q2": 5, "total": FULL}
    assert scores["not_flipped"]["q1"] == 8 and scores["not_flipped"]["q2"] < 5, scores
    assert scores["not_flipped"]["total"] < FULL


@pytest.mark.slow
def test_run_autograder_prepares_nothing_and_grades_in_one_process(gradescope_zip, run_autograder, tmp_path):
    """Prepared once, graded many times: the zip holds the hidden tests as the grader runs them
    and none of the code that prepares them, and run_autograder grades the submission in its own
    process (no worker interpreter), importing neither nbformat nor otter's package (the test
    files need only otter.test_files.exception_test): `python -X importtime` of the run."""
    with zipfile.ZipFile(gradescope_zip) as z:
        names = set(z.namelist())
        hidden = z.read("tests/q1.py").decode()
    assert not [n for n in names if n.startswith("autograder/authoring/")], "generation is not shipped"
    assert "hidden=True" in hidden, "the tests come prepared, hidden cases included"
    result = run_autograder(grading_cases.filled(), tmp_path / "run", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result["score"] == FULL
    log = (tmp_path / "run" / "stderr.txt").read_text().splitlines()
    names = [line.rsplit("|", 1)[1].strip() for line in log if line.startswith("import time:") and line.count("|") == 2]
    imported = set(names)
    # (otter.test_files.exception_test, imported by importlib.import_module, is not listed: its own imports are)
    assert "autograder.commands.gradescope_run" in imported and "otter.test_files.abstract_test" in imported
    for slow in ("nbformat", "jsonschema", "otter.assign", "otter.api", "autograder.authoring.generate"):
        assert slow not in imported, f"{slow} imported on Gradescope"
    assert names.count("autograder.engine.worker") == 1, "one process imported the worker: no pool was spawned"
