"""Where things live in the repository."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
AUTOGRADERS = ROOT / "_build" / "autograder"
CHECKS = ROOT / "checks"  # the tests' helpers: core.py and one module per chapter
OTTER_VERSION = "7.0.0"


def assignment_ids():
    """Every exercise id: one master notebook solutions/<id>.ipynb each, in name order."""
    return sorted(p.stem for p in SOLUTIONS.glob("*.ipynb"))


def master_path(aid):
    path = SOLUTIONS / f"{aid}.ipynb"
    if not path.exists():
        known = ", ".join(assignment_ids()) or "none"
        raise SystemExit(f"error: {path}: no such master notebook (known assignments: {known})")
    return path


def student_path(aid, root=EXERCISES):
    return Path(root) / aid / f"{aid}.ipynb"


def checks_module(aid):
    """The chapter's check module, checks/<id with underscores>.py."""
    return CHECKS / f"{aid.replace('-', '_')}.py"


# The line above each module in an exercise's exercise_checks.py (authoring.generate.checks_bundle),
# and the modules every exercise carries before its own.
CHECKS_SECTION = "# ---------------------------------------------------------------- checks/"
SHARED_CHECKS = ("static.py", "core.py")


def checks_modules(aid):
    """The check modules an exercise's exercise_checks.py joins, in order: checks/core.py, the
    chapter modules the chapter's module imports from (depth first), then the chapter's module."""
    order = []

    def visit(path):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                visit(CHECKS / f"{node.module}.py")
        if path not in order:
            order.append(path)

    visit(checks_module(aid))
    return order
