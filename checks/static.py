"""Which forbidden functions a notebook's graded functions use: one check, read from the code.

The grader runs it in the student process before any of a submission's code runs (on the
notebook's cells), and a student's own `grader.check` runs the same function on the cells their
notebook has run (checks.core.expect_allowed), so that the two cannot disagree.

The functions a question's tests call, and every function of the notebook that they use, must
not name a forbidden entry (import aliases resolved: `import torch.nn.functional as F;
F.conv2d` is `torch.nn.functional.conv2d`; `getattr(torch, "conv2d")` and
`importlib.import_module("scipy.signal")` with constant names too; `torch.ops.aten.conv2d` and
`torch._C....conv2d` are the operator `aten::conv2d`; a name bound outside functions to a value
that mentions a forbidden function, `pool = partial(F.max_pool2d)` or `for pool in
[F.max_pool2d]`, stands for it). What the
check cannot follow is not allowed in a graded function: a name built at run time (getattr,
import_module or __import__ with a computed name; vars, globals, inspect, operator.attrgetter,
a module's __dict__; eval, exec, compile; __builtins__, sys.modules), PyTorch's dispatch
internals (torch.utils._python_dispatch, which can turn off the run-time trap), and threads or
processes (the grader's student process cannot start them).
"""

import ast
import fnmatch

# No classic mistake of its own: a finding here names the forbidden entry itself (the table
# exists because every check module has one; checks/core.py's docstring).
MISTAKES = {}

# Names a graded function may not use, whatever the exercise: what the check cannot see
# through, and threads or processes. (name, why)
DYNAMIC = {
    "eval": "runs code built at run time",
    "exec": "runs code built at run time",
    "compile": "compiles code built at run time",
    "__builtins__": "reaches functions by a name built at run time",
    "sys.modules": "reaches modules by a name built at run time",
    "vars": "reaches functions by a name built at run time",
    "globals": "reaches functions by a name built at run time",
    "inspect": "reaches functions by a name built at run time",
    "operator.attrgetter": "reaches functions by a name built at run time",
    "operator.methodcaller": "reaches functions by a name built at run time",
    "torch.utils._python_dispatch": "turns off the dispatch modes through which the grader watches PyTorch",
    "threading": "starts threads, which graded functions may not",
    "_thread": "starts threads, which graded functions may not",
    "concurrent.futures": "starts threads or processes, which graded functions may not",
    "multiprocessing": "starts processes, which graded functions may not",
}
# Attributes that hand out a module's or an object's functions by name.
REFLECTIVE = ("__dict__", "__getattribute__", "__globals__", "__builtins__")
# Calls whose name argument must be a constant string for the check to follow them.
NAMED_BY_ARGUMENT = {"getattr": 1, "__import__": 0, "importlib.import_module": 0}


def operator_of(dotted):
    """`aten::<op>` for a PyTorch operator reached directly (torch.ops.aten.<op>[.overload],
    torch._C.<...>.<op>), else None."""
    parts = dotted.split(".")
    if parts[:3] == ["torch", "ops", "aten"] and len(parts) >= 4:
        return f"aten::{parts[3]}"
    if parts[:2] == ["torch", "_C"] and len(parts) >= 3:
        return f"aten::{parts[-1]}"
    return None


def _parse(cells):
    """[(cell number, syntax tree)] of the cells that parse (a cell that does not parse cannot
    run either: it defines nothing)."""
    trees = []
    for number, source in cells:
        try:
            trees.append((number, ast.parse(source)))
        except Exception:  # SyntaxError, ValueError (null bytes), MemoryError, RecursionError
            pass
    return trees


def _outside_functions(body):
    """Every node of top-level code, not looking into functions, classes or lambdas (what they
    bind is their own)."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            yield node
            stack.extend(ast.iter_child_nodes(node))


def _text(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class Notebook:
    """What the static check needs to know about a submission's code."""

    def __init__(self, cells, trees=None):
        self.trees = _parse(cells) if trees is None else trees
        self.aliases = {}
        self.star = []
        self.defs = {}
        self.held = {}  # a name set at the top level -> the dotted names its value mentions
        for number, tree in self.trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            self.aliases[a.asname] = a.name
                        else:
                            top = a.name.split(".")[0]
                            self.aliases[top] = top
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for a in node.names:
                        if a.name == "*":
                            self.star.append(node.module)
                        else:
                            self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.defs[node.name] = (number, node)
                elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    if isinstance(node.value, ast.Lambda):
                        self.defs[node.targets[0].id] = (number, node.value)
                    else:
                        target = self.resolve(node.value)
                        if target:
                            self.aliases[node.targets[0].id] = target
            for node in _outside_functions(tree.body):
                self.hold_binding(node)

    def hold_binding(self, node):
        """The names a statement of top-level code binds (in a block or not): by an assignment
        that is not a plain alias (those are in self.aliases), a loop, a `with ... as`, an
        augmented assignment or `:=`."""
        if isinstance(node, ast.Assign):
            single = len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            if not (single and node.targets[0].id in self.aliases and self.resolve(node.value)):
                self.hold(node.targets, node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            self.hold([node.target], node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.hold([node.target], node.iter)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self.hold([item.optional_vars], item.context_expr)

    def hold(self, targets, value):
        """Top-level names set to a value built from other names (`pool = partial(F.max_pool2d)`,
        `a, b = F.max_pool2d, 2`): a graded function that uses such a name uses what it mentions."""
        named = [sub for sub in ast.walk(value) if isinstance(sub, (ast.Name, ast.Attribute))]
        mentioned = [d for d in map(self.resolve, named) if d]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    self.held.setdefault(sub.id, []).extend(mentioned)

    def resolve(self, node):
        """The dotted name an expression refers to, when it can be told without running it."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) and func.id not in self.aliases else self.resolve(func)
            args = node.args
            if name == "getattr" and len(args) >= 2 and _text(args[1]) is not None:
                base = self.resolve(args[0])
                return f"{base}.{_text(args[1])}" if base else None
            if name in ("__import__", "importlib.import_module") and args and _text(args[0]) is not None:
                return _text(args[0])
        return None

    def unfollowable(self, node):
        """What the check cannot follow in this node ("eval, which runs code built at run
        time"), or None."""
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) and func.id not in self.aliases else self.resolve(func)
            at = NAMED_BY_ARGUMENT.get(name)
            if at is not None and (len(node.args) <= at or _text(node.args[at]) is None):
                return f"{name} with a name built at run time, which the check cannot follow"
        if isinstance(node, ast.Attribute) and node.attr in REFLECTIVE:
            return f"{node.attr}, which reaches functions by a name built at run time"
        dotted = None
        if isinstance(node, ast.Name) and node.id not in self.defs:
            dotted = self.aliases.get(node.id, node.id if node.id in DYNAMIC else None)
        elif isinstance(node, ast.Attribute):
            dotted = self.resolve(node)
        for entry, why in DYNAMIC.items():
            if dotted and (dotted == entry or dotted.startswith(entry + ".")):
                return f"{entry}, which {why}"
        return None

    def uses(self, names, entries):
        """Forbidden entries used by the functions `names` and the notebook functions they call:
        a list of (function, dotted name, cell number, line)."""
        dotted_entries = [e for e in entries if not e.startswith("aten::")]
        operators = [e for e in entries if e.startswith("aten::")]

        def forbidden(dotted):
            """What to name for a use of `dotted`: the forbidden entry it falls under (the
            function, or the module that holds it), or the operator it reaches; else None."""
            for e in dotted_entries:
                if dotted == e:
                    return e
                if dotted.startswith(e + "."):
                    return f"{e} ({dotted})"
            op = operator_of(dotted)
            if op is not None and any(fnmatch.fnmatchcase(op, p) for p in operators):
                return f"{dotted} (the operator {op})"
            return None

        found, seen, todo = [], set(), [n for n in names if n in self.defs]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            number, node = self.defs[name]
            local = {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)} | {
                n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            for sub in ast.walk(node):
                dotted = None
                if isinstance(sub, ast.Name):
                    if sub.id in self.defs and sub.id not in seen:
                        todo.append(sub.id)
                    dotted = self.aliases.get(sub.id)
                    if dotted is None and sub.id not in self.defs:
                        for module in self.star:
                            if forbidden(f"{module}.{sub.id}"):
                                dotted = f"{module}.{sub.id}"
                elif isinstance(sub, (ast.Attribute, ast.Call)):
                    dotted = self.resolve(sub)
                entry = forbidden(dotted) if dotted else None
                if entry:
                    found.append((name, entry, number, getattr(sub, "lineno", 0)))
                if isinstance(sub, ast.Name) and sub.id not in self.defs and sub.id not in local:
                    for held in self.held.get(sub.id, []):
                        entry = forbidden(held)
                        if entry:
                            what = f"{entry.partition(' (')[0]} (through {sub.id}, set at the top level)"
                            found.append((name, what, number, getattr(sub, "lineno", 0)))
                why = self.unfollowable(sub)
                if why:
                    found.append((name, why, number, getattr(sub, "lineno", 0)))
        unique = {}
        for item in found:
            unique.setdefault((item[0], item[1]), item)
        # `signal.convolve2d` resolves both `signal` and `signal.convolve2d`: keep the longer.
        return sorted(
            item
            for item in unique.values()
            if not any(
                other[0] == item[0] and other[2:] == item[2:] and other[1].startswith((item[1] + ".", item[1] + " ("))
                for other in unique.values()
            )
        )


def violations(cells, entries, question_functions, trees=None):
    """{question: [message, ...]} for the questions whose functions use a forbidden entry.
    trees: [(cell number, syntax tree)] when the cells are already parsed. A notebook the check
    cannot finish reading (a syntax tree too deep to walk) fails every question: unchecked is
    not allowed."""
    try:
        nb = Notebook(cells, trees)
        out = {}
        for question, names in question_functions.items():
            messages = [message(fn, what, number, line) for fn, what, number, line in nb.uses(names, entries)]
            if messages:
                out[question] = messages
        return out
    except Exception as e:  # RecursionError, MemoryError
        why = f"the check for forbidden functions could not read this notebook ({type(e).__name__})"
        return {question: [why] for question in question_functions}


def message(function, what, cell, line):
    """The one wording of a finding, in the grader's feedback and in a student's own check."""
    if ", which " in what:  # something the check cannot follow, or threads: it says why
        return f"{function} uses {what} (cell {cell}, line {line})"
    entry, _, use = what.partition(" (")
    where = f"{use[:-1]}, cell {cell}, line {line}" if use else f"cell {cell}, line {line}"
    return f"{function} uses {entry}, which this exercise forbids ({where})"
