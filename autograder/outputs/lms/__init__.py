"""Grades an LMS imports: `grade ... --roster ROSTER [--lms canvas|gradescope|plain]`.

The submissions of a graded folder (their row names, the `submission` column of grades.csv; see
submissions.submissions_in) are joined to the students of a roster (roster.py, matching.py),
and OUT/<lms>-grades.csv is written in the format the LMS imports (writers.py: a new format is
one function and one line in WRITERS), with OUT/<lms>-unmatched.csv listing what could not be
joined (submissions with no student, students with no submission, ambiguous matches) and one
summary line on stderr.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ...results import GradingError, GradingRun, points, status_of, totals
from ...settings import LMS_FORMATS
from ...text import counted, write_atomically
from .matching import join
from .roster import Roster, read_roster
from .writers import WRITERS, unmatched_csv


@dataclass
class Export:
    """What `grade --roster` was asked for: the roster (read before grading) and the format."""

    roster: Roster
    lms: str

    def write(self, out, run: GradingRun, stream=None):
        """Write OUT/<lms>-grades.csv and OUT/<lms>-unmatched.csv; print one summary line.
        Returns the Join."""
        stream = stream or sys.stderr
        out = Path(out)
        aid, outcomes, table = run.aid, run.outcomes, run.table
        by_name = {o.submission: o for o in outcomes}
        joined = join(list(by_name), self.roster)
        scores, possible = [], 0.0
        for s, name in joined.matched:
            _, total, full = totals(by_name[name], table)
            possible = max(possible, full)
            scores.append((s, points(total)))
        if not scores:
            possible = sum(full for _, full, _ in table)
        grades = out / f"{self.lms}-grades.csv"
        unmatched = out / f"{self.lms}-unmatched.csv"
        write_atomically(grades, WRITERS[self.lms](self.roster, aid, scores, points(possible)))
        write_atomically(unmatched, unmatched_csv(joined))
        unreadable = sum(status_of(by_name[n]).startswith("unreadable") for _, n in joined.matched)
        print(
            f"{aid}: {self.lms} grades for {len(joined.matched)} of {counted(len(self.roster.students), 'student')} "
            f"-> {grades}; unmatched: {counted(len(joined.no_student), 'submission')} with no student, "
            f"{counted(len(joined.no_submission), 'student')} with no submission, "
            f"{len(joined.ambiguous)} ambiguous"
            + f" (listed in {unmatched})"
            + (f"; {counted(unreadable, 'matched submission')} unreadable, graded 0" if unreadable else ""),
            file=stream,
        )
        return joined


def prepare(args):
    """From the `grade` arguments: an Export, or None without --roster. Reads the roster now, so
    that a bad one stops the command before grading starts."""
    roster_path = getattr(args, "roster", None)
    lms = getattr(args, "lms", None)
    if roster_path is None:
        if lms:
            raise GradingError(f"--lms {lms} needs --roster (the class list to join the submissions to)")
        return None
    roster = read_roster(os.fspath(roster_path))
    return Export(roster, lms or ("canvas" if roster.canvas else "plain"))


def remove_stale(out, written=None, stream=None):
    """Remove the LMS files an earlier run left in OUT that this run did not write (`written`:
    the format written now, or None): grades of another class must not wait there for upload."""
    for lms in LMS_FORMATS:
        if lms == written:
            continue
        for path in (Path(out) / f"{lms}-grades.csv", Path(out) / f"{lms}-unmatched.csv"):
            if path.is_file():
                path.unlink()
                print(f"removed {path}: an earlier run's, not written by this one", file=stream or sys.stderr)
