"""Checks of the GPU exercise: im2col in numpy and in PyTorch, and a benchmark that waits for the GPU."""

import time

import numpy as np

from .channels import check_conv2d
from .core import (
    ATOL,
    LIBRARIES,
    TORCH_CONV,
    UNSET,
    as_float,
    call_text,
    first_match,
    fresh_rng,
    grading_seed,
    pair,
    referenced,
    torch_conv2d,
)

FORBIDDEN = TORCH_CONV + LIBRARIES

MISTAKES = {
    "im2col-row-order": (
        "the column matrix's rows not in w.reshape(C_out, -1)'s order",
        ["not in the order of w.reshape"],
    ),
    "im2col-axes-mixed": ("the batch and channel axes mixed up by a reshape", ["mixes up the batch and channel axes"]),
    "python-loop": ("a Python loop over the output pixels", ["times as long as a plain im2col"]),
    "calls-conv2d": ("F.conv2d called instead of unfold and a matrix product", ["write the convolution yourself"]),
    "returns-numpy": ("a numpy array returned instead of a torch tensor", ["it must return a torch tensor"]),
    "dtype-changed": ("computed in float32 whatever the inputs' dtype", ["keep the inputs' dtype"]),
    "benchmark-mean": ("the mean of the times, not their median", ["looks like their mean"]),
    "benchmark-minimum": ("the minimum of the times, not their median", ["looks like their minimum"]),
    "benchmark-no-warmup": ("no warm-up calls", ["expected warmup + repeats"]),
    "benchmark-total": ("the total time, not the time per call", ["looks like their total"]),
    "benchmark-milliseconds": ("milliseconds instead of seconds", ["the median in milliseconds"]),
    "benchmark-cpu-time": ("CPU time instead of wall-clock time", ["not CPU time"]),
    "benchmark-times-warmup": ("the warm-up calls timed", ["warm-up calls"]),
    "benchmark-drops-args": ("the arguments not passed on to fn", ["pass *args on"]),
    "benchmark-not-measured": ("a number that none of the timed calls gives", ["follows none of the timed calls"]),
    "benchmark-sync-without-gpu": ("torch.cuda.synchronize() without a GPU", ["only when torch.cuda.is_available()"]),
    "gpu-detour-through-cpu": ("the GPU computation sent through the CPU", ["times as long as F.conv2d"]),
    "gpu-no-synchronize": (
        "the GPU clock stopped before the GPU finished",
        ["The clock stopped before the GPU finished"],
    ),
}


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


def alternating_medians(fns, repeats=5, warmup=1, calls=None, summary=None):
    """Median seconds of each zero-argument function in `fns`, timed in turn (f0, f1, f0, f1, ...)
    so that whatever else the machine is doing slows them all alike. In each of the `repeats`
    rounds, fns[k] is timed calls[k] times (default once): give a fast function more calls, so
    that a hiccup of the machine cannot move its median. summary: of each function's times, the
    median (default) or min (what a call costs when nothing interrupts it: a busy machine only
    ever adds time)."""
    import statistics
    import time

    calls = [1] * len(fns) if calls is None else calls
    summary = summary or statistics.median
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
    return [summary(ts) for ts in times]


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


def check_conv2d_named(name, fn, x, w, b=UNSET, stride=UNSET, padding=UNSET, atol=ATOL):
    """check_conv2d for a function with another name (conv2d_im2col, conv2d_torch), plus the
    mistakes particular to im2col. Messages name the function as `name`."""
    kwargs = {k: v for k, v in [("stride", stride), ("padding", padding)] if v is not UNSET}
    args = [x, w] + ([] if b is UNSET else [b])
    try:
        got = as_float(fn(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args], **kwargs))
    except Exception:
        got = None  # check_conv2d below calls again and reports the exception
    bb = None if b is UNSET else np.asarray(b, dtype=float)
    s = 1 if stride is UNSET else stride
    p = 0 if padding is UNSET else padding
    want = torch_conv2d(x, w, bb, s, p)
    if got is not None and (got.shape != want.shape or not np.allclose(got, want, rtol=0, atol=atol)):
        candidates = _im2col_candidates(np.asarray(x, float), np.asarray(w, float), bb, s, p)
        mistake = first_match(got, candidates, want, atol)
        if mistake:
            call = call_text(
                name,
                [("x", np.asarray(x)), ("w", np.asarray(w))] + ([] if b is UNSET else [("b", np.asarray(b))]),
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


def expect_no_builtin_conv(fn, name, *args, **kwargs):
    """Call fn(*args, **kwargs) with PyTorch's own convolutions replaced by traps, and check
    that fn's code does not hold one under another name. Returns fn's result."""
    import torch
    import torch.nn.functional as F

    builtins = _gpu_conv_builtins()
    for var, value in referenced(fn):
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


def random_scale(low=0.5, high=1.0, salt=0):
    """A number drawn log-uniformly between low and high: timing tests scale their durations by
    it, so that no fixed number passes them, and draw with another salt the durations that must
    say nothing of those (ScriptedCalls' free calls). Under the grader it comes from the
    submission's own draw (fresh_rng: the same file, the same number); elsewhere it is drawn
    anew on every run. The timed calls sleep for real, so the default range stops at 1: their
    shortest durations (at low) set how much noise they tolerate, and a larger factor would only
    make every check wait longer."""
    import math
    import random

    if grading_seed() is not None:
        u = float(fresh_rng(salt).uniform(math.log(low), math.log(high)))
    else:
        u = random.Random().uniform(math.log(low), math.log(high))
    return math.exp(u)


def plain_im2col(x, w, b=None, stride=1, padding=0):
    """The yardstick of the timing tests: the textbook im2col, a loop over the kh * kw kernel
    offsets that copies each shifted view into the column matrix, then one matrix product (in
    one thread)."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    N, C, H, W = x.shape
    C_out, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((C, kh, kw, N, Ho, Wo))
    for m in range(kh):
        for k in range(kw):
            cols[:, m, k] = xp[:, :, m : m + sh * (Ho - 1) + 1 : sh, k : k + sw * (Wo - 1) + 1 : sw].transpose(
                1, 0, 2, 3
            )
    # the product by einsum, not BLAS: one thread, so that the yardstick never waits for a BLAS
    # thread that a busy machine has not scheduled (a multi-threaded product read 15 ms for 1 ms)
    # The product as it comes, (C_out, N * Ho * Wo): the work of a layer, and the answer to no
    # question (this file is the students' too).
    return np.einsum("ok,kl->ol", w.reshape(C_out, -1), cols.reshape(C * kh * kw, -1))


def on_fresh_inputs(fn, fresh, rest=(), kwargs=None):
    """(call, results) for a timing test: each call of `call()` runs fn(x, *rest, **kwargs) on
    the next x of `fresh` and keeps (x, result) in `results`, to be checked after the timing."""
    results = []

    def call():
        x = fresh[len(results) % len(fresh)]
        results.append((x, fn(x, *rest, **(kwargs or {}))))

    return call, results


def expect_no_pixel_loop(fn, x, w, b=None, stride=1, padding=0, limit=40):
    """fn(x, w, b, stride=, padding=) must cost at most `limit` times plain_im2col on the same
    layer, the two timed in turn in the same run (alternating_medians), and compute the layer
    every time: each timed call gets fresh values of x, and each result is checked.

    A criterion that does not depend on how busy the machine is: the fastest of several calls
    of each (a busy machine only ever adds time: with two other processes on two cores, a 0.3 ms
    call read anything from 0.2 to 25 ms, but the fastest of seven stays at its cost; CPU time is
    no way out, as BLAS threads spinning in the grader count in it), on a layer with tens of
    thousands of output pixels and few channels, where numpy's fixed costs (a few microseconds a
    call) are lost in either. Loop-free
    answers (fancy indexing, stride tricks, a plain einsum, a loop over the kernel offsets) take
    from a fraction to ten times the yardstick; a
    Python loop over the output pixels costs a microsecond or more for each of them: fifty times
    the yardstick and more (measured: 6 and 140 times on x (1, 2, 200, 300), stride 2)."""
    x, w = np.asarray(x), np.asarray(w)
    N, _, H, W = x.shape
    _, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    pixels = N * ((H + 2 * ph - kh) // sh + 1) * ((W + 2 * pw - kw) // sw + 1)
    args = [x, w] + ([] if b is None else [b])
    kwargs = {"stride": stride, "padding": padding}
    call = call_text("conv2d_im2col", [("x", x), ("w", w)] + ([] if b is None else [("b", np.asarray(b))]), kwargs)
    # Every call of fn gets an x of its own, and every result is checked afterwards: a function
    # that kept an earlier answer, or returned anything at all once checked, would be timed at
    # nothing. (Its results are checked after the timing, which they would otherwise slow.)
    rng = np.random.default_rng()
    yours_once, results = on_fresh_inputs(
        fn, [x + rng.uniform(-1, 1, size=x.shape) for _ in range(1 + 7)], args[1:], kwargs
    )

    plain, yours = alternating_medians(
        [lambda: plain_im2col(*args, **kwargs), yours_once],
        repeats=7,
        warmup=1,
        calls=[3, 1],
        summary=min,
    )
    for k, (xi, got) in enumerate(results):
        try:
            check_conv2d_named("conv2d_im2col", lambda *a, got=got, **kw: got, xi, *args[1:], **kwargs)
        except AssertionError as e:
            raise AssertionError(
                f"while it was timed, on fresh inputs of the same shapes (call {k + 1} of {len(results)}): {e}"
            ) from None
    if yours > limit * plain:
        raise AssertionError(
            f"{call} took {yours * 1e3:.1f} ms, {yours / plain:.0f} times as long as a plain im2col "
            f"(a loop over the {kh * kw} kernel offsets, then one matrix product: {plain * 1e3:.2f} ms in the same "
            f"run; the fastest of 7 calls each); at most {limit} times is expected for these {pixels} output "
            "pixels: no Python loop over the output pixels"
        )


def expect_near_builtin_speed(conv2d_torch, x, w, b=None, stride=1, padding=0, limit=10):
    """conv2d_torch(x, w, b, stride, padding) on torch tensors must take at most `limit` times
    F.conv2d on the same layer (timed in turn: alternating_medians, 3 warm-up calls and 10
    timed ones each, float32 without TF32) and compute the layer every time: each call of
    conv2d_torch gets fresh values of x, and each result is compared with F.conv2d's
    afterwards (tolerance 5e-3 * sqrt(C_in kh kw), as for float32 in check_conv2d_torch)."""
    import torch
    import torch.nn.functional as F

    warmup, repeats = 3, 10
    fresh = [x + (torch.rand_like(x) - 0.5) * 0.2 for _ in range(warmup + repeats)]
    yours_once, results = on_fresh_inputs(conv2d_torch, fresh, (w, b, stride, padding))

    shape = lambda t: "(" + ", ".join(str(v) for v in t.shape) + ")"  # noqa: E731
    call = (
        f"conv2d_torch(x {shape(x)} {str(x.dtype).replace('torch.', '')} on {x.device}, w {shape(w)}"
        + ("" if b is None else f", b {shape(b)}")
        + (f", stride={stride!r}" if stride != 1 else "")
        + f", padding={padding!r})"
    )
    atol = 5e-3 * float(np.sqrt(np.prod(tuple(w.shape[1:]))))
    with float32_mode(tf32=False):
        builtin, yours = alternating_medians(
            [lambda: F.conv2d(x, w, b, stride, padding), yours_once], repeats=repeats, warmup=warmup
        )
        for k, (xi, got) in enumerate(results):
            want = F.conv2d(xi, w, b, stride, padding)
            if not (isinstance(got, torch.Tensor) and got.shape == want.shape and got.device == want.device):
                raise AssertionError(
                    f"{call} returned {type(got).__name__} {tuple(getattr(got, 'shape', ()))} while it was timed "
                    f"(call {k + 1} of {len(results)}, on fresh inputs of the same shapes); expected a tensor "
                    f"{tuple(want.shape)} on {want.device}"
                )
            error = float((got.detach().to(want.dtype) - want).abs().max())
            if not error <= atol:
                raise AssertionError(
                    f"{call} returned a wrong result while it was timed (call {k + 1} of {len(results)}, on fresh "
                    f"inputs of the same shapes): off by up to {error:.3g} from F.conv2d (tolerance {atol:.2g}); "
                    "every call must compute the layer"
                )
    if yours > limit * builtin:
        raise AssertionError(
            f"{call} took {yours * 1e3:.2f} ms, {yours / builtin:.1f} times as long as F.conv2d "
            f"({builtin * 1e3:.2f} ms); at most {limit} times is expected: unfold and one matmul, on the GPU, "
            "with no Python loop over pixels"
        )


def _same_arguments(got, expected):
    try:
        return len(got) == len(expected) and all(type(g) is type(e) and bool(g == e) for g, e in zip(got, expected))
    except (ValueError, TypeError):  # arrays compared element by element
        return False


def _argument_text(args, kwargs):
    def show(v):
        if hasattr(v, "shape") and hasattr(v, "dtype"):
            return f"{type(v).__name__} {tuple(v.shape)}"
        text = repr(v)
        return text if len(text) <= 40 else text[:37] + "..."

    return "(" + ", ".join([show(a) for a in args[:6]] + [f"{k}={show(v)}" for k, v in list(kwargs.items())[:6]]) + ")"


_REAL_SLEEP = time.sleep  # taken at import, before the grader's call-backs make time.sleep a pause that does not wait


class ScriptedCalls:
    """A function for testing a timer: call number i (from 0) sleeps durations[i] seconds (the
    last one repeats). Counts its calls, and those whose arguments are not `expected`; of the
    arguments it keeps only a short description of the first wrong call (so that a timer that
    passes large arguments again and again costs no memory).

    `free`: the numbers of the calls whose sleep need not be real. Where the grader runs this
    function for the student's process (a call-back), their time.sleep does not wait: that
    process's clocks are moved on instead (autograder/engine/student/pauses.py). The other calls
    always wait. A timer can tell the two kinds apart (with a clock that is not moved on, such as
    datetime), so a free call's duration must say nothing about what the test checks: warm-up
    calls and outliers drawn apart from the timed calls' median, never the calls that make it
    up. Otherwise a timer that reported only the pauses, and nothing of real work, would pass."""

    def __init__(self, durations, expected=(), free=()):
        self.durations, self.expected, self.free = list(durations), tuple(expected), frozenset(free)
        self.count, self.wrong, self.first_wrong = 0, 0, None

    def __call__(self, *args, **kwargs):
        index = self.count
        seconds = self.durations[min(index, len(self.durations) - 1)]
        self.count += 1
        if kwargs or not _same_arguments(args, self.expected):
            self.wrong += 1
            if self.first_wrong is None:
                self.first_wrong = _argument_text(args, kwargs)
        (time.sleep if index in self.free else _REAL_SLEEP)(seconds)


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
        f"their median is {median:g} s"
        + (
            f" ({got:.4g} looks like {what})"
            if what
            else f" ({got:.4g} follows none of the timed calls: time each call and return the median of those times)"
        )
    )


def expect_benchmark_follows(benchmark, runs=3, repeats=5, warmup=2):
    """Time calls of randomised durations with the student's benchmark, `runs` times: each run's
    median is about 2.4 times the last one's, its warm-up calls and one slow and one fast call
    are drawn at random too. Each result must be near its run's median: a timer that returns a
    fixed number, or anything it did not measure, fails (the first run's window and the third's
    do not meet). The warm-up calls and the slow one are ScriptedCalls' free calls, drawn apart
    from the median (the slow one from 0.1 to 0.2 s, above every run's median)."""
    import random
    import statistics

    rng = random.Random()
    median = rng.uniform(0.005, 0.007)
    results = []
    for _ in range(runs):
        timed = [median * rng.uniform(0.97, 1.03) for _ in range(repeats)]
        slow, fast = rng.sample(range(repeats), 2)
        timed[slow], timed[fast] = rng.uniform(0.1, 0.2), median * rng.uniform(0.1, 0.3)
        warm = [rng.choice([0.0, rng.uniform(0.01, 0.05)]) for _ in range(warmup)]
        fn = ScriptedCalls(warm + timed, free=list(range(warmup)) + [warmup + slow])
        call, got = call_benchmark(benchmark, fn, repeats=repeats, warmup=warmup)
        results.append((call, got, timed))
        median *= rng.uniform(2.2, 2.6)
    values = [got for _, got, _ in results]
    if max(values) <= 1.05 * min(values):  # the calls' median grew about 6 times meanwhile
        medians = ", ".join(f"{statistics.median(timed):.4g}" for _, _, timed in results)
        raise AssertionError(
            f"{results[0][0]} returned {values[0]:.4g} s in each of {runs} runs although the calls' median "
            f"was {medians} s: it follows none of the timed calls; time each call and return their median"
        )
    for call, got, timed in results:
        m = statistics.median(timed)
        expect_median_seconds(call, got, timed, 0.8 * m, 1.3 * m + 0.006)


def expect_timer_waits_for_gpu(benchmark, conv2d_torch, small, large, w, stride=1, padding=0):
    """Time conv2d_torch on two batches with the student's benchmark; `large` has k times the
    images of `small`, so k times the GPU work, but the same launch cost. A timer that waits for
    the GPU sees the times grow about as a synchronised reference does; one that does not sees
    only the launches, which take about as long for both.

    Both timings run the student's own functions, together, wherever the student's code runs.
    """
    k = large.shape[0] / small.shape[0]
    import torch.nn.functional as F

    ref_small = median_time(F.conv2d, small, w, None, stride, padding, repeats=5, warmup=2)
    ref_large = median_time(F.conv2d, large, w, None, stride, padding, repeats=5, warmup=2)
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
