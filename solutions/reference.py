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


def _hw(value, name, minimum=None):
    """kernel_size, stride or padding as PyTorch takes them: an int or an (h, w) pair -> (h, w)
    ints, each at least `minimum` where one is given."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{name} must be an int or an (h, w) pair of ints; got {value!r}")
    if minimum is not None and min(pair) < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value!r}")
    return int(pair[0]), int(pair[1])


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
            Y[i, j] = np.sum(X[i : i + kh, j : j + kw] * K)
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


def dense_param_count(n_in, n_out, bias=True):
    """Learnable numbers in a fully connected layer with n_in inputs and n_out outputs.

        weights: one per (input, output) pair = n_in * n_out;  biases: one per output = n_out

    n_in, n_out: ints; bias: whether the layer adds a bias. Returns an int.
    """
    weights = int(n_in) * int(n_out)
    return weights + (int(n_out) if bias else 0)


def conv_param_count(c_in, c_out, kernel_size, bias=True):
    """Learnable numbers in a 2-D convolutional layer (no groups).

        weights: c_out kernels of shape (c_in, kh, kw) = c_out * c_in * kh * kw
        biases:  one per output channel = c_out

    Unlike a dense layer, the count does not depend on the size of the image.
    kernel_size: int k or (kh, kw). Returns an int.
    """
    kh, kw = _hw(kernel_size, "kernel_size", 1)
    weights = int(c_out) * int(c_in) * kh * kw
    return weights + (int(c_out) if bias else 0)


def permute_pixels(images, perm):
    """The same reordering of pixels applied to every image of a batch.

        out[n].ravel()[i] = images[n].ravel()[perm[i]]

    images: (N, H, W); perm: a permutation of range(H * W). Returns a new (N, H, W) float array.
    """
    x = np.asarray(images, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"images must be (N, H, W); got shape {x.shape}")
    N, H, W = x.shape
    p = np.asarray(perm)
    if p.shape != (H * W,) or not np.array_equal(np.sort(p), np.arange(H * W)):
        raise ValueError(f"perm must be a permutation of range({H * W})")
    return x.reshape(N, H * W)[:, p].reshape(N, H, W)


def shift_image(image, dy, dx):
    """Translate an image: content moves down by dy rows and right by dx columns.

        out[i, j] = X[i - dy, j - dx]   where that pixel exists, else 0

    Negative dy (dx) moves it up (left). Pixels that leave the frame are lost; shifts as large
    as the image give all zeros. image: (H, W); dy, dx: ints. Returns a new (H, W) float array.
    """
    X = _as_2d(image, "image")
    return shift_images(X[None], dy, dx)[0]


def shift_images(images, dy, dx):
    """`shift_image` on every image of a batch. images: (..., H, W). Returns the same shape."""
    x = np.asarray(images, dtype=float)
    H, W = x.shape[-2:]
    out = np.zeros_like(x)
    dy, dx = int(dy), int(dx)
    if abs(dy) >= H or abs(dx) >= W:
        return out
    # Target rows max(dy, 0) .. H + min(dy, 0) receive source rows max(-dy, 0) .. H - max(dy, 0).
    out[..., max(dy, 0) : H + min(dy, 0), max(dx, 0) : W + min(dx, 0)] = x[
        ..., max(-dy, 0) : H - max(dy, 0), max(-dx, 0) : W - max(dx, 0)
    ]
    return out


def unshifted_region(shape, dy, dx):
    """The part of an (H, W) array that `shift_image(., dy, dx)` fills from the original: the
    rows and columns it does not vacate. Returns a pair of slices (rows, cols)."""
    H, W = shape
    return slice(max(dy, 0), max(H + min(dy, 0), 0)), slice(max(dx, 0), max(W + min(dx, 0), 0))


def equivariance_check(image, kernel, dy, dx):
    """The two sides of  corr2d(T(x)) = T(corr2d(x)),  T = shift by (dy, dx), where both exist.

    Returns (shift_then_correlate, correlate_then_shift), each cut to the output pixels that the
    shift of the output did not vacate: there the two are equal (away from the borders).
    image: (H, W); kernel: (kh, kw).
    """
    a = corr2d_fast(shift_image(image, dy, dx), kernel)
    b = shift_image(corr2d_fast(image, kernel), dy, dx)
    rows, cols = unshifted_region(a.shape, dy, dx)
    return a[rows, cols], b[rows, cols]


# --- Stride and padding (stride, padding)


def conv_output_size(n, k, stride=1, padding=0, dilation=1):
    """How many positions a kernel takes along one axis: floor((n + 2p - d(k - 1) - 1) / s) + 1.

    With dilation 1 (the usual case) that is floor((n - k + 2p) / s) + 1: the input of length n
    gets p zeros on each side, and a window of length k starts at 0, s, 2s, ... as long as it
    still ends inside. A dilated kernel spreads its k taps d apart, so it spans d(k - 1) + 1.

    n, k, stride, padding, dilation: ints (one axis). Returns an int (at least 1).
    Raises ValueError when stride or dilation < 1, padding < 0, or the kernel does not fit.
    """
    for value, name in [(n, "n"), (k, "k"), (stride, "stride"), (padding, "padding"), (dilation, "dilation")]:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise ValueError(f"{name} must be an int (one axis); got {value!r}")
    if stride < 1 or dilation < 1:
        raise ValueError(f"stride and dilation must be at least 1; got stride={stride}, dilation={dilation}")
    if padding < 0 or n < 1 or k < 1:
        raise ValueError(f"need n >= 1, k >= 1, padding >= 0; got n={n}, k={k}, padding={padding}")
    span = dilation * (k - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(f"kernel spanning {span} is larger than the padded input {n} + 2*{padding}")
    return (n + 2 * padding - span) // stride + 1


def corr2d_strided(image, kernel, stride=1):
    """Valid 2-D cross-correlation that moves the window `stride` rows and columns at a time.

        Y[i, j] = sum over m, n of  X[i*s_h + m, j*s_w + n] * K[m, n]

    image: (H, W); kernel: (kh, kw), no larger than the image; stride: int or (s_h, s_w).
    Returns (floor((H - kh)/s_h) + 1, floor((W - kw)/s_w) + 1), float. When a stride does not
    divide H - kh (or W - kw), the last rows (columns) that no window reaches are ignored.
    Equals corr2d(image, kernel)[::s_h, ::s_w], without computing the outputs it drops.
    """
    X = _as_2d(image, "image")
    K = _as_2d(kernel, "kernel")
    sh, sw = _hw(stride, "stride", 1)
    (H, W), (kh, kw) = X.shape, K.shape
    if kh > H or kw > W:
        raise ValueError(f"kernel {K.shape} is larger than image {X.shape}")
    Y = np.zeros(((H - kh) // sh + 1, (W - kw) // sw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i * sh : i * sh + kh, j * sw : j * sw + kw] * K)
    return Y


def pad2d(image, padding):
    """Zero padding: `padding` rows of zeros above and below, columns left and right.

    image: (H, W); padding: int p or (p_h, p_w), each >= 0.
    Returns a new float array (H + 2 p_h, W + 2 p_w) with the image in the middle.
    """
    X = _as_2d(image, "image")
    ph, pw = _hw(padding, "padding", 0)
    H, W = X.shape
    P = np.zeros((H + 2 * ph, W + 2 * pw))
    P[ph : ph + H, pw : pw + W] = X
    return P


def corr2d_padded(image, kernel, stride=1, padding=0):
    """Cross-correlation with zero padding and stride, as torch.nn.functional.conv2d computes it
    for one channel: pad, then slide with the stride.

    image: (H, W); kernel: (kh, kw); stride, padding: int or (h, w) pair.
    Returns (floor((H - kh + 2 p_h)/s_h) + 1, floor((W - kw + 2 p_w)/s_w) + 1), float.
    """
    K = _as_2d(kernel, "kernel")
    P = pad2d(image, padding)
    if K.shape[0] > P.shape[0] or K.shape[1] > P.shape[1]:
        raise ValueError(f"kernel {K.shape} is larger than the padded image {P.shape}")
    return corr2d_strided(P, K, stride)


# --- Channels and pooling (channels, pooling)


def _as_4d(array, name):
    a = np.asarray(array, dtype=float)
    if a.ndim != 4:
        raise ValueError(f"{name} must be 4-D; got shape {a.shape}")
    return a


def _zero_pad(x, ph, pw, value=0.0):
    """x (N, C, H, W) -> (N, C, H + 2 ph, W + 2 pw): `value` on both sides of each spatial axis."""
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv2d(x, w, b=None, stride=1, padding=0, groups=1):
    """A convolutional layer, as torch.nn.functional.conv2d computes it (a cross-correlation).

        out[n, o, i, j] = b[o] + sum over c, m, k of  xp[n, c, i*sh + m, j*sw + k] * w[o, c, m, k]

    xp is x with ph rows of zeros above and below and pw columns left and right. The sum runs
    over every input channel c: each output channel is one 3-D filter w[o] slid over the input.

    x: (N, C_in, H, W); w: (C_out, C_in // groups, kh, kw); b: (C_out,) or None.
    stride, padding: int or (h, w) pair. groups: split the channels into `groups` convolutions
    side by side (groups=1: every output channel sees every input channel; groups=C_in: depthwise).
    Returns (N, C_out, H', W'), float, with H' = floor((H + 2 ph - kh) / sh) + 1 and
    W' = floor((W + 2 pw - kw) / sw) + 1. Does not change its inputs.
    """
    x, w = _as_4d(x, "x (N, C_in, H, W)"), _as_4d(w, "w (C_out, C_in, kh, kw)")
    (N, C_in, H, W), (C_out, C_group, kh, kw) = x.shape, w.shape
    sh, sw = _hw(stride, "stride", 1)
    ph, pw = _hw(padding, "padding", 0)
    if groups < 1 or C_in % groups or C_out % groups:
        raise ValueError(f"groups={groups} must divide both C_in={C_in} and C_out={C_out}")
    if C_group * groups != C_in:
        raise ValueError(f"w has {C_group} input channels per filter; x has {C_in} channels in {groups} group(s)")
    bias = np.zeros(C_out) if b is None else np.asarray(b, dtype=float)
    if bias.shape != (C_out,):
        raise ValueError(f"b must have shape ({C_out},), one bias per output channel; got {bias.shape}")
    if kh > H + 2 * ph or kw > W + 2 * pw:
        raise ValueError(f"kernel ({kh}, {kw}) is larger than the padded input ({H + 2 * ph}, {W + 2 * pw})")
    xp = _zero_pad(x, ph, pw)
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    out = np.zeros((N, C_out, H_out, W_out))
    per_group = C_out // groups
    for n in range(N):
        for o in range(C_out):
            g = o // per_group  # the group output channel o belongs to
            channels = slice(g * C_group, (g + 1) * C_group)  # ... and the input channels it sees
            for i in range(H_out):
                for j in range(W_out):
                    window = xp[n, channels, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    out[n, o, i, j] = bias[o] + np.sum(window * w[o])
    return out


def conv2d_fast(x, w, b=None, stride=1, padding=0):
    """Same result as `conv2d` (groups=1), without Python loops: for photos in the lectures.

    x: (N, C_in, H, W); w: (C_out, C_in, kh, kw); b: (C_out,) or None. Returns (N, C_out, H', W').
    """
    x, w = _as_4d(x, "x (N, C_in, H, W)"), _as_4d(w, "w (C_out, C_in, kh, kw)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but w expects {w.shape[1]}")
    sh, sw = _hw(stride, "stride", 1)
    ph, pw = _hw(padding, "padding", 0)
    windows = np.lib.stride_tricks.sliding_window_view(_zero_pad(x, ph, pw), w.shape[2:], axis=(2, 3))
    out = np.einsum("ncijmk,ocmk->noij", windows[:, :, ::sh, ::sw], w)
    return out if b is None else out + np.asarray(b, dtype=float)[None, :, None, None]


def _pool2d(x, kernel_size, stride, padding, reduce, pad_value):
    x = _as_4d(x, "x (N, C, H, W)")
    kh, kw = _hw(kernel_size, "kernel_size", 1)
    sh, sw = _hw(kernel_size if stride is None else stride, "stride", 1)
    ph, pw = _hw(padding, "padding", 0)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"padding {padding!r} must be at most half of kernel_size {kernel_size!r}")
    N, C, H, W = x.shape
    if kh > H + 2 * ph or kw > W + 2 * pw:
        raise ValueError(f"kernel_size ({kh}, {kw}) is larger than the padded input ({H + 2 * ph}, {W + 2 * pw})")
    xp = _zero_pad(x, ph, pw, pad_value)
    out = np.zeros((N, C, (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1))
    for n in range(N):
        for c in range(C):  # every channel on its own
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    out[n, c, i, j] = reduce(xp[n, c, i * sh : i * sh + kh, j * sw : j * sw + kw])
    return out


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling, as torch.nn.functional.max_pool2d computes it (floor mode).

        out[n, c, i, j] = max over m < kh, k < kw of  x[n, c, i*sh + m, j*sw + k]

    Each channel is pooled on its own (C channels in, C out) and there is nothing to learn.
    x: (N, C, H, W); kernel_size, stride, padding: int or (h, w) pair; stride=None means
    stride = kernel_size (windows side by side). padding adds -inf, which never wins, on both
    sides; torch allows at most half the kernel. Returns (N, C, H', W') with
    H' = floor((H + 2 ph - kh) / sh) + 1: a window that would run off the end is dropped.
    """
    return _pool2d(x, kernel_size, stride, padding, np.max, -np.inf)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling, as torch.nn.functional.avg_pool2d computes it (floor mode).

        out[n, c, i, j] = (1 / (kh kw)) * sum over m < kh, k < kw of  x[n, c, i*sh + m, j*sw + k]

    Same shapes and arguments as `max_pool2d`. Padding adds zeros, and they count in the
    average (torch's default, count_include_pad=True).
    """
    return _pool2d(x, kernel_size, stride, padding, np.mean, 0.0)


# --- Backpropagation (backprop)


def _windows_at(a, m, k, sh, sw, H_out, W_out):
    """The (..., H_out, W_out) view of a (..., H, W) array at kernel offset (m, k): element (i, j)
    is a[..., i*sh + m, j*sw + k], the input that kernel element (m, k) meets in window (i, j)."""
    return a[..., m : m + sh * (H_out - 1) + 1 : sh, k : k + sw * (W_out - 1) + 1 : sw]


def conv2d_backward(dout, x, w, stride=1, padding=0):
    """The gradients of a convolutional layer (torch.nn.functional.conv2d, groups=1).

    For out[n, o, i, j] = b[o] + sum over c, m, k of xp[n, c, i*sh + m, j*sw + k] * w[o, c, m, k]
    and dout = dL/dout:
        dw[o, c, m, k] = sum over n, i, j of dout[n, o, i, j] * xp[n, c, i*sh + m, j*sw + k]
        dxp[n, c, i*sh + m, j*sw + k] += dout[n, o, i, j] * w[o, c, m, k]  (accumulated)
        db[o] = sum over n, i, j of dout[n, o, i, j]
    and dx is dxp with the padding cropped off.

    dout: (N, C_out, H', W'); x: (N, C_in, H, W); w: (C_out, C_in, kh, kw); stride, padding:
    int or (h, w). Returns (dx, dw, db) with shapes (N, C_in, H, W), (C_out, C_in, kh, kw), (C_out,).
    """
    x, w, dout = _as_4d(x, "x (N, C_in, H, W)"), _as_4d(w, "w (C_out, C_in, kh, kw)"), _as_4d(dout, "dout")
    sh, sw = _hw(stride, "stride", 1)
    ph, pw = _hw(padding, "padding", 0)
    (N, _, H, W), (C_out, _, kh, kw) = x.shape, w.shape
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    if dout.shape != (N, C_out, H_out, W_out):
        raise ValueError(f"dout must have the output's shape {(N, C_out, H_out, W_out)}; got {dout.shape}")
    xp = _zero_pad(x, ph, pw)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for m in range(kh):
        for k in range(kw):
            dw[:, :, m, k] = np.einsum("noij,ncij->oc", dout, _windows_at(xp, m, k, sh, sw, H_out, W_out))
            _windows_at(dxp, m, k, sh, sw, H_out, W_out)[...] += np.einsum("noij,oc->ncij", dout, w[:, :, m, k])
    return dxp[:, :, ph : ph + H, pw : pw + W], dw, dout.sum(axis=(0, 2, 3))


def _pool_backward_shapes(dout, x, kernel_size, stride):
    x, dout = _as_4d(x, "x (N, C, H, W)"), _as_4d(dout, "dout")
    kh, kw = _hw(kernel_size, "kernel_size", 1)
    sh, sw = _hw(kernel_size if stride is None else stride, "stride", 1)
    N, C, H, W = x.shape
    want = (N, C, (H - kh) // sh + 1, (W - kw) // sw + 1)
    if dout.shape != want:
        raise ValueError(f"dout must have the output's shape {want}; got {dout.shape}")
    return dout, x, kh, kw, sh, sw


def max_pool2d_backward(dout, x, kernel_size, stride=None):
    """The gradient of max pooling (floor mode, no padding): each window sends its dout to the
    position of its maximum; where a maximum appears more than once, to the first in reading
    order (row by row, left to right), as PyTorch's CPU kernel and np.argmax do. Windows that
    overlap add up their contributions.

    dout: (N, C, H', W'); x: (N, C, H, W); kernel_size, stride: int or (h, w); stride=None means
    kernel_size. Returns dx, shape (N, C, H, W).
    """
    dout, x, kh, kw, sh, sw = _pool_backward_shapes(dout, x, kernel_size, stride)
    N, C, H_out, W_out = dout.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :H_out, :W_out]
    first = windows.reshape(N, C, H_out, W_out, kh * kw).argmax(axis=-1)  # (N, C, H', W'): first maximum
    n, c, i, j = np.indices(dout.shape)
    dx = np.zeros_like(x)
    np.add.at(dx, (n, c, i * sh + first // kw, j * sw + first % kw), dout)
    return dx


def avg_pool2d_backward(dout, x, kernel_size, stride=None):
    """The gradient of average pooling (floor mode, no padding): each window spreads its dout
    evenly, dout / (kh kw) to each of its kh kw inputs; overlapping windows add up.

    Same arguments and shapes as `max_pool2d_backward`.
    """
    dout, x, kh, kw, sh, sw = _pool_backward_shapes(dout, x, kernel_size, stride)
    H_out, W_out = dout.shape[2:]
    dx = np.zeros_like(x)
    for m in range(kh):
        for k in range(kw):
            _windows_at(dx, m, k, sh, sw, H_out, W_out)[...] += dout / (kh * kw)
    return dx


# --- GPU: im2col (gpu)


def _float_array(a):
    """a as a numpy array of floats: float32 and float64 stay as they are, anything else -> float64."""
    a = np.asarray(a)
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)


def conv2d_shapes(x_shape, w_shape, stride=1, padding=0):
    """Sizes of a convolutional layer: (N, C_in, H_out, W_out, C_out, kh, kw, sh, sw, ph, pw).

    x_shape: (N, C_in, H, W); w_shape: (C_out, C_in, kh, kw). H_out = floor((H + 2 ph - kh) / sh) + 1.
    """
    N, C_in, H, W = x_shape
    C_out, C_w, kh, kw = w_shape
    if C_w != C_in:
        raise ValueError(f"x has {C_in} channels but w expects {C_w}")
    sh, sw = _hw(stride, "stride", 1)
    ph, pw = _hw(padding, "padding", 0)
    if kh > H + 2 * ph or kw > W + 2 * pw:
        raise ValueError(f"kernel ({kh}, {kw}) is larger than the padded input ({H + 2 * ph}, {W + 2 * pw})")
    return N, C_in, (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1, C_out, kh, kw, sh, sw, ph, pw


def conv2d_flops(x_shape, w_shape, stride=1, padding=0):
    """Floating-point operations of a direct convolution, counting a multiply-add as 2.

        2 * N * C_out * H_out * W_out * (C_in * kh * kw)

    One output value is a dot product of length C_in * kh * kw. The bias is not counted.
    x_shape: (N, C_in, H, W); w_shape: (C_out, C_in, kh, kw). Returns an int.
    """
    N, C_in, H_out, W_out, C_out, kh, kw, *_ = conv2d_shapes(x_shape, w_shape, stride, padding)
    return 2 * N * C_out * H_out * W_out * C_in * kh * kw


def im2col(x, kh, kw, stride=1, padding=0):
    """Every window that a kh x kw kernel visits, laid out as one column of a matrix.

        cols[n, (c, m, k), (i, j)] = xp[n, c, i*sh + m, j*sw + k]

    xp is x with zero padding. Row (c, m, k) is row c * kh * kw + m * kw + k: the order in
    which w.reshape(C_out, -1) lists a filter's weights. Column (i, j) is column i * W_out + j.
    x: (N, C, H, W). Returns (N, C * kh * kw, H_out * W_out), a new array (float32 stays float32).

    The loops run over the kh * kw kernel offsets, not over the output pixels: for each offset
    (m, k) one strided slice of xp gives that offset's value for every window at once.
    """
    x = _float_array(x)
    N, C, H_out, W_out, _, kh, kw, sh, sw, ph, pw = conv2d_shapes(x.shape, (1, x.shape[1], kh, kw), stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((N, C, kh, kw, H_out, W_out), dtype=x.dtype)
    for m in range(kh):
        for k in range(kw):
            # rows m, m + sh, m + 2 sh, ... and columns k, k + sw, ...: offset (m, k) of every window
            cols[:, :, m, k] = xp[:, :, m : m + sh * (H_out - 1) + 1 : sh, k : k + sw * (W_out - 1) + 1 : sw]
    return cols.reshape(N, C * kh * kw, H_out * W_out)


def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    """A convolutional layer as one matrix product: im2col, then (C_out, C_in kh kw) @ columns.

        out[n] = w.reshape(C_out, C_in * kh * kw) @ im2col(x)[n]  (+ b[:, None]),  reshaped to (C_out, H_out, W_out)

    Same result as torch.nn.functional.conv2d (a cross-correlation) and as the loops of `conv2d`.
    x: (N, C_in, H, W); w: (C_out, C_in, kh, kw); b: (C_out,) or None; stride, padding: int or
    (h, w). Returns (N, C_out, H_out, W_out): float32 if x and w are float32, else float64.
    Does not change its inputs.
    """
    x, w = _float_array(x), _float_array(w)
    N, _, H_out, W_out, C_out, kh, kw, *_ = conv2d_shapes(x.shape, w.shape, stride, padding)
    cols = im2col(x, kh, kw, stride, padding)  # (N, C_in kh kw, H_out W_out)
    out = w.reshape(C_out, -1) @ cols  # (C_out, K) @ (N, K, L) -> (N, C_out, L)
    if b is not None:
        out = out + _float_array(b).reshape(1, C_out, 1)
    return out.reshape(N, C_out, H_out, W_out)


def conv2d_torch(x, w, b=None, stride=1, padding=0):
    """`conv2d_im2col` in PyTorch, on whatever device the tensors are: unfold, then one matmul.

    torch.nn.functional.unfold is im2col: (N, C_in, H, W) -> (N, C_in kh kw, H_out W_out), with
    the rows in the order of w.reshape(C_out, -1). x, w, b: tensors on one device (b may be None).
    Returns an (N, C_out, H_out, W_out) tensor on that device, in x's dtype. No F.conv2d.
    """
    import torch.nn.functional as F

    N, _, H_out, W_out, C_out, kh, kw, sh, sw, ph, pw = conv2d_shapes(tuple(x.shape), tuple(w.shape), stride, padding)
    cols = F.unfold(x, (kh, kw), padding=(ph, pw), stride=(sh, sw))
    out = w.reshape(C_out, -1) @ cols
    if b is not None:
        out = out + b.reshape(1, C_out, 1)
    return out.reshape(N, C_out, H_out, W_out)
