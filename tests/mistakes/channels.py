"""Classic mistakes in conv2d, each written as a student might, on top of the reference."""

import numpy as np

from solutions.reference import conv2d as right_conv2d


def _hw(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def conv2d_first_channel_only(x, w, b=None, stride=1, padding=0):
    x, w = np.asarray(x), np.asarray(w)
    return right_conv2d(x[:, :1], w[:, :1], b, stride, padding)


def conv2d_overwrites_channels(x, w, b=None, stride=1, padding=0):
    # for c in range(C_in): out[n, o] = corr(x[n, c], w[o, c])   (= where += was meant)
    x, w = np.asarray(x), np.asarray(w)
    return right_conv2d(x[:, -1:], w[:, -1:], b, stride, padding)


def conv2d_averages_channels(x, w, b=None, stride=1, padding=0):
    out = right_conv2d(x, w, None, stride, padding) / np.shape(x)[1]
    return out if b is None else out + np.asarray(b)[None, :, None, None]


def conv2d_bias_broadcast_on_width(x, w, b=None, stride=1, padding=0):
    out = right_conv2d(x, w, None, stride, padding)
    return out if b is None else out + np.asarray(b)  # numpy lines b up with the last axis


def conv2d_bias_per_input_channel(x, w, b=None, stride=1, padding=0):
    out = right_conv2d(x, w, None, stride, padding)
    return out if b is None else out + np.shape(x)[1] * np.asarray(b)[None, :, None, None]


def conv2d_bias_in_kernel_sum(x, w, b=None, stride=1, padding=0):
    out = right_conv2d(x, w, None, stride, padding)
    kh, kw = np.shape(w)[2:]
    return out if b is None else out + kh * kw * np.asarray(b)[None, :, None, None]


def conv2d_ignores_bias(x, w, b=None, stride=1, padding=0):
    return right_conv2d(x, w, None, stride, padding)


def conv2d_stride_rows_only(x, w, b=None, stride=1, padding=0):
    return right_conv2d(x, w, b, (_hw(stride)[0], 1), padding)


def conv2d_stride_first_for_both(x, w, b=None, stride=1, padding=0):
    sh = _hw(stride)[0]
    return right_conv2d(x, w, b, (sh, sh), padding)


def conv2d_windows_do_not_move_by_stride(x, w, b=None, stride=1, padding=0):
    full = right_conv2d(x, w, b, 1, padding)
    right = right_conv2d(x, w, b, stride, padding)
    return full[:, :, : right.shape[2], : right.shape[3]]


def conv2d_ceil_output_size(x, w, b=None, stride=1, padding=0):
    # H' = ceil((H + 2p - kh) / s) + 1, the last window sticking out past the padded edge (zeros there)
    (sh, sw), (ph, pw) = _hw(stride), _hw(padding)
    x = np.pad(np.asarray(x, dtype=float), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    extra_h, extra_w = (-(x.shape[2] - np.shape(w)[2])) % sh, (-(x.shape[3] - np.shape(w)[3])) % sw
    x = np.pad(x, ((0, 0), (0, 0), (0, extra_h), (0, extra_w)))
    return right_conv2d(x, w, b, stride, 0)


def conv2d_pads_top_left_only(x, w, b=None, stride=1, padding=0):
    ph, pw = _hw(padding)
    return right_conv2d(np.pad(np.asarray(x, float), ((0, 0), (0, 0), (ph, 0), (pw, 0))), w, b, stride, 0)


def conv2d_pads_rows_only(x, w, b=None, stride=1, padding=0):
    return right_conv2d(x, w, b, stride, (_hw(padding)[0], 0))


def conv2d_flips_kernel(x, w, b=None, stride=1, padding=0):
    return right_conv2d(x, np.asarray(w)[:, :, ::-1, ::-1], b, stride, padding)


def conv2d_weight_axes_swapped(x, w, b=None, stride=1, padding=0):
    return right_conv2d(x, np.asarray(w).transpose(1, 0, 2, 3), b, stride, padding)


def conv2d_drops_batch_axis(x, w, b=None, stride=1, padding=0):
    out = right_conv2d(x, w, b, stride, padding)
    return out[0] if out.shape[0] == 1 else out


def conv2d_first_image_for_all(x, w, b=None, stride=1, padding=0):
    out = right_conv2d(np.asarray(x)[:1], w, b, stride, padding)
    return np.repeat(out, np.shape(x)[0], axis=0)


def conv2d_shifts_input_in_place(x, w, b=None, stride=1, padding=0):
    x += 1.0  # "work on x" ... and forget that it is the caller's array
    return right_conv2d(x - 1.0, w, b, stride, padding)


MISTAKES = [
    ("only the first input channel", "q1", {"conv2d": conv2d_first_channel_only}, "first-channel-only"),
    (
        "channels overwritten, not summed",
        "q1",
        {"conv2d": conv2d_overwrites_channels},
        "channels-overwritten",
    ),
    ("channels averaged", "q1", {"conv2d": conv2d_averages_channels}, "channels-averaged"),
    ("bias broadcast along the width", "q1", {"conv2d": conv2d_bias_broadcast_on_width}, "bias-wrong-axis"),
    ("bias added once per input channel", "q1", {"conv2d": conv2d_bias_per_input_channel}, "bias-per-input-channel"),
    ("bias added per kernel element", "q1", {"conv2d": conv2d_bias_in_kernel_sum}, "bias-per-kernel-element"),
    ("bias ignored", "q1", {"conv2d": conv2d_ignores_bias}, "bias-ignored"),
    ("stride on the rows only", "q1", {"conv2d": conv2d_stride_rows_only}, "stride-rows-only"),
    ("stride[0] on both axes", "q1", {"conv2d": conv2d_stride_first_for_both}, "stride-first-both"),
    (
        "windows not moved by the stride",
        "q1",
        {"conv2d": conv2d_windows_do_not_move_by_stride},
        "windows-not-strided",
    ),
    ("ceil instead of floor", "q1", {"conv2d": conv2d_ceil_output_size}, "ceil-not-floor"),
    ("padding on one side only", "q1", {"conv2d": conv2d_pads_top_left_only}, "padding-one-side"),
    ("padding on the rows only", "q1", {"conv2d": conv2d_pads_rows_only}, "padding-rows-only"),
    ("kernel flipped", "q1", {"conv2d": conv2d_flips_kernel}, "flipped-kernel"),
    (
        "w read as (C_in, C_out, kh, kw)",
        "q1",
        {"conv2d": conv2d_weight_axes_swapped},
        "weight-layout",
    ),
    ("batch axis dropped for N = 1", "q1", {"conv2d": conv2d_drops_batch_axis}, "batch-axis-dropped"),
    (
        "first image used for the whole batch",
        "q1",
        {"conv2d": conv2d_first_image_for_all},
        "first-image-for-batch",
    ),
    ("input changed in place", "q1", {"conv2d": conv2d_shifts_input_in_place}, "input-mutated"),
]
