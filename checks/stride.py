"""Checks of the Stride exercise: output sizes and strided cross-correlations (the Padding
exercise uses the same check for its padded, strided correlation)."""

import math

import numpy as np

from .core import (
    ATOL,
    LIBRARIES,
    TORCH_CONV,
    UNSET,
    call_text,
    expect_array,
    pair,
    pair_mistakes,
    run_student,
    torch_corr2d,
)

FORBIDDEN = TORCH_CONV + LIBRARIES

MISTAKES = {
    "ceil-not-floor": (
        "the output size rounded up (ceil) instead of down (floor)",
        ["rounds up: (n - k + 2p)/s", "(rounded up: ", "the output size rounds down, and"],
    ),
    "size-rounded-to-nearest": ("the output size rounded to the nearest integer", ["rounds to the nearest integer"]),
    "size-float": ("the output size a float (/ instead of //)", ["a float; a size is an int"]),
    "size-without-plus-one": ("the + 1 of the output size forgotten", ["forgets the + 1"]),
    "padding-added-once": ("the padding counted on one side only", ["adds the padding once"]),
    "size-ignores-stride": ("the stride left out of the output size", ["ignores the stride: the window moves"]),
    "size-never-raises": ("no ValueError for a kernel that does not fit", ["it should raise ValueError"]),
    "kernel-checked-unpadded": (
        "a kernel that fits in the padded input rejected",
        ["but fits in the padded"],
    ),
    "int-only-argument": ("stride or padding taken as an int only, never a pair", ["may be an int or an (h, w) pair"]),
    "windows-not-strided": ("the windows do not move by the stride", ["do not move by the stride"]),
    "flipped-kernel": ("the kernel flipped in a cross-correlation", ["flips the kernel: cross-correlation"]),
    "padding-one-side": ("zeros on the top and left only", ["pads only the top and left"]),
    "slice-minus-zero": ("a slice x[p:-p] that is empty for p = 0", ["is empty when p = 0"]),
}


def torch_output_size(n, k, stride=1, padding=0):
    """How many rows torch's F.conv2d outputs for n input rows and a kernel of k rows."""
    import torch
    import torch.nn.functional as F

    x = torch.zeros(1, 1, n, 1, dtype=torch.float64)
    w = torch.zeros(1, 1, k, 1, dtype=torch.float64)
    return F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0)).shape[2]


def failure_notes(X, K, stride, padding):
    """What often makes a strided or padded function raise, for these arguments."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    notes = []
    if K is not None and (K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]):
        notes.append(
            (
                ValueError,
                (),
                "the kernel is larger than the image but fits in the padded image: "
                "compare its size with the padded image",
            )
        )
    if isinstance(stride, (tuple, list)) or isinstance(padding, (tuple, list)):
        notes.append((TypeError, (), "stride and padding may be an int or an (h, w) pair"))
    if K is not None and ((X.shape[0] - K.shape[0] + 2 * ph) % sh or (X.shape[1] - K.shape[1] + 2 * pw) % sw):
        notes.append(
            (
                (ValueError, IndexError),
                ("broadcast", "index", "out of bounds"),
                "here the stride does not divide (H - kh + 2p): the output size rounds down, and the last "
                "rows or columns that no whole window reaches are left out",
            )
        )
    if 0 in (ph, pw) and (ph, pw) != (0, 0):
        notes.append(
            (
                (ValueError, IndexError),
                ("into shape (0", ", 0)"),
                "a padding is 0 on one axis, and a slice such as P[p:-p] is empty when p = 0: use P[p:p + H] instead",
            )
        )
    return notes


def _sp_output_size_mistakes(n, k, s, p):
    """(value, what the wrong formula does) for the classic wrong output-size formulas."""
    return [
        (
            math.ceil((n - k + 2 * p) / s) + 1,
            f"rounds up: (n - k + 2p)/s = {n - k + 2 * p}/{s} is not whole, and a window that would run past "
            "the edge does not count; round down with //",
        ),
        (round((n - k + 2 * p) / s) + 1, "rounds to the nearest integer; the size rounds down (floor): use //"),
        ((n - k + 2 * p) // s, "forgets the + 1: the first window, at position 0, counts too"),
        (
            (n - k + p) // s + 1,
            f"adds the padding once: `padding` = {p} zeros go on BOTH sides, so the padded length is n + 2p",
        ),
        ((n - k) // s + 1, f"ignores the padding ({p} zeros on each side)"),
        (n - k + 2 * p + 1, f"ignores the stride: the window moves {s} places at a time"),
        ((n - k + 2 * p + 1) // s, "puts the + 1 inside the division: floor((n - k + 2p) / s) + 1"),
    ]


def check_output_size(conv_output_size, n, k, stride=UNSET, padding=UNSET, expected=None):
    """Call conv_output_size(n, k[, stride=..][, padding=..]) and compare with the size torch gives.

    When the answer is wrong, the message names the wrong formula it matches, if any.
    """
    kwargs = {name: v for name, v in [("stride", stride), ("padding", padding)] if v is not UNSET}
    call = call_text("conv_output_size", [("n", n), ("k", k)], kwargs)
    s = 1 if stride is UNSET else stride
    p = 0 if padding is UNSET else padding
    notes = (
        [
            (
                ValueError,
                (),
                f"the kernel is longer than n = {n} but fits in the padded length "
                f"n + 2p = {n + 2 * p}: that is allowed",
            )
        ]
        if n < k <= n + 2 * p
        else []
    )
    got = run_student(conv_output_size, call, [n, k], kwargs, notes)
    want = torch_output_size(n, k, s, p) if expected is None else expected
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        raise AssertionError(f"{call} returned {got!r} ({type(got).__name__}); expected the int {want}")
    if isinstance(got, (float, np.floating)):
        if float(got).is_integer() and int(got) == want:
            raise AssertionError(
                f"{call} returned {got!r}, a float; a size is an int: use // "
                f"(floor division), which also rounds down, or int(...) -> {want}"
            )
        raise AssertionError(
            f"{call} returned {got!r}; expected the int {want}: (n - k + 2p)/s = "
            f"{n - k + 2 * p}/{s} is not whole here, and the size rounds down: use //"
        )
    if int(got) == want:
        return
    matches = [what for value, what in _sp_output_size_mistakes(n, k, s, p) if value == got and value != want]
    if matches:  # several wrong formulas can give the same number: name each of them
        raise AssertionError(f"{call} returned {got}; expected {want}: your formula " + "; or it ".join(matches))
    raise AssertionError(
        f"{call} returned {got}; expected {want} = floor((n - k + 2p) / s) + 1 = floor(({n} - {k} + 2*{p}) / {s}) + 1"
    )


def _sp_corr_candidates(X, K, stride, padding):
    """(message, thunk) for the classic mistakes of a strided, padded cross-correlation."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    oh, ow = torch_corr2d(X, K, stride, padding).shape
    full = lambda: torch_corr2d(X, K, 1, padding)  # noqa: E731
    c = [
        (
            "flips the kernel: cross-correlation uses K[m, n] as it is",
            lambda: torch_corr2d(X, K[::-1, ::-1], stride, padding),
        ),
        ("returns the output transposed (rows and columns swapped)", lambda: torch_corr2d(X, K, stride, padding).T),
    ]
    if (sh, sw) != (1, 1):
        c += pair_mistakes("stride", stride, (sh, sw), lambda s: torch_corr2d(X, K, s, padding))
        starts = f"window (i, j) must start at row i*{sh} and column j*{sw}"
        c += [
            (
                f"has the right size, but its windows do not move by the stride: {starts}"
                f"{' of the padded image' if (ph, pw) != (0, 0) else ''}",
                lambda: full()[:oh, :ow],
            ),
            (f"moves the window by the stride along the rows only: {starts}", lambda: full()[::sh, :ow]),
            (f"moves the window by the stride along the columns only: {starts}", lambda: full()[:oh, ::sw]),
        ]
    if (ph, pw) != (0, 0):
        both = "`padding` zeros go on BOTH sides: above and below, left and right"
        c += [
            (
                f"pads only the top and left: {both}",
                lambda: torch_corr2d(np.pad(X, ((ph, 0), (pw, 0))), K, stride, 0),
            ),
            (
                f"pads only the bottom and right: {both}",
                lambda: torch_corr2d(np.pad(X, ((0, ph), (0, pw))), K, stride, 0),
            ),
            (
                f"puts all 2*padding zeros above and left of the image: {both}, p on each",
                lambda: torch_corr2d(np.pad(X, ((2 * ph, 0), (2 * pw, 0))), K, stride, 0),
            ),
            (
                f"puts all 2*padding zeros below and right of the image: {both}, p on each",
                lambda: torch_corr2d(np.pad(X, ((0, 2 * ph), (0, 2 * pw))), K, stride, 0),
            ),
        ]
        zeros = "zero padding puts zeros around the image (np.pad's default mode, 'constant')"
        c += [
            (
                f"mirrors the image into the padding (np.pad mode='symmetric'): {zeros}",
                lambda: torch_corr2d(np.pad(X, ((ph, ph), (pw, pw)), mode="symmetric"), K, stride, 0),
            ),
            (
                f"mirrors the image into the padding (np.pad mode='reflect'): {zeros}",
                lambda: torch_corr2d(np.pad(X, ((ph, ph), (pw, pw)), mode="reflect"), K, stride, 0),
            ),
            (
                f"repeats the edge values into the padding (np.pad mode='edge'): {zeros}",
                lambda: torch_corr2d(np.pad(X, ((ph, ph), (pw, pw)), mode="edge"), K, stride, 0),
            ),
        ]
        c += pair_mistakes("padding", padding, (ph, pw), lambda p: torch_corr2d(X, K, stride, p))
    return c


def _sp_shape_hint(shape, X, K, stride, padding):
    """Why a result can have this (wrong) shape, when no candidate array matched."""
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    (H, W), (kh, kw) = X.shape, K.shape
    ceil = (math.ceil((H - kh + 2 * ph) / sh) + 1, math.ceil((W - kw + 2 * pw) / sw) + 1)
    floor = torch_corr2d(X, K, stride, padding).shape
    if tuple(shape) == ceil != floor:
        return (
            f" (rounded up: (H - kh + 2p)/s is not whole here, and a window that would run past the edge "
            f"does not count: {floor[0]} x {floor[1]} = floor((H - kh + 2p)/s) + 1 on each axis)"
        )
    if len(shape) == 2 and all(g == e - 1 for g, e in zip(shape, floor)):
        return " (one row and column short: the number of windows is floor((H - kh + 2p)/s) + 1)"
    if len(shape) == 2 and all(g >= e for g, e in zip(shape, floor)):
        return " (too many rows or columns: the output size is floor((H - kh + 2p)/s) + 1 on each axis)"
    return " (the output size is floor((H - kh + 2p)/s) + 1 on each axis)"


def check_corr2d_sp(fn, name, image, kernel, stride=UNSET, padding=UNSET, expected=None, atol=ATOL):
    """Call fn(image, kernel[, stride=..][, padding=..]) and compare with torch (or `expected`).

    name: the student's function name, for the message ("corr2d_strided", "corr2d_padded").
    Arguments left out are left out of the call, so that the defaults get tested. When the result
    is wrong, the message names the classic mistake it matches, if any.
    """
    X, K = np.asarray(image), np.asarray(kernel)
    kwargs = {k: v for k, v in [("stride", stride), ("padding", padding)] if v is not UNSET}
    call = call_text(name, [("image", X), ("kernel", K)], kwargs)
    s = 1 if stride is UNSET else stride
    p = 0 if padding is UNSET else padding
    got = run_student(fn, call, [X, K], kwargs, failure_notes(X, K, s, p))
    want = torch_corr2d(X, K, s, p) if expected is None else np.asarray(expected, dtype=float)
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if got is None or arr is None:
        expect_array(got, want, call, atol)
    if arr.shape == want.shape and np.allclose(arr, want, rtol=0, atol=atol):
        return
    for message, thunk in _sp_corr_candidates(X.astype(float), K.astype(float), s, p):
        try:
            wrong = np.asarray(thunk(), dtype=float)
        except Exception:  # a wrong variant that cannot be computed for these sizes
            continue
        if (
            wrong.shape == arr.shape
            and np.allclose(arr, wrong, rtol=0, atol=atol)
            and not (wrong.shape == want.shape and np.allclose(wrong, want, rtol=0, atol=atol))
        ):
            raise AssertionError(f"{call} {message}")
    if arr.shape != want.shape:
        raise AssertionError(
            f"{call} returned shape {arr.shape}; expected {want.shape}{_sp_shape_hint(arr.shape, X, K, s, p)}"
        )
    expect_array(got, want, call, atol)
