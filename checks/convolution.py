"""Checks of the Convolution exercise: valid cross-correlation and true (flipped) convolution."""

import numpy as np

from .core import (
    ATOL,
    LIBRARIES,
    TORCH_CONV,
    call_text,
    expect_array,
    first_match,
    result_array,
    run_student,
    torch_corr2d,
)

FORBIDDEN = TORCH_CONV + LIBRARIES


def check_corr2d(fn, image, kernel, flipped=False, name=None, call=None, atol=ATOL):
    """fn(image, kernel) must equal torch's cross-correlation of image with kernel, turned by
    180 degrees first when flipped=True (convolve2d). The expectation is computed before fn runs,
    and fn gets copies. A wrong result that matches a classic kernel mistake says so."""
    X, K = np.asarray(image), np.asarray(kernel)
    name = name or ("convolve2d" if flipped else "corr2d")
    call = call or call_text(name, [("image", X), ("kernel", K)])
    right = K[::-1, ::-1] if flipped else K
    want = torch_corr2d(X, right)
    got = result_array(run_student(fn, call, (image, kernel)), call)
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
    expect_array(got, want, call, atol)
