"""Reference implementations, written to be read.

Every function here is the formula on the slide, in numpy, with loops where the formula has
sums. They are slow on purpose: the GPU chapter makes them fast. The tests check each one
against PyTorch in float64 and against the worked examples of the lecture decks.
"""
import numpy as np


def _as_2d(array, name):
    a = np.asarray(array, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W); got shape {a.shape}")
    return a


def corr2d(image, kernel):
    """Valid 2-D cross-correlation: slide the kernel, take a dot product at each place.

        Y[i, j] = sum over m, n of  X[i + m, j + n] * K[m, n]

    image: (H, W); kernel: (kh, kw), no larger than the image.
    Returns (H - kh + 1, W - kw + 1), float. Does not change its inputs.
    """
    X = _as_2d(image, "image")
    K = _as_2d(kernel, "kernel")
    (H, W), (kh, kw) = X.shape, K.shape
    if kh > H or kw > W:
        raise ValueError(f"kernel {K.shape} is larger than image {X.shape}")
    Y = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return Y


def flip(kernel):
    """The kernel turned by 180 degrees: K[::-1, ::-1]. (kh, kw) -> (kh, kw)."""
    return _as_2d(kernel, "kernel")[::-1, ::-1]


def convolve2d(image, kernel):
    """Valid 2-D convolution in the signal-processing sense: cross-correlation with the kernel flipped.

        Y[i, j] = sum over m, n of  X[i + m, j + n] * K[kh - 1 - m, kw - 1 - n]

    image: (H, W); kernel: (kh, kw). Returns (H - kh + 1, W - kw + 1), float.
    """
    return corr2d(image, flip(kernel))


def corr2d_fast(image, kernel):
    """Same result as `corr2d`, without Python loops (for photos in the lectures).

    A (H - kh + 1, W - kw + 1, kh, kw) view of every window, then one tensor contraction.
    image: (H, W); kernel: (kh, kw). Returns (H - kh + 1, W - kw + 1), float.
    """
    X = _as_2d(image, "image")
    K = _as_2d(kernel, "kernel")
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError(f"kernel {K.shape} is larger than image {X.shape}")
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijmn,mn->ij", windows, K)


# --- Limits of fully connected networks; translation invariance (mlp-limits, translation-invariance)


# --- Stride and padding (stride, padding)


# --- Channels and pooling (channels, pooling)


# --- GPU: im2col (gpu)
