"""`python -m autograder grade <id> <folder> -o <out>`: grade a folder of submitted notebooks,
without Docker, and write what the outputs make of it (outputs.CLASS_OUTPUTS: grades.csv,
feedback/, grading.log, mistakes.csv, report.html; with --roster the LMS files, with
--similarity the similarity page).

One run at a time per output folder (a second one refuses, naming the folder). As root,
student code runs as `nobody`; where it cannot (a Python installation that `nobody` cannot
reach), the command refuses unless given --allow-root (or AUTOGRADER_ALLOW_ROOT=1), and then
says so in grading.log.
"""

import fcntl
import os
import shutil
import sys
from functools import partial
from pathlib import Path

from .. import forbidden
from ..authoring.prepared import prepared_tests, tests_ready
from ..engine.batch import Assignment, check_root, grade_folder
from ..engine.cache import Cache
from ..master import master_fingerprint
from ..outputs import lms, similarity
from ..outputs.registry import CLASS_OUTPUTS, REPORTS
from ..paths import ROOT, master_path
from ..results import GradingError, GradingRun, summary
from ..secret import load_secret
from ..settings import GradingSettings
from ..text import one_line
from .progress import Progress


def lock_output(out: Path) -> int:
    """Hold the output folder for this run (an flock on the folder itself); a second run
    refuses. Returns the descriptor to close when done. Removes what an earlier run that died
    left behind (staging folders and temporary files)."""
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise GradingError(
            f"{out}: another grading run is writing this folder; wait until it finishes, or use another -o folder"
        ) from None
    for stale in out.glob(".*"):
        if stale.name.startswith((".feedback-", ".grades.csv.", ".grading.log.")):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
    return fd


def grade_into(
    assignment: Assignment, folder: str | Path, out: str | Path, settings: GradingSettings, stream=None
) -> GradingRun:
    """Grade every .ipynb in `folder` and write the class outputs into `out` (the class report
    too unless settings.report is False). Files unchanged since an earlier run into `out` are
    taken from `out/cache/` (engine.cache) unless settings.force."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = lock_output(out)
    try:
        progress = partial(Progress.for_batch, stream=stream) if settings.progress else None
        run = grade_folder(assignment, folder, settings, Cache(out, force=settings.force), progress, stream)
        for write in CLASS_OUTPUTS.values():
            write(out, run)
        for name, write in REPORTS.items() if settings.report else ():
            try:
                write(out, run)
            except Exception as e:  # the grades are written; a report that fails must not take them away
                print(f"{out / name}: not written ({type(e).__name__}: {one_line(e)})", file=sys.stderr)
        return run
    finally:
        os.close(lock)


def settings_from(args) -> GradingSettings:
    """The GradingSettings the parsed arguments ask for (their names are the fields')."""
    from ..settings import options

    given = {name: getattr(args, name) for name, *_ in options() if hasattr(args, name)}
    return GradingSettings(**given, progress=not args.quiet)


def run(args) -> int:
    """The `grade` subcommand (arguments parsed by autograder.__main__)."""
    aid = args.id
    master = master_path(aid)
    settings = settings_from(args)
    check_root(settings.allow_root)  # before minutes of preparing the tests
    load_secret(settings.secret or None)  # and the secret that seeds the hidden tests: one line where missing
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    export = lms.prepare(args)  # a bad roster stops the command before grading
    if args.tests:
        tests, used = Path(args.tests), []
    else:
        if not tests_ready(aid):
            say(f"{aid}: preparing the hidden tests from {master.relative_to(ROOT)} (once per change of it)")
        tests, used = prepared_tests(aid)
    rules = forbidden.forbidden_for(aid, master)
    assignment = Assignment(aid, tests, rules, used, [ROOT, tests], master_fingerprint(master))
    graded = grade_into(assignment, args.folder, args.output, settings)
    say(f"{aid}: {summary(graded.outcomes)} -> {Path(args.output) / 'grades.csv'}")
    if export:
        export.write(args.output, graded)
    lms.remove_stale(args.output, export.lms if export else None)
    if getattr(args, "similarity", False):
        similarity.write_report(aid, args.folder, args.output, progress=not args.quiet)
    return 0
