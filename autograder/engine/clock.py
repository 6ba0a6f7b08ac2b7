"""The grader's clock, which does not count the time spent moving data to and from the student
process."""

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
    """

    real = staticmethod(time.perf_counter)
    real_ns = staticmethod(time.perf_counter_ns)
    hidden = 0.0

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
