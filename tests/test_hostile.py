"""Hostile submissions against the grader's own guarantees, through the real command.

Each case attacks one class of issue 11 (a batch stopped by one file; points without computing;
student code as root; writes outside the scratch folder; hangs; the grader's own memory; wrong
rows and unsafe output). The cases that can share a run are graded in ONE run of
`python -m autograder grade` (the convolution tests plus a question on results that share
memory with an input); the time budget, the lock on the output folder, interrupted runs and
the refusal to run student code as root need runs of their own.
"""

import csv
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grading_cases as gc
import nbformat
import pytest
from conftest import ROOT_PROBLEM, grade_argv, run_grade

from autograder.engine import landlock
from autograder.paths import ROOT

LIMITS = ["--timeout", "4", "--cell-timeout", "3", "--memory", "1024"]
FULL = {"q1": 8, "q2": 5, "q3_alias": 2}

# A question the convolution tests do not have: the classic mistake of returning the caller's
# own array (or a view of it) must be catchable by a test, as in a notebook.
ALIAS_TESTS = """\
from otter.test_files import test_case

OK_FORMAT = False

name = "q3_alias"
points = 2


@test_case(points=1, hidden=False)
def test_corr2d_returns_a_new_array(corr2d):
    import numpy as np

    X = np.arange(9.0).reshape(3, 3)
    Y = corr2d(X, np.ones((1, 1)))
    assert Y is not X, "corr2d returned its input itself"
    assert not np.shares_memory(Y, X), "corr2d returned a view of its input"
    assert np.allclose(Y, X)


@test_case(points=1, hidden=False)
def test_convolve2d_returns_a_new_array(convolve2d):
    import numpy as np

    X = np.arange(9.0).reshape(3, 3)
    Y = convolve2d(X, np.ones((1, 1)))
    assert Y is not X, "convolve2d returned its input itself"
    assert not np.shares_memory(Y, X), "convolve2d returned a view of its input"
    assert np.allclose(Y, X)
"""

RIGHT = gc.answers()


def corr2d_if(condition, wrong="raise AssertionError('the attack worked')"):
    """A corr2d that is the answer key's when `condition` (Python, evaluated at call time) holds."""
    body = RIGHT["corr2d"].replace("def corr2d(", "def _right_corr2d(", 1)
    guard = f"    if not ({condition}):\n        {wrong}\n"
    return f"{body}\n\ndef corr2d(image, kernel):\n{guard}    return _right_corr2d(image, kernel)\n"


def last_cell(nb):
    return len(nb.cells)  # with_cell appends: the new cell's number, counted from 1


def fake_progress():
    nb = gc.filled()
    cell = last_cell(nb) + 1
    source = f"""\
import gc as _gc, socket as _socket, time as _time
from autograder.engine import wire as _wire
_socks = [o for o in _gc.get_objects() if isinstance(o, _socket.socket)]
_end = _time.monotonic() + 25
_i = 0
while _time.monotonic() < _end:
    for _s in _socks:
        try:
            _tree, _blobs = _wire.encode({{"op": "at", "cell": {cell}, "stmt": _i % 3, "line": 1}})
            _wire.send(_s, _tree, _blobs)
            _tree, _blobs = _wire.encode({{"op": "at", "cell": {cell}, "stmt": 7 + _i, "line": 1}})
            _wire.send(_s, _tree, _blobs)
        except OSError:
            pass
    _i += 1
    _time.sleep(0.2)
HUNG_THROUGH = True
"""
    nb = gc.with_cell(nb, source)
    # (HUNG_THROUGH read as a plain name: globals() in a graded function is refused by the static check)
    nb.cells[gc.answer_cell_index(nb, "corr2d")].source = "HUNG_THROUGH = False\n\n" + corr2d_if("not HUNG_THROUGH")
    return nb


DEVICES = """\
import os as _os
def _devices_confined():
    for dev in ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"):
        with open(dev, "rb") as f:
            f.read(1)
    try:
        with open("/dev/shm/hostile-probe", "wb") as f:
            f.write(b"x" * 2**20)
        return False
    except OSError:
        pass
    try:
        _os.listdir("/dev")
        return False
    except OSError:
        pass
    return True
DEVICES_CONFINED = _devices_confined()
"""

DISK = """\
def _fill():
    written = 0
    try:
        for i in range(8):
            with open(f"fill{i}", "wb") as f:
                for _ in range(50):
                    f.write(b"\\0" * 2**20)
                    written += 2**20
    except OSError:
        pass
    return written
WRITTEN_MB = _fill() / 2**20
"""

IDENTITY = "    if np.shape(kernel) == (1, 1) and kernel[0][0] == 1:\n        return {}\n"
RETURNS_INPUT = dict(  # right, except that a kernel [[1]] gives back the image itself, or a view
    corr2d=RIGHT["corr2d"].replace("def corr2d(", "def _right_corr2d(", 1)
    + "\n\ndef corr2d(image, kernel):\n"
    + IDENTITY.format("image")
    + "    return _right_corr2d(image, kernel)\n",
    convolve2d=RIGHT["convolve2d"].replace("def convolve2d(", "def _right_convolve2d(", 1)
    + "\n\ndef convolve2d(image, kernel):\n"
    + IDENTITY.format("image[:, :]")
    + "    return _right_convolve2d(image, kernel)\n",
)


# Messages written straight to the grader's socket from a cell (the student process's own
# connection, found on the stack): one 20 MB blob referenced 50 times, which a decoder that
# copied it each time would turn into 1 GB of the grader's memory; and JSON nested 100,000 deep.
TO_THE_GRADER = """\
import struct, sys
_frame = sys._getframe()
while _frame is not None and _frame.f_code.co_name != "run_cells":
    _frame = _frame.f_back
_sock = _frame.f_locals["self"].sock
{}
"""
BLOB_ECHO = TO_THE_GRADER.format(
    "_tree = {'d': [['op', 'at'], ['cell', 0], ['stmt', 0], ['line', 0], ['x', {'l': [{'by': 0}] * 50}]]}\n"
    "sys.modules['autograder.engine.wire'].send(_sock, _tree, [bytes(20 * 2**20)])"
)
# Fields of the wrong kind in messages the grader reads: a progress report at line infinity, and
# a table of the notebook's names holding a number that is not one.
AT_INFINITY = TO_THE_GRADER.format(
    "_tree = {'d': [['op', 'at'], ['cell', 1], ['stmt', 0], ['line', {'f': 'inf'}]]}\n"
    "sys.modules['autograder.engine.wire'].send(_sock, _tree, [])"
)
BAD_NAME_TABLE = """\
import sys
_child = sys.modules["autograder.engine.student.child"]
_describe = _child.Child.describe

def _forged(self, names):
    table = _describe(self, names)
    table["zz"] = {"kind": "value", "tree": {"big": "not a number"}, "blobs": []}
    return table

_child.Child.describe = _forged
"""
# A result of a few bytes that stands for 2**28 numbers (2 GB as floats).
HUGE_RANGE = "def corr2d(image, kernel):\n    return range(2**28)\n"
DEEP_JSON = TO_THE_GRADER.format(
    "_text = ('{\"v\": {\"l\": ' + '[' * 100_000 + ']' * 100_000 + '}, \"b\": []}').encode()\n"
    "_sock.sendall(struct.pack('!QQ', len(_text), 0) + _text)"
)


def cases():
    """{file name (str or bytes): notebook or bytes}."""
    return {
        "correct.ipynb": gc.filled(),
        # 1: nothing in a file stops the batch
        "deep_expression.ipynb": gc.with_cell(gc.filled(), "x = " + "-" * 7000 + "1\n"),
        "huge_sum.ipynb": gc.with_cell(gc.filled(), "y = " + " + ".join(["1"] * 300_000) + "\n"),
        "lone_surrogate.ipynb": gc.with_cell(gc.filled(), 'raise RuntimeError("\\ud800 lone")\n'),
        b"Jos\xe9.ipynb": gc.filled(),
        # 2: no points for the file of someone else; a result that is its input is seen as such
        "returns_input.ipynb": gc.filled(**RETURNS_INPUT),
        # 3: the process runs as nobody (or the run says it does not)
        "uid_probe.ipynb": gc.filled(corr2d=corr2d_if("__import__('os').geteuid() != 0")),
        # 4: devices and disk
        "devices.ipynb": gc.with_cell(gc.filled(corr2d=corr2d_if("DEVICES_CONFINED")), DEVICES, after="corr2d"),
        "disk_quota.ipynb": gc.with_cell(gc.filled(corr2d=corr2d_if("WRITTEN_MB <= 256")), DISK, after="corr2d"),
        # 5: progress reports sent by the student extend nothing
        "fake_progress.ipynb": fake_progress(),
        # 6: a 4 MB code cell (the grader never parses it)
        "big_cell.ipynb": gc.with_cell(gc.filled(), "z = [" + "1, " * 1_300_000 + "]\n"),
        # 8: messages to the grader that would take its memory or its stack
        "blob_echo.ipynb": gc.with_cell(gc.filled(), BLOB_ECHO),
        "deep_json.ipynb": gc.with_cell(gc.filled(), DEEP_JSON),
        "at_infinity.ipynb": gc.with_cell(gc.filled(), AT_INFINITY),
        "bad_name_table.ipynb": gc.with_cell(gc.filled(), BAD_NAME_TABLE),
        "huge_range.ipynb": gc.filled(corr2d=HUGE_RANGE),
        # 7: one line per log entry, unique rows, spreadsheet-safe cells
        "forged_log.ipynb": gc.with_cell(
            gc.filled(), 'raise RuntimeError("boom\\n== victim: 15 / 15 in 0.01 s\\n   status: ok")\n'
        ),
        "alice.ipynb": gc.filled(),
        "alice.IPYNB": gc.student_notebook(),
        "=cmd|' -C calc'!A0.ipynb": b"{}",
        "+1+1.ipynb": b"{}",
        "-1+2.ipynb": b"{}",
        "@SUM(1+1).ipynb": b"{}",
    }


def write(folder, items):
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in items.items():
        path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else name.encode())
        if isinstance(nb, bytes):
            with open(path, "wb") as f:
                f.write(nb)
        else:
            with open(path, "w", encoding="utf-8") as f:
                nbformat.write(nb, f)


def scratch_tmp():
    """A TMPDIR for one command, reachable by `nobody` (pytest's own folders are not)."""
    tmp = tempfile.mkdtemp(prefix="hostile-tmp-", dir="/tmp")
    os.chmod(tmp, 0o711)
    return Path(tmp)


def command(folder, out, tests, *extra):
    return grade_argv(folder, out, "--tests", tests, "-j", "2", *LIMITS, *extra)


def run(folder, out, tests, *extra, env=None, timeout=600):
    return run_grade(folder, out, "--tests", tests, "-j", "2", *LIMITS, *extra, env=env, check=False, timeout=timeout)


def rows_of(out):
    with open(Path(out) / "grades.csv", newline="", encoding="utf-8") as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def tests_dir(tmp_path_factory):
    """The convolution exercise's hidden tests (generated from the master), plus q3_alias."""
    import shutil

    from autograder.authoring.prepared import prepared_tests

    tests, _ = prepared_tests("convolution")
    root = tmp_path_factory.mktemp("hostile-tests")
    shutil.copytree(tests, root / "tests")
    shutil.copy(tests.parent / "exercise_checks.py", root / "exercise_checks.py")
    (root / "tests" / "q3_alias.py").write_text(ALIAS_TESTS)
    return root / "tests"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, tests_dir):
    root = tmp_path_factory.mktemp("hostile")
    folder, out = root / "submissions", root / "out"
    write(folder, cases())
    os.mkfifo(folder / "fifo.ipynb")  # opening it would block the reader forever
    (folder / "linked.ipynb").symlink_to(ROOT / "solutions" / "convolution.ipynb")
    stale = out / ".feedback-stale0"  # what a run that crashed while writing left behind
    stale.mkdir(parents=True)
    (stale / "someone.md").write_text("old")
    (out / ".grades.csv.tmp0").write_text("old")
    tmp = scratch_tmp()
    Path("/dev/shm/hostile-probe").unlink(missing_ok=True)
    started = time.monotonic()
    proc = run(folder, out, tests_dir, env=dict(os.environ, TMPDIR=str(tmp)))
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {
        "proc": proc,
        "rows": rows_of(out),
        "out": out,
        "log": (out / "grading.log").read_text(encoding="utf-8"),
        "csv": (out / "grades.csv").read_text(encoding="utf-8"),
        "tmp": tmp,
        "seconds": seconds,
    }


def section(hostile, name):
    """The grading.log entry of one submission."""
    return hostile["log"].split(f"== {name}:")[1].split("\n== ")[0]


def total(row):
    return float(row["total"])


def assert_full(row, *questions):
    for q in questions or FULL:
        assert float(row[q]) == FULL[q], row


# ----------------------------------------------------------------------------- 1: the batch


@pytest.mark.slow  # runs the grade command
def test_every_file_has_its_row(hostile):
    names = {
        "correct", "deep_expression", "huge_sum", "lone_surrogate", "Jos\\xe9", "returns_input", "uid_probe",
        "devices", "disk_quota", "fake_progress", "big_cell", "blob_echo", "deep_json", "at_infinity",
        "bad_name_table", "huge_range", "forged_log",
        "alice.ipynb", "alice.IPYNB",
        "'=cmd|' -C calc'!A0", "'+1+1", "'-1+2", "'@SUM(1+1)", "fifo", "linked",
    }  # fmt: skip
    assert set(hostile["rows"]) == names
    out = hostile["out"]
    assert len(list((out / "feedback").iterdir())) == len(names)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "stale or temporary files left"
    assert not list(hostile["tmp"].iterdir()), "scratch left behind"


@pytest.mark.slow  # runs the grade command
def test_code_that_breaks_a_parser_costs_only_its_cell(hostile):
    for name, error in [("deep_expression", ("MemoryError", "RecursionError")), ("huge_sum", ("RecursionError",))]:
        row = hostile["rows"][name]
        assert_full(row, "q1", "q2")
        assert any(e in section(hostile, name) for e in error), row


@pytest.mark.slow  # runs the grade command
def test_unencodable_text_and_names_are_escaped(hostile):
    assert "\\ud800 lone" in section(hostile, "lone_surrogate")
    assert_full(hostile["rows"]["Jos\\xe9"], "q1", "q2")
    assert (hostile["out"] / "feedback" / "Jos_xe9.md").exists()  # no backslash: Windows refuses it


@pytest.mark.slow  # runs the grade command
def test_what_is_not_a_regular_file_is_reported_not_read(hostile):
    fifo, link = hostile["rows"]["fifo"], hostile["rows"]["linked"]
    assert total(fifo) == 0 and "not a regular file" in fifo["status"], fifo
    assert total(link) == 0 and "symbolic link" in link["status"] and "not followed" in link["status"], link


# ----------------------------------------------------------------------------- 2: aliasing


@pytest.mark.slow  # runs the grade command
def test_a_result_that_is_the_input_reaches_the_test_as_the_input(hostile):
    row = hostile["rows"]["returns_input"]
    assert_full(row, "q1", "q2")
    assert row["q3_alias"] == "0", row
    assert_full(hostile["rows"]["correct"])
    log = section(hostile, "returns_input")
    assert "corr2d returned its input itself" in log, "the test got the very object it passed"
    assert "convolve2d returned a view of its input" in log, "the test got a view of its own array"


# ----------------------------------------------------------------------------- 3: root


@pytest.mark.slow  # runs the grade command
def test_student_code_does_not_run_as_root_unless_the_log_says_so(hostile):
    row = hostile["rows"]["uid_probe"]
    if ROOT_PROBLEM:  # this machine: the suite passed the override, which every log records
        assert "WARNING: student code ran as root (AUTOGRADER_ALLOW_ROOT=1)" in hostile["log"]
        assert row["q1"] == "0", row
    else:
        assert_full(row, "q1")
        assert "ran as root" not in hostile["log"]


@pytest.mark.slow  # runs the grade command
def test_root_without_a_reachable_python_refuses_in_one_line(tmp_path, tests_dir):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_ALLOW_ROOT"}
    folder = tmp_path / "in"
    write(folder, {"correct.ipynb": gc.filled()})
    proc = run(folder, tmp_path / "out", tests_dir, env=env, timeout=300)
    if not ROOT_PROBLEM:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "nobody" in lines[0] and "--allow-root" in lines[0], proc.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


# ----------------------------------------------------------------------------- 4: files


@pytest.mark.slow  # runs the grade command
def test_only_four_device_nodes_and_the_scratch_quota(hostile):
    assert not Path("/dev/shm/hostile-probe").exists(), "a submission wrote into /dev/shm"
    if landlock.landlock_abi() < 1:
        pytest.skip("skipped: no Landlock on this kernel, device nodes are not confined")
    assert_full(hostile["rows"]["devices"], "q1")
    assert_full(hostile["rows"]["disk_quota"], "q1")


# ----------------------------------------------------------------------------- 5: time


@pytest.mark.slow  # runs the grade command
def test_fake_progress_reports_do_not_extend_a_statement(hostile):
    row = hostile["rows"]["fake_progress"]
    assert_full(row, "q1", "q2")
    assert "did not finish within 3 s" in row["status"], row


@pytest.mark.slow  # runs the grade command
def test_one_budget_for_the_whole_submission(tmp_path, tests_dir):
    nb = gc.with_cell(gc.filled(), "import time\n" + "time.sleep(2.5)\n" * 12)
    folder = tmp_path / "in"
    write(folder, {"slow.ipynb": nb, "correct.ipynb": gc.filled()})
    proc = run(folder, tmp_path / "out", tests_dir, "--submission-timeout", "12")
    assert proc.returncode == 0, proc.stderr
    rows = rows_of(tmp_path / "out")
    assert "12 s time budget" in rows["slow"]["status"], rows["slow"]
    seconds = float(re.search(r"== slow: .* in ([\d.]+) s", (tmp_path / "out" / "grading.log").read_text())[1])
    assert seconds < 12 + 6, seconds
    assert_full(rows["correct"])


# ----------------------------------------------------------------------------- 6: memory


def test_the_memory_figure_is_the_graders_own():
    """The grader's figure is its own peak, not that of the process that started it: Linux keeps
    ru_maxrss across execve, so a grader started by a 600 MB parent would otherwise report 600."""
    parent = (
        "import subprocess, sys\n"
        "ballast = bytearray(600 * 2**20)\n"
        "ballast[::4096] = b'x' * len(ballast[::4096])\n"
        "code = 'from autograder.engine.worker import peak_mb; print(peak_mb())'\n"
        "print(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout)\n"
    )
    proc = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) < 200, proc.stdout


@pytest.mark.slow  # runs the grade command
def test_the_grader_stays_small_whatever_the_cell(hostile):
    peaks = {
        m[1]: (int(m[2]), int(m[3]))
        for m in re.finditer(
            r"== (\S+): [^\n]*\n   status: [^\n]*\n   grader memory: main (\d+) MB, worker (\d+) MB", hostile["log"]
        )
    }
    main, worker = peaks["big_cell"]
    assert main < 300 and worker < 800, peaks["big_cell"]
    assert_full(hostile["rows"]["big_cell"], "q1", "q2")


# ----------------------------------------------------------------------------- 8: the wire


@pytest.mark.slow  # runs the grade command
@pytest.mark.parametrize("name", ["blob_echo", "deep_json", "at_infinity"])
def test_a_message_that_would_take_the_graders_memory_or_stack_costs_only_its_cell(hostile, name):
    row = hostile["rows"][name]
    assert_full(row, "q1", "q2")
    assert "garbled the grader's connection" in row["status"] and "grader error" not in row["status"], row
    worker = re.search(r"grader memory: main \d+ MB, worker (\d+) MB", section(hostile, name))
    assert worker and int(worker[1]) < 800, section(hostile, name)


@pytest.mark.slow  # runs the grade command
def test_forged_fields_are_the_submissions_doing_not_a_grader_error(hostile):
    row = hostile["rows"]["bad_name_table"]
    assert_full(row, "q1", "q2")  # the forged entry is a name no test asks for
    assert "grader error" not in row["status"], row


@pytest.mark.slow  # runs the grade command
def test_a_result_that_stands_for_billions_of_numbers_costs_nothing(hostile):
    row = hostile["rows"]["huge_range"]  # (the answer key's convolve2d calls corr2d: both fail)
    assert float(row["q1"]) == float(row["q2"]) == 0, row
    assert "corr2d() garbled the grader's connection" in row["status"] and "grader error" not in row["status"], row
    worker = re.search(r"grader memory: main \d+ MB, worker (\d+) MB", section(hostile, "huge_range"))
    assert worker and int(worker[1]) < 800, section(hostile, "huge_range")


# ----------------------------------------------------------------------------- 7: rows and output


@pytest.mark.slow  # runs the grade command
def test_names_differing_in_case_or_suffix_stay_apart(hostile):
    rows = hostile["rows"]
    assert_full(rows["alice.ipynb"])
    assert total(rows["alice.IPYNB"]) == 0, rows["alice.IPYNB"]
    names = {p.name.casefold() for p in (hostile["out"] / "feedback").iterdir()}
    assert len(names) == len(rows), "feedback file names unique even where case does not count"


@pytest.mark.slow  # runs the grade command
def test_csv_cells_cannot_start_a_formula(hostile):
    for line in csv.reader(hostile["csv"].splitlines()):
        for cell in (line[0], line[-1]):
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), line
    assert "'=cmd|' -C calc'!A0" in hostile["rows"]


@pytest.mark.slow  # runs the grade command
def test_log_entries_are_one_line(hostile):
    entries = [line for line in hostile["log"].splitlines() if line.startswith("== ")]
    assert len(entries) == len(hostile["rows"]), entries
    assert not any(line.startswith("== victim") for line in entries)
    assert "victim" not in hostile["rows"]


@pytest.mark.slow  # runs the grade command
def test_a_second_run_refuses_and_interrupted_runs_clean_up(tmp_path, tests_dir):
    nb = gc.with_cell(gc.filled(), "import time\ntime.sleep(120)\n")
    folder, out = tmp_path / "in", tmp_path / "out"
    write(folder, {"slow.ipynb": nb})
    for sig in (signal.SIGINT, signal.SIGTERM):
        tmp = scratch_tmp()
        first = subprocess.Popen(
            command(folder, out, tests_dir, "--cell-timeout", "150"),
            cwd=ROOT,
            env=dict(os.environ, TMPDIR=str(tmp), PYTHONFAULTHANDLER="1"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            # Ctrl-C as a terminal delivers it: a command started in the background by a shell
            # script (as `make test &` starts pytest) inherits SIGINT ignored, and keeps it so
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            deadline = time.monotonic() + 120
            while not list(tmp.glob("grading-*/worker-*/student-*")) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert list(tmp.glob("grading-*")), "the first run never started grading"
            second = run(folder, out, tests_dir, timeout=120)
            assert second.returncode == 2, second.stderr
            assert "another grading run is writing this folder" in second.stderr, second.stderr
            first.send_signal(sig)
            try:
                first.wait(timeout=60)
            except subprocess.TimeoutExpired:
                first.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: its threads' stacks, on stderr
                said = first.communicate(timeout=30)[1]
                raise AssertionError(f"no end within 60 s of {sig.name}; the run said: {said[-5000:]}") from None
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode != 0
        assert not list(tmp.iterdir()), f"scratch left behind after {sig.name}: {list(tmp.rglob('*'))[:5]}"
        assert not [p for p in out.iterdir() if p.name.startswith(".")]
