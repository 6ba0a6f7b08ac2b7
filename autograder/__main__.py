"""Command line: python -m autograder {generate,check} [ID ...] | grade ID FOLDER -o OUT [--similarity] |
similarity ID FOLDER -o OUT | gradescope ID | publish DIR"""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="student notebooks and autograders from solutions/")
    gen.add_argument("ids", nargs="*", help="assignment ids (default: all)")
    pub = sub.add_parser(
        "publish",
        help="write the student-facing tree (book sources, lectures, exercises, support package) into DIR",
        description="Write what readers and students get into DIR: no answer key, no hidden test, no grader.",
    )
    pub.add_argument("dir", help="output folder (replaced)")
    chk = sub.add_parser("check", help="fail if a committed student notebook is stale")
    chk.add_argument("ids", nargs="*", help="assignment ids (default: all)")
    grd = sub.add_parser(
        "grade",
        help="grade a folder of submitted notebooks (no Docker)",
        description="Grade every .ipynb in FOLDER with the assignment's hidden tests; "
        "write OUT/grades.csv, OUT/feedback/<submission>.md and OUT/grading.log.",
    )
    grd.add_argument("id", help="assignment id (solutions/<id>.ipynb)")
    grd.add_argument("folder", help="folder of submitted .ipynb files")
    grd.add_argument("-o", "--output", required=True, help="output folder (created; safe to reuse)")
    grd.add_argument("-j", "--jobs", type=int, default=None, help="parallel workers (default: the machine's cores)")
    grd.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per call of a student's function (default 10)"
    )
    grd.add_argument(
        "--cell-timeout",
        type=float,
        default=60.0,
        help="seconds per top-level statement of a submitted cell (default 60)",
    )
    grd.add_argument(
        "--submission-timeout",
        type=float,
        default=600.0,
        help="seconds of wall-clock time for all of one submission: its cells and its tests (default 600)",
    )
    grd.add_argument("--memory", type=int, default=2048, help="MB of memory per student process (default 2048)")
    grd.add_argument(
        "--disk", type=int, default=256, help="MB that one submission may write in its scratch folder (default 256)"
    )
    grd.add_argument(
        "--allow-root",
        action="store_true",
        help="grade even where student code would run as root (this machine's Python is out of reach of the "
        "user nobody); written in grading.log",
    )
    grd.add_argument(
        "--tests",
        default=None,
        help="folder of otter test files to use instead of generating them (exercise_checks.py beside it)",
    )
    grd.add_argument(
        "--force",
        action="store_true",
        help="grade every file again, even those unchanged since the last run into OUT (OUT/cache/)",
    )
    grd.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings and errors")
    grd.add_argument(
        "--roster",
        default=None,
        help="class list (Canvas's gradebook export, or a CSV with id/login/email and name columns): "
        "join the submissions to it and write OUT/<lms>-grades.csv and OUT/<lms>-unmatched.csv",
    )
    grd.add_argument(
        "--lms",
        choices=("canvas", "gradescope", "plain"),
        default=None,
        help="format of the grades file (default: canvas for a Canvas roster, else plain)",
    )
    grd.add_argument(
        "--similarity", action="store_true", help="also compare the submissions' code: OUT/similarity.{csv,html}"
    )
    sim = sub.add_parser(
        "similarity",
        help="compare the code of a folder's submissions, pair by pair and with the answer keys",
        description="Write OUT/similarity.csv and OUT/similarity.html (see autograder/similarity.py).",
    )
    sim.add_argument("id", help="assignment id (solutions/<id>.ipynb)")
    sim.add_argument("folder", help="folder of submitted .ipynb files")
    sim.add_argument("-o", "--output", required=True, help="output folder (created)")
    sim.add_argument("--threshold", type=float, default=None, help="similarity listed from (default 0.6)")
    sim.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    gsc = sub.add_parser(
        "gradescope",
        help="build the Gradescope autograder zip of an assignment",
        description="Build a Gradescope autograder zip (otter's layout) that grades with the "
        "same hidden tests and the same isolation as `grade`.",
    )
    gsc.add_argument("id", help="assignment id (solutions/<id>.ipynb)")
    gsc.add_argument("-o", "--output", default=None, help="zip path (default: _build/gradescope/<id>-gradescope.zip)")
    args = parser.parse_args(argv)

    if args.command == "grade":
        from .batch import GradingError
        from .batch import main as grade_main

        try:
            return grade_main(args)
        except GradingError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    if args.command == "similarity":
        from .batch import GradingError
        from .similarity import main as similarity_main

        try:
            return similarity_main(args)
        except GradingError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    if args.command == "publish":
        from .publish import PublishError, publish

        try:
            print(f"wrote the student tree to {publish(args.dir)}")
        except PublishError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    if args.command == "gradescope":
        from .gradescope import main as gradescope_main

        return gradescope_main(args)

    # generate and check only: nbformat and otter take seconds to import, which `grade` (a rerun
    # with nothing to grade included) does without.
    from .generate import GenerateError, install_generated, stale
    from .paths import assignment_ids
    from .repository import install_cell_problem, lecture_paths, sync_install_cells

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


if __name__ == "__main__":
    sys.exit(main())
