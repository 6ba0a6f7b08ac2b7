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
    clock.hide(0.043, 0.040, 2_000_000, 2)
    assert clock.hidden == pytest.approx(0.003)


def test_a_forged_report_hides_no_more_than_the_bytes_could_cost(clock):
    # a 60 ms call that claims to have taken no time at all
    clock.hide(0.060, 0.0, 1_000_000, 2)
    assert clock.hidden == pytest.approx(clock.allowance(1_000_000, 2))
    assert clock.hidden < 0.005


@pytest.mark.parametrize("inside", [None, "0.01", -1.0, 0.2, float("nan")])
def test_a_report_that_is_not_a_time_within_the_call_hides_nothing(clock, inside):
    clock.hide(0.1, inside, 10_000_000, 4)
    assert clock.hidden == 0.0


def test_call_backs_add_to_the_allowance(clock):
    assert clock.allowance(0, 28) > clock.allowance(0, 2)
    assert clock.allowance(10_000_000, 2) > clock.allowance(1_000, 2)
