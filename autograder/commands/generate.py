"""`python -m autograder generate [ID ...]` (student notebooks and autograders from solutions/)
and `check [ID ...]` (fails when a committed student notebook is stale)."""

import sys

from ..authoring.generate import GenerateError
from ..authoring.prepared import install_generated, stale
from ..authoring.repository import install_cell_problem, lecture_paths, sync_install_cells
from ..paths import assignment_ids


def run(args) -> int:
    ids = args.ids or assignment_ids()
    problems = []
    if args.command == "generate":
        for path in sync_install_cells():
            print(f"{path}: install cell now follows _config.yml")
    else:
        problems += [p for p in map(install_cell_problem, lecture_paths()) if p]
    for aid in ids:
        try:
            if args.command == "generate":
                print(f"{aid}: wrote {install_generated(aid)}")
            else:
                reason = stale(aid)
                print(f"{aid}: {reason or 'up to date'}")
                if reason:
                    problems.append(reason)
        except GenerateError as e:
            print(str(e), file=sys.stderr)
            problems.append(str(e).splitlines()[0])
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0
