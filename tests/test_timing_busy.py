"""The GPU exercise's timing criterion through the real command on a busy machine: loop-free
im2col variants (the answer key, a loop over the kernel offsets, stride tricks) pass the
"no loop over the output pixels" tests while two other processes keep both cores busy; a loop
over the output pixels fails them, also when the submission forges the time its process reports
for each call (and pads the call to make its transfer look long), answers repeated inputs from
memory, or reports the test's own x as changed into a larger array; a benchmark that returns a
constant earns what an honest zero earns. The timer's tests skip the waits of warm-up calls
and outliers (the student process's clocks are moved on instead); a timer that reports those
pauses instead of timing earns nothing, and a right timer on a clock that is not moved on
(datetime) still earns full marks, from the tests run again with real waits."""

import csv
import os
import subprocess
import sys

import nbformat
import pytest
from conftest import run_grade
from grading_cases import filled, with_cell

pytestmark = pytest.mark.slow  # batch grading

OFFSETS = """\
def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    # the textbook im2col: a loop over the kh * kw kernel offsets, then one matrix product
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    ph, pw = (padding, padding) if np.isscalar(padding) else padding
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((N, C, kh, kw, Ho, Wo))
    for m in range(kh):
        for k in range(kw):
            cols[:, :, m, k] = xp[:, :, m:m + sh * (Ho - 1) + 1:sh, k:k + sw * (Wo - 1) + 1:sw]
    out = w.reshape(F, -1) @ cols.reshape(N, C * kh * kw, Ho * Wo)
    out = out.reshape(N, F, Ho, Wo)
    return out if b is None else out + np.asarray(b, dtype=float).reshape(1, -1, 1, 1)
"""

STRIDE_TRICKS = """\
def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    # loop-free: a sliding window view and one einsum (not optimised)
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    ph, pw = (padding, padding) if np.isscalar(padding) else padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    v = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
    out = np.einsum("ncijmk,ocmk->noij", v, w)
    return out if b is None else out + np.asarray(b, dtype=float).reshape(1, -1, 1, 1)
"""

PIXEL_LOOP = """\
def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    # right, but a Python loop over the output pixels
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    ph, pw = (padding, padding) if np.isscalar(padding) else padding
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    W2 = w.reshape(F, -1)
    out = np.empty((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(N, -1) @ W2.T
    return out if b is None else out + np.asarray(b, dtype=float).reshape(1, -1, 1, 1)
"""

CONSTANT = """\
def benchmark(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup + repeats):
        fn(*args)
    return 0.035
"""

# The student process reports how long each call took inside it, and the grader leaves the rest
# (moving the arrays) out of its timing. Here the submission makes that report say 0 s.
FORGED_CLOCK = """\
import sys
for _module in list(sys.modules.values()):
    if hasattr(_module, "_clock"):
        _module._clock = lambda: 0.0
"""

# ... and pads each call with a call-back of its own that carries 40 MB, to make the transfer
# look long enough to hide the whole call.
PADDED = PIXEL_LOOP.replace(
    "    return out if b is None", "    _pad()\n    return out if b is None"
) + """
def _pad():
    import sys
    frame = sys._getframe()
    while frame is not None and frame.f_code.co_name != "serve":
        frame = frame.f_back
    if frame is not None:
        try:
            frame.f_locals["self"].call_back(10**6, (bytes(40 * 2**20),), {})
        except RuntimeError:
            pass
"""

# A pixel loop that answers a call with the same inputs as an earlier one from memory.
REPLAY = PIXEL_LOOP.replace("def conv2d_im2col(", "def _loop(", 1) + """
_answers = []

def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    for (x0, w0, b0, how), out in _answers:
        if np.array_equal(x0, x) and np.array_equal(w0, w) and np.array_equal(b0, b) and how == (stride, padding):
            return out.copy()
    out = _loop(x, w, b, stride, padding)
    _answers[:] = _answers[-1:] + [((np.copy(x), np.copy(w), np.copy(b), (stride, padding)), out)]
    return out.copy()
"""

# A pixel loop that, once checked, reports x as changed in place into an array 16 times as
# large: the test's own x, which its yardstick then times.
INFLATE = PIXEL_LOOP.replace("def conv2d_im2col(", "def _loop(", 1) + """
_seen = {}

def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    import sys
    x = np.asarray(x)
    if x.shape[2] >= 600:
        return np.zeros(1)
    key = (x.shape, float(x.ravel()[0]))
    _seen[key] = _seen.get(key, 0) + 1
    out = _loop(x, w, b, stride, padding)
    frame = sys._getframe()
    while frame is not None and frame.f_code.co_name != "serve":
        frame = frame.f_back
    if _seen[key] >= 3 and frame is not None:
        N, C, H, W = x.shape
        frame.f_locals["inputs"][0] = np.zeros((N, C, 4 * H, 4 * W))
    return out
"""

# Computes the layer for the first x of each shape only; any other x of that shape gets zeros.
FIRST_ONLY = PIXEL_LOOP.replace("def conv2d_im2col(", "def _loop(", 1) + """
_first = {}

def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    key = (np.shape(x), np.shape(w), str(stride), str(padding))
    if key in _first and not np.array_equal(_first[key][0], x):
        return np.zeros_like(_first[key][1])
    out = _loop(x, w, b, stride, padding)
    _first[key] = (np.copy(x), out)
    return out
"""

UNANSWERED_BENCHMARK = "def benchmark(fn, *args, repeats=10, warmup=3):\n    return None\n"

# A right timer on a clock the student process does not move on at a scripted pause
# (engine.student.pauses): its tests fail with pauses that do not wait, and are run again with
# real ones.
DATETIME_BENCHMARK = """\
def benchmark(fn, *args, repeats=10, warmup=3):
    import datetime
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        start = datetime.datetime.now()
        fn(*args)
        times.append((datetime.datetime.now() - start).total_seconds())
    return float(np.median(times))
"""

# A right timer that returns 0 when a warm-up call took 50 ms or more by datetime's clock, which
# the student process does not move on: full marks only where the warm-up calls of 120 ms and
# more (the warm-up tests') did not wait.
WARMUPS_SKIPPED_BENCHMARK = """\
def benchmark(fn, *args, repeats=10, warmup=3):
    import datetime
    import time
    waited = []
    for _ in range(warmup):
        start = datetime.datetime.now()
        fn(*args)
        waited.append((datetime.datetime.now() - start).total_seconds())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return 0.0 if max(waited, default=0.0) >= 0.05 else float(np.median(times))
"""

# Timers that report the pauses that did not wait instead of timing: the difference between a
# clock that is moved on and one that is not, or the pauses module's own count. The calls that
# make up a test's median always wait, so both report about 0 s for them.
PAUSES_ONLY_BENCHMARK = """\
def benchmark(fn, *args, repeats=10, warmup=3):
    import datetime
    import time
    for _ in range(warmup):
        fn(*args)
    pauses = []
    for _ in range(repeats):
        start, wall = time.perf_counter(), datetime.datetime.now()
        fn(*args)
        pauses.append(max(0.0, time.perf_counter() - start - (datetime.datetime.now() - wall).total_seconds()))
    return float(np.median(pauses))
"""

# A right timer that calls, from the second test on, the function the first test handed it, and
# returns -1 if that call is answered: full marks only where the grader refuses a function of an
# earlier test (such a call could otherwise make a failed test after it run a second time).
STALE_CALL_BENCHMARK = """\
_handed = []

def benchmark(fn, *args, repeats=10, warmup=3):
    import statistics
    import time
    if getattr(fn, "__name__", "") == "call_grader":  # a function of the grader's, not the notebook's
        _handed.append(fn)
    if len(_handed) > 1 and _handed[0] is not fn:
        try:
            _handed[0]()
            return -1.0
        except RuntimeError:
            pass
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
"""

PAUSES_READ_BENCHMARK = """\
def benchmark(fn, *args, repeats=10, warmup=3):
    from autograder.engine.student import pauses
    for _ in range(warmup):
        fn(*args)
    seen = []
    for _ in range(repeats):
        before = pauses._paused
        fn(*args)
        seen.append(pauses._paused - before)
    return float(np.median(seen))
"""


@pytest.fixture(scope="module")
def busy_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("busy")
    folder = tmp / "in"
    folder.mkdir()
    cases = {
        "key": filled("gpu"),
        "offsets": filled("gpu", conv2d_im2col=OFFSETS),
        "stride_tricks": filled("gpu", conv2d_im2col=STRIDE_TRICKS),
        "pixel_loop": filled("gpu", conv2d_im2col=PIXEL_LOOP),
        "pixel_loop_forged_clock": with_cell(filled("gpu", conv2d_im2col=PIXEL_LOOP), FORGED_CLOCK),
        "pixel_loop_forged_padded": with_cell(filled("gpu", conv2d_im2col=PADDED), FORGED_CLOCK),
        "pixel_loop_replayed": filled("gpu", conv2d_im2col=REPLAY),
        "pixel_loop_inflated_x": filled("gpu", conv2d_im2col=INFLATE),
        "first_input_only": filled("gpu", conv2d_im2col=FIRST_ONLY),
        "constant_benchmark": filled("gpu", benchmark=CONSTANT),
        "no_benchmark": filled("gpu", benchmark=UNANSWERED_BENCHMARK),
        "datetime_benchmark": filled("gpu", benchmark=DATETIME_BENCHMARK),
        "warmups_skipped_benchmark": filled("gpu", benchmark=WARMUPS_SKIPPED_BENCHMARK),
        "pauses_only_benchmark": filled("gpu", benchmark=PAUSES_ONLY_BENCHMARK),
        "pauses_read_benchmark": filled("gpu", benchmark=PAUSES_READ_BENCHMARK),
        "stale_call_benchmark": filled("gpu", benchmark=STALE_CALL_BENCHMARK),
    }
    for name, nb in cases.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    spin = "import time\nend = time.time() + 900\nwhile time.time() < end:\n    pass\n"
    busy = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 2)]
    try:
        out = tmp / "out"
        run_grade(folder, out, "-j", "1", aid="gpu")
    finally:
        for p in busy:
            p.kill()
            p.wait()
    with open(out / "grades.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    return {"rows": rows, "out": out, "busy": len(busy)}


def _question_of(marker):
    """The question of the gpu master whose cells hold `marker` (a function or a test's name)."""
    import json

    from autograder.paths import master_path

    nb = json.loads(master_path("gpu").read_text())
    question = None
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if text.startswith("# BEGIN QUESTION"):
            question = text.split("name:")[1].split()[0]
        elif question and marker in text:
            return question
    raise KeyError(marker)


def _test_count(question):
    """How many tests the gpu master's question has (each is worth 1 point: `points: each: 1`)."""
    import json

    from autograder.paths import master_path

    nb = json.loads(master_path("gpu").read_text())
    current, count = None, 0
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if text.startswith("# BEGIN QUESTION"):
            current = text.split("name:")[1].split()[0]
            assert "each: 1" in text, text
        elif current == question and cell["cell_type"] == "code":
            count += text.removeprefix("# HIDDEN\n").startswith("def test_")
    return count


TIMING = "def test_no_loop_over_pixels_with_stride_and_padding("
BENCHMARK = "def test_median_not_another_statistic("


@pytest.mark.parametrize("name", ["key", "offsets", "stride_tricks"])
def test_loop_free_im2col_passes_on_a_busy_machine(busy_run, name):
    q = _question_of(TIMING)
    row = busy_run["rows"][name]
    assert row[q] == busy_run["rows"]["key"][q] and float(row[q]) > 0, (row, busy_run["busy"])
    text = (busy_run["out"] / "feedback" / f"{name}.md").read_text()
    assert "times as long as a plain im2col" not in text, text


ATTACKS = ["pixel_loop_forged_clock", "pixel_loop_forged_padded", "pixel_loop_replayed", "pixel_loop_inflated_x"]


@pytest.mark.parametrize("name", ["pixel_loop"] + ATTACKS)
def test_pixel_loop_fails_the_timing_tests(busy_run, name):
    q = _question_of(TIMING)
    row = busy_run["rows"][name]
    assert float(row[q]) < float(busy_run["rows"]["key"][q]), row
    text = (busy_run["out"] / "feedback" / f"{name}.md").read_text()
    assert "test_no_loop_over_pixels_with_stride_and_padding" in text and "times as long as a plain im2col" in text
    assert "Classic mistake: a Python loop over the output pixels." in text


def test_every_timed_call_must_compute_the_layer(busy_run):
    q = _question_of(TIMING)
    row = busy_run["rows"]["first_input_only"]
    assert float(row[q]) < float(busy_run["rows"]["key"][q]), row
    text = (busy_run["out"] / "feedback" / "first_input_only.md").read_text()
    assert "test_no_loop_over_pixels_with_stride_and_padding" in text, text
    assert "while it was timed, on fresh inputs of the same shapes" in text, text


def test_right_benchmark_earns_full_marks_on_a_busy_machine(busy_run):
    # the timer's tests time calls of a few milliseconds, twice as long in each test's second run
    q = _question_of(BENCHMARK)
    row = busy_run["rows"]["key"]
    assert float(row[q]) == _test_count(q) > 0, (row, busy_run["busy"])


def test_constant_benchmark_earns_what_an_honest_zero_earns(busy_run):
    q = _question_of(BENCHMARK)
    rows = busy_run["rows"]
    assert rows["constant_benchmark"][q] == rows["no_benchmark"][q] == "0", (rows["constant_benchmark"], q)


def test_warm_up_calls_pause_without_waiting(busy_run):
    # the warm-up calls of the timer's tests moved the student process's clocks on without
    # waiting: the timer that is right only then earns full marks
    q = _question_of(BENCHMARK)
    row = busy_run["rows"]["warmups_skipped_benchmark"]
    assert float(row[q]) == _test_count(q), row


@pytest.mark.parametrize("name", ["pauses_only_benchmark", "pauses_read_benchmark"])
def test_a_timer_that_reports_only_the_pauses_earns_nothing(busy_run, name):
    q = _question_of(BENCHMARK)
    rows = busy_run["rows"]
    assert rows[name][q] == rows["no_benchmark"][q] == "0", (rows[name], q)


def test_a_timer_on_a_clock_not_moved_on_is_graded_on_real_time(busy_run):
    q = _question_of(BENCHMARK)
    row = busy_run["rows"]["datetime_benchmark"]
    assert float(row[q]) == _test_count(q), row


def test_a_function_of_an_earlier_test_cannot_be_called(busy_run):
    q = _question_of(BENCHMARK)
    row = busy_run["rows"]["stale_call_benchmark"]
    assert float(row[q]) == _test_count(q), row
