"""Classic mistakes in max_pool2d and avg_pool2d, each written as a student might."""

import numpy as np

from solutions.reference import avg_pool2d as right_avg
from solutions.reference import max_pool2d as right_max


def _hw(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _loop_pool(x, kernel_size, stride, reduce, ceil=False):
    """A student's loop; with ceil=True the last window may stick out and is cut short by slicing."""
    x = np.asarray(x, dtype=float)
    (kh, kw), (sh, sw) = _hw(kernel_size), _hw(kernel_size if stride is None else stride)
    N, C, H, W = x.shape
    size = (lambda n, k, s: -(-(n - k) // s) + 1) if ceil else (lambda n, k, s: (n - k) // s + 1)
    out = np.zeros((N, C, size(H, kh, sh), size(W, kw, sw)))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = reduce(x[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw], axis=(2, 3))
    return out


def max_pool_stride_defaults_to_1(x, kernel_size, stride=None):
    return right_max(x, kernel_size, 1 if stride is None else stride)


def avg_pool_stride_defaults_to_1(x, kernel_size, stride=None):
    return right_avg(x, kernel_size, 1 if stride is None else stride)


def max_pool_ceil(x, kernel_size, stride=None):
    return _loop_pool(x, kernel_size, stride, np.max, ceil=True)


def avg_pool_ceil(x, kernel_size, stride=None):
    return _loop_pool(x, kernel_size, stride, np.mean, ceil=True)


def max_pool_stride_rows_only(x, kernel_size, stride=None):
    s = _hw(kernel_size if stride is None else stride)
    return right_max(x, kernel_size, (s[0], 1))


def avg_pool_stride_first_for_both(x, kernel_size, stride=None):
    s = _hw(kernel_size if stride is None else stride)
    return right_avg(x, kernel_size, (s[0], s[0]))


def max_pool_kernel_first_for_both(x, kernel_size, stride=None):
    k = _hw(kernel_size)[0]
    return right_max(x, (k, k), stride)


def max_pool_across_channels(x, kernel_size, stride=None):
    x = np.asarray(x, dtype=float)
    return np.repeat(right_max(x.max(axis=1, keepdims=True), kernel_size, stride), x.shape[1], axis=1)


def avg_pool_across_channels(x, kernel_size, stride=None):
    x = np.asarray(x, dtype=float)
    return np.repeat(right_avg(x.mean(axis=1, keepdims=True), kernel_size, stride), x.shape[1], axis=1)


def max_pool_starts_from_zero(x, kernel_size, stride=None):
    return np.maximum(right_max(x, kernel_size, stride), 0)


def avg_pool_sums(x, kernel_size, stride=None):
    return _loop_pool(x, kernel_size, stride, np.sum)


def avg_pool_divides_by_kh(x, kernel_size, stride=None):
    kh, kw = _hw(kernel_size)
    return right_avg(x, kernel_size, stride) * kw


def avg_pool_takes_max(x, kernel_size, stride=None):
    return right_max(x, kernel_size, stride)


def max_pool_drops_batch_axis(x, kernel_size, stride=None):
    out = right_max(x, kernel_size, stride)
    return out[0] if out.shape[0] == 1 else out


def max_pool_centres_in_place(x, kernel_size, stride=None):
    m = x.mean()
    x -= m
    return right_max(x, kernel_size, stride) + m


def avg_pool_centres_in_place(x, kernel_size, stride=None):
    m = x.mean()
    x -= m
    return right_avg(x, kernel_size, stride) + m


MISTAKES = [
    (
        "max: stride default taken as 1",
        "q1",
        {"max_pool2d": max_pool_stride_defaults_to_1},
        "pool-stride-default",
    ),
    ("max: ceil instead of floor", "q1", {"max_pool2d": max_pool_ceil}, "ceil-not-floor"),
    (
        "max: stride on the rows only",
        "q1",
        {"max_pool2d": max_pool_stride_rows_only},
        "stride-rows-only",
    ),
    ("max: kernel_size[0] on both axes", "q1", {"max_pool2d": max_pool_kernel_first_for_both}, "kernel-first-both"),
    ("max: pools across channels", "q1", {"max_pool2d": max_pool_across_channels}, "pools-across-channels"),
    ("max: starts from 0", "q1", {"max_pool2d": max_pool_starts_from_zero}, "max-from-zero"),
    ("max: batch axis dropped", "q1", {"max_pool2d": max_pool_drops_batch_axis}, "batch-axis-dropped"),
    ("max: input changed in place", "q1", {"max_pool2d": max_pool_centres_in_place}, "input-mutated"),
    (
        "avg: stride default taken as 1",
        "q2",
        {"avg_pool2d": avg_pool_stride_defaults_to_1},
        "pool-stride-default",
    ),
    ("avg: ceil instead of floor", "q2", {"avg_pool2d": avg_pool_ceil}, "ceil-not-floor"),
    (
        "avg: stride[0] on both axes",
        "q2",
        {"avg_pool2d": avg_pool_stride_first_for_both},
        "pool-stride-first-both",
    ),
    ("avg: pools across channels", "q2", {"avg_pool2d": avg_pool_across_channels}, "pools-across-channels"),
    ("avg: sums without dividing", "q2", {"avg_pool2d": avg_pool_sums}, "avg-not-divided"),
    ("avg: divides by kh only", "q2", {"avg_pool2d": avg_pool_divides_by_kh}, "avg-divides-by-height"),
    ("avg: takes the max", "q2", {"avg_pool2d": avg_pool_takes_max}, "avg-takes-max"),
    ("avg: input changed in place", "q2", {"avg_pool2d": avg_pool_centres_in_place}, "input-mutated"),
]
