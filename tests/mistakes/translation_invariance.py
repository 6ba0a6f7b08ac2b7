import numpy as np

from solutions.reference import corr2d_fast
from solutions.reference import shift_image as right_shift


def shift_with_roll(image, dy, dx):
    return np.roll(np.asarray(image, dtype=float), (dy, dx), axis=(0, 1))


def shift_wrong_way(image, dy, dx):
    return right_shift(image, -dy, -dx)


def shift_wrong_way_vertically(image, dy, dx):
    return right_shift(image, -dy, dx)


def shift_swaps_dy_dx(image, dy, dx):
    return right_shift(image, dx, dy)


def shift_slices_with_minus_zero(image, dy, dx):
    # Only for non-negative shifts, and x[:-0] is empty: breaks when a shift is 0.
    x = np.asarray(image, dtype=float)
    out = np.zeros_like(x)
    if dy >= 0 and dx >= 0:
        out[dy:, dx:] = x[:-dy, :-dx]
        return out
    return right_shift(image, dy, dx)


def shift_breaks_on_large_shifts(image, dy, dx):
    x = np.asarray(image, dtype=float)
    H, W = x.shape
    out = np.zeros((H, W))
    out[max(dy, 0) : H + min(dy, 0), max(dx, 0) : W + min(dx, 0)] = x[
        max(-dy, 0) : H - max(dy, 0), max(-dx, 0) : W - max(dx, 0)
    ]
    return out


def shift_keeps_integer_type(image, dy, dx):
    x = np.asarray(image)
    out = np.zeros_like(x)
    out[...] = right_shift(x, dy, dx)
    return out


def shift_in_place(image, dy, dx):
    image[...] = right_shift(image, dy, dx)
    return image


def _sides(image, kernel, dy, dx):
    return corr2d_fast(right_shift(image, dy, dx), kernel), right_shift(corr2d_fast(image, kernel), dy, dx)


def equivariance_not_cropped(image, kernel, dy, dx):
    return _sides(image, kernel, dy, dx)


def equivariance_crops_wrong_side(image, kernel, dy, dx):
    a, b = _sides(image, kernel, dy, dx)
    Ho, Wo = a.shape
    rows, cols = slice(max(-dy, 0), Ho + min(-dy, 0)), slice(max(-dx, 0), Wo + min(-dx, 0))
    return a[rows, cols], b[rows, cols]


def equivariance_crops_with_abs(image, kernel, dy, dx):
    a, b = _sides(image, kernel, dy, dx)
    return a[abs(dy) :, abs(dx) :], b[abs(dy) :, abs(dx) :]


def equivariance_returns_max_difference(image, kernel, dy, dx):
    a, b = _sides(image, kernel, dy, dx)
    return float(np.abs(a - b).max())


def equivariance_shifts_output_back(image, kernel, dy, dx):
    a = corr2d_fast(right_shift(image, dy, dx), kernel)
    b = right_shift(corr2d_fast(image, kernel), -dy, -dx)  # the output moved the other way
    Ho, Wo = a.shape
    rows, cols = slice(max(dy, 0), Ho + min(dy, 0)), slice(max(dx, 0), Wo + min(dx, 0))
    return a[rows, cols], b[rows, cols]


MISTAKES = [
    ("shift: np.roll wraps around", "q1", {"shift_image": shift_with_roll}, "shift-wraps"),
    ("shift: both directions reversed", "q1", {"shift_image": shift_wrong_way}, "shift-reversed"),
    ("shift: vertical direction reversed", "q1", {"shift_image": shift_wrong_way_vertically}, "shift-reversed"),
    ("shift: dy and dx swapped", "q1", {"shift_image": shift_swaps_dy_dx}, "shift-axes-swapped"),
    ("shift: x[:-0] for a shift of 0", "q1", {"shift_image": shift_slices_with_minus_zero}, "slice-minus-zero"),
    ("shift: shifts larger than the image", "q1", {"shift_image": shift_breaks_on_large_shifts}, "shift-too-far"),
    ("shift: integer output for an integer image", "q1", {"shift_image": shift_keeps_integer_type}, "integer-output"),
    ("shift: input changed in place", "q1", {"shift_image": shift_in_place}, "input-mutated"),
    (
        "equivariance: not cut to the kept region",
        "q2",
        {"equivariance_check": equivariance_not_cropped},
        "not-cropped",
    ),
    (
        "equivariance: the wrong side cut off",
        "q2",
        {"equivariance_check": equivariance_crops_wrong_side},
        "wrong-side-cropped",
    ),
    (
        "equivariance: abs(dy) for negative shifts",
        "q2",
        {"equivariance_check": equivariance_crops_with_abs},
        "wrong-side-cropped",
    ),
    (
        "equivariance: one number instead of a pair",
        "q2",
        {"equivariance_check": equivariance_returns_max_difference},
        "not-a-pair",
    ),
    (
        "equivariance: output shifted the other way",
        "q2",
        {"equivariance_check": equivariance_shifts_output_back},
        "output-shifted-back",
    ),
    ("equivariance: with a wrong shift_image", "q2", {"shift_image": shift_with_roll}, "builds-on-wrong-answer"),
]
