"""Classic mistakes in the Stride exercise: each must fail a test with a pointed message."""

import math

import numpy as np

from solutions.reference import corr2d


def _checked(n, k, stride, padding):
    if stride < 1 or padding < 0 or k > n + 2 * padding:
        raise ValueError("bad arguments")


# ---------------------------------------------------------------- conv_output_size


def size_ceil(n, k, stride=1, padding=0):
    _checked(n, k, stride, padding)
    return math.ceil((n - k + 2 * padding) / stride) + 1


def size_round(n, k, stride=1, padding=0):
    _checked(n, k, stride, padding)
    return round((n - k + 2 * padding) / stride) + 1


def size_true_division(n, k, stride=1, padding=0):
    _checked(n, k, stride, padding)
    return (n - k + 2 * padding) / stride + 1


def size_no_plus_one(n, k, stride=1, padding=0):
    _checked(n, k, stride, padding)
    return (n - k + 2 * padding) // stride


def size_padding_once(n, k, stride=1, padding=0):
    _checked(n, k, stride, padding)
    return (n - k + padding) // stride + 1


def size_ignores_stride(n, k, stride=1, padding=0):
    _checked(n, k, stride, padding)
    return n - k + 2 * padding + 1


def size_never_raises(n, k, stride=1, padding=0):
    return (n - k + 2 * padding) // max(stride, 1) + 1


def size_raises_for_kernel_larger_than_input(n, k, stride=1, padding=0):
    # checks k > n before thinking of the padding
    if stride < 1 or padding < 0 or k > n:
        raise ValueError("bad arguments")
    return (n - k + 2 * padding) // stride + 1


# ---------------------------------------------------------------- corr2d_strided


def _strided(image, kernel, sh, sw, rows=None, cols=None):
    X, K = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = K.shape
    rows = (X.shape[0] - kh) // sh + 1 if rows is None else rows
    cols = (X.shape[1] - kw) // sw + 1 if cols is None else cols
    Y = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            Y[i, j] = np.sum(X[i * sh : i * sh + kh, j * sw : j * sw + kw] * K)
    return Y


def _pair(stride):
    return stride if isinstance(stride, (tuple, list)) else (stride, stride)


def strided_rows_only(image, kernel, stride=1):
    sh, _ = _pair(stride)
    return _strided(image, kernel, sh, 1)


def strided_first_for_both(image, kernel, stride=1):
    sh, _ = _pair(stride)
    return _strided(image, kernel, sh, sh)


def strided_swapped(image, kernel, stride=1):
    sh, sw = _pair(stride)
    return _strided(image, kernel, sw, sh)


def strided_int_only(image, kernel, stride=1):
    # range(0, H - kh + 1, stride) breaks when stride is a pair
    X, K = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = K.shape
    rows = range(0, X.shape[0] - kh + 1, stride)
    cols = range(0, X.shape[1] - kw + 1, stride)
    return np.array([[np.sum(X[r : r + kh, c : c + kw] * K) for c in cols] for r in rows])


def strided_ceil(image, kernel, stride=1):
    # the output size rounded up; the last window is cut off by the image edge
    sh, sw = _pair(stride)
    X, K = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = K.shape
    rows = math.ceil((X.shape[0] - kh) / sh) + 1
    cols = math.ceil((X.shape[1] - kw) / sw) + 1
    Y = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = X[i * sh : i * sh + kh, j * sw : j * sw + kw]
            Y[i, j] = np.sum(window * K[: window.shape[0], : window.shape[1]])
    return Y


def strided_ceil_crashes(image, kernel, stride=1):
    # the output size rounded up, and the cut-off window does not broadcast with the kernel
    sh, sw = _pair(stride)
    X, K = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = K.shape
    rows = math.ceil((X.shape[0] - kh) / sh) + 1
    cols = math.ceil((X.shape[1] - kw) / sw) + 1
    Y = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            Y[i, j] = np.sum(X[i * sh : i * sh + kh, j * sw : j * sw + kw] * K)
    return Y


def strided_windows_do_not_move(image, kernel, stride=1):
    # right size, but window (i, j) starts at (i, j) instead of (i * s_h, j * s_w)
    sh, sw = _pair(stride)
    X, K = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    rows, cols = (X.shape[0] - K.shape[0]) // sh + 1, (X.shape[1] - K.shape[1]) // sw + 1
    return corr2d(X, K)[:rows, :cols]


def strided_flipped(image, kernel, stride=1):
    sh, sw = _pair(stride)
    return _strided(image, np.asarray(kernel)[::-1, ::-1], sh, sw)


def strided_integer_output(image, kernel, stride=1):
    sh, sw = _pair(stride)
    Y = _strided(image, kernel, sh, sw)
    return Y.astype(np.asarray(image).dtype) if np.issubdtype(np.asarray(image).dtype, np.integer) else Y


def strided_normalises_in_place(image, kernel, stride=1):
    image -= image.mean()
    sh, sw = _pair(stride)
    return _strided(image, kernel, sh, sw)


MISTAKES = [
    ("size rounds up (ceil)", "q1", {"conv_output_size": size_ceil}, "ceil-not-floor"),
    ("size rounds to nearest", "q1", {"conv_output_size": size_round}, "size-rounded-to-nearest"),
    ("size uses true division", "q1", {"conv_output_size": size_true_division}, "size-float"),
    ("size without + 1", "q1", {"conv_output_size": size_no_plus_one}, "size-without-plus-one"),
    ("size adds the padding once", "q1", {"conv_output_size": size_padding_once}, "padding-added-once"),
    ("size ignores the stride", "q1", {"conv_output_size": size_ignores_stride}, "size-ignores-stride"),
    ("size never raises", "q1", {"conv_output_size": size_never_raises}, "size-never-raises"),
    (
        "size rejects a kernel that fits thanks to padding",
        "q1",
        {"conv_output_size": size_raises_for_kernel_larger_than_input},
        "kernel-checked-unpadded",
    ),
    ("stride on the rows only", "q2", {"corr2d_strided": strided_rows_only}, "stride-rows-only"),
    ("stride[0] on both axes", "q2", {"corr2d_strided": strided_first_for_both}, "stride-first-both"),
    ("stride pair swapped", "q2", {"corr2d_strided": strided_swapped}, "stride-swapped"),
    ("stride must be an int", "q2", {"corr2d_strided": strided_int_only}, "int-only-argument"),
    ("output size rounded up, partial windows", "q2", {"corr2d_strided": strided_ceil}, "ceil-not-floor"),
    ("output size rounded up, crashes", "q2", {"corr2d_strided": strided_ceil_crashes}, "ceil-not-floor"),
    (
        "windows do not move by the stride",
        "q2",
        {"corr2d_strided": strided_windows_do_not_move},
        "windows-not-strided",
    ),
    ("kernel flipped", "q2", {"corr2d_strided": strided_flipped}, "flipped-kernel"),
    ("integer output", "q2", {"corr2d_strided": strided_integer_output}, "integer-output"),
    ("input changed in place", "q2", {"corr2d_strided": strided_normalises_in_place}, "input-mutated"),
]
