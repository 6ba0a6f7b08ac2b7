"""Assertions for the exercise tests, written for students to read.

This file is copied next to every student notebook as `exercise_checks.py` (the exercise
generator does it), so it may import only the standard library, numpy and, lazily, torch.
Each check raises AssertionError with one message that says what was called, what came back
and what was expected: the shape, the first wrong element, or the changed input.
"""

import numpy as np

ATOL = 1e-8


def expect_array(got, expected, call, atol=ATOL):
    """Assert that `got` is a float array equal to `expected` within `atol`.

    call: how the function was called, e.g. "corr2d(image (3, 4), kernel (2, 2))".
    """
    expected = np.asarray(expected, dtype=float)
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{call} returned {type(got).__name__}, which is not an array of numbers") from None
    if got_arr.shape != expected.shape:
        hint = ""
        if got_arr.shape == expected.shape[::-1]:
            hint = " (rows and columns swapped?)"
        elif got_arr.ndim == expected.ndim and all(
            g == e + 1 or g == e - 1 for g, e in zip(got_arr.shape, expected.shape)
        ):
            hint = " (off by one: output size is H - kh + 1?)"
        raise AssertionError(f"{call} returned shape {got_arr.shape}; expected {expected.shape}{hint}")
    close = np.isclose(got_arr, expected, rtol=0, atol=atol)
    if not close.all():
        bad = np.argwhere(~close)
        idx = tuple(int(v) for v in bad[0])
        raise AssertionError(
            f"{call}: element {list(idx)} is {got_arr[idx]:.6g}; expected {expected[idx]:.6g} "
            f"({len(bad)} of {expected.size} elements differ by more than {atol:g})"
        )


def expect_unchanged(before, after, name, call):
    """Assert that an input array was not modified by the call. before: a copy taken first."""
    if not np.array_equal(before, after):
        raise AssertionError(f"{call} changed its input `{name}`: a function must not modify its arguments")


def expect_answered(result, call):
    """Assert that the call returned something. An answer cell still at `...` returns None and
    leaves its inputs alone: the tests that check inputs are left unchanged give it no point."""
    if result is None:
        raise AssertionError(
            f"{call} returned None: write the function first (this test checks that "
            "a working answer leaves its inputs unchanged)"
        )


def random_array(rng, *shape):
    """Floats in [-1, 1) of the given shape from a numpy Generator."""
    return rng.uniform(-1.0, 1.0, size=shape)


def torch_corr2d(image, kernel):
    """PyTorch's answer, in float64 on the CPU: F.conv2d is a cross-correlation.

    image: (H, W); kernel: (kh, kw). Returns (H - kh + 1, W - kw + 1) numpy array.
    """
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(np.array(image, dtype=np.float64))[None, None]
    w = torch.as_tensor(np.array(kernel, dtype=np.float64))[None, None]
    return F.conv2d(x, w)[0, 0].numpy()


# --- mlp-limits, translation-invariance


def _ti_run(fn, call, *args, hint="", **kwargs):
    """fn(*args, **kwargs), with an exception turned into a failure that names the call."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # the student's code may raise anything
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}{hint}") from None


def check_count(fn, call, args, expected, mistakes=(), **kwargs):
    """fn(*args, **kwargs) must return the whole number `expected`, as an int.

    mistakes: (wrong value, explanation) pairs: a result equal to a wrong value fails with
    its explanation, so the student learns what was counted wrongly.
    """
    got = _ti_run(fn, call, *args, **kwargs)
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer, float, np.floating)):
        raise AssertionError(f"{call} returned {got!r} ({type(got).__name__}); expected the int {expected:,}")
    if isinstance(got, (float, np.floating)):
        if float(got) == expected:
            raise AssertionError(
                f"{call} returned {got!r}, a float; a count is a whole number: "
                f"return an int (use * and //, not /, or wrap the result in int(...))"
            )
        raise AssertionError(f"{call} returned the float {got!r}; expected the int {expected:,}")
    got = int(got)
    if got != expected:
        for value, why in mistakes:
            if value != expected and got == value:
                raise AssertionError(f"{call} returned {got:,}; expected {expected:,}: {why}")
        raise AssertionError(f"{call} returned {got:,}; expected {expected:,}")


def _ti_as_array(got, call):
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{call} returned {type(got).__name__}, which is not an array of numbers") from None


def _ti_equal(a, b, atol=ATOL):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=0, atol=atol)


def check_permute_pixels(permute_pixels, images, perm, call=None):
    """permute_pixels(images, perm) must give out[n].ravel()[i] == images[n].ravel()[perm[i]]."""
    x = np.asarray(images, dtype=float)
    N, H, W = x.shape
    perm = np.asarray(perm)
    call = call or f"permute_pixels(images {x.shape}, perm of {perm.size} indices)"
    expected = x.reshape(N, H * W)[:, perm].reshape(N, H, W)
    got = _ti_as_array(_ti_run(permute_pixels, call, images, perm), call)
    if got.shape == (N, H * W):
        raise AssertionError(
            f"{call} returned shape {got.shape}, the flattened images; "
            f"reshape the result back to the shape of the input, {x.shape}"
        )
    if _ti_equal(got, expected):
        return
    inverse = np.empty_like(x.reshape(N, H * W))
    inverse[:, perm] = x.reshape(N, H * W)
    column_major = x.transpose(0, 2, 1).reshape(N, H * W)[:, perm].reshape(N, W, H).transpose(0, 2, 1)
    if _ti_equal(got, inverse.reshape(N, H, W)):
        raise AssertionError(
            f"{call} applies the inverse permutation: pixel i of the output must be "
            f"pixel perm[i] of the input (out_flat = x_flat[perm]), not the other way round "
            f"(out_flat[perm] = x_flat)"
        )
    if H != W and _ti_equal(got, column_major):
        raise AssertionError(
            f"{call} numbers the pixels column by column; the flat index of pixel "
            f"(r, c) is r * W + c, as image.ravel() and reshape do (row by row)"
        )
    if _ti_equal(got, x):
        raise AssertionError(f"{call} returned the images unchanged; this perm is not the identity")
    expect_array(got, expected, call)


def shift_reference(image, dy, dx):
    """Content moved down by dy and right by dx, vacated pixels 0. image: (H, W) -> (H, W) float."""
    x = np.asarray(image, dtype=float)
    H, W = x.shape
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            if 0 <= i - dy < H and 0 <= j - dx < W:
                out[i, j] = x[i - dy, j - dx]
    return out


def check_shift_image(shift_image, image, dy, dx, call=None):
    """shift_image(image, dy, dx) must equal shift_reference; classic mistakes get their own message."""
    x = np.asarray(image, dtype=float)
    H, W = x.shape
    call = call or f"shift_image(image {x.shape}, dy={dy}, dx={dx})"
    hint = ""
    if abs(dy) >= H or abs(dx) >= W:
        hint = " (a shift as large as the image moves everything out: the result is all zeros)"
    elif dy == 0 or dx == 0:
        hint = " (careful with a shift of 0: x[:-0] is x[:0], which is empty)"
    got = _ti_as_array(_ti_run(shift_image, call, image, dy, dx, hint=hint), call)
    expected = shift_reference(x, dy, dx)
    if _ti_equal(got, expected):
        return
    if got.shape == x.shape:
        wrong = [
            (
                np.roll(x, (dy, dx), axis=(0, 1)),
                "wraps around, like np.roll: pixels pushed out of "
                "the frame must be lost, and the vacated rows and columns must be 0",
            ),
            (
                shift_reference(x, -dy, -dx),
                "moves the content the wrong way: positive dy moves it down, positive dx moves it right",
            ),
            (
                shift_reference(x, -dy, dx),
                "moves the content the wrong way vertically: positive dy "
                "moves it down (out[i, j] = image[i - dy, j - dx])",
            ),
            (
                shift_reference(x, dy, -dx),
                "moves the content the wrong way horizontally: positive dx "
                "moves it right (out[i, j] = image[i - dy, j - dx])",
            ),
            (shift_reference(x, dx, dy), "swaps dy and dx: dy moves rows (down), dx moves columns (right)"),
        ]
        for candidate, why in wrong:
            if _ti_equal(got, candidate) and not _ti_equal(candidate, expected):
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
    if mine is None or not _ti_equal(mine, shift_reference(x, dy, dx)):
        raise AssertionError(f"{call} uses your shift_image, which does not pass question 1 yet: fix it first")
    shifted_then_corr = torch_corr2d(shift_reference(x, dy, dx), k)
    corr_then_shifted = shift_reference(torch_corr2d(x, k), dy, dx)
    Ho, Wo = shifted_then_corr.shape
    rows = slice(max(dy, 0), Ho + min(dy, 0))
    cols = slice(max(dx, 0), Wo + min(dx, 0))
    want = shifted_then_corr[rows, cols]
    got = _ti_run(equivariance_check, call, image, kernel, dy, dx)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise AssertionError(
            f"{call} returned {type(got).__name__}; expected a pair of arrays "
            f"(shift then correlate, correlate then shift)"
        )
    a, b = (_ti_as_array(g, call) for g in got)
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
            if (ry, rx) != (dy, dx) and _ti_equal(arr, wrong_side) and not _ti_equal(wrong_side, want):
                raise AssertionError(
                    f"{call}: the {side} array keeps the wrong {what}: "
                    f"a shift by dy > 0 vacates the first dy rows, by dy < 0 the last |dy| rows, and dx "
                    f"does the same to the columns; keep rows {rows.start}:{rows.stop} and columns "
                    f"{cols.start}:{cols.stop}"
                )
    expect_array(a, want, f"{call}[0] (corr2d of the shifted image)")
    expect_array(b, corr_then_shifted[rows, cols], f"{call}[1] (the shifted corr2d of the image)")


# --- stride, padding

_SP_UNSET = object()  # an argument the check leaves out of the call, so that defaults get tested


def sp_pair(value):
    """An int or an (h, w) pair -> (h, w), as torch reads stride and padding."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def torch_corr2d_sp(image, kernel, stride=1, padding=0):
    """PyTorch's answer with stride and zero padding, in float64 on the CPU.

    image: (H, W); kernel: (kh, kw); stride, padding: int or (h, w) pair.
    Returns the (H', W') numpy array F.conv2d computes for one channel.
    """
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(np.array(image, dtype=np.float64))[None, None]
    w = torch.as_tensor(np.array(kernel, dtype=np.float64))[None, None]
    return F.conv2d(x, w, stride=sp_pair(stride), padding=sp_pair(padding))[0, 0].numpy()


def torch_output_size(n, k, stride=1, padding=0):
    """How many rows torch's F.conv2d outputs for n input rows and a kernel of k rows."""
    import torch
    import torch.nn.functional as F

    x = torch.zeros(1, 1, n, 1, dtype=torch.float64)
    w = torch.zeros(1, 1, k, 1, dtype=torch.float64)
    return F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0)).shape[2]


def _sp_call_text(name, args, kwargs):
    show = lambda v: f"{np.shape(v)}" if isinstance(v, np.ndarray) else repr(v)  # noqa: E731
    parts = [f"{arg} {show(v)}" if isinstance(v, np.ndarray) else show(v) for arg, v in args]
    parts += [f"{k}={show(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _sp_run(fn, call, args, kwargs, notes=()):
    """fn(*args, **kwargs) on copies of the arrays; an exception becomes a message naming the call.

    notes: (exception classes, words, text): the text is added when the exception is one of those
    classes and its message contains one of the words (or words is empty).
    """
    copy = lambda v: v.copy() if isinstance(v, np.ndarray) else v  # noqa: E731
    try:
        return fn(*[copy(v) for v in args], **{k: copy(v) for k, v in kwargs.items()})
    except Exception as e:  # the student's function raised: say which call, what, and why it may have
        said = [
            text
            for kinds, words, text in notes
            if isinstance(e, kinds) and (not words or any(w in str(e).lower() for w in words))
        ]
        hint = f" (hint: {'; '.join(said)})" if said else ""
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}{hint}") from None


def _sp_notes(X, K, stride, padding):
    """What often makes a strided or padded function raise, for these arguments."""
    (sh, sw), (ph, pw) = sp_pair(stride), sp_pair(padding)
    notes = []
    if K is not None and (K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]):
        notes.append(
            (
                ValueError,
                (),
                "the kernel is larger than the image but fits in the padded image: "
                "compare its size with the padded image",
            )
        )
    if isinstance(stride, (tuple, list)) or isinstance(padding, (tuple, list)):
        notes.append((TypeError, (), "stride and padding may be an int or an (h, w) pair"))
    if K is not None and ((X.shape[0] - K.shape[0] + 2 * ph) % sh or (X.shape[1] - K.shape[1] + 2 * pw) % sw):
        notes.append(
            (
                (ValueError, IndexError),
                ("broadcast", "index", "out of bounds"),
                "here the stride does not divide (H - kh + 2p): the output size rounds down, and the last "
                "rows or columns that no whole window reaches are left out",
            )
        )
    if 0 in (ph, pw) and (ph, pw) != (0, 0):
        notes.append(
            (
                (ValueError, IndexError),
                ("into shape (0", ", 0)"),
                "a padding is 0 on one axis, and a slice such as P[p:-p] is empty when p = 0: use P[p:p + H] instead",
            )
        )
    return notes


def _sp_size(n, k, s, p):
    return (n - k + 2 * p) // s + 1


def _sp_output_size_mistakes(n, k, s, p):
    """(value, what the wrong formula does) for the classic wrong output-size formulas."""
    import math

    return [
        (
            math.ceil((n - k + 2 * p) / s) + 1,
            f"rounds up: (n - k + 2p)/s = {n - k + 2 * p}/{s} is not whole, and a window that would run past "
            "the edge does not count; round down with //",
        ),
        (round((n - k + 2 * p) / s) + 1, "rounds to the nearest integer; the size rounds down (floor): use //"),
        ((n - k + 2 * p) // s, "forgets the + 1: the first window, at position 0, counts too"),
        (
            (n - k + p) // s + 1,
            f"adds the padding once: `padding` = {p} zeros go on BOTH sides, so the padded length is n + 2p",
        ),
        ((n - k) // s + 1, f"ignores the padding ({p} zeros on each side)"),
        (n - k + 2 * p + 1, f"ignores the stride: the window moves {s} places at a time"),
        ((n - k + 2 * p + 1) // s, "puts the + 1 inside the division: floor((n - k + 2p) / s) + 1"),
    ]


def check_output_size(conv_output_size, n, k, stride=_SP_UNSET, padding=_SP_UNSET, expected=None):
    """Call conv_output_size(n, k[, stride=..][, padding=..]) and compare with the size torch gives.

    When the answer is wrong, the message names the wrong formula it matches, if any.
    """
    kwargs = {name: v for name, v in [("stride", stride), ("padding", padding)] if v is not _SP_UNSET}
    call = _sp_call_text("conv_output_size", [("n", n), ("k", k)], kwargs)
    s = 1 if stride is _SP_UNSET else stride
    p = 0 if padding is _SP_UNSET else padding
    notes = (
        [
            (
                ValueError,
                (),
                f"the kernel is longer than n = {n} but fits in the padded length "
                f"n + 2p = {n + 2 * p}: that is allowed",
            )
        ]
        if n < k <= n + 2 * p
        else []
    )
    got = _sp_run(conv_output_size, call, [n, k], kwargs, notes)
    want = torch_output_size(n, k, s, p) if expected is None else expected
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer, np.floating)):
        raise AssertionError(f"{call} returned {got!r} ({type(got).__name__}); expected the int {want}")
    if isinstance(got, (float, np.floating)):
        if float(got).is_integer() and int(got) == want:
            raise AssertionError(
                f"{call} returned {got!r}, a float; a size is an int: use // "
                f"(floor division), which also rounds down, or int(...) -> {want}"
            )
        raise AssertionError(
            f"{call} returned {got!r}; expected the int {want}: (n - k + 2p)/s = "
            f"{n - k + 2 * p}/{s} is not whole here, and the size rounds down: use //"
        )
    if int(got) == want:
        return
    matches = [what for value, what in _sp_output_size_mistakes(n, k, s, p) if value == got and value != want]
    if matches:  # several wrong formulas can give the same number: name each of them
        raise AssertionError(f"{call} returned {got}; expected {want}: your formula " + "; or it ".join(matches))
    raise AssertionError(
        f"{call} returned {got}; expected {want} = floor((n - k + 2p) / s) + 1 = floor(({n} - {k} + 2*{p}) / {s}) + 1"
    )


def _sp_pair_mistakes(name, given, right, compute):
    """Candidates for an (h, w) argument used on one axis only, swapped, or ignored."""
    a, c = right
    pair = isinstance(given, (tuple, list))
    rows = f"{name}[0] = {a}" if pair else f"{name} {a} too"
    cols = f"{name}[1] = {c}" if pair else f"{name} {c} too"
    none = 1 if name == "stride" else 0
    options = [
        ((a, none), f"applies the {name} to the rows only; the columns use {cols}"),
        ((none, c), f"applies the {name} to the columns only; the rows use {rows}"),
    ]
    if pair:
        options += [
            ((a, a), f"uses {name}[0] = {a} on both axes; the columns use {name}[1] = {c}"),
            ((c, c), f"uses {name}[1] = {c} on both axes; the rows use {name}[0] = {a}"),
            (
                (c, a),
                f"swaps the {name} pair: {name}=({a}, {c}) means {a} for the rows (height) "
                f"and {c} for the columns (width)",
            ),
        ]
    options.append(((none, none), f"ignores the {name} (it was {given!r})"))
    return [(msg, (lambda v=v: compute(v))) for v, msg in options if v != right]


def _sp_corr_candidates(X, K, stride, padding):
    """(message, thunk) for the classic mistakes of a strided, padded cross-correlation."""
    (sh, sw), (ph, pw) = sp_pair(stride), sp_pair(padding)
    (H, W), (kh, kw) = X.shape, K.shape
    oh, ow = _sp_size(H, kh, sh, ph), _sp_size(W, kw, sw, pw)
    full = lambda: torch_corr2d_sp(X, K, 1, padding)  # noqa: E731
    c = [
        (
            "flips the kernel: cross-correlation uses K[m, n] as it is",
            lambda: torch_corr2d_sp(X, K[::-1, ::-1], stride, padding),
        ),
        ("returns the output transposed (rows and columns swapped)", lambda: torch_corr2d_sp(X, K, stride, padding).T),
    ]
    if (sh, sw) != (1, 1):
        c += _sp_pair_mistakes("stride", stride, (sh, sw), lambda s: torch_corr2d_sp(X, K, s, padding))
        starts = f"window (i, j) must start at row i*{sh} and column j*{sw}"
        c += [
            (
                f"has the right size, but its windows do not move by the stride: {starts}"
                f"{' of the padded image' if (ph, pw) != (0, 0) else ''}",
                lambda: full()[:oh, :ow],
            ),
            (f"moves the window by the stride along the rows only: {starts}", lambda: full()[::sh, :ow]),
            (f"moves the window by the stride along the columns only: {starts}", lambda: full()[:oh, ::sw]),
        ]
    if (ph, pw) != (0, 0):
        both = "`padding` zeros go on BOTH sides: above and below, left and right"
        c += [
            (
                f"pads only the top and left: {both}",
                lambda: torch_corr2d_sp(np.pad(X, ((ph, 0), (pw, 0))), K, stride, 0),
            ),
            (
                f"pads only the bottom and right: {both}",
                lambda: torch_corr2d_sp(np.pad(X, ((0, ph), (0, pw))), K, stride, 0),
            ),
            (
                f"puts all 2*padding zeros above and left of the image: {both}, p on each",
                lambda: torch_corr2d_sp(np.pad(X, ((2 * ph, 0), (2 * pw, 0))), K, stride, 0),
            ),
            (
                f"puts all 2*padding zeros below and right of the image: {both}, p on each",
                lambda: torch_corr2d_sp(np.pad(X, ((0, 2 * ph), (0, 2 * pw))), K, stride, 0),
            ),
        ]
        c += _sp_pair_mistakes("padding", padding, (ph, pw), lambda p: torch_corr2d_sp(X, K, stride, p))
    return c


def _sp_shape_hint(shape, X, K, stride, padding):
    """Why a result can have this (wrong) shape, when no candidate array matched."""
    import math

    (sh, sw), (ph, pw) = sp_pair(stride), sp_pair(padding)
    (H, W), (kh, kw) = X.shape, K.shape
    ceil = (math.ceil((H - kh + 2 * ph) / sh) + 1, math.ceil((W - kw + 2 * pw) / sw) + 1)
    floor = (_sp_size(H, kh, sh, ph), _sp_size(W, kw, sw, pw))
    if tuple(shape) == ceil != floor:
        return (
            f" (rounded up: (H - kh + 2p)/s is not whole here, and a window that would run past the edge "
            f"does not count: {floor[0]} x {floor[1]} = floor((H - kh + 2p)/s) + 1 on each axis)"
        )
    if len(shape) == 2 and all(g == e - 1 for g, e in zip(shape, floor)):
        return " (one row and column short: the number of windows is floor((H - kh + 2p)/s) + 1)"
    if len(shape) == 2 and all(g >= e for g, e in zip(shape, floor)):
        return " (too many rows or columns: the output size is floor((H - kh + 2p)/s) + 1 on each axis)"
    return " (the output size is floor((H - kh + 2p)/s) + 1 on each axis)"


def check_corr2d_sp(fn, name, image, kernel, stride=_SP_UNSET, padding=_SP_UNSET, expected=None, atol=ATOL):
    """Call fn(image, kernel[, stride=..][, padding=..]) and compare with torch (or `expected`).

    name: the student's function name, for the message ("corr2d_strided", "corr2d_padded").
    Arguments left out are left out of the call, so that the defaults get tested. When the result
    is wrong, the message names the classic mistake it matches, if any.
    """
    X, K = np.asarray(image), np.asarray(kernel)
    kwargs = {k: v for k, v in [("stride", stride), ("padding", padding)] if v is not _SP_UNSET}
    call = _sp_call_text(name, [("image", X), ("kernel", K)], kwargs)
    s = 1 if stride is _SP_UNSET else stride
    p = 0 if padding is _SP_UNSET else padding
    got = _sp_run(fn, call, [X, K], kwargs, _sp_notes(X, K, s, p))
    want = torch_corr2d_sp(X, K, s, p) if expected is None else np.asarray(expected, dtype=float)
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if got is None or arr is None:
        expect_array(got, want, call, atol)
    if arr.shape == want.shape and np.allclose(arr, want, rtol=0, atol=atol):
        return
    for message, thunk in _sp_corr_candidates(X.astype(float), K.astype(float), s, p):
        try:
            wrong = np.asarray(thunk(), dtype=float)
        except Exception:  # a wrong variant that cannot be computed for these sizes
            continue
        if (
            wrong.shape == arr.shape
            and np.allclose(arr, wrong, rtol=0, atol=atol)
            and not (wrong.shape == want.shape and np.allclose(wrong, want, rtol=0, atol=atol))
        ):
            raise AssertionError(f"{call} {message}")
    if arr.shape != want.shape:
        raise AssertionError(
            f"{call} returned shape {arr.shape}; expected {want.shape}{_sp_shape_hint(arr.shape, X, K, s, p)}"
        )
    expect_array(got, want, call, atol)


def _sp_pad_candidates(X, padding):
    ph, pw = sp_pair(padding)
    both = "`padding` zeros go on BOTH sides: p_h rows above and below, p_w columns left and right"
    c = [
        (f"pads only the top and left: {both}", lambda: np.pad(X, ((ph, 0), (pw, 0)))),
        (f"pads only the bottom and right: {both}", lambda: np.pad(X, ((0, ph), (0, pw)))),
        (
            f"puts the image in the top-left corner: {both}, so the image sits in the middle",
            lambda: np.pad(X, ((0, 2 * ph), (0, 2 * pw))),
        ),
        (
            f"puts the image in the bottom-right corner: {both}, so the image sits in the middle",
            lambda: np.pad(X, ((2 * ph, 0), (2 * pw, 0))),
        ),
        (
            "pads with ones; zero padding puts zeros around the image",
            lambda: np.pad(X, ((ph, ph), (pw, pw)), constant_values=1),
        ),
        (
            "repeats the edge values; zero padding puts zeros around the image",
            lambda: np.pad(X, ((ph, ph), (pw, pw)), mode="edge"),
        ),
        ("returns the padded image transposed (rows and columns swapped)", lambda: np.pad(X, ((ph, ph), (pw, pw))).T),
    ]
    c += _sp_pair_mistakes("padding", padding, (ph, pw), lambda p: np.pad(X, ((p[0], p[0]), (p[1], p[1]))))
    return c


def check_pad2d(pad2d, image, padding, expected=None):
    """Call pad2d(image, padding) and compare with zero padding on both sides of each axis."""
    X = np.asarray(image)
    call = _sp_call_text("pad2d", [("image", X)], {"padding": padding})
    got = _sp_run(pad2d, call, [X, padding], {}, _sp_notes(X, None, 1, padding))
    ph, pw = sp_pair(padding)
    want = np.pad(X.astype(float), ((ph, ph), (pw, pw))) if expected is None else np.asarray(expected, dtype=float)
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if got is None or arr is None:
        expect_array(got, want, call)
    if arr.shape == want.shape and np.array_equal(arr, want):
        return
    for message, thunk in _sp_pad_candidates(X.astype(float), padding):
        wrong = thunk()
        if (
            wrong.shape == arr.shape
            and np.array_equal(arr, wrong)
            and not (wrong.shape == want.shape and np.array_equal(wrong, want))
        ):
            raise AssertionError(f"{call} {message}")
    if arr.shape != want.shape:
        raise AssertionError(f"{call} returned shape {arr.shape}; expected {want.shape} = (H + 2*{ph}, W + 2*{pw})")
    expect_array(got, want, call)


def expect_value_error(fn, call, why, *args, **kwargs):
    """fn(*args, **kwargs) must raise ValueError. why: what is wrong with these arguments."""
    try:
        got = fn(*args, **kwargs)
    except ValueError:
        return
    except Exception as e:
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}; it should raise ValueError ({why})") from None
    raise AssertionError(f"{call} returned {got!r}; it should raise ValueError ({why})")


def check_float_output(fn, call, *args, **kwargs):
    """The result of fn(*args, **kwargs) on integer inputs must be a float array."""
    got = _sp_run(fn, call, list(args), kwargs)
    dtype = np.asarray(got).dtype
    if not np.issubdtype(dtype, np.floating):
        raise AssertionError(
            f"{call} returned dtype {dtype}; the output must be a float array "
            "(e.g. start from np.zeros(...), which is float)"
        )


def check_inputs_unchanged(fn, call, *args, **kwargs):
    """Call fn(*args, **kwargs) and assert that none of its array arguments changed."""
    names = ["image", "kernel"]
    before = [np.array(a, copy=True) for a in args]
    try:
        result = fn(*args, **kwargs)
    except Exception as e:
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}") from None
    for arg_name, b4, a in zip(names, before, args):
        expect_unchanged(b4, a, arg_name, call)
    expect_answered(result, call)


# --- channels, pooling


_NOT_GIVEN = object()


def _hw_pair(value):
    """An int or an (h, w) pair -> (h, w) Python ints (torch wants Python ints)."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    return int(pair[0]), int(pair[1])


def torch_conv2d(x, w, b=None, stride=1, padding=0, groups=1):
    """PyTorch's convolutional layer in float64 on the CPU (F.conv2d: a cross-correlation).

    x: (N, C_in, H, W); w: (C_out, C_in // groups, kh, kw); b: (C_out,) or None;
    stride, padding: int or (h, w). Returns the (N, C_out, H', W') numpy array.
    """
    import torch
    import torch.nn.functional as F

    t = lambda a: torch.as_tensor(np.array(a, dtype=np.float64))  # noqa: E731  (a copy, made contiguous)
    out = F.conv2d(
        t(x), t(w), None if b is None else t(b), stride=_hw_pair(stride), padding=_hw_pair(padding), groups=groups
    )
    return out.numpy()


def _torch_pool(name, x, kernel_size, stride, padding, ceil_mode):
    import torch
    import torch.nn.functional as F

    pool = getattr(F, name)
    out = pool(
        torch.as_tensor(np.array(x, dtype=np.float64)),
        _hw_pair(kernel_size),
        None if stride is None else _hw_pair(stride),
        _hw_pair(padding),
        ceil_mode=ceil_mode,
    )
    return out.numpy()


def torch_max_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """PyTorch's max pooling in float64. x: (N, C, H, W); stride=None means kernel_size."""
    return _torch_pool("max_pool2d", x, kernel_size, stride, padding, ceil_mode)


def torch_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False):
    """PyTorch's average pooling in float64. x: (N, C, H, W); stride=None means kernel_size."""
    return _torch_pool("avg_pool2d", x, kernel_size, stride, padding, ceil_mode)


def _shape(a):
    return str(tuple(int(v) for v in np.shape(a)))


def _call_text(fname, args, kwargs):
    """How a function was called, with arrays shown by their shapes."""

    def show(v):
        if isinstance(v, np.ndarray):
            return _shape(v)
        return repr(v)

    parts = [f"{name} {show(v)}" if isinstance(v, np.ndarray) else show(v) for name, v in args]
    parts += [f"{k}={show(v)}" for k, v in kwargs.items()]
    return f"{fname}({', '.join(parts)})"


def _call(fn, call, args, kwargs):
    """fn(*args, **kwargs) on copies of the arrays (so that the check compares with the true inputs)."""
    copy = lambda v: v.copy() if isinstance(v, np.ndarray) else v  # noqa: E731
    try:
        return fn(*[copy(v) for v in args], **{k: copy(v) for k, v in kwargs.items()})
    except Exception as e:  # the student's function raised: say which call, and what
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}") from None


def expect_nchw(got, expected, call, atol=ATOL):
    """expect_array for (N, C, H, W) results, with hints about the usual shape mistakes."""
    expected = np.asarray(expected, dtype=float)
    arr = None if got is None else _as_float(got)
    shape = None if arr is None else arr.shape
    if shape is not None and shape != expected.shape:
        N, C, H, W = expected.shape
        hint = ""
        if shape == (C, H, W) or shape == (H, W):
            hint = f" (the batch axis is missing: return (N, C, H', W') even when N == {N})"
        elif shape == (N, H, W, C):
            hint = " (channels last? the layout is (N, C, H', W'), as in torch)"
        elif len(shape) == 4 and shape[:2] != (N, C):
            hint = f" (the first two axes must be N = {N} images and C = {C} channels)"
        elif len(shape) == 4 and (shape[2] > H or shape[3] > W):
            hint = " (too many rows or columns: the output size is floor((H + 2p - k) / s) + 1)"
        elif len(shape) == 4:
            hint = " (too few rows or columns: the output size is floor((H + 2p - k) / s) + 1)"
        raise AssertionError(f"{call} returned shape {shape}; expected {expected.shape}{hint}")
    expect_array(got, expected, call, atol=atol)


def _first_match(got, candidates, atol):
    """The message of the first candidate (message, thunk) whose array equals `got`."""
    for message, thunk in candidates:
        try:
            wrong = np.asarray(thunk(), dtype=float)
        except Exception:  # a wrong variant that cannot be computed for these sizes
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=0, atol=atol):
            return message
    return None


def _as_float(got):
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None


def _pair_mistakes(name, given, right, compute):
    """Candidates for an (h, w) argument used on one axis only, swapped, or ignored."""
    a, c = right
    rows = f"{name}[0] = {a}" if isinstance(given, (tuple, list)) else f"{name} {a} too"
    cols = f"{name}[1] = {c}" if isinstance(given, (tuple, list)) else f"{name} {c} too"
    options = [
        ((a, 1) if name == "stride" else (a, 0), f"applies the {name} to the rows only; the columns use {cols}"),
        ((1, c) if name == "stride" else (0, c), f"applies the {name} to the columns only; the rows use {rows}"),
        ((a, a), f"uses {name}[0] = {a} on both axes; the columns use {name}[1] = {c}"),
        ((c, c), f"uses {name}[1] = {c} on both axes; the rows use {name}[0] = {a}"),
        (
            (c, a),
            f"swaps the {name} pair: {name}=({a}, {c}) means {a} for the rows (height), {c} for the columns (width)",
        ),
        ((1, 1) if name == "stride" else (0, 0), f"ignores the {name} (it was {given!r})"),
    ]
    return [(msg, (lambda v=v: compute(v))) for v, msg in options if v != right]


def _conv2d_candidates(x, w, b, stride, padding):
    N, C_in = x.shape[:2]
    C_out, _, kh, kw = w.shape
    sh, sw = _hw_pair(stride)
    ph, pw = _hw_pair(padding)
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
        sums = "each output channel is the SUM over all input channels c of x[n, c] cross-correlated with w[o, c] (plus b[o])"
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
                "each output channel must add up all input channels: out[n, o] = b[o] + sum over c of x[n, c] * w[o, c]",
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
                f"adds the bias once per input channel ({C_in} times): add it once, after the sum over channels; {per_channel}",
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
        c += _pair_mistakes("stride", stride, (sh, sw), lambda s: torch_conv2d(x, w, b, s, padding))
        H_out, W_out = (x.shape[2] + 2 * ph - kh) // sh + 1, (x.shape[3] + 2 * pw - kw) // sw + 1
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
        c += _pair_mistakes("padding", padding, (ph, pw), lambda p: torch_conv2d(x, w, b, stride, p))
    return c


def check_conv2d(conv2d, x, w, b=_NOT_GIVEN, stride=_NOT_GIVEN, padding=_NOT_GIVEN, expected=None, atol=ATOL):
    """Call conv2d(x, w[, b][, stride=...][, padding=...]) and compare with torch (or `expected`).

    Arguments left out are left out of the call too, so that the defaults get tested. When the
    result is wrong, the message names the classic mistake it matches, if any.
    """
    args = [("x", x), ("w", w)] + ([] if b is _NOT_GIVEN else [("b", b)])
    kwargs = {k: v for k, v in [("stride", stride), ("padding", padding)] if v is not _NOT_GIVEN}
    call = _call_text("conv2d", args, kwargs)
    got = _call(conv2d, call, [v for _, v in args], kwargs)
    b = None if b is _NOT_GIVEN else b
    stride = 1 if stride is _NOT_GIVEN else stride
    padding = 0 if padding is _NOT_GIVEN else padding
    want = torch_conv2d(x, w, b, stride, padding) if expected is None else np.asarray(expected, dtype=float)
    arr = _as_float(got)
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
            mistake = _first_match(
                arr,
                _conv2d_candidates(
                    np.asarray(x, float),
                    np.asarray(w, float),
                    None if b is None else np.asarray(b, float),
                    stride,
                    padding,
                ),
                atol,
            )
        except ImportError:  # no torch here: no diagnosis, the plain comparison below still runs
            mistake = None
        if mistake:
            raise AssertionError(f"{call} {mistake}")
    expect_nchw(got, want, call, atol)


def _pool_candidates(kind, x, kernel_size, stride):
    kh, kw = _hw_pair(kernel_size)
    sh, sw = _hw_pair(kernel_size if stride is None else stride)
    pool = torch_max_pool2d if kind == "max" else torch_avg_pool2d
    right = lambda: pool(x, kernel_size, stride)  # noqa: E731
    c = []
    if stride is None:
        c.append(
            (
                f"uses stride 1 when stride is None: the default stride is kernel_size, so {kh}x{kw} windows "
                f"sit side by side and move {kh} rows and {kw} columns at a time",
                lambda: pool(x, kernel_size, 1),
            )
        )
        for s in {(kh, 1), (1, kw), (kh, kh), (kw, kw), (kw, kh)} - {(kh, kw), (1, 1)}:
            c.append(
                (
                    f"moves its windows {s[0]} rows and {s[1]} columns at a time; with stride=None the stride is "
                    f"kernel_size, so they move {kh} rows and {kw} columns",
                    lambda s=s: pool(x, kernel_size, s),
                )
            )
    if (sh, sw) != (1, 1) and stride is not None:
        c += _pair_mistakes("stride", stride, (sh, sw), lambda s: pool(x, kernel_size, s))
    if kh != kw:
        follow = lambda k: stride if stride is not None else k  # noqa: E731
        c += [
            (
                f"uses kernel_size[0] = {kh} on both axes; windows are {kh} rows by {kw} columns",
                lambda: pool(x, (kh, kh), follow((kh, kh))),
            ),
            (
                f"uses kernel_size[1] = {kw} on both axes; windows are {kh} rows by {kw} columns",
                lambda: pool(x, (kw, kw), follow((kw, kw))),
            ),
            (
                f"swaps the kernel_size pair: ({kh}, {kw}) means {kh} rows (height) by {kw} columns (width)",
                lambda: pool(x, (kw, kh), follow((kw, kh))),
            ),
        ]
    if x.shape[1] > 1:
        across = x.max(axis=1, keepdims=True) if kind == "max" else x.mean(axis=1, keepdims=True)
        c.append(
            (
                "pools across channels: each channel is pooled on its own, so out[n, c] depends on x[n, c] only "
                "and there are as many output channels as input channels",
                lambda: np.repeat(pool(across, kernel_size, stride), x.shape[1], axis=1),
            )
        )
    if kind == "max":
        c += [
            (
                "gives 0 for a window of negative numbers: start the maximum from the window's first value "
                "(or -inf, or use np.max), not from 0",
                lambda: np.maximum(right(), 0),
            ),
            (
                "takes the mean of each window; max_pool2d takes the maximum",
                lambda: torch_avg_pool2d(x, kernel_size, stride),
            ),
        ]
    else:
        c += [
            (
                f"adds up each window without dividing: the average divides by the window size {kh} * {kw} = {kh * kw}",
                lambda: right() * (kh * kw),
            ),
            (
                "takes the maximum of each window; avg_pool2d takes the mean",
                lambda: torch_max_pool2d(x, kernel_size, stride),
            ),
        ]
        if kh != kw:
            c += [
                (f"divides by {kh} only; the window holds {kh} * {kw} = {kh * kw} numbers", lambda: right() * kw),
                (f"divides by {kw} only; the window holds {kh} * {kw} = {kh * kw} numbers", lambda: right() * kh),
            ]
    return c


def check_pool2d(pool2d, kind, x, kernel_size, stride=_NOT_GIVEN, expected=None, atol=ATOL):
    """Call max_pool2d or avg_pool2d (kind "max" or "avg") as pool2d(x, kernel_size[, stride])
    and compare with torch (or `expected`); name the classic mistake a wrong result matches."""
    name = f"{kind}_pool2d"
    args = [("x", x), ("kernel_size", kernel_size)]
    kwargs = {} if stride is _NOT_GIVEN else {"stride": stride}
    call = _call_text(name, args, kwargs)
    got = _call(pool2d, call, [x, kernel_size], kwargs)
    stride = None if stride is _NOT_GIVEN else stride
    pool = torch_max_pool2d if kind == "max" else torch_avg_pool2d
    want = pool(x, kernel_size, stride) if expected is None else np.asarray(expected, dtype=float)
    arr = _as_float(got)
    if arr is not None and arr.shape == want.shape and np.allclose(arr, want, rtol=0, atol=atol):
        return
    if arr is not None:
        try:
            mistake = _first_match(arr, _pool_candidates(kind, np.asarray(x, float), kernel_size, stride), atol)
        except ImportError:
            mistake = None
        if mistake:
            raise AssertionError(f"{call} {mistake}")
    if arr is not None and arr.ndim == 4 and arr.shape[:2] == want.shape[:2] and arr.shape != want.shape:
        H, W = np.shape(x)[2:]
        kh, kw = _hw_pair(kernel_size)
        sh, sw = _hw_pair(kernel_size if stride is None else stride)
        ceil = (-(-(H - kh) // sh) + 1, -(-(W - kw) // sw) + 1)
        if arr.shape[2:] == ceil:
            raise AssertionError(
                f"{call} returned {ceil[0]} x {ceil[1]} windows; floor mode gives {want.shape[2]} x {want.shape[3]}: "
                f"H' = floor((H - kh) / sh) + 1 = floor(({H} - {kh}) / {sh}) + 1 and W' = floor(({W} - {kw}) / {sw}) + 1. "
                "A window that would run off the edge is dropped (ceil instead of floor?), as torch does by default"
            )
    expect_nchw(got, want, call, atol)


def expect_inputs_unchanged(fn, name, *args, **kwargs):
    """Call fn(*args, **kwargs) and assert that none of the array arguments changed."""
    names = ["x", "w", "b"] if name == "conv2d" else ["x", "kernel_size"]
    shown = list(zip(names, args))
    call = _call_text(name, shown, kwargs)
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    try:
        result = fn(*args, **kwargs)
    except Exception as e:
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}") from None
    for arg_name, b4, a in zip(names, before, args):
        if isinstance(a, np.ndarray):
            expect_unchanged(b4, a, arg_name, call)
    expect_answered(result, call)


# --- gpu

# Conventions of the GPU chapter's tests (the course's grader relies on them): a question whose
# name ends in `_gpu` needs a CUDA GPU, and each of its tests starts with `require_gpu()`, so
# that without one every test of it fails with a message that starts "skipped: no GPU". Timing
# tests compare two functions measured alternately in the same run (ratios, medians, generous
# factors), so that a busy machine slows both alike.

GPU_SKIP = "skipped: no GPU"


def require_gpu():
    """Fail at once where torch sees no CUDA GPU: the message starts "skipped: no GPU"."""
    import torch

    if not torch.cuda.is_available():
        raise AssertionError(
            f"{GPU_SKIP}: torch.cuda.is_available() is False on this machine, so this question is not "
            "graded here and awards nothing. Run it where there is an NVIDIA GPU "
            "(on Colab: Runtime > Change runtime type > GPU, then run the notebook again)"
        )


def _gpu_sync():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def median_time(fn, *args, repeats=5, warmup=1):
    """The tests' own clock: `warmup` untimed calls, then the median of `repeats` timed calls.
    On a GPU it waits for the device (torch.cuda.synchronize) before reading the clock."""
    import statistics
    import time

    for _ in range(warmup):
        fn(*args)
    _gpu_sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        _gpu_sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def alternating_medians(fns, repeats=5, warmup=1, calls=None):
    """Median seconds of each zero-argument function in `fns`, timed in turn (f0, f1, f0, f1, ...)
    so that whatever else the machine is doing slows them all alike. In each of the `repeats`
    rounds, fns[k] is timed calls[k] times (default once): give a fast function more calls, so
    that a hiccup of the machine cannot move its median."""
    import statistics
    import time

    calls = [1] * len(fns) if calls is None else calls
    for fn in fns:
        for _ in range(warmup):
            fn()
    _gpu_sync()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, n, ts in zip(fns, calls, times):
            for _ in range(n):
                t0 = time.perf_counter()
                fn()
                _gpu_sync()
                ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def loop_conv2d(x, w, b=None, stride=1, padding=0):
    """The slow way, for speed comparisons: a Python loop over every output value (n, o, i, j),
    each a numpy dot product of one window with one filter. Same result as F.conv2d."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    (N, C, H, W), (C_out, _, kh, kw) = x.shape, w.shape
    sh, sw = _hw_pair(stride)
    ph, pw = _hw_pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((N, C_out, (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1))
    for img in range(N):
        for filt in range(C_out):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    out[img, filt, i, j] = np.sum(xp[img, :, i * sh : i * sh + kh, j * sw : j * sw + kw] * w[filt])
    return out if b is None else out + np.asarray(b, dtype=float).reshape(1, -1, 1, 1)


def _im2col_candidates(x, w, b, stride, padding):
    """Mistakes particular to im2col: rows of the column matrix in another order than the
    weights, and the batch and channel axes mixed up when the product is reshaped."""
    C_out, C_in, kh, kw = w.shape
    order = (
        "the rows of its column matrix are not in the order of w.reshape(C_out, -1), which lists "
        "each filter's weights channel by channel, then row by row: row c*kh*kw + m*kw + k of the "
        "columns must hold the input under weight w[o, c, m, k]"
    )
    c = []
    if C_in > 1:
        c += [
            (
                order,
                lambda: torch_conv2d(
                    x, w.reshape(C_out, kh * kw, C_in).transpose(0, 2, 1).reshape(w.shape), b, stride, padding
                ),
            ),
            (order, lambda: torch_conv2d(x, w.transpose(0, 2, 3, 1).reshape(w.shape), b, stride, padding)),
        ]
    if kh > 1 and kw > 1:
        c.append(
            (
                order + " (the kernel offsets (m, k) are listed column by column instead of row by row)",
                lambda: torch_conv2d(x, w.reshape(C_out, C_in, kw, kh).transpose(0, 1, 3, 2), b, stride, padding),
            )
        )
    if x.shape[0] > 1 and C_out > 1:

        def mixed():
            right = torch_conv2d(x, w, b, stride, padding)
            N, _, Ho, Wo = right.shape
            return right.reshape(N, C_out, Ho * Wo).transpose(1, 0, 2).reshape(right.shape)

        c.append(
            (
                "mixes up the batch and channel axes: the product has shape (C_out, N * H_out * W_out) "
                "(or (N, C_out, H_out * W_out)); reshaping alone does not turn (C_out, N, ...) into "
                "(N, C_out, ...): move the axes with transpose first",
                mixed,
            )
        )
    return c


def check_conv2d_named(name, fn, x, w, b=_NOT_GIVEN, stride=_NOT_GIVEN, padding=_NOT_GIVEN, atol=ATOL):
    """check_conv2d for a function with another name (conv2d_im2col, conv2d_torch), plus the
    mistakes particular to im2col. Messages name the function as `name`."""
    kwargs = {k: v for k, v in [("stride", stride), ("padding", padding)] if v is not _NOT_GIVEN}
    args = [x, w] + ([] if b is _NOT_GIVEN else [b])
    try:
        got = _as_float(fn(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args], **kwargs))
    except Exception:
        got = None  # check_conv2d below calls again and reports the exception
    bb = None if b is _NOT_GIVEN else np.asarray(b, dtype=float)
    s = 1 if stride is _NOT_GIVEN else stride
    p = 0 if padding is _NOT_GIVEN else padding
    want = torch_conv2d(x, w, bb, s, p)
    if got is not None and (got.shape != want.shape or not np.allclose(got, want, rtol=0, atol=atol)):
        mistake = _first_match(got, _im2col_candidates(np.asarray(x, float), np.asarray(w, float), bb, s, p), atol)
        if mistake:
            call = _call_text(
                name,
                [("x", np.asarray(x)), ("w", np.asarray(w))] + ([] if b is _NOT_GIVEN else [("b", np.asarray(b))]),
                kwargs,
            )
            raise AssertionError(f"{call} {mistake}")
    try:
        check_conv2d(fn, x, w, b, stride, padding, atol=atol)
    except AssertionError as e:
        message = str(e)
        raise AssertionError(name + message[len("conv2d") :] if message.startswith("conv2d(") else message) from None


def _gpu_conv_builtins():
    import torch
    import torch.nn.functional as F

    found = {
        "F.conv2d": F.conv2d,
        "torch.conv2d": torch.conv2d,
        "torch.convolution": torch.convolution,
        "torch._convolution": getattr(torch, "_convolution", None),
        "torch.nn.Conv2d": torch.nn.Conv2d,
        "F.conv_transpose2d": F.conv_transpose2d,
    }
    return {k: v for k, v in found.items() if v is not None}


def _gpu_names_used(fn, seen=None):
    """Global names that fn's code (and the functions it calls from its globals) refers to."""
    import types

    seen = set() if seen is None else seen
    code = getattr(fn, "__code__", None)
    if code is None or id(code) in seen:
        return []
    seen.add(id(code))
    names, stack = [], [code]
    while stack:
        c = stack.pop()
        names += list(c.co_names)
        stack += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    found = []
    for n in names:
        value = fn.__globals__.get(n) if hasattr(fn, "__globals__") else None
        found.append((n, value))
        if isinstance(value, types.FunctionType):
            found += _gpu_names_used(value, seen)
    return found


def expect_no_builtin_conv(fn, name, *args, **kwargs):
    """Call fn(*args, **kwargs) with PyTorch's own convolutions replaced by traps, and check
    that fn's code does not hold one under another name. Returns fn's result."""
    import torch
    import torch.nn.functional as F

    builtins = _gpu_conv_builtins()
    for var, value in _gpu_names_used(fn):
        for label, builtin in builtins.items():
            if value is builtin:
                raise AssertionError(
                    f"{name} uses {label} (as `{var}`): write the convolution yourself, "
                    "with unfold and a matrix product"
                )

    def trap(label):
        def raiser(*a, **k):
            raise AssertionError(
                f"{name} called {label}: write the convolution yourself, with unfold and a matrix product"
            )

        return raiser

    patched = [(F, "conv2d"), (torch, "conv2d"), (torch, "convolution")]
    saved = [(mod, attr, getattr(mod, attr)) for mod, attr in patched]
    try:
        for mod, attr in patched:
            setattr(mod, attr, trap(f"{'F' if mod is F else 'torch'}.{attr}"))
        return fn(*args, **kwargs)
    finally:
        for mod, attr, value in saved:
            setattr(mod, attr, value)


def _gpu_describe(t):
    return f"{tuple(t.shape)} {str(t.dtype).replace('torch.', '')} on {t.device}"


def check_conv2d_torch(conv2d_torch, x, w, b=None, stride=1, padding=0, device="cpu", dtype="float64", atol=None):
    """Run conv2d_torch on tensors made from numpy x, w, b on `device` in `dtype`; check that it
    returns a tensor of the same dtype on the same device, without F.conv2d, equal to F.conv2d in
    float64 on the CPU (within atol: by default 1e-8 in float64, 5e-3 * sqrt(C_in kh kw) in
    float32, which TF32 matmuls meet)."""
    import torch

    dt = getattr(torch, dtype)
    t = lambda a: None if a is None else torch.as_tensor(np.array(a, dtype=np.float64)).to(device=device, dtype=dt)  # noqa: E731
    tx, tw, tb = t(x), t(w), t(b)
    K = int(np.prod(np.shape(w)[1:]))
    if atol is None:
        atol = ATOL if dtype == "float64" else 5e-3 * np.sqrt(K)
    shown = ", ".join(
        [f"x {_gpu_describe(tx)}", f"w {tuple(tw.shape)}"] + ([] if tb is None else [f"b {tuple(tb.shape)}"])
    )
    call = f"conv2d_torch({shown}, stride={stride!r}, padding={padding!r})"
    try:
        got = expect_no_builtin_conv(conv2d_torch, "conv2d_torch", tx, tw, tb, stride=stride, padding=padding)
    except AssertionError:
        raise
    except Exception as e:  # the student's function raised
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}") from None
    if not isinstance(got, torch.Tensor):
        raise AssertionError(
            f"{call} returned {type(got).__name__}; it must return a torch tensor "
            "(on the inputs' device: no .numpy(), no .cpu())"
        )
    if got.device != tx.device:
        raise AssertionError(
            f"{call} returned a tensor on {got.device}; the inputs are on {tx.device}: "
            "compute where the tensors are, and do not move the result"
        )
    if got.dtype != tx.dtype:
        raise AssertionError(
            f"{call} returned {str(got.dtype).replace('torch.', '')}; the inputs are {dtype}: keep the inputs' dtype"
        )
    result = got.detach().to("cpu", torch.float64).numpy()
    try:
        check_conv2d_named(
            "conv2d_torch",
            lambda *a, **k: result,
            x,
            w,
            *([] if b is None else [b]),
            stride=stride,
            padding=padding,
            atol=atol,
        )
    except AssertionError as e:
        raise AssertionError(f"{e} [inputs: {dtype} tensors on {tx.device}; tolerance {atol:.2g}]") from None


def float32_mode(tf32):
    """A context in which float32 matrix products and cuDNN convolutions may use TF32 (tf32=True)
    or must not (tf32=False); the previous settings come back afterwards. Uses the calls that keep
    PyTorch's old and new precision settings in step (torch 2.9 and later refuse a mix)."""
    import contextlib
    import warnings

    import torch

    @contextlib.contextmanager
    def mode():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matmul = torch.get_float32_matmul_precision()
            try:
                cudnn = torch.backends.cudnn.allow_tf32
            except RuntimeError:  # set through the new API elsewhere: restore PyTorch's default
                cudnn = True
            torch.set_float32_matmul_precision("high" if tf32 else "highest")
            torch.backends.cudnn.allow_tf32 = bool(tf32)
        try:
            yield
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.set_float32_matmul_precision(matmul)
                torch.backends.cudnn.allow_tf32 = cudnn

    return mode()


class ScriptedCalls:
    """A function for testing a timer: call number i (from 0) sleeps durations[i] seconds (the
    last one repeats). Counts its calls and records their arguments."""

    def __init__(self, durations):
        self.durations, self.calls = list(durations), []

    def __call__(self, *args, **kwargs):
        import time

        seconds = self.durations[min(len(self.calls), len(self.durations) - 1)]
        self.calls.append((args, kwargs))
        time.sleep(seconds)


def call_benchmark(benchmark, fn, *args, **kwargs):
    """benchmark(fn, *args, **kwargs) -> float seconds, or an AssertionError that says what went wrong."""

    def show(v):
        if hasattr(v, "shape") and hasattr(v, "dtype"):
            return f"{type(v).__name__} {tuple(v.shape)}"
        return repr(v)

    name = getattr(fn, "__name__", "fn")
    shown = ", ".join(
        [name if name.isidentifier() and name != "<lambda>" else "fn"]
        + [show(a) for a in args]
        + [f"{k}={v!r}" for k, v in kwargs.items()]
    )
    call = f"benchmark({shown})"
    try:
        got = benchmark(fn, *args, **kwargs)
    except Exception as e:
        hint = ""
        if "CUDA" in str(e) or "cuda" in str(e):
            hint = " (call torch.cuda.synchronize() only when torch.cuda.is_available())"
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}{hint}") from None
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    if isinstance(got, (list, tuple, np.ndarray)) or not np.isscalar(got):
        raise AssertionError(f"{call} returned {type(got).__name__}; it must return one number: the median in seconds")
    return call, float(got)


def expect_median_seconds(call, got, timed, low, high):
    """Assert low <= got <= high for a benchmark whose timed calls took `timed` seconds; when
    not, name the statistic or the unit that `got` looks like."""
    if low <= got <= high:
        return
    durations = ", ".join(f"{d:g}" for d in timed)
    median = float(np.median(timed))
    looks = [
        (float(np.mean(timed)), "their mean: one slow call should not move the result; take the median"),
        (float(np.min(timed)), "their minimum; take the median"),
        (float(np.max(timed)), "their maximum; take the median"),
        (float(np.sum(timed)), "their total; take the median of the per-call times"),
        (median * 1000, "the median in milliseconds; return seconds"),
    ]
    what = next((text for value, text in looks if abs(got - value) <= 0.25 * value), None)
    if what is None and got < 0.5 * low:
        what = (
            "far less than the calls took: time with a wall clock (time.perf_counter()) around each call, "
            "not CPU time (time.process_time())"
        )
    raise AssertionError(
        f"{call} returned {got:.4g} s for timed calls that took {durations} s; "
        f"their median is {median:g} s" + (f" ({got:.4g} looks like {what})" if what else "")
    )


def unfold_conv2d(x, w, stride=1, padding=0):
    """im2col in PyTorch (F.unfold and one matmul), for the tests' own timings on a GPU."""
    import torch.nn.functional as F

    (N, _, H, W), (C_out, _, kh, kw) = x.shape, w.shape
    sh, sw = _hw_pair(stride)
    ph, pw = _hw_pair(padding)
    out = w.reshape(C_out, -1) @ F.unfold(x, (kh, kw), padding=(ph, pw), stride=(sh, sw))
    return out.reshape(N, C_out, (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1)


def expect_timer_waits_for_gpu(benchmark, conv2d_torch, small, large, w, stride=1, padding=0):
    """Time conv2d_torch on two batches with the student's benchmark; `large` has k times the
    images of `small`, so k times the GPU work, but the same launch cost. A timer that waits for
    the GPU sees the times grow about as a synchronised reference does; one that does not sees
    only the launches, which take about as long for both.

    Both timings run the student's own functions, together, wherever the student's code runs.
    """
    k = large.shape[0] / small.shape[0]
    ref_small = median_time(unfold_conv2d, small, w, stride, padding, repeats=5, warmup=2)
    ref_large = median_time(unfold_conv2d, large, w, stride, padding, repeats=5, warmup=2)
    expected = ref_large / ref_small
    shape = lambda t: "(" + ", ".join(str(v) for v in t.shape) + ")"  # noqa: E731
    args = f"w {shape(w)}, None, {stride!r}, {padding!r}"
    _, t_small = call_benchmark(benchmark, conv2d_torch, small, w, None, stride, padding, repeats=5, warmup=2)
    _, t_large = call_benchmark(benchmark, conv2d_torch, large, w, None, stride, padding, repeats=5, warmup=2)
    got = t_large / t_small
    if got < max(2.5, 0.5 * expected):
        raise AssertionError(
            f"benchmark(conv2d_torch, x {shape(large)}, {args}) returned {t_large * 1e3:.3f} ms, only {got:.2f} times "
            f"what it returned for x {shape(small)} ({t_small * 1e3:.3f} ms), although the first is {k:g} times the "
            f"work: timed with synchronisation, the same computation takes {expected:.1f} times as long "
            f"({ref_large * 1e3:.3f} ms against {ref_small * 1e3:.3f} ms). The clock stopped before the GPU finished: "
            "call torch.cuda.synchronize() before reading the clock"
        )
    if t_large > 50 * ref_large + 0.05:
        raise AssertionError(
            f"benchmark(conv2d_torch, x {shape(large)}, {args}) returned {t_large:.4g}; the computation takes about "
            f"{ref_large:.4g} s: return the median of the single calls, in seconds"
        )
