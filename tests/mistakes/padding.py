"""Classic mistakes in the Padding exercise: each must fail a test with a pointed message."""

import math

import numpy as np

from solutions.reference import corr2d_strided
from solutions.reference import pad2d as right_pad2d


def _pair(value):
    return value if isinstance(value, (tuple, list)) else (value, value)


# ---------------------------------------------------------------- pad2d


def pad_one_side(image, padding):
    ph, pw = _pair(padding)
    X = np.asarray(image, dtype=float)
    P = np.zeros((X.shape[0] + ph, X.shape[1] + pw))
    P[ph:, pw:] = X
    return P


def pad_image_in_corner(image, padding):
    ph, pw = _pair(padding)
    X = np.asarray(image, dtype=float)
    P = np.zeros((X.shape[0] + 2 * ph, X.shape[1] + 2 * pw))
    P[: X.shape[0], : X.shape[1]] = X
    return P


def pad_swapped(image, padding):
    ph, pw = _pair(padding)
    return right_pad2d(image, (pw, ph))


def pad_first_for_both(image, padding):
    ph, _ = _pair(padding)
    return right_pad2d(image, ph)


def pad_int_only(image, padding):
    X = np.asarray(image, dtype=float)
    P = np.zeros((X.shape[0] + 2 * padding, X.shape[1] + 2 * padding))
    P[padding : padding + X.shape[0], padding : padding + X.shape[1]] = X
    return P


def pad_with_edge_values(image, padding):
    # the border pixels repeated outwards instead of zeros (np.pad's mode="edge")
    ph, pw = _pair(padding)
    X = np.asarray(image, dtype=float)
    rows = np.clip(np.arange(-ph, X.shape[0] + ph), 0, X.shape[0] - 1)
    cols = np.clip(np.arange(-pw, X.shape[1] + pw), 0, X.shape[1] - 1)
    return X[np.ix_(rows, cols)]


def pad_keeps_integer_dtype(image, padding):
    ph, pw = _pair(padding)
    X = np.asarray(image)
    P = np.zeros((X.shape[0] + 2 * ph, X.shape[1] + 2 * pw), dtype=X.dtype)
    P[ph : ph + X.shape[0], pw : pw + X.shape[1]] = X
    return P


def pad_returns_image_when_zero(image, padding):
    if _pair(padding) == (0, 0):
        return image
    return right_pad2d(image, padding)


def pad_negative_slice(image, padding):
    # P[ph:-ph, pw:-pw] = X is empty when a padding is 0
    ph, pw = _pair(padding)
    X = np.asarray(image, dtype=float)
    P = np.zeros((X.shape[0] + 2 * ph, X.shape[1] + 2 * pw))
    P[ph:-ph, pw:-pw] = X
    return P


def pad_normalises_in_place(image, padding):
    image -= image.min()
    return right_pad2d(image, padding)


# ---------------------------------------------------------------- corr2d_padded


def padded_one_side(image, kernel, stride=1, padding=0):
    return corr2d_strided(pad_one_side(image, padding), kernel, stride)


def padded_all_zeros_top_left(image, kernel, stride=1, padding=0):
    ph, pw = _pair(padding)
    X = np.asarray(image, dtype=float)
    P = np.zeros((X.shape[0] + 2 * ph, X.shape[1] + 2 * pw))
    P[2 * ph :, 2 * pw :] = X
    return corr2d_strided(P, kernel, stride)


def padded_swapped(image, kernel, stride=1, padding=0):
    ph, pw = _pair(padding)
    return corr2d_strided(right_pad2d(image, (pw, ph)), kernel, stride)


def padded_ignores_padding(image, kernel, stride=1, padding=0):
    return corr2d_strided(np.asarray(image, dtype=float), kernel, stride)


def padded_stride_rows_only(image, kernel, stride=1, padding=0):
    return corr2d_strided(right_pad2d(image, padding), kernel, (_pair(stride)[0], 1))


def padded_stride_swapped(image, kernel, stride=1, padding=0):
    sh, sw = _pair(stride)
    return corr2d_strided(right_pad2d(image, padding), kernel, (sw, sh))


def padded_ceil(image, kernel, stride=1, padding=0):
    P = right_pad2d(image, padding)
    K = np.asarray(kernel, dtype=float)
    sh, sw = _pair(stride)
    kh, kw = K.shape
    rows, cols = math.ceil((P.shape[0] - kh) / sh) + 1, math.ceil((P.shape[1] - kw) / sw) + 1
    Y = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = P[i * sh : i * sh + kh, j * sw : j * sw + kw]
            Y[i, j] = np.sum(window * K[: window.shape[0], : window.shape[1]])
    return Y


def padded_checks_kernel_against_unpadded_image(image, kernel, stride=1, padding=0):
    if np.shape(kernel)[0] > np.shape(image)[0] or np.shape(kernel)[1] > np.shape(image)[1]:
        raise ValueError("kernel larger than image")
    return corr2d_strided(right_pad2d(image, padding), kernel, stride)


def padded_pads_in_place(image, kernel, stride=1, padding=0):
    image /= np.abs(image).max()
    return corr2d_strided(right_pad2d(image, padding), kernel, stride)


def pad_mirrored(image, padding):
    ph, pw = _pair(padding)
    return np.pad(np.asarray(image, dtype=float), ((ph, ph), (pw, pw)), mode="symmetric")


def padded_mirrored(image, kernel, stride=1, padding=0):
    return corr2d_strided(pad_mirrored(image, padding), kernel, stride)


MISTAKES = [
    ("pad2d pads one side only", "q1", {"pad2d": pad_one_side}, "padding-one-side"),
    ("pad2d puts the image in a corner", "q1", {"pad2d": pad_image_in_corner}, "padding-one-corner"),
    ("pad2d swaps the pair", "q1", {"pad2d": pad_swapped}, "padding-swapped"),
    ("pad2d uses padding[0] for both", "q1", {"pad2d": pad_first_for_both}, "padding-first-both"),
    ("pad2d takes an int only", "q1", {"pad2d": pad_int_only}, "int-only-argument"),
    ("pad2d repeats the edge", "q1", {"pad2d": pad_with_edge_values}, "padding-repeats-edge"),
    ("pad2d mirrors the image (np.pad mode='symmetric')", "q1", {"pad2d": pad_mirrored}, "padding-mirrored"),
    ("corr2d_padded mirrors the image", "q2", {"corr2d_padded": padded_mirrored}, "padding-mirrored"),
    ("pad2d keeps an integer dtype", "q1", {"pad2d": pad_keeps_integer_dtype}, "integer-output"),
    ("pad2d returns the image itself", "q1", {"pad2d": pad_returns_image_when_zero}, "returns-its-input"),
    ("pad2d slices with -p", "q1", {"pad2d": pad_negative_slice}, "slice-minus-zero"),
    ("pad2d changes the image", "q1", {"pad2d": pad_normalises_in_place}, "input-mutated"),
    ("padding on one side only", "q2", {"corr2d_padded": padded_one_side}, "padding-one-side"),
    (
        "all padding above and left",
        "q2",
        {"corr2d_padded": padded_all_zeros_top_left},
        "padding-one-corner",
    ),
    ("padding pair swapped", "q2", {"corr2d_padded": padded_swapped}, "padding-swapped"),
    ("padding ignored", "q2", {"corr2d_padded": padded_ignores_padding}, "padding-ignored"),
    (
        "stride on the rows only",
        "q2",
        {"corr2d_padded": padded_stride_rows_only},
        "stride-rows-only",
    ),
    ("stride pair swapped", "q2", {"corr2d_padded": padded_stride_swapped}, "stride-swapped"),
    ("output size rounded up", "q2", {"corr2d_padded": padded_ceil}, "ceil-not-floor"),
    (
        "kernel checked against the unpadded image",
        "q2",
        {"corr2d_padded": padded_checks_kernel_against_unpadded_image},
        "kernel-checked-unpadded",
    ),
    ("image changed in place", "q2", {"corr2d_padded": padded_pads_in_place}, "input-mutated"),
]
