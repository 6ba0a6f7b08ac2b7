"""Reading master notebooks: the answer key, and the pieces that must never reach a student or a reader."""

import json
import re
from pathlib import Path
from types import SimpleNamespace


def _cells(master_path):
    """The master's cells, each with its cell_type and its source as one string. The master is
    ours and nbformat 4, so json reads it: nbformat takes a second or more to import, which
    every `grade` would pay for nothing."""
    cells = json.loads(Path(master_path).read_text(encoding="utf-8"))["cells"]
    return [SimpleNamespace(cell_type=c["cell_type"], source="".join(c["source"])) for c in cells]


def _marker(cell):
    return cell.source.strip().splitlines()[0].strip().upper() if cell.source.strip() else ""


def _code_cells_between(master_path, begin, end):
    """Code cells inside raw `begin` ... `end` marker cells of a master."""
    inside, cells = False, []
    for cell in _cells(master_path):
        if cell.cell_type == "raw" and _marker(cell) == begin:
            inside = True
        elif cell.cell_type == "raw" and _marker(cell) == end:
            inside = False
        elif inside and cell.cell_type == "code":
            cells.append(cell)
    return cells


def solution_cells(master_path):
    """Code cells inside raw `# BEGIN SOLUTION` ... `# END SOLUTION` blocks of a master."""
    return [cell.source for cell in _code_cells_between(master_path, "# BEGIN SOLUTION", "# END SOLUTION")]


def test_cells(master_path):
    """(hidden, source) for every test cell of a master."""
    return [
        (_marker(cell) == "# HIDDEN", cell.source)
        for cell in _code_cells_between(master_path, "# BEGIN TESTS", "# END TESTS")
    ]


def solution_lines(master_path):
    """Lines of answer code: what otter removes between # BEGIN/END SOLUTION comments, and
    lines marked `# SOLUTION`. Only lines long enough to be distinctive (8+ characters)."""
    lines = []
    for source in solution_cells(master_path):
        inside = False
        for line in source.splitlines():
            s = line.strip()
            if s == "# BEGIN SOLUTION":
                inside = True
            elif s == "# END SOLUTION":
                inside = False
            elif (inside or s.endswith("# SOLUTION")) and len(s) >= 8:
                lines.append(s.removesuffix("# SOLUTION").strip())
    return lines


def hidden_test_names(master_path):
    """The `def test_...(` line of every hidden test."""
    names = []
    for hidden, source in test_cells(master_path):
        if hidden:
            names += re.findall(r"^def (test_\w+)\(", source, flags=re.M)
    return names


def public_test_names(master_path):
    names = []
    for hidden, source in test_cells(master_path):
        if not hidden:
            names += re.findall(r"^def (test_\w+)\(", source, flags=re.M)
    return names


def answer_key(master_path):
    """Execute the master's setup and solution cells; returns the namespace (the answer key)."""
    cells = _cells(master_path)
    env = {}
    first_question = next(i for i, c in enumerate(cells) if c.cell_type == "raw" and _marker(c) == "# BEGIN QUESTION")
    setup = [c.source for c in cells[:first_question] if c.cell_type == "code"]
    for source in setup + solution_cells(master_path):
        exec(compile(source, str(master_path), "exec"), env)
    return env


def leaks(text, master_path):
    """Solution lines and hidden test names of a master that occur in `text`."""
    found = [line for line in solution_lines(master_path) if line in text]
    found += [
        f"hidden test {name}" for name in hidden_test_names(master_path) if f"def {name}(" in text or f"{name}(" in text
    ]
    return found


def master_fingerprint(master_path) -> str:
    """submissions.cells_fingerprint of the master's code cells: a submission with the same is a
    copy of the answer key."""
    from .submissions import cells_fingerprint, notebook_cells

    return cells_fingerprint(notebook_cells(Path(master_path).read_bytes()))
