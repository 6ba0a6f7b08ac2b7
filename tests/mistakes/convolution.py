import numpy as np

from solutions.reference import corr2d as right_corr2d


def corr2d_flipped(image, kernel):
    return right_corr2d(image, np.asarray(kernel)[::-1, ::-1])


def corr2d_transposed(image, kernel):
    return right_corr2d(np.asarray(image).T, np.asarray(kernel).T)


def corr2d_one_short(image, kernel):
    # range(H - kh) instead of range(H - kh + 1)
    return right_corr2d(image, kernel)[:-1, :-1]


def corr2d_one_row_short(image, kernel):
    # range(H - kh) for the rows only
    return right_corr2d(image, kernel)[:-1, :]


def corr2d_integer_output(image, kernel):
    X, K = np.asarray(image), np.asarray(kernel)
    Y = np.zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1), dtype=X.dtype)
    Y[...] = right_corr2d(X, K)
    return Y


def corr2d_normalises_in_place(image, kernel):
    image -= np.mean(image)
    return right_corr2d(image, kernel) + np.mean(image) * np.sum(kernel)


def convolve2d_not_flipped(image, kernel):
    return right_corr2d(image, kernel)


def convolve2d_upside_down_only(image, kernel):
    return right_corr2d(image, np.asarray(kernel)[::-1, :])


def convolve2d_flips_in_place(image, kernel):
    kernel[:] = kernel[::-1, ::-1].copy()
    return right_corr2d(image, kernel)


def corr2d_float32(image, kernel):
    """Right, but computed in float32 (a copy of a GPU habit): about 7 digits."""
    return right_corr2d(np.asarray(image, dtype=np.float32), np.asarray(kernel, dtype=np.float32)).astype(np.float32)


MISTAKES = [
    ("kernel flipped in corr2d", "q1", {"corr2d": corr2d_flipped}, "flipped-kernel"),
    ("output transposed", "q1", {"corr2d": corr2d_transposed}, "output-transposed"),
    ("output one row and column short", "q1", {"corr2d": corr2d_one_short}, "output-one-short"),
    ("output one row short", "q1", {"corr2d": corr2d_one_row_short}, "output-one-short"),
    ("integer output array", "q1", {"corr2d": corr2d_integer_output}, "integer-output"),
    ("input changed in place", "q1", {"corr2d": corr2d_normalises_in_place}, "input-mutated"),
    ("computed in float32", "q1", {"corr2d": corr2d_float32}, "float32-output"),
    ("convolve2d does not flip", "q2", {"convolve2d": convolve2d_not_flipped}, "convolve-not-flipped"),
    ("convolve2d flips one axis", "q2", {"convolve2d": convolve2d_upside_down_only}, "convolve-half-flipped"),
    (
        "convolve2d flips the caller's kernel",
        "q2",
        {"convolve2d": convolve2d_flips_in_place},
        "input-mutated",
    ),
]
