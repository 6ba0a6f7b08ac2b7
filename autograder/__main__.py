"""Command line: python -m autograder {generate,check} [ID ...]"""
import argparse
import sys

from .generate import GenerateError, generate, stale
from .paths import assignment_ids
from .repository import install_cell_problem, lecture_paths, sync_install_cells


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="student notebooks and autograders from solutions/")
    gen.add_argument("ids", nargs="*", help="assignment ids (default: all)")
    chk = sub.add_parser("check", help="fail if a committed student notebook is stale")
    chk.add_argument("ids", nargs="*", help="assignment ids (default: all)")
    args = parser.parse_args(argv)

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
                print(f"{aid}: wrote {generate(aid)}")
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


if __name__ == "__main__":
    sys.exit(main())
