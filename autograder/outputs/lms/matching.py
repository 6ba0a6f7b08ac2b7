"""Matching a submission's file name to a roster's student, never a guess.

1. Canvas's submission download names files `<lastfirst>_[late_]<user id>_<submission id>_
   <file name as uploaded>`, lastfirst being the sortable name lowercased with everything but
   letters and digits removed (`smithjane_1234_56789_convolution.ipynb`; the source is in
   autograder/README.md). A name of that form is matched by the user id when the roster has
   Canvas's `ID` column, else by lastfirst.
2. Otherwise the name is split at separators (`_ - . space @ +`) and compared, case folded and
   accents removed, with each student's identifiers (id, SIS user id, login, email and the
   part of it before @) and names (`Last, First` and `First Last` in either order, letters and
   digits only): a token equal to an identifier, or a run of tokens that spells a name.
A submission matching two or more students, or two submissions matching one student, is
reported as ambiguous and its grade left out.
"""

import re
from dataclasses import dataclass

from .roster import CANVAS_DOWNLOAD, SEPARATORS, fold


def candidates(submission, roster):
    """The students a submission's name can mean (a set of roster indices)."""
    stem = submission[: -len(".ipynb")] if submission.lower().endswith(".ipynb") else submission
    stem = re.sub(r" \(\d+\)$", "", stem)  # submissions.submissions_in's suffix for a repeated name
    canvas = CANVAS_DOWNLOAD.match(stem.casefold())
    if canvas:
        if roster.canvas:
            return {i for i, s in enumerate(roster.students) if s.user_id == canvas["user_id"]}
        return {i for i, s in enumerate(roster.students) if canvas["lastfirst"] in s.name_keys()}
    tokens = [fold(t) for t in SEPARATORS.split(stem) if fold(t)]
    runs = {"".join(tokens[i:j]) for i in range(len(tokens)) for j in range(i + 1, len(tokens) + 1)}
    found = set()
    for i, s in enumerate(roster.students):
        if s.id_keys() & (set(tokens) | {fold(stem)}) or s.name_keys() & runs:
            found.add(i)
    return found


@dataclass
class Join:
    """matched: [(student, submission)]; no_student: [submission]; no_submission: [student];
    ambiguous: [(submission, [student], why)]."""

    matched: list
    no_student: list
    no_submission: list
    ambiguous: list


def join(names, roster):
    """Join submission row names to the roster's students."""
    by_student, no_student, ambiguous = {}, [], []
    for name in names:
        found = candidates(name, roster)
        if not found:
            no_student.append(name)
        elif len(found) > 1:
            students = [roster.students[i] for i in sorted(found)]
            ambiguous.append((name, students, f"matches {len(found)} students"))
        else:
            by_student.setdefault(found.pop(), []).append(name)
    matched, no_submission = [], []
    for i, s in enumerate(roster.students):
        subs = by_student.get(i, [])
        if len(subs) == 1:
            matched.append((s, subs[0]))
        elif len(subs) > 1:
            ambiguous += [(n, [s], f"one of {len(subs)} submissions of the same student") for n in subs]
        elif not any(s in students for _, students, _ in ambiguous):
            no_submission.append(s)
    return Join(matched, no_student, no_submission, ambiguous)


# ----------------------------------------------------------------------------- writing
