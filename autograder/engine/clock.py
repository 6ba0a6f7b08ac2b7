"""The grader's clock, which does not count the time spent moving data to and from the student
process, and its scripted pauses, which do not wait."""

import contextlib
import time


class Clock:
    """Time spent moving data to and from the student process, hidden from the grader's clocks.

    Timing tests written for a notebook kernel (`alternating_medians([lambda: loops(x),
    lambda: conv2d_im2col(x)])`) time a student's function with time.perf_counter() around the
    call. Through a proxy that call also pays for sending the arrays both ways. `install()`
    makes time.perf_counter (and perf_counter_ns, timeit.default_timer) run slower by exactly
    that transfer time: after each proxy call the grader's clock has advanced by the time the
    call took inside the student process (measured there, with the GPU synchronised), as in a
    notebook. The grader's own measurements use `real`.

    The time inside is the student process's own report, which its code can forge (report 0 s,
    and a slow function would look instantaneous). So `hide` never hides more than moving the
    call's data could cost (`allowance`: what the grader sent, and the arrays of the result),
    a few milliseconds: a forged report gains at most that, and an honest one loses nothing.
    """

    PER_CALL = 0.002  # seconds per call: its two messages
    PER_BYTE = 2e-9  # seconds per byte moved: 2 ms per MB, a few times an honest transfer on a busy machine
    real = staticmethod(time.perf_counter)
    real_ns = staticmethod(time.perf_counter_ns)
    hidden = 0.0

    @classmethod
    def allowance(cls, moved_bytes):
        """The most that moving `moved_bytes` for one call may hide from the clock."""
        return cls.PER_CALL + moved_bytes * cls.PER_BYTE

    @classmethod
    def hide(cls, wall, inside, moved_bytes):
        """After a proxy call of `wall` seconds that the student process says took `inside`
        seconds: hide the difference, the transfer, up to what the bytes moved could cost."""
        if type(inside) is float and 0 <= inside <= wall:
            cls.hidden += min(wall - inside, cls.allowance(moved_bytes))

    @classmethod
    def install(cls):
        import timeit

        def perf_counter():
            return cls.real() - cls.hidden

        def perf_counter_ns():
            return cls.real_ns() - int(cls.hidden * 1e9)

        time.perf_counter = perf_counter
        time.perf_counter_ns = perf_counter_ns
        timeit.default_timer = perf_counter


@contextlib.contextmanager
def pauses_made_virtual():
    """While the block runs (a call-back from the student process), time.sleep does not wait:
    it adds its seconds to the list yielded, which the reply reports for the student process to
    move its clocks on by (engine.student.pauses). Nothing else in the grader runs meanwhile:
    the call-back is what the worker is doing. What must wait for real calls the time.sleep it
    took before (checks.gpu.ScriptedCalls: every call but its free ones)."""
    slept = []
    real = time.sleep

    def sleep(seconds):
        if not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
            return real(seconds)  # time.sleep's own error, or a real wait for what is not a plain number
        slept.append(float(seconds))

    time.sleep = sleep
    try:
        yield slept
    finally:
        time.sleep = real
