"""A call of a student's function as the tests see it: the exceptions a proxy raises, the
signature it shows, and the in-place changes it copies back into the test's own arrays."""

import builtins
import inspect
import sys


class StudentCodeError(Exception):
    """Base of the exceptions raised by a proxy when the student's function raised."""


class CallTimeout(Exception):
    pass


class ProcessEnded(Exception):
    pass


class NotDefined(NameError):
    pass


_exception_classes = {}


def student_exception(function, error):
    """An exception for the grader's test, from a student's exception described as data.

    Its message is the grader's own words ("corr2d() raised ValueError"): the type's name kept
    to the characters of a Python name, and nothing else the student process sent. What the
    submission said (its exception's message, where it says it was) is `submission_text`, which
    the feedback quotes as the submission's own output (Session.said), never inside a message."""
    if not isinstance(error, dict):
        error = {}
    type_name = "".join(ch for ch in str(error.get("type", "Exception"))[:60] if ch.isalnum() or ch == "_")
    type_name = type_name or "Exception"
    module = str(error.get("module", ""))[:100]
    message = str(error.get("message", ""))[:2000]
    where = error.get("where")
    text = f"{function}() raised {type_name} (its message is quoted below, as the submission's own output)"
    said = f"{type_name}: {message}" if message else type_name
    if isinstance(where, str):
        said += f" ({where[:60]})"
    cls = None
    if module == "builtins":
        candidate = getattr(builtins, type_name, None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            cls = candidate
    elif module.split(".")[0] in ("numpy", "torch") and module in sys.modules:
        candidate = getattr(sys.modules[module], type_name, None)
        if isinstance(candidate, type) and issubclass(candidate, Exception):
            cls = candidate
    exc = None
    if cls is not None:
        try:
            exc = cls(text)
        except Exception:
            exc = None
    if exc is None:
        safe = "".join(ch for ch in type_name if ch.isalnum() or ch == "_") or "StudentError"
        if safe not in _exception_classes:
            _exception_classes[safe] = type(safe, (StudentCodeError,), {})
        exc = _exception_classes[safe](text)
    exc._grading_text = text  # the message already says which function raised what
    exc.submission_text = f"{function}() raised {said}"
    return exc


def signature_of(node):
    """inspect.Signature of a def, from its syntax tree (defaults that are literals only)."""
    P = inspect.Parameter
    a = node.args
    params = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for i, (arg, default) in enumerate(zip(positional, defaults)):
        kind = P.POSITIONAL_ONLY if i < len(a.posonlyargs) else P.POSITIONAL_OR_KEYWORD
        params.append(P(arg.arg, kind, default=_literal(default)))
    if a.vararg:
        params.append(P(a.vararg.arg, P.VAR_POSITIONAL))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        params.append(P(arg.arg, P.KEYWORD_ONLY, default=_literal(default)))
    if a.kwarg:
        params.append(P(a.kwarg.arg, P.VAR_KEYWORD))
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def _literal(node):
    import ast

    if node is None:
        return inspect.Parameter.empty
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ast.unparse(node)


def copy_into(target, value):
    """Copy a student's in-place change of an input back into the test's own array or tensor.

    Values only: a report that gives the input another shape is not applied. The report comes
    from the student process, which a submission controls; applying a new shape would let it
    resize the test's own arrays (making the yardstick of a timing test time a larger array),
    and a change of shape in place is not what any exercise asks for."""
    import numpy as np

    torch = sys.modules.get("torch")
    try:
        if isinstance(target, np.ndarray) and isinstance(value, np.ndarray):
            if target.shape == value.shape:
                np.copyto(target, value, casting="unsafe")
        elif torch is not None and isinstance(target, torch.Tensor) and isinstance(value, torch.Tensor):
            if target.shape == value.shape:
                with torch.no_grad():
                    target.copy_(value)
    except (ValueError, TypeError, RuntimeError):
        pass


def describe_failure(exc):
    if isinstance(exc, (AssertionError, CallTimeout, ProcessEnded, NotDefined)):
        text = str(exc) or "an assertion failed"
    elif getattr(exc, "_grading_text", None):
        text = exc._grading_text
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:1500]
