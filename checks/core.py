"""The core of every exercise's checks: calling a student's function, comparing arrays, naming
classic mistakes, the PyTorch oracle, and the functions an exercise forbids.

Each exercise's tests import `exercise_checks`, a file written next to the student notebook:
this module followed by the chapter's own module (checks/<chapter>.py), joined by
`python -m autograder generate`. So these modules may import only the standard library, numpy
and, lazily, torch. Each check raises AssertionError with one message that says what was
called, what came back and what was expected: the shape, the first wrong element, or the
changed input. Expected values are always computed before the student's function runs, from
the test's own arrays, and the student's function gets copies: nothing it does to its
arguments can move the expectation.

Each module also has a MISTAKES table: the classic mistakes its checks recognise, as
{mistake id: (what the mistake is, [phrases of the failure message that name it])}. The
messages are written for students; the ids are for the instructor's class report, which finds
them in a class's failure messages (autograder/outputs/mistakes.py). An id may appear in several
modules (each with the phrases of its own messages); this one lists the mistakes that several
chapters' checks name with the same words.
"""

import numpy as np

from .static import Notebook, violations

ATOL = 1e-8

MISTAKES = {
    "input-mutated": ("changes an argument in place", ["changed its input `"]),
    "output-transposed": ("rows and columns of the output swapped", ["(rows and columns swapped?)"]),
    "output-one-short": (
        "output one row or column short or long (range(H - kh))",
        ["(off by one: output size is H - kh + 1?)"],
    ),
    "integer-output": ("an integer array where the result is fractional", ["the output must be a float array"]),
    "float32-output": ("computed in float32, too few digits for the tolerance", ["a precision problem, not a wrong"]),
    "batch-axis-dropped": ("the batch axis dropped when N = 1", ["the batch axis is missing"]),
    "ceil-not-floor": (
        "the output size rounded up (ceil) instead of down (floor)",
        ["(too many rows or columns: the output size is floor("],
    ),
    "stride-rows-only": ("the stride applied to the rows only", ["applies the stride to the rows only"]),
    "stride-first-both": ("stride[0] used on both axes", ["uses stride[0] = "]),
    "stride-swapped": ("the (h, w) stride pair read as (w, h)", ["swaps the stride pair"]),
    "padding-rows-only": ("the padding applied to the rows only", ["applies the padding to the rows only"]),
    "padding-first-both": ("padding[0] used on both axes", ["uses padding[0] = "]),
    "padding-swapped": ("the (h, w) padding pair read as (w, h)", ["swaps the padding pair"]),
    "padding-ignored": ("the padding ignored", ["ignores the padding ("]),
}

UNSET = object()  # an argument a check leaves out of the call, so that the defaults get tested

# The grader's numpy (requirements.txt pins numpy 2.4.x; tests/test_runtime_agreement.py checks
# that they agree). A student's runtime may be older (Colab's may be): what numpy 2.4 refuses must
# fail in their own grader.check too, or the local check and the grade disagree.
GRADER_NUMPY = (2, 4)
STRICT_MESSAGES = [
    # numpy 1.25 to 1.26 warn, numpy 2.x raises: float(a) on an array with ndim > 0, e.g. float(b) on (1, 1, 1)
    r"Conversion of an array with ndim > 0 to a scalar",
]


def like_the_grader():
    """Make this runtime refuse what the grader's numpy refuses; the line that says how this
    runtime differs from the grader's where it does (None where it does not). Run when the tests
    import this module, so a student's grader.check fails where the grade would."""
    import warnings

    for message in STRICT_MESSAGES:
        warnings.filterwarnings("error", message=message, category=DeprecationWarning)
    try:
        version = tuple(int(p) for p in np.__version__.split(".")[:2])
    except ValueError:
        return None
    if version >= (2, 0):
        return None
    lib = getattr(np, "lib", None)
    if lib is not None and "pad" in vars(lib):

        def pad(*args, **kwargs):
            raise AttributeError(
                "np.lib.pad does not exist in numpy 2, which grades your work: use np.pad (same arguments)"
            )

        lib.pad = pad
    return (
        f"note: this runtime has numpy {np.__version__}; the grader runs numpy "
        f"{'.'.join(map(str, GRADER_NUMPY))}, so code that only numpy 1 accepts (np.lib.pad, float() of an "
        "array with ndim > 0) fails these checks here too"
    )


_DIFFERS = like_the_grader()
if _DIFFERS:
    print(_DIFFERS)

# Set by the grader before each test case: a number drawn from the instructor's secret, the
# submission's bytes and the test's name (autograder/secret.py). None in a notebook and in the
# course's own tests.
GRADING_SEED = None


def grading_seed():
    """GRADING_SEED as the grader set it for the current test (None outside the grader)."""
    return GRADING_SEED


def fresh_rng(salt=0):
    """The random generator a hidden test draws its inputs from (salt: the test's own number).

    Under the grader every submission gets its own draw, the same file always the same one, and
    no one can predict it without the instructor's secret: a table of inputs seen once answers
    nothing next time. Elsewhere (a notebook, the course's own tests) it is
    np.random.default_rng(salt), the same every time."""
    if GRADING_SEED is None:
        return np.random.default_rng(salt)
    return np.random.default_rng([int(GRADING_SEED), int(salt)])


# ----------------------------------------------------------------------------- arguments and calls


def pair(value):
    """An int or an (h, w) pair -> (h, w) Python ints, as torch reads stride and padding."""
    h, w = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    return int(h), int(w)


def given(*named):
    """The (name, value) pairs whose value is not UNSET, as a dict: the arguments a check passes."""
    return {name: value for name, value in named if value is not UNSET}


SHOWN_ELEMENTS = 12  # an array argument this small is shown with its values in a message


def call_text(name, args, kwargs=None):
    """How a function was called, arrays shown by their shapes, and small ones (SHOWN_ELEMENTS)
    by their values too: call_text("corr2d", [("image", X), ("kernel", K)]) -> "corr2d(image (3, 4),
    kernel (2, 2) [[0, 1], [2, 3]])". args: (name, value) pairs; kwargs: a dict. A hidden test's
    inputs serve one submission only (the grader's seed), so showing them gives nothing away."""

    def show(v):
        if not isinstance(v, np.ndarray):
            return repr(v)
        shape = str(tuple(int(d) for d in v.shape))
        if 0 < v.size <= SHOWN_ELEMENTS and v.dtype.kind in "biuf":
            values = v.tolist() if v.dtype.kind in "biu" else np.round(v.astype(float), 4).tolist()
            return f"{shape} {values}"
        return shape

    parts = [f"{arg} {show(v)}" if isinstance(v, np.ndarray) else show(v) for arg, v in args]
    parts += [f"{k}={show(v)}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})"


def _argument_names(fn, args, kwargs):
    """The names of a call's arguments, from fn's signature where it has one ("argument 2" else)."""
    import inspect

    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
        names = {id(v): k for k, v in bound.arguments.items()}
    except (TypeError, ValueError):
        names = {}
    positional = [names.get(id(v), f"argument {i + 1}") for i, v in enumerate(args)]
    return positional + list(kwargs)


def _said(e):
    """An exception's message, for choosing a hint. Under the grader the student's own message
    travels beside the exception (`submission_text`: the feedback quotes it as the submission's
    output) and the exception's text is the grader's; in a notebook it is str(e)."""
    return f"{e} {getattr(e, 'submission_text', '')}"


def run_student(fn, call, args=(), kwargs=None, notes=(), hint=""):
    """fn(*args, **kwargs) on the test's own arrays, then the properties every graded call must
    have: an exception, an argument changed in place, or a result that is an argument (or a view
    of one) becomes a failure naming the call. So no test gives a point to a function that
    leaves its inputs alone but computes nothing, or computes but changes its inputs.

    notes: (exception classes, words, text): the text is added when the exception is one of
    those classes and its message holds one of the words (or words is empty).
    """
    kwargs = dict(kwargs or {})
    values = list(args) + list(kwargs.values())
    names = _argument_names(fn, args, kwargs)
    before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else None for v in values]
    try:
        result = fn(*args, **kwargs)
    except Exception as e:  # the student's function may raise anything: say which call, what, and why
        said = [
            text
            for kinds, words, text in notes
            if isinstance(e, kinds) and (not words or any(w in _said(e).lower() for w in words))
        ]
        extra = f" (hint: {'; '.join(said)})" if said else ""
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}{extra}{hint}") from None
    for name, value, b4 in zip(names, values, before):
        if b4 is not None:
            expect_unchanged(b4, value, name, call)
    for name, value in zip(names, values):
        if isinstance(value, np.ndarray) and isinstance(result, np.ndarray) and np.shares_memory(result, value):
            raise AssertionError(
                f"{call} returned its input `{name}` itself (or a view of it): return a new array, "
                "so that changing the result cannot change the caller's data"
            )
    return result


# ----------------------------------------------------------------------------- comparing results


# More numbers than any answer of the course holds (the largest, a GPU layer's output, has about
# 3 million): a result this large is refused before it is converted, which would cost the
# grader 8 bytes a number (a range of a few bytes, or an int8 array, can stand for billions).
MAX_RESULT_NUMBERS = 2**24


def numbers_in(got):
    """How many numbers `got` holds, as far as can be told without converting it (0 if not)."""
    try:
        if isinstance(got, range):
            return len(got)
        if hasattr(got, "numel"):  # a torch tensor
            return int(got.numel())
        size = getattr(got, "size", 0)
        return size if type(size) is int else 0
    except Exception:
        return 0


def as_float(got):
    """got as a float array, or None when it is not an array of numbers or holds more than
    MAX_RESULT_NUMBERS of them."""
    if numbers_in(got) > MAX_RESULT_NUMBERS:
        return None
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None


def result_array(got, call):
    """got as a float array; a failure naming the call when it is None or not numbers."""
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    if numbers_in(got) > MAX_RESULT_NUMBERS:
        raise AssertionError(f"{call} returned {numbers_in(got)} numbers, far more than any answer here")
    arr = as_float(got)
    if arr is None:
        raise AssertionError(f"{call} returned {type(got).__name__}, which is not an array of numbers")
    return arr


def same(a, b, atol=ATOL):
    """Same shape and every element within atol."""
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=0, atol=atol)


def expect_array(got, expected, call, atol=ATOL):
    """Assert that `got` is a float array equal to `expected` within `atol`.

    call: how the function was called, e.g. "corr2d(image (3, 4), kernel (2, 2))".
    """
    expected = np.asarray(expected, dtype=float)
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    got_arr = as_float(got)
    if got_arr is None:
        raise AssertionError(f"{call} returned {type(got).__name__}, which is not an array of numbers")
    if got_arr.shape != expected.shape:
        hint = ""
        if got_arr.shape == expected.shape[::-1]:
            hint = " (rows and columns swapped?)"
        elif got_arr.ndim == expected.ndim and all(abs(g - e) <= 1 for g, e in zip(got_arr.shape, expected.shape)):
            hint = " (off by one: output size is H - kh + 1?)"
        raise AssertionError(f"{call} returned shape {got_arr.shape}; expected {expected.shape}{hint}")
    close = np.isclose(got_arr, expected, rtol=0, atol=atol)
    if not close.all():
        bad = np.argwhere(~close)
        idx = tuple(int(v) for v in bad[0])
        dtype = getattr(got, "dtype", None)
        precision = ""
        if dtype is not None and np.issubdtype(dtype, np.floating) and np.finfo(dtype).bits < 64:
            scale = max(1.0, float(np.abs(expected).max()))
            if np.allclose(got_arr, expected, rtol=0, atol=1e-3 * scale):
                precision = (
                    f"; your result is {np.dtype(dtype).name}, which keeps about {np.finfo(dtype).precision} digits: "
                    "a precision problem, not a wrong formula; compute in float64 (np.asarray(x, dtype=float))"
                )
        raise AssertionError(
            f"{call}: element {list(idx)} is {got_arr[idx]:.9g}; expected {expected[idx]:.9g} "
            f"({len(bad)} of {expected.size} elements differ by more than {atol:g}){precision}"
        )


def expect_nchw(got, expected, call, atol=ATOL):
    """expect_array for (N, C, H, W) results, with hints about the usual shape mistakes."""
    expected = np.asarray(expected, dtype=float)
    arr = None if got is None else as_float(got)
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


def first_match(got, candidates, want, atol=ATOL):
    """The message of the first candidate (message, thunk) whose array equals `got` while it
    differs from the right answer `want` (a mistake that gives the right answer here is no mistake)."""
    for message, thunk in candidates:
        try:
            wrong = np.asarray(thunk(), dtype=float)
        except Exception:  # a wrong variant that cannot be computed for these sizes
            continue
        if same(got, wrong, atol) and not same(wrong, want, atol):
            return message
    return None


def pair_mistakes(name, given_value, right, compute):
    """(message, thunk) candidates for an (h, w) argument used on one axis only, on both axes,
    swapped, or ignored. right: the (h, w) it means; compute(pair) gives the result with that pair."""
    a, c = right
    is_pair = isinstance(given_value, (tuple, list))
    rows = f"{name}[0] = {a}" if is_pair else f"{name} {a} too"
    cols = f"{name}[1] = {c}" if is_pair else f"{name} {c} too"
    none = 1 if name == "stride" else 0
    options = [
        ((a, none), f"applies the {name} to the rows only; the columns use {cols}"),
        ((none, c), f"applies the {name} to the columns only; the rows use {rows}"),
        ((a, a), f"uses {name}[0] = {a} on both axes; the columns use {name}[1] = {c}"),
        ((c, c), f"uses {name}[1] = {c} on both axes; the rows use {name}[0] = {a}"),
        (
            (c, a),
            f"swaps the {name} pair: {name}=({a}, {c}) means {a} for the rows (height) and {c} for the columns (width)",
        ),
        ((none, none), f"ignores the {name} (it was {given_value!r})"),
    ]
    return [(msg, (lambda v=v: compute(v))) for v, msg in options if v != right]


# ----------------------------------------------------------------------------- inputs and outputs


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


def expect_inputs_unchanged(fn, name, args, kwargs=None):
    """Call fn on the test's own arrays (no copies) and assert that none of them changed, and
    that the result is not one of them. args: (argument name, value) pairs."""
    kwargs = kwargs or {}
    call = call_text(name, args, kwargs)
    before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for _, v in args]
    try:
        result = fn(*[v for _, v in args], **kwargs)
    except Exception as e:
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}") from None
    for (arg, value), b4 in zip(args, before):
        if isinstance(value, np.ndarray):
            expect_unchanged(b4, value, arg, call)
    expect_answered(result, call)
    for arg, value in args:
        if isinstance(value, np.ndarray) and isinstance(result, np.ndarray) and np.shares_memory(result, value):
            raise AssertionError(
                f"{call} returned its input `{arg}` itself (or a view of it): return a new array, "
                "so that changing the result cannot change the caller's data"
            )


def expect_value_error(fn, call, why, *args, **kwargs):
    """fn(*args, **kwargs) must raise ValueError. why: what is wrong with these arguments."""
    try:
        got = fn(*args, **kwargs)
    except ValueError:
        return
    except Exception as e:
        raise AssertionError(f"{call} raised {type(e).__name__}: {e}; it should raise ValueError ({why})") from None
    raise AssertionError(f"{call} returned {got!r}; it should raise ValueError ({why})")


def expect_float_dtype(got, call, hint="e.g. start from np.zeros(...), which is float"):
    """Assert that the array a call returned has a float dtype."""
    dtype = np.asarray(got).dtype
    if not np.issubdtype(dtype, np.floating):
        raise AssertionError(f"{call} returned dtype {dtype}; the output must be a float array ({hint})")


def check_float_output(fn, call, *args, **kwargs):
    """The result of fn(*args, **kwargs) on integer inputs must be a float array."""
    expect_float_dtype(run_student(fn, call, args, kwargs), call)


def random_array(rng, *shape):
    """Floats in [-1, 1) of the given shape from a numpy Generator."""
    return rng.uniform(-1.0, 1.0, size=shape)


# ----------------------------------------------------------------------------- the PyTorch oracle


def torch_conv2d(x, w, b=None, stride=1, padding=0, groups=1):
    """PyTorch's convolutional layer in float64 on the CPU (F.conv2d: a cross-correlation).

    x: (N, C_in, H, W); w: (C_out, C_in // groups, kh, kw); b: (C_out,) or None;
    stride, padding: int or (h, w). Returns the (N, C_out, H', W') numpy array.
    """
    import torch
    import torch.nn.functional as F

    def t(a):  # a float64 copy, contiguous
        return torch.as_tensor(np.array(a, dtype=np.float64))

    bias = None if b is None else t(b)
    return F.conv2d(t(x), t(w), bias, stride=pair(stride), padding=pair(padding), groups=groups).numpy()


def torch_corr2d(image, kernel, stride=1, padding=0):
    """torch_conv2d for one image and one kernel: image (H, W), kernel (kh, kw) -> (H', W')."""
    return torch_conv2d(np.asarray(image)[None, None], np.asarray(kernel)[None, None], None, stride, padding)[0, 0]


# ----------------------------------------------------------------------------- forbidden functions

# What an exercise forbids: a dotted name of a function or class, a module (everything in it),
# or a PyTorch operator pattern (`aten::conv*`, which the grader watches at run time). Each
# chapter's module lists its own in FORBIDDEN; the grader reads the same list.
TORCH_CONV = [
    "torch.nn.functional.conv1d",
    "torch.nn.functional.conv2d",
    "torch.nn.functional.conv3d",
    "torch.nn.functional.conv_transpose1d",
    "torch.nn.functional.conv_transpose2d",
    "torch.nn.functional.conv_transpose3d",
    "torch.conv1d",
    "torch.conv2d",
    "torch.conv3d",
    "torch.convolution",
    "torch._convolution",
    "torch.conv_transpose2d",
    "torch.nn.Conv1d",
    "torch.nn.Conv2d",
    "torch.nn.Conv3d",
    "torch.nn.ConvTranspose2d",
    "torch.nn.LazyConv2d",
    "aten::convolution*",
    "aten::_convolution*",
    "aten::conv[123]d*",
    "aten::conv_transpose*",
    "aten::cudnn_convolution*",
    "aten::mkldnn_convolution*",
    "aten::miopen_convolution*",
    "aten::slow_conv*",
    "aten::thnn_conv*",
    "aten::_slow_conv*",
    "aten::_nnpack_spatial_convolution*",
]
TORCH_POOL = [
    "torch.nn.functional.max_pool1d",
    "torch.nn.functional.max_pool2d",
    "torch.nn.functional.max_pool3d",
    "torch.nn.functional.avg_pool1d",
    "torch.nn.functional.avg_pool2d",
    "torch.nn.functional.avg_pool3d",
    "torch.nn.functional.adaptive_max_pool2d",
    "torch.nn.functional.adaptive_avg_pool2d",
    "torch.nn.functional.lp_pool2d",
    "torch.nn.functional.fractional_max_pool2d",
    "torch.max_pool1d",
    "torch.max_pool2d",
    "torch.avg_pool1d",
    "torch.adaptive_avg_pool1d",
    "torch.nn.MaxPool2d",
    "torch.nn.AvgPool2d",
    "torch.nn.AdaptiveMaxPool2d",
    "torch.nn.AdaptiveAvgPool2d",
    "aten::*max_pool*",
    "aten::*avg_pool*",
    "aten::*lp_pool*",
    "aten::*_pool2d*",
]
LIBRARIES = ["scipy.signal", "scipy.ndimage", "skimage", "cv2"]
# The course's own code (the support package, these checks, the answer keys) may not be imported by an answer.
BLOCKED = ["cnn_course", "exercise_checks", "checks", "solutions"]


def _resolve(dotted):
    """The object a dotted name names, or None where it does not exist (library not installed)."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # not a module, or not installed
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def live_uses(fn, forbidden):
    """The forbidden entries that fn's code (or a function of its namespace that it calls)
    reaches, by the live objects its names hold."""
    import types

    entries = [e for e in list(forbidden) + BLOCKED if not e.startswith("aten::")]
    targets = [(e, _resolve(e)) for e in entries]
    hits = []
    for _, value in referenced(fn):
        module = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None) or ""
        for entry, target in targets:
            if (target is not None and value is target) or module == entry or module.startswith(entry + "."):
                hits.append(entry)
                break
    return list(dict.fromkeys(hits))


def referenced(fn, seen=None):
    """(name, object) for everything fn's code reaches by a global name and attribute lookups
    (`F.conv2d`, `torch.nn.functional.conv2d`), and in turn what the functions of fn's own
    module (the notebook) that it uses reach: the live objects, for checks that must know what
    a name holds (a PyTorch convolution under another name: checks.gpu)."""
    import dis
    import sys
    import types

    seen = set() if seen is None else seen
    code, env = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if code is None or env is None or id(code) in seen:
        return []
    seen.add(id(code))
    found, codes = [], [code]
    while codes:
        c = codes.pop()
        codes += [k for k in c.co_consts if isinstance(k, types.CodeType)]
        current, label = None, None
        for ins in dis.get_instructions(c):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(ins.argval, str) and ins.argval in env:
                current, label = env[ins.argval], ins.argval
                found.append((label, current))
            elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and current is not None:
                if not isinstance(current, (types.ModuleType, type)):
                    current = None
                    continue
                current, label = getattr(current, ins.argval, None), f"{label}.{ins.argval}"
                if current is not None:
                    found.append((label, current))
            elif ins.opname == "IMPORT_NAME":  # import inside the function
                found.append((ins.argval, sys.modules.get(ins.argval) or types.ModuleType(ins.argval)))
                current = None
            elif ins.opname not in ("CACHE", "PRECALL", "EXTENDED_ARG", "PUSH_NULL"):
                current = None
    for _, value in list(found):
        if isinstance(value, types.FunctionType) and value.__module__ == fn.__module__:
            found += referenced(value, seen)
    return found


def notebook_cells(fn):
    """[(number, source)] of the code fn comes from: the cells this notebook's kernel has run
    (IPython's `In`, re-run cells included, the last definition winning), or else the whole
    file or cell its code was compiled from (linecache), or fn's own source."""
    import inspect
    import linecache

    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    history = shell.user_ns.get("In") if shell is not None else None
    if history:
        return [(number, source) for number, source in enumerate(history) if source]
    lines = linecache.getlines(getattr(getattr(fn, "__code__", None), "co_filename", ""))
    if lines:
        return [(1, "".join(lines))]
    try:
        return [(1, inspect.getsource(fn))]
    except (TypeError, OSError):
        return []


def expect_allowed(fn, name, forbidden):
    """Assert that fn uses nothing on the exercise's forbidden list, as the grader checks.

    Under the course's grader, fn stands for the submitted function and carries the grader's
    own findings (`forbidden_uses`: messages); in a notebook the same check (checks.static)
    reads the cells the notebook has run.
    """
    if fn is None or not callable(fn):
        raise AssertionError(f"{name} is not defined: run its cell first")
    found = getattr(fn, "forbidden_uses", None)
    if found is None:  # the grader's own check, on the code this notebook has run
        own = getattr(fn, "__name__", name)
        cells = notebook_cells(fn)
        found = violations(cells, list(forbidden) + BLOCKED, {name: [own]}).get(name, [])
        found = [m.replace(f"{own} uses", f"{name} uses", 1) for m in found]
        if not found and own not in Notebook(cells).defs:
            # No text of fn to read (a function built by exec outside a notebook): what its code
            # reaches, live, instead.
            found = [f"{name} uses {entry}, which this exercise forbids" for entry in live_uses(fn, forbidden)]
    if found:
        raise AssertionError(
            "; ".join(found) + ": write it yourself (a graded function that uses it earns 0 for its question)"
        )
