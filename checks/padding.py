"""Checks of the Padding exercise: zero padding (the padded, strided correlation is checked
with the Stride exercise's check_corr2d_sp)."""

import numpy as np

from .core import LIBRARIES, TORCH_CONV, call_text, expect_array, pair, pair_mistakes, run_student
from .stride import failure_notes

# Ready-made zero padding would make pad2d a one-liner.
PADDING = [
    "numpy.pad",
    "torch.nn.functional.pad",
    "torch.constant_pad_nd",
    "torch.nn.ZeroPad2d",
    "torch.nn.ConstantPad2d",
    "aten::constant_pad_nd*",
    "aten::pad",
]
FORBIDDEN = TORCH_CONV + LIBRARIES + PADDING
FORBIDDEN_NOTE = "ready-made padding would make question 1 a one-liner"

MISTAKES = {
    "padding-one-side": ("zeros on the top and left only", ["pads only the top and left"]),
    "padding-one-corner": (
        "all the zeros on one side (the image in a corner)",
        ["puts the image in the top-left corner", "puts all 2*padding zeros above and left"],
    ),
    "padding-repeats-edge": ("the edge values repeated instead of zeros", ["repeats the edge values"]),
    "padding-mirrored": (
        "the image mirrored into the padding instead of zeros",
        ["mirrors the image into the padding"],
    ),
    "returns-its-input": ("the input array returned itself, not a new one", ["returned the image itself"]),
}


def _sp_pad_candidates(X, padding):
    ph, pw = pair(padding)
    both = "`padding` zeros go on BOTH sides: p_h rows above and below, p_w columns left and right"
    c = [
        (f"pads only the top and left: {both}", lambda: np.pad(X, ((ph, 0), (pw, 0)))),
        (f"pads only the bottom and right: {both}", lambda: np.pad(X, ((0, ph), (0, pw)))),
        (
            f"puts the image in the top-left corner: {both}, so the image sits in the middle",
            lambda: np.pad(X, ((0, 2 * ph), (0, 2 * pw))),
        ),
        (
            f"puts the image in the bottom-right corner: {both}, so the image sits in the middle",
            lambda: np.pad(X, ((2 * ph, 0), (2 * pw, 0))),
        ),
        (
            "pads with ones; zero padding puts zeros around the image",
            lambda: np.pad(X, ((ph, ph), (pw, pw)), constant_values=1),
        ),
        (
            "repeats the edge values; zero padding puts zeros around the image",
            lambda: np.pad(X, ((ph, ph), (pw, pw)), mode="edge"),
        ),
        (
            "mirrors the image into the padding (np.pad mode='symmetric'); zero padding puts zeros around the image",
            lambda: np.pad(X, ((ph, ph), (pw, pw)), mode="symmetric"),
        ),
        (
            "mirrors the image into the padding (np.pad mode='reflect'); zero padding puts zeros around the image",
            lambda: np.pad(X, ((ph, ph), (pw, pw)), mode="reflect"),
        ),
        ("returns the padded image transposed (rows and columns swapped)", lambda: np.pad(X, ((ph, ph), (pw, pw))).T),
    ]
    c += pair_mistakes("padding", padding, (ph, pw), lambda p: np.pad(X, ((p[0], p[0]), (p[1], p[1]))))
    return c


def check_pad2d(pad2d, image, padding, expected=None):
    """Call pad2d(image, padding) and compare with zero padding on both sides of each axis."""
    X = np.asarray(image)
    call = call_text("pad2d", [("image", X)], {"padding": padding})
    got = run_student(pad2d, call, [X, padding], {}, failure_notes(X, None, 1, padding))
    ph, pw = pair(padding)
    want = np.pad(X.astype(float), ((ph, ph), (pw, pw))) if expected is None else np.asarray(expected, dtype=float)
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if got is None or arr is None:
        expect_array(got, want, call)
    if arr.shape == want.shape and np.array_equal(arr, want):
        return
    for message, thunk in _sp_pad_candidates(X.astype(float), padding):
        wrong = thunk()
        if (
            wrong.shape == arr.shape
            and np.array_equal(arr, wrong)
            and not (wrong.shape == want.shape and np.array_equal(wrong, want))
        ):
            raise AssertionError(f"{call} {message}")
    if arr.shape != want.shape:
        raise AssertionError(f"{call} returned shape {arr.shape}; expected {want.shape} = (H + 2*{ph}, W + 2*{pw})")
    expect_array(got, want, call)
