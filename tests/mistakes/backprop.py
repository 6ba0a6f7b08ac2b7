"""Classic mistakes in conv2d_backward, max_pool2d_backward and avg_pool2d_backward, each
written as a student might (from the reference, changed in one place)."""

import numpy as np

from solutions.reference import avg_pool2d_backward as right_avg
from solutions.reference import conv2d_backward as right_conv
from solutions.reference import max_pool2d_backward as right_max


def _hw(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _scatter_conv(dout, x, w, stride, padding, add=True, flip=True):
    """A student's loop over output positions: dx with `+=` (add) or `=`, the kernel as given
    (flip=True: the scatter is right) or turned (a correlation written with the kernel's turn undone)."""
    dout, x, w = (np.asarray(a, dtype=float) for a in (dout, x, w))
    (sh, sw), (ph, pw) = _hw(stride), _hw(padding)
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    kernel = w if flip else w[:, :, ::-1, ::-1]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            contribution = np.einsum("no,ocmk->ncmk", dout[:, :, i, j], kernel)
            region = (slice(None), slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
            dxp[region] = dxp[region] + contribution if add else contribution
    return dxp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]


def conv_overwrites(dout, x, w, stride=1, padding=0):
    _, dw, db = right_conv(dout, x, w, stride, padding)
    return _scatter_conv(dout, x, w, stride, padding, add=False), dw, db


def conv_kernel_not_flipped(dout, x, w, stride=1, padding=0):
    _, dw, db = right_conv(dout, x, w, stride, padding)
    return _scatter_conv(dout, x, w, stride, padding, flip=False), dw, db


def conv_padding_not_cropped(dout, x, w, stride=1, padding=0):
    ph, pw = _hw(padding)
    xp = np.pad(np.asarray(x, dtype=float), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp, dw, db = right_conv(dout, xp, w, stride, 0)
    return dxp, dw, db


def conv_dw_not_summed_over_batch(dout, x, w, stride=1, padding=0):
    dx, _, db = right_conv(dout, x, w, stride, padding)
    return dx, right_conv(dout[-1:], x[-1:], w, stride, padding)[1], db  # the last image's dw overwrote the others


def conv_dw_averaged(dout, x, w, stride=1, padding=0):
    dx, dw, db = right_conv(dout, x, w, stride, padding)
    return dx, dw / len(x), db


def conv_db_not_summed_over_positions(dout, x, w, stride=1, padding=0):
    dx, dw, _ = right_conv(dout, x, w, stride, padding)
    return dx, dw, np.asarray(dout, dtype=float).sum(axis=0)  # (C_out, H', W')


def conv_db_last_position(dout, x, w, stride=1, padding=0):
    dx, dw, _ = right_conv(dout, x, w, stride, padding)
    return dx, dw, np.asarray(dout, dtype=float)[:, :, -1, -1].sum(axis=0)


def conv_mutates_x(dout, x, w, stride=1, padding=0):
    result = right_conv(dout, x, w, stride, padding)
    x *= 0
    return result


def _pool_loop(dout, x, kernel_size, stride, route, add=True):
    """A student's loop over windows; route(window (N, C, kh, kw)) -> weights of the same shape."""
    dout, x = np.asarray(dout, dtype=float), np.asarray(x, dtype=float)
    (kh, kw), (sh, sw) = _hw(kernel_size), _hw(kernel_size if stride is None else stride)
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            region = (slice(None), slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
            g = route(x[region]) * dout[:, :, i, j][:, :, None, None]
            dx[region] = dx[region] + g if add else g
    return dx


def _every_max(window):
    return (window == window.max(axis=(2, 3), keepdims=True)).astype(float)


def _last_max(window):
    N, C, kh, kw = window.shape
    flat = window.reshape(N, C, -1)[:, :, ::-1]
    last = kh * kw - 1 - flat.argmax(axis=2)
    out = np.zeros((N, C, kh * kw))
    np.put_along_axis(out, last[:, :, None], 1.0, axis=2)
    return out.reshape(window.shape)


def max_pool_overwrites(dout, x, kernel_size, stride=None):
    def first(window):
        return right_max(np.ones((window.shape[0], window.shape[1], 1, 1)), window, window.shape[2:], 1)

    return _pool_loop(dout, x, kernel_size, stride, first, add=False)


def max_pool_every_tied_maximum(dout, x, kernel_size, stride=None):
    return _pool_loop(dout, x, kernel_size, stride, _every_max)


def max_pool_last_tied_maximum(dout, x, kernel_size, stride=None):
    return _pool_loop(dout, x, kernel_size, stride, _last_max)


def max_pool_spreads_evenly(dout, x, kernel_size, stride=None):
    return right_avg(dout, x, kernel_size, stride)


def max_pool_stride_defaults_to_1(dout, x, kernel_size, stride=None):
    def first(window):
        return right_max(np.ones((window.shape[0], window.shape[1], 1, 1)), window, window.shape[2:], 1)

    return _pool_loop(dout, x, kernel_size, 1 if stride is None else stride, first)


def max_pool_mutates_x(dout, x, kernel_size, stride=None):
    dx = right_max(dout, x, kernel_size, stride)
    x[...] = 0
    return dx


def avg_pool_overwrites(dout, x, kernel_size, stride=None):
    return _pool_loop(dout, x, kernel_size, stride, lambda win: np.full(win.shape, 1 / win[0, 0].size), add=False)


def avg_pool_not_divided(dout, x, kernel_size, stride=None):
    kh, kw = _hw(kernel_size)
    return right_avg(dout, x, kernel_size, stride) * kh * kw


def avg_pool_routes_to_max(dout, x, kernel_size, stride=None):
    return right_max(dout, x, kernel_size, stride)


def avg_pool_returns_dout_shape(dout, x, kernel_size, stride=None):
    return np.asarray(dout, dtype=float) / np.prod(_hw(kernel_size))


def avg_pool_mutates_dout(dout, x, kernel_size, stride=None):
    dout /= np.prod(_hw(kernel_size))
    return right_avg(dout * np.prod(_hw(kernel_size)), x, kernel_size, stride)


MISTAKES = [
    ("dx overwritten where windows overlap", "q1", {"conv2d_backward": conv_overwrites}, "gradient-assigned"),
    ("kernel not turned for dx", "q1", {"conv2d_backward": conv_kernel_not_flipped}, "dx-kernel-not-turned"),
    ("padding not cropped off dx", "q1", {"conv2d_backward": conv_padding_not_cropped}, "dx-padding-kept"),
    (
        "dw of the last image only",
        "q1",
        {"conv2d_backward": conv_dw_not_summed_over_batch},
        "dw-last-image",
    ),
    ("dw averaged over the batch", "q1", {"conv2d_backward": conv_dw_averaged}, "dw-averaged"),
    (
        "db not summed over positions",
        "q1",
        {"conv2d_backward": conv_db_not_summed_over_positions},
        "db-not-summed",
    ),
    ("db of the last position only", "q1", {"conv2d_backward": conv_db_last_position}, "db-last-position"),
    ("conv2d_backward changes x", "q1", {"conv2d_backward": conv_mutates_x}, "input-mutated"),
    (
        "max pool: overwrites where windows overlap",
        "q2",
        {"max_pool2d_backward": max_pool_overwrites},
        "gradient-assigned",
    ),
    (
        "max pool: gradient to every tied maximum",
        "q2",
        {"max_pool2d_backward": max_pool_every_tied_maximum},
        "max-ties",
    ),
    (
        "max pool: gradient to the last tied maximum",
        "q2",
        {"max_pool2d_backward": max_pool_last_tied_maximum},
        "max-ties",
    ),
    ("max pool: spread evenly", "q2", {"max_pool2d_backward": max_pool_spreads_evenly}, "max-spread-evenly"),
    (
        "max pool: stride defaults to 1",
        "q2",
        {"max_pool2d_backward": max_pool_stride_defaults_to_1},
        "pool-stride-default",
    ),
    ("max pool: changes x", "q2", {"max_pool2d_backward": max_pool_mutates_x}, "input-mutated"),
    (
        "avg pool: overwrites where windows overlap",
        "q3",
        {"avg_pool2d_backward": avg_pool_overwrites},
        "gradient-assigned",
    ),
    (
        "avg pool: not divided by the window size",
        "q3",
        {"avg_pool2d_backward": avg_pool_not_divided},
        "avg-not-divided",
    ),
    ("avg pool: routed to the maximum", "q3", {"avg_pool2d_backward": avg_pool_routes_to_max}, "avg-to-maximum"),
    (
        "avg pool: returns dout's shape",
        "q3",
        {"avg_pool2d_backward": avg_pool_returns_dout_shape},
        "dx-shape-of-dout",
    ),
    ("avg pool: changes dout", "q3", {"avg_pool2d_backward": avg_pool_mutates_dout}, "input-mutated"),
]
