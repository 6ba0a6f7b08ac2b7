"""Library functions an exercise forbids, and how the grader catches their use.

Where an exercise asks students to write an operation themselves, calling the library's
version instead earns nothing for that question. The list for each assignment is the union of

- the chapter's list, FORBIDDEN in checks/<chapter>.py (which students' local checks use too), and
- lines `# forbidden: name, name` in the master's raw `# ASSIGNMENT CONFIG` cell (YAML
  comments, so otter ignores them), for additions by the author of an exercise.

An entry is a dotted name: a function or class (`torch.nn.functional.conv2d`), or a module,
which covers everything in it (`scipy.signal`); or a PyTorch operator pattern (`aten::conv*`)
that catches the operator however it is reached (`F.conv2d`, `torch.conv2d`, `nn.Conv2d`,
`torch._C._nn...`).

Two checks, and either one zeroes the question:
- static, in the student process before any of the submission's code runs there (so that
  parsing a hostile notebook costs that confined process, not the grader): the functions a
  question's tests call, and every function of the notebook that they use, must not name a
  forbidden entry (import aliases resolved: `import torch.nn.functional as F; F.conv2d` is
  `torch.nn.functional.conv2d`);
- at run time, in the student process (engine.student.tripwires): forbidden callables are wrapped and
  the operator patterns watched while a graded call runs; a call raises and is recorded. The
  course's own modules (blocked(): checks.core.BLOCKED) cannot be imported by a submission at all.
A student may use forbidden functions outside graded calls (to check their own answer).
"""

import ast
import importlib
import re
from pathlib import Path

# The lists live with each chapter's checks (checks/<chapter>.py: FORBIDDEN), which students'
# own `grader.check` uses too, so that a forbidden function fails locally as it does here. The
# course's own modules (checks.core.BLOCKED: the support package and the checks) may not be
# imported at all. Imported when asked for, not with this module: the student process uses the
# static check below, and must never have the checks loaded.


def blocked():
    """The course's own modules, which a submission may not import (checks.core.BLOCKED)."""
    from checks import core

    return list(core.BLOCKED)


def table(aid):
    """The forbidden list of an exercise's checks module (empty for an unknown id)."""
    try:
        module = importlib.import_module(f"checks.{aid.replace('-', '_')}")
    except ModuleNotFoundError:
        return []
    return list(module.FORBIDDEN)


COMMENT = re.compile(r"^\s*#\s*forbidden\s*:\s*(.*?)\s*$", re.I | re.M)


def forbidden_for(aid, master=None):
    """The forbidden entries of an assignment: the table, plus the master's comment lines."""
    entries = table(aid) + blocked()
    if master is not None:
        import json  # the master is ours and nbformat 4; nbformat itself takes seconds to import

        for cell in json.loads(Path(master).read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if cell["cell_type"] == "raw" and source.lstrip().upper().startswith("# ASSIGNMENT CONFIG"):
                for line in COMMENT.findall(source):
                    entries += [e.strip() for e in line.split(",") if e.strip()]
    return list(dict.fromkeys(entries))


def blocked_modules(entries):
    """Entries that the student process refuses to import at all (see blocked())."""
    names = blocked()
    return [e for e in entries if e.split(".")[0] in names]


# ----------------------------------------------------------------------------- static check


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


def _text(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class Notebook:
    """What the static check needs to know about a submission's code."""

    def __init__(self, cells, trees=None):
        self.trees = _parse(cells) if trees is None else trees
        self.aliases = {}
        self.star = []
        self.defs = {}
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

    def uses(self, names, entries):
        """Forbidden entries used by the functions `names` and the notebook functions they call:
        a list of (function, dotted name, cell number, line)."""
        dotted_entries = [e for e in entries if not e.startswith("aten::")]

        def forbidden(dotted):
            return any(dotted == e or dotted.startswith(e + ".") for e in dotted_entries)

        found, seen, todo = [], set(), [n for n in names if n in self.defs]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            number, node = self.defs[name]
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
                if dotted and forbidden(dotted):
                    found.append((name, dotted, number, getattr(sub, "lineno", 0)))
        unique = {}
        for item in found:
            unique.setdefault((item[0], item[1]), item)
        # `signal.convolve2d` resolves both `signal` and `signal.convolve2d`: keep the longer.
        return sorted(
            item
            for item in unique.values()
            if not any(
                other[0] == item[0] and other[2:] == item[2:] and other[1].startswith(item[1] + ".")
                for other in unique.values()
            )
        )


def static_violations(cells, entries, question_functions, trees=None):
    """{question: [message, ...]} for the questions whose functions use a forbidden entry.
    trees: [(cell number, syntax tree)] when the cells are already parsed. A notebook the check
    cannot finish reading (a syntax tree too deep to walk) fails every question: unchecked is
    not allowed."""
    if not entries:
        return {}
    try:
        nb = Notebook(cells, trees)
        out = {}
        for question, names in question_functions.items():
            messages = [
                f"{fn} uses {dotted} (cell {number}, line {line}), which this exercise forbids"
                for fn, dotted, number, line in nb.uses(names, entries)
            ]
            if messages:
                out[question] = messages
        return out
    except Exception as e:  # RecursionError, MemoryError
        why = f"the check for forbidden functions could not read this notebook ({type(e).__name__})"
        return {question: [why] for question in question_functions}
