"""Checks of the Convolution exercise: valid cross-correlation and true (flipped) convolution."""

import numpy as np

from .core import (
    ATOL,
    LIBRARIES,
    TORCH_CONV,
    call_text,
    expect_array,
    expect_float_dtype,
    first_match,
    result_array,
    run_student,
    same,
    torch_corr2d,
)

FORBIDDEN = TORCH_CONV + LIBRARIES

MISTAKES = {
    "flipped-kernel": ("the kernel flipped in a cross-correlation", ["flips the kernel: cross-correlation"]),
    "convolve-not-flipped": ("convolve2d without turning the kernel", ["flips the kernel not at all"]),
    "convolve-half-flipped": ("the kernel flipped on one axis only", ["flips the kernel only "]),
}


def check_corr2d(fn, image, kernel, flipped=False, name=None, call=None, atol=ATOL):
    """fn(image, kernel) must equal torch's cross-correlation of image with kernel, turned by
    180 degrees first when flipped=True (convolve2d). The expectation is computed before fn runs,
    and fn gets copies. A wrong result that matches a classic kernel mistake says so."""
    X, K = np.asarray(image), np.asarray(kernel)
    name = name or ("convolve2d" if flipped else "corr2d")
    call = call or call_text(name, [("image", X), ("kernel", K)])
    right = K[::-1, ::-1] if flipped else K
    want = torch_corr2d(X, right)
    returned = run_student(fn, call, (image, kernel))
    got = result_array(returned, call)
    if flipped:
        wrong = [
            (K[::-1, :], "flips the kernel only upside down; turn it by 180 degrees: K[::-1, ::-1]"),
            (K[:, ::-1], "flips the kernel only left to right; turn it by 180 degrees: K[::-1, ::-1]"),
            (K, "flips the kernel not at all; turn it by 180 degrees: K[::-1, ::-1]"),
            (K.T, "flips the kernel by transposing it; turn it by 180 degrees: K[::-1, ::-1]"),
        ]
    else:
        wrong = [(K[::-1, ::-1], "flips the kernel: cross-correlation uses K[m, n] as it is")]
    mistake = first_match(got, [(message, lambda k=k: torch_corr2d(X, k)) for k, message in wrong], want, atol)
    if mistake:
        raise AssertionError(f"{call} {mistake}")
    if got.shape == want.shape and not same(got, want, atol):  # an integer array cuts the fractions off
        expect_float_dtype(returned, call)
    expect_array(returned, want, call, atol)  # the returned array: its dtype names a precision problem
