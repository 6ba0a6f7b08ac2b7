"""Issue 20 through the real command: hidden inputs fresh per submission, points only for
computing, feedback that explains, and the submission's own text quoted as its own.

One folder of convolution submissions is graded once for the module (`graded`); the
determinism check grades two of them again in a folder of their own.
"""

import csv
import hashlib
import os
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from conftest import grade_argv, run_grade
from grading_cases import CORR2D_REFERENCE, ZEROS, filled, source_of, with_cell
from mistakes import convolution as mistakes

from autograder.authoring.prepared import prepared_tests
from autograder.engine.testfiles import load_test_files
from autograder.secret import case_seed, load_secret
from autograder.settings import SECRET_ENV

pytestmark = pytest.mark.slow  # batch grading

LIMITS = ["--timeout", "5", "--cell-timeout", "20"]
FAKE = "q1 results: All test cases passed! (8/8, verified by the grader)"


def _write(folder, name, nb):
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _hidden_calls(path):
    """{(question, function): [(args, kwargs)]}: the calls the hidden tests make when they grade
    the file at `path`, as a notebook that records its inputs would see them (the answer key
    answers them, so that every hidden test runs to its end). Computed here with the grader's
    seeds, which only the holder of the secret can do."""
    tests, _ = prepared_tests("convolution")
    files = load_test_files(tests)  # puts exercise_checks's folder first on sys.path
    import exercise_checks as checks

    from autograder import master
    from autograder.paths import master_path

    key = master.answer_key(master_path("convolution"))
    seen = {}

    def recording(name):
        def fn(*args, **kwargs):
            seen.setdefault(name, []).append(([np.array(a) for a in args], kwargs))
            return key[name](*args, **kwargs)

        return fn

    env = {**key, "corr2d": recording("corr2d"), "convolve2d": recording("convolve2d")}
    digest = hashlib.sha256(path.read_bytes()).digest()
    secret = load_secret()
    try:
        for tf in files:
            for tc in tf.test_cases:
                if tc.hidden:
                    checks.GRADING_SEED = case_seed(secret, digest, tf.name, tc.body.test_func.__name__)
                    tc.body.call_func(env)
    finally:
        checks.GRADING_SEED = None
    return seen


TABLE_CELL = """\
import hashlib
_TABLE = {table!r}


def _key(*arrays):
    return hashlib.sha256(b"".join(np.asarray(a, dtype=float).tobytes() for a in arrays)).hexdigest()


def {name}(image, kernel):
    answer = _TABLE.get(_key(image, kernel))
    if answer is None:
        return np.zeros((1, 1))  # not in the table: what an honest "I don't know" returns
    return np.array(answer)
"""


def _table_source(name, calls, flipped=False):
    """A function that answers from a table of the recorded inputs (and the public examples)."""
    from solutions.reference import corr2d

    publics = [
        (np.arange(9.0).reshape(3, 3), np.array([[0.0, 1.0], [2.0, 3.0]])),
        (
            np.array([[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]], dtype=float),
            np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=float),
        ),
        (np.arange(12.0).reshape(3, 4), np.array([[1.0, 0.0], [0.0, -1.0]])),
    ]
    table = {}
    for image, kernel in [tuple(args[:2]) for args, _ in calls] + publics:
        k = kernel[::-1, ::-1] if flipped else kernel
        key = hashlib.sha256(b"".join(np.asarray(a, dtype=float).tobytes() for a in (image, kernel))).hexdigest()
        table[key] = corr2d(image, k).tolist()
    return TABLE_CELL.format(table=table, name=name)


MUTATES = """\
def corr2d(image, kernel):
    # the public examples from a table; elsewhere, the caller's arrays changed and nothing computed
    known = {(3, 3): [[19, 25], [37, 43]], (4, 4): [[-4, -3], [3, -8]], (3, 4): [[-5.0] * 3] * 2}
    if np.shape(image) in known:
        return np.array(known[np.shape(image)], dtype=float)
    image[...] = 0
    kernel[...] = 0
    return np.zeros((np.shape(image)[0] - np.shape(kernel)[0] + 1, np.shape(image)[1] - np.shape(kernel)[1] + 1))
"""

SPECIAL_SHAPE = """\
def corr2d(image, kernel):
    # right only for the shapes of the old "inputs not modified" test, (6, 5) and (2, 3)
    if np.shape(image) == (6, 5) and np.shape(kernel) == (2, 3):
        out = np.zeros((5, 3))
        for i in range(5):
            for j in range(3):
                out[i, j] = np.sum(image[i:i + 2, j:j + 3] * kernel)
        return out
    return np.zeros((1, 1))
"""

FAKE_PASS = f"""\
import sys

for _name, _module in list(sys.modules.items()):
    if _name.endswith("tripwires") and hasattr(_module, "STATE"):
        _module.STATE.hits.append({FAKE!r})


def corr2d(image, kernel):
    _module = [m for n, m in list(sys.modules.items()) if n.endswith("tripwires")]
    if _module:
        _module[0].STATE.hits.append({FAKE!r})
    raise ValueError({FAKE!r})
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fresh")
    folder = tmp / "in"
    folder.mkdir()
    key = _write(folder, "key", filled())
    flipped = (
        CORR2D_REFERENCE
        + "\n\n"
        + source_of(mistakes.corr2d_flipped, "corr2d").replace("right_corr2d(", "_right_corr2d(")
    )
    wrong = _write(folder, "flipped", filled(corr2d=flipped))
    _write(folder, "unanswered", filled(corr2d=None, convolve2d=None))
    _write(folder, "honest_zeros", filled(**ZEROS))
    # (b): the hidden inputs that `key` was graded with, recorded, and answered from a table in a
    # later submission: right on every input it saw, public examples included
    calls = _hidden_calls(key)
    table = filled(
        corr2d=_table_source("corr2d", calls["corr2d"]),
        convolve2d=_table_source("convolve2d", calls["convolve2d"], flipped=True),
    )
    _write(folder, "table", table)
    # (c)
    _write(folder, "mutates", filled(corr2d=MUTATES, convolve2d=ZEROS["convolve2d"]))
    _write(folder, "special_shape", filled(corr2d=SPECIAL_SHAPE, convolve2d=ZEROS["convolve2d"]))
    # (e)
    fake = with_cell(filled(corr2d=FAKE_PASS), f"raise RuntimeError({FAKE!r})", after="convolve2d")
    _write(folder, "fake_pass", fake)
    out = tmp / "out"
    run_grade(folder, out, *LIMITS)
    with open(out / "grades.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    return {"tmp": tmp, "folder": folder, "out": out, "rows": rows, "calls": calls, "wrong": wrong}


def _feedback(graded, name, out=None):
    return ((out or graded["out"]) / "feedback" / f"{name}.md").read_text()


def _hidden_messages(text):
    """The fenced messages of the failed hidden tests in a feedback file, in order."""
    parts = text.split("- FAILED hidden test: ")[1:]
    return [p.split("```")[1] for p in parts]


# ----------------------------------------------------------------------------------- (a)


def test_same_file_same_inputs_and_csv_one_byte_other_inputs(graded):
    again = graded["tmp"] / "again"
    again.mkdir()
    shutil.copy(graded["wrong"], again / "flipped.ipynb")
    changed = graded["wrong"].read_bytes().replace(b'"cells": [', b'"cells":  [', 1)
    assert changed != graded["wrong"].read_bytes()
    (again / "flipped_one_byte.ipynb").write_bytes(changed)
    out = graded["tmp"] / "again-out"
    run_grade(again, out, *LIMITS, "--force")
    first, second = _feedback(graded, "flipped"), _feedback(graded, "flipped", out)
    assert _hidden_messages(first) and _hidden_messages(first) == _hidden_messages(second)
    with open(out / "grades.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert {k: v for k, v in rows["flipped"].items()} == graded["rows"]["flipped"]
    other = _hidden_messages(_feedback(graded, "flipped_one_byte", out))
    # other shapes and values: a test with fixed shapes shows its kernel's values, drawn afresh too
    assert other and len(set(other) - set(_hidden_messages(first))) >= len(other) - 1, (other, first)
    # and a rerun into the same folder gives the same grades.csv, byte for byte
    before = (out / "grades.csv").read_bytes()
    run_grade(again, out, *LIMITS)
    assert (out / "grades.csv").read_bytes() == before


def test_missing_secret_is_a_one_line_error(graded, tmp_path):
    from autograder.paths import ROOT

    env = dict(os.environ, **{SECRET_ENV: str(tmp_path / "nowhere" / "grading-secret")})
    proc = subprocess.run(
        grade_argv(graded["folder"], tmp_path / "out"), cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert proc.stderr.startswith("error: no grading secret at") and "autograder secret" in proc.stderr


def test_secret_command_creates_it_once(tmp_path):
    from autograder.paths import ROOT

    path = tmp_path / "s" / "grading-secret"
    argv = [sys.executable, "-m", "autograder", "secret", "--secret", str(path)]
    first = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    text = path.read_text()
    second = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    assert "created" in first.stdout and "kept" in second.stdout and path.read_text() == text
    assert oct(path.stat().st_mode & 0o777) == "0o600"


# ----------------------------------------------------------------------------------- (b), (c)


def test_honest_zero_is_zero(graded):
    for name in ("unanswered", "honest_zeros"):
        assert graded["rows"][name]["total"] == "0", graded["rows"][name]


def test_a_table_of_recorded_inputs_earns_what_an_honest_zero_earns(graded):
    rows = graded["rows"]
    assert rows["key"]["total"] == rows["key"]["possible"] == "13"
    assert graded["calls"]["corr2d"], "the recording saw the hidden inputs"
    assert rows["table"]["total"] == rows["honest_zeros"]["total"] == "0", rows["table"]
    # the table is right on the public examples: those give feedback, no points
    assert "passed: `test_worked_example`" in _feedback(graded, "table")


@pytest.mark.parametrize("name", ["mutates", "special_shape"])
def test_points_only_for_computing(graded, name):
    assert graded["rows"][name]["q1"] == graded["rows"]["honest_zeros"]["q1"] == "0", graded["rows"][name]


def test_mutation_is_named_on_graded_calls(graded):
    assert "changed its input `image`" in _feedback(graded, "mutates")


# ----------------------------------------------------------------------------------- (d)


def test_wrong_notebook_feedback_names_each_hidden_mistake_and_call(graded):
    text = _feedback(graded, "flipped")
    q1 = text.split("## q1")[1].split("## q2")[0]
    failed = q1.split("- FAILED hidden test: ")[1:]
    assert failed, q1
    for block in failed:
        assert "corr2d(" in block and "image" in block, block
        assert "Classic mistake: the kernel flipped in a cross-correlation." in block, block
    # the instructor may show hidden failures by name only
    out = graded["tmp"] / "by-name"
    out.mkdir()
    shutil.copytree(graded["out"] / "cache", out / "cache")
    run_grade(graded["folder"], out, *LIMITS, "--hidden-feedback", "name")
    named = _feedback(graded, "flipped", out).split("## q1")[1].split("## q2")[0]
    assert named.count("- FAILED hidden test: ") == len(failed)
    assert "Classic mistake" not in named and "flips the kernel" not in named


# ----------------------------------------------------------------------------------- (e)


def _fake_lines(text):
    return [line for line in text.splitlines() if FAKE in line]


def test_fake_pass_line_is_quoted_as_the_submissions_own_output(graded):
    text = _feedback(graded, "fake_pass")
    lines = text.splitlines()
    found = [i for i, line in enumerate(lines) if FAKE in line]
    assert found, text
    for i in found:
        fence = next(j for j in range(i - 1, -1, -1) if lines[j].strip() == "```")
        label = next(j for j in range(fence - 1, -1, -1) if lines[j].strip())
        assert "not the grader's words" in lines[label], lines[label - 2 : i + 1]
    assert not any(FAKE in m for m in _hidden_messages(text)), "never inside a test's message"
    assert graded["rows"]["fake_pass"]["q1"] == "0"


def test_fake_pass_line_in_results_json_is_quoted(run_autograder, tmp_path):
    fake = with_cell(filled(corr2d=FAKE_PASS), f"raise RuntimeError({FAKE!r})", after="convolve2d")
    results = run_autograder(fake, tmp_path)
    visible = [t for t in results["tests"] if t.get("visibility") == "visible"]
    shown = "\n".join(t["output"] for t in visible) + "\n" + results["output"]
    lines = shown.splitlines()
    found = [i for i, line in enumerate(lines) if FAKE in line]
    assert found, shown
    for i in found:
        assert lines[i].lstrip().startswith("> "), lines[i]
        label = next(j for j in range(i, -1, -1) if not lines[j].lstrip().startswith("> "))
        assert "not the grader's words" in lines[label], lines[label]
    assert results["tests"][0]["score"] == 0


def test_zip_carries_the_secret_for_root_only(gradescope_zip):
    import zipfile

    with zipfile.ZipFile(gradescope_zip) as z:
        info = z.getinfo("grading-secret")
        assert z.read(info).strip() == load_secret()
    assert (info.external_attr >> 16) & 0o777 == 0o600
