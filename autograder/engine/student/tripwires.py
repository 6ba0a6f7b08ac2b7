"""Forbidden functions caught at run time in the student process: callables wrapped wherever a
module holds them (now and on later imports), PyTorch operators watched by a dispatch mode, and
the course's own modules refused to student code."""

import fnmatch
import sys
import types


class ForbiddenCall(RuntimeError):
    pass


class _State:
    armed = False
    hits = []


STATE = _State()


def _wrapper(original, label):
    def forbidden(*args, **kwargs):
        if STATE.armed:
            STATE.hits.append(label)
            raise ForbiddenCall(f"{label} is not allowed in this exercise")
        return original(*args, **kwargs)

    forbidden.__name__ = getattr(original, "__name__", "forbidden")
    forbidden.__doc__ = getattr(original, "__doc__", None)
    return forbidden


def _is_function(value):
    return callable(value) and not isinstance(value, type)


def _lookup(dotted):
    """The object a dotted name refers to among the modules already imported (None if not)."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None:
            obj = module
            for attr in parts[i:]:
                obj = vars(obj).get(attr) if isinstance(obj, types.ModuleType) else getattr(obj, attr, None)
                if obj is None:
                    return None
            return obj
    return None


class Tripwires:
    """Forbidden callables, wrapped wherever a module holds them, now and on later imports.

    entries: dotted names (a module covers every function defined in it) and "aten::" patterns.
    Modules already imported are wrapped at once; a meta path hook wraps the others when
    student code imports them (so the zygote need not import scipy just in case). The torch
    operator patterns are watched by a dispatch mode, set up as soon as torch is imported.
    """

    def __init__(self, entries):
        self.entries = [e for e in entries if not e.startswith("aten::")]
        self.patterns = [e for e in entries if e.startswith("aten::")]
        self.tops = {e.split(".")[0] for e in self.entries} | ({"torch"} if self.patterns else set())
        self.wrapped = {}  # id(original) -> (original, wrapper)
        self.labels = {}  # id(original) -> the first entry naming it (F.conv2d before torch.conv2d)
        self.mode_class = None
        for e in self.entries:
            value = _lookup(e)
            if _is_function(value):
                self.labels.setdefault(id(value), e)
        for name, module in sorted(sys.modules.items()):
            if module is not None and name.split(".")[0] in self.tops:
                self.wrap_module(module)
        if self.tops:
            sys.meta_path.insert(0, _Watch(self))

    def replace(self, module, attr, value, label):
        hit = self.wrapped.get(id(value))
        if hit is None or hit[0] is not value:
            hit = (value, _wrapper(value, self.labels.get(id(value), label)))
            self.wrapped[id(value)] = hit
        try:
            setattr(module, attr, hit[1])
        except (AttributeError, TypeError):
            pass

    def wrap_module(self, module):
        name = getattr(module, "__name__", None)
        if not isinstance(name, str):
            return
        try:
            items = list(vars(module).items())
        except TypeError:
            return
        for e in self.entries:
            if name == e or name.startswith(e + "."):
                for attr, value in items:
                    if _is_function(value) and str(getattr(value, "__module__", "") or "").startswith(e):
                        self.replace(module, attr, value, f"{e}.{attr}")
            elif e.startswith(name + ".") and "." not in e[len(name) + 1 :]:
                attr = e[len(name) + 1 :]
                value = vars(module).get(attr)
                if _is_function(value):
                    self.replace(module, attr, value, e)
        for attr, value in list(vars(module).items()):  # other names for a wrapped function
            hit = self.wrapped.get(id(value))
            if hit is not None and hit[0] is value:
                try:
                    setattr(module, attr, hit[1])
                except (AttributeError, TypeError):
                    pass
        if name == "torch" and self.patterns and self.mode_class is None:
            self.setup_mode(module)

    def setup_mode(self, torch):
        torch.set_num_threads(1)
        self.mode_class = dispatch_mode(self.patterns)
        # The mode's first use loads what dispatching through Python needs: here, not in a graded call.
        with self.mode_class():
            torch.ones(2, dtype=torch.float64) + 1


class _Watch:
    """Meta path hook: wraps the forbidden functions of a module of interest once it has run."""

    _loaders = ("SourceFileLoader", "SourcelessFileLoader", "ExtensionFileLoader")

    def __init__(self, tripwires):
        self.tripwires = tripwires

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in self.tripwires.tops:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or isinstance(finder, (_Refuse, _Watch)) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        loader = getattr(spec, "loader", None)
        if loader is None or type(loader).__name__ not in self._loaders:
            return spec
        original = loader.exec_module
        tripwires = self.tripwires

        def exec_module(module):
            original(module)
            tripwires.wrap_module(module)

        loader.exec_module = exec_module
        return spec


class _Refuse:
    """A meta path finder that refuses some modules to student code (forbidden.blocked(): the course's own modules)."""

    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ImportError(f"{name} is not available to a submission while it is graded")
        return None


def refuse_modules(names):
    names = {n.split(".")[0] for n in names}
    if not names:
        return
    for loaded in list(sys.modules):
        if loaded.split(".")[0] in names:
            del sys.modules[loaded]
    sys.meta_path.insert(0, _Refuse(names))


def dispatch_mode(patterns):
    """A torch dispatch mode class that refuses the operators matching `patterns`."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Tripwire(TorchDispatchMode):
        @classmethod
        def _should_skip_dynamo(cls):
            # True (torch's default) wraps __torch_dispatch__ in torch._disable_dynamo, which
            # imports torch._dynamo: 1.4 s of every zygote's start. The wrapper only keeps
            # torch.compile from tracing into this method; a compiled call under the mode still
            # dispatches its operators here (tests/test_hostile.py: torch.compile).
            return False

        def __torch_dispatch__(self, func, types_, args=(), kwargs=None):
            name = func._schema.name
            if STATE.armed and any(fnmatch.fnmatchcase(name, p) for p in patterns):
                label = f"torch operator {name}"
                STATE.hits.append(label)
                raise ForbiddenCall(f"{label} is not allowed in this exercise")
            return func(*args, **(kwargs or {}))

    return Tripwire


def trap_threads(tripwires):
    """Run every thread that student code starts under the trap on forbidden torch operators:
    a dispatch mode is thread-local, so an operator called on another thread would escape the
    graded call's mode. Each new thread enters its own instance of the mode (which trips only
    while a graded call runs). Only a process that grades GPU questions can start threads at
    all (seccomp.install); forbidden functions wrapped in Python are caught on any thread."""
    import _thread
    import threading

    def trapped(function):
        def run(*args, **kwargs):
            if tripwires.mode_class is None:
                return function(*args, **kwargs)
            with tripwires.mode_class():
                return function(*args, **kwargs)

        return run

    for name in ("start_new_thread", "start_joinable_thread"):
        original = getattr(_thread, name, None)
        if original is None:
            continue

        def start(function, *rest, _original=original, **kwargs):
            return _original(trapped(function), *rest, **kwargs)

        setattr(_thread, name, start)
        for alias in ("_start_new_thread", "_start_joinable_thread"):
            if getattr(threading, alias, None) is original:
                setattr(threading, alias, start)
    _thread.start_new = _thread.start_new_thread
