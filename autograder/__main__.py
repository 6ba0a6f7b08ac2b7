"""Command line: python -m autograder {generate,check} [ID ...] | grade ID FOLDER -o OUT [--similarity] |
similarity ID FOLDER -o OUT | gradescope ID | publish DIR | secret"""

import argparse
import importlib
import sys

from .settings import LMS_FORMATS, SECRET_FILE, choices, options


def parser() -> argparse.ArgumentParser:
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
    for name, option, default, help in options():  # every limit and switch: autograder/settings.py
        flags = ["-j", option] if name == "jobs" else [option]
        if isinstance(default, bool):
            grd.add_argument(*flags, dest=name, action="store_true", help=help)
        elif isinstance(default, str):
            grd.add_argument(*flags, dest=name, default=default, choices=choices(name), help=help)
        else:
            shown = "" if default is None else f" (default {default:g})"
            kind = type(default) if default is not None else int
            metavar = option.lstrip("-").upper().replace("-", "_")
            grd.add_argument(*flags, dest=name, metavar=metavar, type=kind, default=default, help=help + shown)
        if name == "allow_root":
            grd.add_argument(
                "--tests",
                default=None,
                help="folder of otter test files to use instead of generating them (exercise_checks.py beside it)",
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
        choices=LMS_FORMATS,
        default=None,
        help="format of the grades file (default: canvas for a Canvas roster, else plain)",
    )
    grd.add_argument(
        "--similarity", action="store_true", help="also compare the submissions' code: OUT/similarity.{csv,html}"
    )
    sim = sub.add_parser(
        "similarity",
        help="compare the code of a folder's submissions, pair by pair and with the answer keys",
        description="Write OUT/similarity.csv and OUT/similarity.html (see autograder/outputs/similarity.py).",
    )
    sim.add_argument("id", help="assignment id (solutions/<id>.ipynb)")
    sim.add_argument("folder", help="folder of submitted .ipynb files")
    sim.add_argument("-o", "--output", required=True, help="output folder (created)")
    sim.add_argument("--threshold", type=float, default=None, help="similarity listed from (default 0.6)")
    sim.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sec = sub.add_parser(
        "secret",
        help="create the grading secret that seeds each submission's hidden tests (where missing)",
        description="Create the grading secret (32 random bytes, mode 0600) where it is missing and print its "
        "path; an existing one is never replaced. Keep it: the same secret grades the same file the same way.",
    )
    sec.add_argument(
        "--secret", default="", help="its file (default: $CNN_COURSE_GRADING_SECRET, else " + SECRET_FILE + ")"
    )
    gsc = sub.add_parser(
        "gradescope",
        help="build the Gradescope autograder zip of an assignment",
        description="Build a Gradescope autograder zip (otter's layout) that grades with the "
        "same hidden tests and the same isolation as `grade`.",
    )
    gsc.add_argument("id", help="assignment id (solutions/<id>.ipynb)")
    gsc.add_argument("-o", "--output", default=None, help="zip path (default: _build/gradescope/<id>-gradescope.zip)")
    return parser


# Each subcommand is a module of autograder.commands, imported only when run: nbformat and otter
# take seconds to import, which `grade` (a rerun with nothing to grade included) does without.
COMMANDS = {
    "grade": "grade",
    "similarity": "similarity",
    "publish": "publish",
    "gradescope": "gradescope",
    "secret": "secret",
    "generate": "generate",
    "check": "generate",
}


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    from .results import GradingError

    command = importlib.import_module(f".commands.{COMMANDS[args.command]}", __package__)
    try:
        return command.run(args)
    except GradingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    from .engine.confine import exit_now

    exit_now(main() or 0)
