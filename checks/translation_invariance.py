"""Checks of the Translation invariance exercise: shifted images and the equivariance of correlation."""

import numpy as np

from .core import expect_array, result_array, run_student, same, torch_corr2d

# F.pad with negative widths crops: that shifts an image, so it is forbidden here (the lecture
# shifts digits with it).
FORBIDDEN = ["scipy.ndimage", "skimage", "cv2", "torch.nn.functional.pad"]
FORBIDDEN_NOTE = (
    "with negative widths it crops, which is the shift itself: the lecture's one-line shift is not allowed here"
)

MISTAKES = {
    "shift-wraps": ("np.roll: pixels wrap around", ["wraps around, like np.roll"]),
    "shift-reversed": ("the shift in the wrong direction", ["moves the content the wrong way"]),
    "shift-axes-swapped": ("dy and dx swapped", ["swaps dy and dx"]),
    "slice-minus-zero": ("a slice x[:-d] that is empty for d = 0", ["x[:-0] is x[:0]"]),
    "shift-too-far": ("a shift as large as the image not handled", ["moves everything out: the result is all zeros"]),
    "not-cropped": ("the whole output kept, vacated pixels included", ["did not vacate"]),
    "wrong-side-cropped": ("the wrong rows or columns cropped", ["keeps the wrong"]),
    "not-a-pair": ("one number returned instead of a pair of arrays", ["expected a pair of arrays"]),
    "output-shifted-back": ("the output shifted the other way", ["shifts the output the other way"]),
    "builds-on-wrong-answer": ("an earlier question's function still wrong", ["which does not pass question 1 yet"]),
}


def torch_shift(image, dy, dx):
    """PyTorch's answer: image (H, W) moved down by dy and right by dx, zeros where it left.

    F.pad pads by (left, right, top, bottom); a negative width crops, so padding dx on the
    left and -dx on the right moves the content dx columns to the right. Returns (H, W) float.
    """
    import torch
    import torch.nn.functional as F

    x = np.array(image, dtype=np.float64)
    H, W = x.shape
    if abs(dy) >= H or abs(dx) >= W:
        return np.zeros((H, W))
    t = torch.as_tensor(x)[None, None]
    return F.pad(t, (dx, -dx, dy, -dy))[0, 0].numpy()


def check_shift_image(shift_image, image, dy, dx, call=None):
    """shift_image(image, dy, dx) must equal torch_shift; classic mistakes get their own message."""
    x = np.asarray(image, dtype=float)
    H, W = x.shape
    call = call or f"shift_image(image {x.shape}, dy={dy}, dx={dx})"
    hint = ""
    if abs(dy) >= H or abs(dx) >= W:
        hint = " (a shift as large as the image moves everything out: the result is all zeros)"
    elif dy == 0 or dx == 0:
        hint = " (careful with a shift of 0: x[:-0] is x[:0], which is empty)"
    got = result_array(run_student(shift_image, call, (image, dy, dx), hint=hint), call)
    expected = torch_shift(x, dy, dx)
    if same(got, expected):
        return
    if got.shape == x.shape:
        wrong = [
            (
                np.roll(x, (dy, dx), axis=(0, 1)),
                "wraps around, like np.roll: pixels pushed out of "
                "the frame must be lost, and the vacated rows and columns must be 0",
            ),
            (
                torch_shift(x, -dy, -dx),
                "moves the content the wrong way: positive dy moves it down, positive dx moves it right",
            ),
            (
                torch_shift(x, -dy, dx),
                "moves the content the wrong way vertically: positive dy "
                "moves it down (out[i, j] = image[i - dy, j - dx])",
            ),
            (
                torch_shift(x, dy, -dx),
                "moves the content the wrong way horizontally: positive dx "
                "moves it right (out[i, j] = image[i - dy, j - dx])",
            ),
            (torch_shift(x, dx, dy), "swaps dy and dx: dy moves rows (down), dx moves columns (right)"),
        ]
        for candidate, why in wrong:
            if same(got, candidate) and not same(candidate, expected):
                raise AssertionError(f"{call} {why}")
    expect_array(got, expected, call)


def check_equivariance_check(equivariance_check, shift_image, image, kernel, dy, dx):
    """equivariance_check(image, kernel, dy, dx) must return the pair
    (corr2d(shift(x)), shift(corr2d(x))), both cut to the output pixels the shift did not vacate."""
    x = np.asarray(image, dtype=float)
    k = np.asarray(kernel, dtype=float)
    call = f"equivariance_check(image {x.shape}, kernel {k.shape}, dy={dy}, dx={dx})"
    try:
        mine = np.asarray(shift_image(x.copy(), dy, dx), dtype=float)
    except Exception:
        mine = None
    if mine is None or not same(mine, torch_shift(x, dy, dx)):
        raise AssertionError(f"{call} uses your shift_image, which does not pass question 1 yet: fix it first")
    shifted_then_corr = torch_corr2d(torch_shift(x, dy, dx), k)
    corr_then_shifted = torch_shift(torch_corr2d(x, k), dy, dx)
    Ho, Wo = shifted_then_corr.shape
    rows = slice(max(dy, 0), Ho + min(dy, 0))
    cols = slice(max(dx, 0), Wo + min(dx, 0))
    want = shifted_then_corr[rows, cols]
    got = run_student(equivariance_check, call, (image, kernel, dy, dx))
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise AssertionError(
            f"{call} returned {type(got).__name__}; expected a pair of arrays "
            f"(shift then correlate, correlate then shift)"
        )
    a, b = (result_array(g, call) for g in got)
    for side, arr, full in [("first", a, shifted_then_corr), ("second", b, corr_then_shifted)]:
        if arr.shape == (Ho, Wo) and want.shape != (Ho, Wo):
            raise AssertionError(
                f"{call}: the {side} array has shape {arr.shape}, the whole output; keep "
                f"only the output pixels that the shift did not vacate, rows "
                f"{rows.start}:{rows.stop} and columns {cols.start}:{cols.stop}, shape {want.shape}"
            )
        if arr.shape == want.shape[::-1] and want.shape[0] != want.shape[1]:
            raise AssertionError(
                f"{call}: the {side} array has shape {arr.shape}; expected {want.shape} (rows and columns swapped?)"
            )
        for flip_rows, flip_cols, what in [
            (True, False, "rows"),
            (False, True, "columns"),
            (True, True, "rows and columns"),
        ]:
            ry, rx = (-dy if flip_rows else dy), (-dx if flip_cols else dx)
            wrong_side = full[max(ry, 0) : Ho + min(ry, 0), max(rx, 0) : Wo + min(rx, 0)]
            if (ry, rx) != (dy, dx) and same(arr, wrong_side) and not same(wrong_side, want):
                raise AssertionError(
                    f"{call}: the {side} array keeps the wrong {what}: "
                    f"a shift by dy > 0 vacates the first dy rows, by dy < 0 the last |dy| rows, and dx "
                    f"does the same to the columns; keep rows {rows.start}:{rows.stop} and columns "
                    f"{cols.start}:{cols.stop}"
                )
    expect_array(a, want, f"{call}[0] (corr2d of the shifted image)")
    shifted_back = torch_shift(torch_corr2d(x, k), -dy, -dx)[rows, cols]
    if (dy, dx) != (0, 0) and same(b, shifted_back) and not same(shifted_back, corr_then_shifted[rows, cols]):
        raise AssertionError(
            f"{call}: the second array shifts the output the other way: shift corr2d(image) by (dy, dx) = "
            f"({dy}, {dx}), as the image was, so that both arrays line up"
        )
    expect_array(b, corr_then_shifted[rows, cols], f"{call}[1] (the shifted corr2d of the image)")
