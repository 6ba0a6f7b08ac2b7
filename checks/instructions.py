"""The paragraph of each exercise's instructions that lists what its functions may not use,
written from the lists the checks and the grader use (FORBIDDEN in checks/<chapter>.py and
core.BLOCKED), so that the text and the tests cannot drift apart.

`python -m checks.instructions` rewrites the paragraph in every master notebook (solutions/)
where it differs; `make notebooks` runs it before generating the student notebooks. The
paragraph sits in the master's first Markdown cell between BEGIN and END below; a master
without it gets it at the end of that cell.
"""

import importlib
import json
import re
import sys
from pathlib import Path

from . import core

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
BEGIN = "<!-- forbidden list: written by `make notebooks` from FORBIDDEN in checks/{module}.py; edit the list there -->"
END = "<!-- end of the forbidden list -->"
BLOCK = re.compile(r"<!-- forbidden list:.*?-->.*?<!-- end of the forbidden list -->", re.S)

GROUPS = [
    ("PyTorch's convolutions", core.TORCH_CONV),
    ("PyTorch's pooling", core.TORCH_POOL),
    ("libraries that have it ready-made (whole modules)", core.LIBRARIES),
]


def module_name(aid):
    return aid.replace("-", "_")


def entries(aid):
    """What the exercise forbids, in the grader's order: its chapter's FORBIDDEN, then the
    course's own modules (which an answer may not import at all)."""
    module = importlib.import_module(f"checks.{module_name(aid)}")
    return list(dict.fromkeys([*module.FORBIDDEN, *core.BLOCKED]))


def _names(items):
    plain = [f"`{e}`" for e in items if not e.startswith("aten::")]
    operators = [f"`{e}`" for e in items if e.startswith("aten::")]
    text = ", ".join(plain)
    if operators:
        text += (", and " if plain else "") + "any PyTorch operator matching " + ", ".join(operators)
    return text


def paragraph(aid):
    """The Markdown paragraph, markers included."""
    module = importlib.import_module(f"checks.{module_name(aid)}")
    listed = entries(aid)
    lines = [
        BEGIN.format(module=module_name(aid)),
        "**What your functions may not use.** A question whose functions call any of the following",
        "gets 0, and its `grader.check` says so. Outside your functions (to compare your answer with",
        "a library's, say) they are fine.",
        "",
    ]
    rest = [e for e in listed if e not in core.BLOCKED]
    for title, group in GROUPS:
        mine = [e for e in rest if e in group]
        if mine:
            lines.append(f"- {title}: {_names(mine)};")
            rest = [e for e in rest if e not in mine]
    note = getattr(module, "FORBIDDEN_NOTE", "")
    if rest:
        lines.append(f"- for this exercise: {_names(rest)}{' (' + note + ')' if note else ''};")
    lines.append(f"- the course's own code, which an answer may not even import: {_names(core.BLOCKED)}.")
    lines.append("")
    lines.append(
        "Nor may your functions use what the check cannot read (checks/static.py): a function looked up by a "
        "name built at run time (with getattr, vars or globals, or in a module's dictionary), code run by eval "
        "or exec, PyTorch's dispatch internals, threads or processes."
    )
    lines.append(END)
    return "\n".join(lines)


def listed_in(text):
    """The names a forbidden paragraph lists (every backquoted name in it), in order."""
    match = BLOCK.search(text)
    if match is None:
        return None
    names = re.findall(r"`([^`]+)`", match.group(0))
    return [n for n in names if n not in ("make notebooks", "grader.check") and not n.startswith("checks/")]


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def intro_cell(nb):
    return next(c for c in nb["cells"] if c["cell_type"] == "markdown")


def rewrite(path):
    """Write the paragraph into one master; True when the file changed."""
    aid = Path(path).stem
    text = Path(path).read_text(encoding="utf-8")
    nb = json.loads(text)
    cell = intro_cell(nb)
    source = _source(cell)
    new_block = paragraph(aid)
    if BLOCK.search(source):
        updated = BLOCK.sub(lambda _: new_block, source)
    else:
        updated = source.rstrip("\n") + "\n\n" + new_block
    if updated == source:
        return False
    lines = updated.split("\n")
    cell["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def main(argv=None):
    changed = [p.name for p in sorted(SOLUTIONS.glob("*.ipynb")) if rewrite(p)]
    print(f"forbidden lists rewritten in {', '.join(changed)}" if changed else "forbidden lists: all current")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
