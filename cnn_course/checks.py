"""Assertions for the exercise tests, written for students to read.

This file is copied next to every student notebook as `exercise_checks.py` (the exercise
generator does it), so it may import only the standard library, numpy and, lazily, torch.
Each check raises AssertionError with one message that says what was called, what came back
and what was expected: the shape, the first wrong element, or the changed input.
"""
import numpy as np

ATOL = 1e-8


def expect_array(got, expected, call, atol=ATOL):
    """Assert that `got` is a float array equal to `expected` within `atol`.

    call: how the function was called, e.g. "corr2d(image (3, 4), kernel (2, 2))".
    """
    expected = np.asarray(expected, dtype=float)
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{call} returned {type(got).__name__}, which is not an array of numbers") from None
    if got_arr.shape != expected.shape:
        hint = ""
        if got_arr.shape == expected.shape[::-1]:
            hint = " (rows and columns swapped?)"
        elif got_arr.ndim == expected.ndim and all(g == e + 1 or g == e - 1 for g, e in zip(got_arr.shape, expected.shape)):
            hint = " (off by one: output size is H - kh + 1?)"
        raise AssertionError(f"{call} returned shape {got_arr.shape}; expected {expected.shape}{hint}")
    close = np.isclose(got_arr, expected, rtol=0, atol=atol)
    if not close.all():
        bad = np.argwhere(~close)
        idx = tuple(int(v) for v in bad[0])
        raise AssertionError(
            f"{call}: element {list(idx)} is {got_arr[idx]:.6g}; expected {expected[idx]:.6g} "
            f"({len(bad)} of {expected.size} elements differ by more than {atol:g})"
        )


def expect_unchanged(before, after, name, call):
    """Assert that an input array was not modified by the call. before: a copy taken first."""
    if not np.array_equal(before, after):
        raise AssertionError(f"{call} changed its input `{name}`: a function must not modify its arguments")


def random_array(rng, *shape):
    """Floats in [-1, 1) of the given shape from a numpy Generator."""
    return rng.uniform(-1.0, 1.0, size=shape)


def torch_corr2d(image, kernel):
    """PyTorch's answer, in float64 on the CPU: F.conv2d is a cross-correlation.

    image: (H, W); kernel: (kh, kw). Returns (H - kh + 1, W - kw + 1) numpy array.
    """
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(np.array(image, dtype=np.float64))[None, None]
    w = torch.as_tensor(np.array(kernel, dtype=np.float64))[None, None]
    return F.conv2d(x, w)[0, 0].numpy()


# --- mlp-limits, translation-invariance


# --- stride, padding


# --- channels, pooling


# --- gpu
