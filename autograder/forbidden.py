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
  forbidden entry, nor build a name at run time or start a thread (checks/static.py: the one
  implementation, which a student's own `grader.check` runs too);
- at run time, in the student process (engine.student.tripwires): forbidden callables are wrapped and
  the operator patterns watched while a graded call runs; a call raises and is recorded. The
  course's own modules (blocked(): checks.core.BLOCKED) cannot be imported by a submission at all.
A student may use forbidden functions outside graded calls (to check their own answer).
"""

import importlib
import re
from pathlib import Path

# The lists live with each chapter's checks (checks/<chapter>.py: FORBIDDEN), which students'
# own `grader.check` uses too, so that a forbidden function fails locally as it does here. The
# course's own modules (checks.core.BLOCKED: the support package and the checks) may not be
# imported at all. Imported when asked for, not with this module: the student process uses the
# static check (checks.static, which holds no reference code), and must never have the other
# checks loaded.


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
