"""The student process's clocks, moved on by the grader's scripted pauses.

A timer test hands the student's `benchmark` a function of the grader's that sleeps for
scripted durations (checks.gpu.ScriptedCalls) and checks that the timer reports their median.
The sleeps of its free calls (warm-ups and outliers, drawn apart from the median) need not be
real: the grader runs them without waiting and says how long they would have taken (`paused`
in its reply), and `advance` moves this process's wall clocks on by that much. A timer reading
them sees the call take as long as the script says. The clocks moved are the ones a timer
reads: time.perf_counter, monotonic and time (with their _ns forms), time.clock_gettime for
those clocks, and timeit's default timer. A clock not moved on (datetime.now(), a CUDA event)
sees a free call as instantaneous; the grader then runs the failed test again with real
sleeps (engine.worker), so no timer loses a point for the clock it reads.

A submission can tell a pause from a real wait (with a clock that is not moved on), which is
why the calls that make up a test's median always wait: knowing the pauses tells it nothing
it is graded on.
"""

import time
import timeit

_REAL = {
    name: getattr(time, name)
    for name in ("perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "time_ns")
}
_REAL_CLOCK_GETTIME = getattr(time, "clock_gettime", None)
_REAL_CLOCK_GETTIME_NS = getattr(time, "clock_gettime_ns", None)
# CPU-time clocks, which sleeping does not move either
_CPU_CLOCKS = {getattr(time, n) for n in ("CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID") if hasattr(time, n)}
MAX_PAUSE = 3600.0  # seconds one reply may move the clocks: more is not a scripted pause

_paused = 0.0  # seconds the clocks have been moved on


def advance(seconds):
    """Move the clocks on by `seconds`, the grader's report of a pause (anything that is not a
    number from 0 to MAX_PAUSE is ignored)."""
    global _paused
    if type(seconds) in (int, float) and 0 < seconds <= MAX_PAUSE:
        _paused += seconds


def _moved(name):
    """The clock time.<name>, moved on by the pauses (in nanoseconds for the _ns clocks)."""
    real, ns = _REAL[name], name.endswith("_ns")

    def clock():
        return real() + (round(_paused * 1e9) if ns else _paused)

    clock.__name__ = clock.__qualname__ = name
    return clock


def _clock_gettime(clk_id):
    value = _REAL_CLOCK_GETTIME(clk_id)
    return value if clk_id in _CPU_CLOCKS else value + _paused


def _clock_gettime_ns(clk_id):
    value = _REAL_CLOCK_GETTIME_NS(clk_id)
    return value if clk_id in _CPU_CLOCKS else value + round(_paused * 1e9)


def install():
    """Replace the clocks (before any of the submission's code runs)."""
    for name in _REAL:
        setattr(time, name, _moved(name))
    if _REAL_CLOCK_GETTIME is not None:
        time.clock_gettime = _clock_gettime
    if _REAL_CLOCK_GETTIME_NS is not None:
        time.clock_gettime_ns = _clock_gettime_ns
    timeit.default_timer = time.perf_counter
    defaults = timeit.Timer.__init__.__defaults__  # (stmt, setup, timer, globals): bound when timeit loaded
    timeit.Timer.__init__.__defaults__ = tuple(
        time.perf_counter if value is _REAL["perf_counter"] else value for value in defaults
    )
