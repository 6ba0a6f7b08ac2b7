"""Classic mistakes in the GPU exercise: each must fail a test of its question with a message
that contains the fragment given. Mistakes in `_gpu` questions are checked only where a GPU is."""

import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from solutions.reference import conv2d_im2col as right_im2col
from solutions.reference import conv2d_torch as right_torch


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def _sizes(x, w, stride, padding):
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    N, C, H, W = np.shape(x)
    C_out, _, kh, kw = np.shape(w)
    return N, C, H, W, C_out, kh, kw, sh, sw, ph, pw, (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1


def _im2col(x, w, b, stride, padding, row_order="cmk", fold="right"):
    """An im2col with a choice of mistakes: rows in another order, or the output axes mixed up."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    N, C, H, W, C_out, kh, kw, sh, sw, ph, pw, Ho, Wo = _sizes(x, w, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((N, C, kh, kw, Ho, Wo))
    for m in range(kh):
        for k in range(kw):
            cols[:, :, m, k] = xp[:, :, m : m + sh * (Ho - 1) + 1 : sh, k : k + sw * (Wo - 1) + 1 : sw]
    if row_order == "mkc":  # offsets first, channels last
        cols = cols.transpose(0, 2, 3, 1, 4, 5)
    cols = cols.reshape(N, C * kh * kw, Ho * Wo)
    if fold == "right":
        out = w.reshape(C_out, -1) @ cols
    else:  # one big product (C_out, N*L), then reshape without moving axes
        out = (w.reshape(C_out, -1) @ cols.transpose(1, 0, 2).reshape(C * kh * kw, N * Ho * Wo)).reshape(
            N, C_out, Ho * Wo
        )
    if b is not None:
        out = out + np.asarray(b, float).reshape(1, -1, 1)
    return out.reshape(N, C_out, Ho, Wo)


def im2col_rows_offset_first(x, w, b=None, stride=1, padding=0):
    return _im2col(x, w, b, stride, padding, row_order="mkc")


def im2col_axes_mixed(x, w, b=None, stride=1, padding=0):
    return _im2col(x, w, b, stride, padding, fold="reshape only")


def im2col_flipped(x, w, b=None, stride=1, padding=0):
    return right_im2col(x, np.asarray(w)[:, :, ::-1, ::-1], b, stride, padding)


def im2col_no_bias(x, w, b=None, stride=1, padding=0):
    return right_im2col(x, w, None, stride, padding)


def im2col_stride_rows_only(x, w, b=None, stride=1, padding=0):
    return right_im2col(x, w, b, (_pair(stride)[0], 1), padding)


def im2col_pads_one_side(x, w, b=None, stride=1, padding=0):
    ph, pw = _pair(padding)
    xp = np.pad(np.asarray(x, float), ((0, 0), (0, 0), (ph, 0), (pw, 0)))
    return right_im2col(xp, w, b, stride, 0)


def im2col_first_channel_only(x, w, b=None, stride=1, padding=0):
    return right_im2col(np.asarray(x)[:, :1], np.asarray(w)[:, :1], b, stride, padding)


def im2col_reshapes_callers_w(x, w, b=None, stride=1, padding=0):
    C_out, C, kh, kw = w.shape
    w.shape = (C_out, C * kh * kw)  # setting .shape reshapes the caller's array
    return right_im2col(x, w.reshape(C_out, C, kh, kw), b, stride, padding)


def im2col_loops_over_pixels(x, w, b=None, stride=1, padding=0):
    """Right, but with a Python loop over the output pixels (numpy inside)."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    N, C, H, W, C_out, kh, kw, sh, sw, ph, pw, Ho, Wo = _sizes(x, w, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    W2 = w.reshape(C_out, -1)
    out = np.empty((N, C_out, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw].reshape(N, -1) @ W2.T
    return out if b is None else out + np.asarray(b, float).reshape(1, -1, 1, 1)


def torch_uses_conv2d(x, w, b=None, stride=1, padding=0):
    return F.conv2d(x, w, b, stride=stride, padding=padding)


def torch_returns_numpy(x, w, b=None, stride=1, padding=0):
    return right_torch(x, w, b, stride, padding).numpy()


def torch_always_float32(x, w, b=None, stride=1, padding=0):
    return right_torch(x.float(), w.float(), None if b is None else b.float(), stride, padding)


def torch_ignores_padding(x, w, b=None, stride=1, padding=0):
    return right_torch(x, w, b, stride, 0)


def torch_detour_through_cpu(x, w, b=None, stride=1, padding=0):
    """Right values, computed in numpy on the CPU and copied back to the inputs' device."""
    out = right_im2col(x.cpu().numpy(), w.cpu().numpy(), None if b is None else b.cpu().numpy(), stride, padding)
    return torch.as_tensor(out, dtype=x.dtype, device=x.device)


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def bench_mean(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        _sync()
        t = time.perf_counter()
        fn(*args)
        _sync()
        times.append(time.perf_counter() - t)
    return sum(times) / len(times)


def bench_min(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        _sync()
        t = time.perf_counter()
        fn(*args)
        _sync()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_no_warmup(fn, *args, repeats=10, warmup=3):
    times = []
    for _ in range(repeats):
        _sync()
        t = time.perf_counter()
        fn(*args)
        _sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_no_sync(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_total(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn(*args)
    _sync()
    t = time.perf_counter()
    for _ in range(repeats):
        fn(*args)
    _sync()
    return time.perf_counter() - t


def bench_milliseconds(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        _sync()
        t = time.perf_counter()
        fn(*args)
        _sync()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_cpu_time(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        _sync()
        t = time.process_time()
        fn(*args)
        _sync()
        times.append(time.process_time() - t)
    return statistics.median(times)


def bench_always_synchronize(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        t = time.perf_counter()
        fn(*args)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_warmup_timed(fn, *args, repeats=10, warmup=3):
    times = []
    for _ in range(warmup + repeats):
        _sync()
        t = time.perf_counter()
        fn(*args)
        _sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_fixed_number(fn, *args, repeats=10, warmup=3):
    """Calls fn as it should, then returns a number that fits one of the tests' windows."""
    for _ in range(warmup + repeats):
        fn(*args)
    return 0.035


def bench_drops_args(fn, *args, repeats=10, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync()
        t = time.perf_counter()
        fn()
        _sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


MISTAKES = [
    ("im2col: kernel flipped", "q1", {"conv2d_im2col": im2col_flipped}, "flipped-kernel"),
    (
        "im2col: rows ordered offset first, channel last",
        "q1",
        {"conv2d_im2col": im2col_rows_offset_first},
        "im2col-row-order",
    ),
    (
        "im2col: batch and channel axes mixed by a reshape",
        "q1",
        {"conv2d_im2col": im2col_axes_mixed},
        "im2col-axes-mixed",
    ),
    ("im2col: bias ignored", "q1", {"conv2d_im2col": im2col_no_bias}, "bias-ignored"),
    (
        "im2col: stride on the rows only",
        "q1",
        {"conv2d_im2col": im2col_stride_rows_only},
        "stride-rows-only",
    ),
    ("im2col: padding on one side only", "q1", {"conv2d_im2col": im2col_pads_one_side}, "padding-one-side"),
    (
        "im2col: first input channel only",
        "q1",
        {"conv2d_im2col": im2col_first_channel_only},
        "first-channel-only",
    ),
    ("im2col: reshapes the caller's w", "q1", {"conv2d_im2col": im2col_reshapes_callers_w}, "input-mutated"),
    (
        "im2col: loop over output pixels",
        "q2",
        {"conv2d_im2col": im2col_loops_over_pixels},
        "python-loop",
    ),
    ("torch: calls F.conv2d", "q3", {"conv2d_torch": torch_uses_conv2d}, "calls-conv2d"),
    ("torch: returns a numpy array", "q3", {"conv2d_torch": torch_returns_numpy}, "returns-numpy"),
    (
        "torch: computes in float32 whatever the input",
        "q3",
        {"conv2d_torch": torch_always_float32},
        "dtype-changed",
    ),
    ("torch: ignores padding", "q3", {"conv2d_torch": torch_ignores_padding}, "padding-ignored"),
    ("benchmark: mean", "q4", {"benchmark": bench_mean}, "benchmark-mean"),
    ("benchmark: minimum", "q4", {"benchmark": bench_min}, "benchmark-minimum"),
    ("benchmark: no warm-up", "q4", {"benchmark": bench_no_warmup}, "benchmark-no-warmup"),
    ("benchmark: total instead of per call", "q4", {"benchmark": bench_total}, "benchmark-total"),
    ("benchmark: milliseconds", "q4", {"benchmark": bench_milliseconds}, "benchmark-milliseconds"),
    ("benchmark: CPU time", "q4", {"benchmark": bench_cpu_time}, "benchmark-cpu-time"),
    (
        "benchmark: warm-up calls timed",
        "q4",
        {"benchmark": bench_warmup_timed},
        "benchmark-times-warmup",
    ),
    ("benchmark: arguments not passed on", "q4", {"benchmark": bench_drops_args}, "benchmark-drops-args"),
    ("benchmark: returns a fixed number", "q4", {"benchmark": bench_fixed_number}, "benchmark-not-measured"),
    (
        "torch on the GPU: detour through the CPU",
        "q5_gpu",
        {"conv2d_torch": torch_detour_through_cpu},
        "gpu-detour-through-cpu",
    ),
    (
        "benchmark on the GPU: no synchronisation",
        "q6_gpu",
        {"benchmark": bench_no_sync},
        "gpu-no-synchronize",
    ),
]

if not torch.cuda.is_available():
    # Only a mistake where there is no GPU: there, torch.cuda.synchronize() raises.
    MISTAKES.append(
        (
            "benchmark: synchronises without a GPU",
            "q4",
            {"benchmark": bench_always_synchronize},
            "benchmark-sync-without-gpu",
        )
    )
