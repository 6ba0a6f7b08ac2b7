"""Checks of the Backpropagation exercise: the gradients of a convolutional layer and of max and
average pooling, compared with torch.autograd in float64."""

import numpy as np

from .core import (
    ATOL,
    LIBRARIES,
    TORCH_CONV,
    TORCH_POOL,
    UNSET,
    as_float,
    call_text,
    expect_array,
    first_match,
    pair,
    run_student,
    same,
)

# numpy only: no torch convolution or pooling, and no autograd to compute the gradients.
FORBIDDEN = TORCH_CONV + TORCH_POOL + LIBRARIES + ["torch.autograd", "torch.Tensor.backward"]

MISTAKES = {
    "gradient-assigned": ("a window's gradient assigned (=) to dx, not added (+=)", ["must be ADDED to dx"]),
    "dx-kernel-not-turned": (
        "dx from the kernel as it is, not turned 180 degrees",
        ["uses the kernel as it is for dx"],
    ),
    "dx-padding-kept": ("dx with the padding not cropped off", ["crop the padding off"]),
    "dw-last-image": ("dw of the last image only", ["dw keeps only the last image"]),
    "dw-averaged": ("dw averaged over the batch", ["dw averages over the batch"]),
    "db-not-summed": ("db not summed over the output positions", ["summed over the batch only"]),
    "db-last-position": ("db of the last position only", ["db holds one position only"]),
    "max-ties": ("a tied maximum's gradient not given to the first maximum alone", ["to the FIRST maximum"]),
    "max-spread-evenly": ("max pooling's gradient spread over the window", ["spreads each window's gradient evenly"]),
    "pool-stride-default": (
        "stride 1 when stride is None (the default is kernel_size)",
        ["uses stride 1 when stride is None"],
    ),
    "avg-not-divided": ("the gradient not divided by the window size", ["does not divide by the window size"]),
    "avg-to-maximum": (
        "average pooling's gradient sent to the maximum",
        ["sends each window's gradient to its maximum"],
    ),
    "dx-shape-of-dout": ("dx returned with dout's shape", ["returned dout's shape"]),
}


def _t(a, grad=False):
    import torch

    return torch.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def torch_conv2d_grads(x, w, dout, stride=1, padding=0):
    """(dx, dw, db) of F.conv2d at (x, w) for the upstream gradient dout, by torch.autograd in
    float64: the gradients of the scalar sum(out * dout), which are dout carried back through the
    layer. x: (N, C_in, H, W); w: (C_out, C_in, kh, kw); dout: (N, C_out, H', W')."""
    import torch
    import torch.nn.functional as F

    xt, wt, bt = _t(x, True), _t(w, True), _t(np.zeros(np.shape(w)[0]), True)
    out = F.conv2d(xt, wt, bt, stride=pair(stride), padding=pair(padding))
    return tuple(g.numpy() for g in torch.autograd.grad((out * _t(dout)).sum(), (xt, wt, bt)))


def torch_pool2d_grad(kind, dout, x, kernel_size, stride=None):
    """dx of F.max_pool2d or F.avg_pool2d (kind "max" or "avg") for the upstream gradient dout,
    by torch.autograd in float64, as the gradient of sum(out * dout) (ties of max pooling:
    PyTorch's first maximum)."""
    import torch
    import torch.nn.functional as F

    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    xt = _t(x, True)
    out = pool(xt, pair(kernel_size), None if stride is None else pair(stride))
    return torch.autograd.grad((out * _t(dout)).sum(), xt)[0].numpy()


def _coverage(x_shape, kernel, stride, padding=0):
    """How many windows cover each input position: (N, C, H, W) counts."""
    kh, kw = pair(kernel)
    N, C = x_shape[:2]
    ones_w = np.ones((C, C, kh, kw)) * np.eye(C)[:, :, None, None]  # channel c to channel c only
    out_shape = torch_conv2d_out_shape(x_shape, (kh, kw), stride, padding, C)
    return np.rint(torch_conv2d_grads(np.zeros(x_shape), ones_w, np.ones(out_shape), stride, padding)[0])


def torch_conv2d_out_shape(x_shape, kernel, stride, padding, c_out):
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(padding)
    N, _, H, W = x_shape
    return (N, c_out, (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1)


def _overlap_mistake(got, want, counts, atol):
    """A message when got is right wherever one window covers a position and wrong only where
    windows overlap: the contributions were assigned (=) instead of added (+=)."""
    overlap = counts > 1
    if overlap.any() and same(got[~overlap], want[~overlap], atol) and not same(got[overlap], want[overlap], atol):
        return (
            "is right where one window covers an input and wrong where windows overlap: each window's "
            "gradient must be ADDED to dx (dx[...] += ...), not assigned (=), so that an input in several "
            "windows collects all their contributions"
        )
    return None


def _result_tuple(got, call):
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return dx, dw, db` at the end of your function?")
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise AssertionError(f"{call} returned {type(got).__name__}; it must return a tuple (dx, dw, db)")
    return got


def check_conv2d_backward(conv2d_backward, dout, x, w, stride=UNSET, padding=UNSET, atol=ATOL):
    """Call conv2d_backward(dout, x, w[, stride=...][, padding=...]) and compare (dx, dw, db) with
    torch.autograd; when one is wrong, name the classic mistake it matches."""
    kwargs = {k: v for k, v in [("stride", stride), ("padding", padding)] if v is not UNSET}
    call = call_text("conv2d_backward", [("dout", dout), ("x", x), ("w", w)], kwargs)
    stride = 1 if stride is UNSET else stride
    padding = 0 if padding is UNSET else padding
    dout, x, w = [np.array(a, dtype=np.float64) for a in (dout, x, w)]
    want_dx, want_dw, want_db = torch_conv2d_grads(x, w, dout, stride, padding)
    got = _result_tuple(run_student(conv2d_backward, call, [dout, x, w], kwargs), call)
    dx, dw, db = (as_float(g) for g in got)
    N, C_out = dout.shape[:2]
    (ph, pw), (H, W) = pair(padding), x.shape[2:]

    # dx
    if dx is not None and dx.shape == (x.shape[0], x.shape[1], H + 2 * ph, W + 2 * pw) != x.shape:
        raise AssertionError(
            f"{call}: dx has shape {dx.shape}, the padded input's; crop the padding off: "
            f"dx = dx_padded[:, :, {ph}:{ph} + H, {pw}:{pw} + W] has the shape of x, {x.shape}"
        )
    if dx is not None and dx.shape == x.shape and not same(dx, want_dx, atol):
        mistake = first_match(
            dx,
            [
                (
                    "uses the kernel as it is for dx: dx is a FULL convolution of dout with the kernel turned "
                    "180 degrees (w[:, :, ::-1, ::-1]), which is what scattering dout[n, o, i, j] * w[o, c, m, k] "
                    "back onto x[n, c, i*sh + m, j*sw + k] computes",
                    lambda: torch_conv2d_grads(x, w[:, :, ::-1, ::-1], dout, stride, padding)[0],
                ),
                (
                    "leaves out the sum over output channels: dx[n, c] adds the contributions of every "
                    "output channel o through w[o, c]",
                    lambda: torch_conv2d_grads(x, w[:1], dout[:, :1], stride, padding)[0],
                ),
            ],
            want_dx,
            atol,
        ) or _overlap_mistake(dx, want_dx, _coverage(x.shape, w.shape[2:], stride, padding), atol)
        if mistake:
            raise AssertionError(f"{call}: dx {mistake}")
    expect_array(dx if dx is not None else got[0], want_dx, f"{call}, dx,", atol)

    # dw
    if dw is not None and dw.shape == (N,) + w.shape:
        raise AssertionError(
            f"{call}: dw has shape {dw.shape}, one gradient per image; the batch shares one kernel, so "
            f"dw adds up the contributions of all {N} images: shape {w.shape}"
        )
    if dw is not None and dw.shape == w.shape and not same(dw, want_dw, atol) and N > 1:
        mistake = first_match(
            dw,
            [
                (
                    f"averages over the batch; the loss is a sum over the {N} images, so dw adds their "
                    "contributions (no division by N)",
                    lambda: want_dw / N,
                ),
                (
                    "keeps only the last image's contribution (= instead of += in the loop over the batch?): "
                    "dw sums over every image n, as well as over every output position",
                    lambda: torch_conv2d_grads(x[-1:], w, dout[-1:], stride, padding)[1],
                ),
                (
                    "keeps only the first image's contribution: dw sums over every image n of the batch",
                    lambda: torch_conv2d_grads(x[:1], w, dout[:1], stride, padding)[1],
                ),
            ],
            want_dw,
            atol,
        )
        if mistake:
            raise AssertionError(f"{call}: dw {mistake}")
    expect_array(dw if dw is not None else got[1], want_dw, f"{call}, dw,", atol)

    # db
    if db is not None and db.shape != (C_out,):
        hint = ""
        if db.shape == dout.shape[1:]:
            hint = "summed over the batch only: db also sums over every output position (i, j)"
        elif db.shape == (N, C_out):
            hint = "summed over positions, not over the batch: db also sums over the images"
        elif db.shape == dout.shape:
            hint = "not summed at all: db[o] = sum over n, i, j of dout[n, o, i, j]"
        if hint:
            raise AssertionError(f"{call}: db has shape {db.shape}, {hint} (shape ({C_out},))")
    if db is not None and db.shape == (C_out,) and not same(db, want_db, atol):
        mistake = first_match(
            db,
            [
                (
                    "is the mean of dout; b[o] is added to every output, so db[o] is the SUM of "
                    "dout[n, o, i, j] over all n, i, j",
                    lambda: dout.mean(axis=(0, 2, 3)),
                ),
                (
                    "holds one position only (= instead of += in the loop over positions?): db[o] sums "
                    "dout[n, o, i, j] over every image n and position (i, j)",
                    lambda: dout[:, :, -1, -1].sum(axis=0),
                ),
                ("holds one position only: db[o] sums over every position (i, j)", lambda: dout[:, :, 0, 0].sum(0)),
                (
                    "holds the first image only: db[o] sums over every image n too",
                    lambda: dout[0].sum(axis=(1, 2)),
                ),
                ("holds the last image only: db[o] sums over every image n too", lambda: dout[-1].sum(axis=(1, 2))),
            ],
            want_db,
            atol,
        )
        if mistake:
            raise AssertionError(f"{call}: db {mistake}")
    expect_array(db if db is not None else got[2], want_db, f"{call}, db,", atol)


def _tie_positions(x, kernel_size, stride):
    """Where the maximum of some window appears more than once in it: a boolean (N, C, H, W) mask
    of the tied positions, for the tie message."""
    (kh, kw), (sh, sw) = pair(kernel_size), pair(kernel_size if stride is None else stride)
    H_out, W_out = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    import torch.nn.functional as F

    top = F.max_pool2d(_t(x), (kh, kw), (sh, sw)).numpy()  # each window's maximum
    count = np.zeros_like(top)
    hits = np.zeros(x.shape, dtype=int)
    for m in range(kh):
        for k in range(kw):
            is_top = x[:, :, m : m + sh * (H_out - 1) + 1 : sh, k : k + sw * (W_out - 1) + 1 : sw] == top
            count += is_top
            hits[:, :, m : m + sh * (H_out - 1) + 1 : sh, k : k + sw * (W_out - 1) + 1 : sw] += is_top
    return hits > 0, (count > 1).any()


def check_pool2d_backward(backward, kind, dout, x, kernel_size, stride=UNSET, atol=ATOL):
    """Call max_pool2d_backward or avg_pool2d_backward (kind "max" or "avg") as
    backward(dout, x, kernel_size[, stride]) and compare dx with torch.autograd."""
    name = f"{kind}_pool2d_backward"
    kwargs = {} if stride is UNSET else {"stride": stride}
    call = call_text(name, [("dout", dout), ("x", x), ("kernel_size", kernel_size)], kwargs)
    stride = None if stride is UNSET else stride
    dout, x = [np.array(a, dtype=np.float64) for a in (dout, x)]
    want = torch_pool2d_grad(kind, dout, x, kernel_size, stride)
    got = run_student(backward, call, [dout, x, kernel_size], kwargs)
    dx = as_float(got)
    kh, kw = pair(kernel_size)
    if dx is not None and dx.shape == x.shape and not same(dx, want, atol):
        other = "avg" if kind == "max" else "max"
        candidates = [
            (
                "spreads each window's gradient evenly, as average pooling does; max pooling sends it all to "
                "the window's maximum (its arg-max) and 0 to the others"
                if kind == "max"
                else "sends each window's gradient to its maximum; average pooling spreads it evenly, "
                f"dout / ({kh} * {kw}) to each input of the window",
                lambda: torch_pool2d_grad(other, dout, x, kernel_size, stride),
            )
        ]
        if kind == "avg":
            candidates.append(
                (
                    f"does not divide by the window size: each of the {kh} * {kw} = {kh * kw} inputs of a "
                    f"window gets dout / {kh * kw}",
                    lambda: want * (kh * kw),
                )
            )
        if stride is None:  # windows that move by 1, the dout positions read as they come
            stride_one = np.zeros(dout.shape[:2] + (x.shape[2] - kh + 1, x.shape[3] - kw + 1))
            stride_one[:, :, : dout.shape[2], : dout.shape[3]] = dout
            candidates.append(
                (
                    "uses stride 1 when stride is None: the default stride is kernel_size, so the windows "
                    f"sit side by side and move {kh} rows and {kw} columns at a time",
                    lambda: torch_pool2d_grad(kind, stride_one, x, kernel_size, 1),
                )
            )
        mistake = first_match(dx, candidates, want, atol)
        if mistake is None:  # before ties: overlapping windows assigned (=) can look like a tie problem
            counts = _coverage(x.shape, kernel_size, kernel_size if stride is None else stride)
            mistake = _overlap_mistake(dx, want, counts, atol)
        if mistake is None and kind == "max":
            tied, any_tie = _tie_positions(x, kernel_size, stride)
            wrong = ~np.isclose(dx, want, rtol=0, atol=atol)
            if any_tie and wrong.any() and tied[wrong].all():
                mistake = (
                    "is wrong only where a window's maximum appears more than once (a tie): like PyTorch, give "
                    "the window's whole gradient to the FIRST maximum in reading order (row by row, left to "
                    "right; np.argmax of the flattened window finds it), and nothing to the others"
                )
        if mistake:
            raise AssertionError(f"{call} {mistake}")
    if dx is not None and dx.shape == dout.shape != x.shape:
        raise AssertionError(
            f"{call} returned dout's shape {dx.shape}; dx has the shape of the input x, {x.shape}: each "
            "window's gradient goes back to the inputs of the window"
        )
    expect_array(got, want, call, atol)
