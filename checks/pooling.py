"""Checks of the Pooling exercise: max and average pooling, stride defaulting to the window."""

import numpy as np

from .core import (
    ATOL,
    LIBRARIES,
    TORCH_CONV,
    TORCH_POOL,
    UNSET,
    as_float,
    call_text,
    expect_nchw,
    first_match,
    pair,
    pair_mistakes,
    run_student,
)

FORBIDDEN = TORCH_POOL + TORCH_CONV + LIBRARIES

MISTAKES = {
    "pool-stride-default": (
        "stride 1 when stride is None (the default is kernel_size)",
        ["uses stride 1 when stride is None"],
    ),
    "ceil-not-floor": ("the output size rounded up (ceil) instead of down (floor)", ["(ceil instead of floor?)"]),
    "kernel-first-both": ("kernel_size[0] used on both axes", ["uses kernel_size[0] = "]),
    "pool-stride-first-both": (
        "the default stride taken as kernel_size[0] on both axes",
        ["with stride=None the stride is kernel_size"],
    ),
    "pools-across-channels": ("pooling across channels", ["pools across channels"]),
    "max-from-zero": ("the maximum started from 0", ["not from 0"]),
    "avg-not-divided": ("the window summed, not averaged", ["without dividing"]),
    "avg-divides-by-height": ("divided by kh only, not kh * kw", ["only; the window holds"]),
    "avg-takes-max": ("the maximum taken instead of the mean", ["avg_pool2d takes the mean"]),
}


def _torch_pool(name, x, kernel_size, stride, padding, ceil_mode):
    import torch
    import torch.nn.functional as F

    pool = getattr(F, name)
    out = pool(
        torch.as_tensor(np.array(x, dtype=np.float64)),
        pair(kernel_size),
        None if stride is None else pair(stride),
        pair(padding),
        ceil_mode=ceil_mode,
    )
    return out.numpy()


def torch_max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """PyTorch's max pooling in float64. x: (N, C, H, W); stride=None means kernel_size."""
    return _torch_pool("max_pool2d", x, kernel_size, stride, padding, ceil_mode)


def torch_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """PyTorch's average pooling in float64. x: (N, C, H, W); stride=None means kernel_size."""
    return _torch_pool("avg_pool2d", x, kernel_size, stride, padding, ceil_mode)


def _pool_candidates(kind, x, kernel_size, stride):
    kh, kw = pair(kernel_size)
    sh, sw = pair(kernel_size if stride is None else stride)
    pool = torch_max_pool2d if kind == "max" else torch_avg_pool2d
    right = lambda: pool(x, kernel_size, stride)  # noqa: E731
    c = []
    if stride is None:
        c.append(
            (
                f"uses stride 1 when stride is None: the default stride is kernel_size, so {kh}x{kw} windows "
                f"sit side by side and move {kh} rows and {kw} columns at a time",
                lambda: pool(x, kernel_size, 1),
            )
        )
        for s in {(kh, 1), (1, kw), (kh, kh), (kw, kw), (kw, kh)} - {(kh, kw), (1, 1)}:
            c.append(
                (
                    f"moves its windows {s[0]} rows and {s[1]} columns at a time; with stride=None the stride is "
                    f"kernel_size, so they move {kh} rows and {kw} columns",
                    lambda s=s: pool(x, kernel_size, s),
                )
            )
    if (sh, sw) != (1, 1) and stride is not None:
        c += pair_mistakes("stride", stride, (sh, sw), lambda s: pool(x, kernel_size, s))
    if kh != kw:
        follow = lambda k: stride if stride is not None else k  # noqa: E731
        c += [
            (
                f"uses kernel_size[0] = {kh} on both axes; windows are {kh} rows by {kw} columns",
                lambda: pool(x, (kh, kh), follow((kh, kh))),
            ),
            (
                f"uses kernel_size[1] = {kw} on both axes; windows are {kh} rows by {kw} columns",
                lambda: pool(x, (kw, kw), follow((kw, kw))),
            ),
            (
                f"swaps the kernel_size pair: ({kh}, {kw}) means {kh} rows (height) by {kw} columns (width)",
                lambda: pool(x, (kw, kh), follow((kw, kh))),
            ),
        ]
    if x.shape[1] > 1:
        across = x.max(axis=1, keepdims=True) if kind == "max" else x.mean(axis=1, keepdims=True)
        c.append(
            (
                "pools across channels: each channel is pooled on its own, so out[n, c] depends on x[n, c] only "
                "and there are as many output channels as input channels",
                lambda: np.repeat(pool(across, kernel_size, stride), x.shape[1], axis=1),
            )
        )
    if kind == "max":
        c += [
            (
                "gives 0 for a window of negative numbers: start the maximum from the window's first value "
                "(or -inf, or use np.max), not from 0",
                lambda: np.maximum(right(), 0),
            ),
            (
                "takes the mean of each window; max_pool2d takes the maximum",
                lambda: torch_avg_pool2d(x, kernel_size, stride),
            ),
        ]
    else:
        c += [
            (
                f"adds up each window without dividing: the average divides by the window size {kh} * {kw} = {kh * kw}",
                lambda: right() * (kh * kw),
            ),
            (
                "takes the maximum of each window; avg_pool2d takes the mean",
                lambda: torch_max_pool2d(x, kernel_size, stride),
            ),
        ]
        if kh != kw:
            c += [
                (f"divides by {kh} only; the window holds {kh} * {kw} = {kh * kw} numbers", lambda: right() * kw),
                (f"divides by {kw} only; the window holds {kh} * {kw} = {kh * kw} numbers", lambda: right() * kh),
            ]
    return c


def check_pool2d(pool2d, kind, x, kernel_size, stride=UNSET, expected=None, atol=ATOL):
    """Call max_pool2d or avg_pool2d (kind "max" or "avg") as pool2d(x, kernel_size[, stride])
    and compare with torch (or `expected`); name the classic mistake a wrong result matches."""
    name = f"{kind}_pool2d"
    args = [("x", x), ("kernel_size", kernel_size)]
    kwargs = {} if stride is UNSET else {"stride": stride}
    call = call_text(name, args, kwargs)
    got = run_student(pool2d, call, [x, kernel_size], kwargs)
    stride = None if stride is UNSET else stride
    pool = torch_max_pool2d if kind == "max" else torch_avg_pool2d
    want = pool(x, kernel_size, stride) if expected is None else np.asarray(expected, dtype=float)
    arr = as_float(got)
    if arr is not None and arr.shape == want.shape and np.allclose(arr, want, rtol=0, atol=atol):
        return
    if arr is not None:
        try:
            mistake = first_match(arr, _pool_candidates(kind, np.asarray(x, float), kernel_size, stride), want, atol)
        except ImportError:
            mistake = None
        if mistake:
            raise AssertionError(f"{call} {mistake}")
    if arr is not None and arr.ndim == 4 and arr.shape[:2] == want.shape[:2] and arr.shape != want.shape:
        H, W = np.shape(x)[2:]
        kh, kw = pair(kernel_size)
        sh, sw = pair(kernel_size if stride is None else stride)
        ceil = (-(-(H - kh) // sh) + 1, -(-(W - kw) // sw) + 1)
        if arr.shape[2:] == ceil:
            raise AssertionError(
                f"{call} returned {ceil[0]} x {ceil[1]} windows; floor mode gives {want.shape[2]} x {want.shape[3]}: "
                f"H' = floor((H - kh) / sh) + 1 = floor(({H} - {kh}) / {sh}) + 1 and "
                f"W' = floor(({W} - {kw}) / {sw}) + 1. "
                "A window that would run off the edge is dropped (ceil instead of floor?), as torch does by default"
            )
    expect_nchw(got, want, call, atol)
