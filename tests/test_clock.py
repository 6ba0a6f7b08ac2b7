"""The grader's clock (engine.clock.Clock) hides the time spent moving data to and from the
student process, as that process reports it, but never more than the bytes moved could cost:
a forged report cannot make a slow function look fast. (Through the real command:
test_timing_busy.py, the case `pixel_loop_forged_clock`.)"""

import pytest

from autograder.engine.clock import Clock


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
