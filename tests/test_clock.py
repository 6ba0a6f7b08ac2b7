"""The grader's clock (engine.clock.Clock) hides the time spent moving data to and from the
student process, as that process reports it, but never more than the bytes moved could cost:
a forged report cannot make a slow function look fast. (Through the real command:
test_timing_busy.py, the case `pixel_loop_forged_clock`.)

A timer test's scripted pauses do not wait: while a call-back runs, the grader's time.sleep
records its seconds (engine.clock.pauses_made_virtual), and the student process moves its
clocks on by them (engine.student.pauses). (Through the real command: test_timing_busy.py,
`warmups_skipped_benchmark`, `pauses_only_benchmark` and `datetime_benchmark`.)"""

import subprocess
import sys
import textwrap
import time

import pytest

from autograder.engine.clock import Clock, pauses_made_virtual


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(Clock, "hidden", 0.0)
    return Clock


def test_an_honest_report_hides_the_transfer(clock):
    # 2 MB moved in 3 ms, the call itself 40 ms: the 3 ms are hidden, as in a notebook
    clock.hide(0.043, 0.040, 2_000_000)
    assert clock.hidden == pytest.approx(0.003)


def test_a_forged_report_hides_no_more_than_the_bytes_could_cost(clock):
    # a 60 ms call that claims to have taken no time at all
    clock.hide(0.060, 0.0, 1_000_000)
    assert clock.hidden == pytest.approx(clock.allowance(1_000_000))
    assert clock.hidden < 0.005


@pytest.mark.parametrize("inside", [None, "0.01", -1.0, 0.2, float("nan")])
def test_a_report_that_is_not_a_time_within_the_call_hides_nothing(clock, inside):
    clock.hide(0.1, inside, 10_000_000)
    assert clock.hidden == 0.0


def test_the_allowance_grows_with_the_bytes_moved(clock):
    assert clock.allowance(10_000_000) > clock.allowance(1_000) >= clock.PER_CALL


def test_what_counts_as_moved_is_the_arrays_of_a_result():
    import numpy as np

    from autograder.engine import wire

    a, b = np.zeros((10, 10)), np.zeros(5, dtype=np.float32)
    assert wire.payload_bytes(a) == 800
    assert wire.payload_bytes([a, (b, {"k": a})]) == 800 + 20 + 800
    assert wire.payload_bytes(b"x" * 10**6) == 0  # bytes are not a result any exercise asks for
    assert wire.payload_bytes([a] * 20_000, limit=100) <= 100 * 800


def test_pauses_in_a_call_back_are_recorded_not_waited():
    real = time.sleep
    with pauses_made_virtual() as slept:
        time.sleep(0.5)
        time.sleep(2)
        with pytest.raises(ValueError):
            time.sleep(-1)  # time.sleep's own errors
        with pytest.raises(TypeError):
            time.sleep("1")
    assert slept == [0.5, 2.0]
    assert time.sleep is real


def test_time_sleep_is_restored_when_the_call_back_fails():
    real = time.sleep
    with pytest.raises(RuntimeError), pauses_made_virtual():
        raise RuntimeError("the grader's function failed")
    assert time.sleep is real


def test_the_student_process_clocks_move_on_by_the_pauses():
    # in a process of its own: install() replaces the time module's clocks
    script = textwrap.dedent(
        """
        import math, time, timeit
        from autograder.engine.student import pauses

        pauses.install()
        wall = [time.perf_counter, time.monotonic, time.time, timeit.default_timer, timeit.Timer().timer,
                lambda: time.clock_gettime(time.CLOCK_MONOTONIC), lambda: time.clock_gettime(time.CLOCK_REALTIME)]
        wall_ns = [time.perf_counter_ns, time.monotonic_ns, time.time_ns,
                   lambda: time.clock_gettime_ns(time.CLOCK_MONOTONIC)]
        cpu = [time.process_time, lambda: time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID)]
        before = [c() for c in wall + wall_ns + cpu]
        pauses.advance(100.0)
        for bad in ("1", -1.0, math.nan, math.inf, 1e9, True, None):
            pauses.advance(bad)
        after = [c() for c in wall + wall_ns + cpu]
        moved = [(a - b) / (1e9 if i in range(len(wall), len(wall) + len(wall_ns)) else 1)
                 for i, (a, b) in enumerate(zip(after, before))]
        print(" ".join(f"{m:.3f}" for m in moved))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    moved = [float(v) for v in out.split()]
    wall, cpu = moved[:11], moved[11:]
    assert all(100 <= m < 101 for m in wall), moved
    assert all(0 <= m < 1 for m in cpu), moved
