"""Checks of the Channels exercise: a convolutional layer with channels, bias, stride and padding."""

import numpy as np

from .core import (
    ATOL,
    LIBRARIES,
    TORCH_CONV,
    UNSET,
    as_float,
    call_text,
    expect_nchw,
    first_match,
    pair,
    pair_mistakes,
    run_student,
    torch_conv2d,
)

FORBIDDEN = TORCH_CONV + LIBRARIES

MISTAKES = {
    "first-channel-only": ("only input channel 0 used", ["uses only input channel 0"]),
    "channels-overwritten": (
        "the input channels overwritten (=), not summed (+=)",
        ["keeps only the last input channel"],
    ),
    "channels-averaged": ("the input channels averaged, not summed", ["averages the input channels"]),
    "bias-wrong-axis": ("the bias broadcast along the width", ["adds b along the width axis"]),
    "bias-per-input-channel": ("the bias added once per input channel", ["adds the bias once per input channel"]),
    "bias-per-kernel-element": ("the bias added inside the sum", ["once per kernel element"]),
    "bias-ignored": ("the bias left out", ["ignores the bias b"]),
    "windows-not-strided": ("the windows do not move by the stride", ["do not move by the stride"]),
    "padding-one-side": ("zeros on the top and left only", ["pads only the top and left"]),
    "flipped-kernel": (
        "the kernel flipped in a cross-correlation",
        ["flips the kernel: conv2d is a cross-correlation"],
    ),
    "weight-layout": ("w read as (C_in, C_out, kh, kw)", ["reads w as (C_in, C_out, kh, kw)"]),
    "first-image-for-batch": ("the first image's result used for the whole batch", ["image 0 of the batch is right"]),
}


def conv2d_candidates(x, w, b, stride, padding):
    """(message, thunk) for the classic mistakes of a convolutional layer (also used by the GPU
    exercise's im2col checks). x, w, b: float arrays; stride, padding: int or (h, w)."""
    N, C_in = x.shape[:2]
    C_out, _, kh, kw = w.shape
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    bias = np.zeros(C_out) if b is None else np.asarray(b, dtype=float)
    nobias = lambda: torch_conv2d(x, w, None, stride, padding)  # noqa: E731
    with_bias = lambda out, shape: out + bias.reshape(shape)  # noqa: E731
    eye = lambda: np.stack([w[o, o] for o in range(C_out)])[:, None]  # noqa: E731
    c = [
        (
            "flips the kernel: conv2d is a cross-correlation, like torch's F.conv2d; use w[o, c, m, k] as it is",
            lambda: torch_conv2d(x, w[:, :, ::-1, ::-1], b, stride, padding),
        ),
    ]
    if C_in > 1:
        sums = (
            "each output channel is the SUM over all input channels c of x[n, c] "
            "cross-correlated with w[o, c] (plus b[o])"
        )
        c += [
            (f"uses only input channel 0: {sums}", lambda: torch_conv2d(x[:, :1], w[:, :1], b, stride, padding)),
            (
                f"keeps only the last input channel (= instead of += in the loop over channels?): {sums}",
                lambda: torch_conv2d(x[:, -1:], w[:, -1:], b, stride, padding),
            ),
            (
                f"averages the input channels instead of adding them up: {sums}",
                lambda: with_bias(nobias() / C_in, (1, -1, 1, 1)),
            ),
        ]
    if C_in == C_out > 1:
        c += [
            (
                "pairs input channel o with output channel o only (a depthwise convolution); "
                "each output channel must add up all input channels: "
                "out[n, o] = b[o] + sum over c of x[n, c] * w[o, c]",
                lambda: torch_conv2d(x, eye(), b, stride, padding, groups=C_in),
            ),
            (
                "reads w as (C_in, C_out, kh, kw); its layout is (C_out, C_in, kh, kw): w[o, c] is the kernel "
                "from input channel c to output channel o",
                lambda: torch_conv2d(x, w.transpose(1, 0, 2, 3), b, stride, padding),
            ),
        ]
    if C_out > 1:
        c.append(
            (
                "uses the filter w[0] for every output channel; output channel o uses w[o]",
                lambda: torch_conv2d(x, np.repeat(w[:1], C_out, axis=0), b, stride, padding),
            )
        )
    if b is not None:
        per_channel = "b[o] is added once to every value of output channel o, e.g. out + b.reshape(1, -1, 1, 1)"
        c += [
            (f"ignores the bias b: {per_channel}", nobias),
            (
                f"adds b along the width axis (numpy lines b up with the LAST axis): {per_channel}",
                lambda: with_bias(nobias(), (1, 1, 1, -1)),
            ),
            (f"adds b along the height axis: {per_channel}", lambda: with_bias(nobias(), (1, 1, -1, 1))),
            (f"adds b along the batch axis: {per_channel}", lambda: with_bias(nobias(), (-1, 1, 1, 1))),
            (
                f"adds the bias once per input channel ({C_in} times): add it once, after the sum over "
                f"channels; {per_channel}",
                lambda: with_bias(nobias(), (1, -1, 1, 1)) + (C_in - 1) * bias.reshape(1, -1, 1, 1),
            ),
            (
                f"adds the bias inside the sum, once per kernel element: {per_channel}",
                lambda: nobias() + kh * kw * bias.reshape(1, -1, 1, 1),
            ),
            (
                f"adds the bias inside the sum, once per kernel element and channel: {per_channel}",
                lambda: nobias() + C_in * kh * kw * bias.reshape(1, -1, 1, 1),
            ),
            (f"adds the sum of all biases to every output: {per_channel}", lambda: nobias() + bias.sum()),
        ]
    if (sh, sw) != (1, 1):
        c += pair_mistakes("stride", stride, (sh, sw), lambda s: torch_conv2d(x, w, b, s, padding))
        H_out, W_out = torch_conv2d(x, w, b, stride, padding).shape[2:]
        c.append(
            (
                f"has the right size, but its windows do not move by the stride: window (i, j) starts at "
                f"row i * {sh} and column j * {sw} of the padded input",
                lambda: torch_conv2d(x, w, b, 1, padding)[:, :, :H_out, :W_out],
            )
        )
    if (ph, pw) != (0, 0):
        one_side = "padding p puts p zeros on BOTH sides: above and below, left and right"
        c += [
            (
                f"pads only the top and left: {one_side}",
                lambda: torch_conv2d(np.pad(x, ((0, 0), (0, 0), (ph, 0), (pw, 0))), w, b, stride, 0),
            ),
            (
                f"pads only the bottom and right: {one_side}",
                lambda: torch_conv2d(np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw))), w, b, stride, 0),
            ),
        ]
        c += pair_mistakes("padding", padding, (ph, pw), lambda p: torch_conv2d(x, w, b, stride, p))
    return c


def check_conv2d(conv2d, x, w, b=UNSET, stride=UNSET, padding=UNSET, expected=None, atol=ATOL):
    """Call conv2d(x, w[, b][, stride=...][, padding=...]) and compare with torch (or `expected`).

    Arguments left out are left out of the call too, so that the defaults get tested. When the
    result is wrong, the message names the classic mistake it matches, if any.
    """
    args = [("x", x), ("w", w)] + ([] if b is UNSET else [("b", b)])
    kwargs = {k: v for k, v in [("stride", stride), ("padding", padding)] if v is not UNSET}
    call = call_text("conv2d", args, kwargs)
    got = run_student(conv2d, call, [v for _, v in args], kwargs)
    b = None if b is UNSET else b
    stride = 1 if stride is UNSET else stride
    padding = 0 if padding is UNSET else padding
    want = torch_conv2d(x, w, b, stride, padding) if expected is None else np.asarray(expected, dtype=float)
    arr = as_float(got)
    if arr is not None and arr.shape == want.shape and np.allclose(arr, want, rtol=0, atol=atol):
        return
    if (
        arr is not None
        and arr.ndim == 4
        and arr.shape[1:] == want.shape[1:]
        and want.shape[0] > 1
        and np.allclose(arr[0], want[0], rtol=0, atol=atol)
    ):
        bad = next(n for n in range(want.shape[0]) if not np.allclose(arr[n], want[n], rtol=0, atol=atol))
        raise AssertionError(
            f"{call}: image 0 of the batch is right but image {bad} is not: "
            "every image of the batch goes through the same layer"
        )
    if arr is not None:
        try:
            mistake = first_match(
                arr,
                conv2d_candidates(
                    np.asarray(x, float),
                    np.asarray(w, float),
                    None if b is None else np.asarray(b, float),
                    stride,
                    padding,
                ),
                want,
                atol,
            )
        except ImportError:  # no torch here: no diagnosis, the plain comparison below still runs
            mistake = None
        if mistake:
            raise AssertionError(f"{call} {mistake}")
    expect_nchw(got, want, call, atol)
