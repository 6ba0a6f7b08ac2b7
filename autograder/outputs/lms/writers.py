"""The grades file each LMS imports (WRITERS: one function per --lms format), and the list of
what could not be joined. Every cell is escaped alike (text.csv_text): roster fields too."""

import re

from ...text import csv_text
from .roster import CANVAS_COLUMNS, POINTS_POSSIBLE, fold


def canvas_column(roster, aid):
    """The assignment column's header: the roster's own column for this assignment where a
    Canvas export has one (`Convolution (123456)`, which Canvas matches by the id in
    parentheses), else the assignment id, which Canvas imports as a new assignment."""
    want = fold(aid)
    for h in roster.columns[len(CANVAS_COLUMNS) :] if roster.canvas else []:
        if fold(re.sub(r"\s*\(\d+\)\s*$", "", h)) == want:
            return h
    return aid


def canvas_csv(roster, aid, scores, possible):
    """Canvas's gradebook import format (sources in autograder/README.md): the export's five
    columns Student, ID, SIS User ID, SIS Login ID, Section, then one column for the assignment
    (its export header, with Canvas's id in parentheses, where the roster has it); a `Points
    Possible` row as the export's second row; one row per matched student with the total as a
    number. Students left out keep their grade (a file does not have to list everyone)."""
    rows = [[POINTS_POSSIBLE, "", "", "", "", possible]]
    rows += [[s.name, s.user_id, s.sis_user_id, s.login, s.section, score] for s, score in scores]
    return csv_text(CANVAS_COLUMNS + [canvas_column(roster, aid)], rows, lineterminator="\r\n")


def gradescope_csv(roster, aid, scores, possible):
    """Gradescope's score import for an assignment: a header naming the student columns it
    matches on (Name, SID, Email) and a score column."""
    rows = [[s.name, s.sis_user_id or s.login or s.user_id, s.email, score] for s, score in scores]
    return csv_text(["Name", "SID", "Email", "Score"], rows)


def plain_csv(roster, aid, scores, possible):
    """student id, name, score, possible: one row per matched student."""
    rows = [[s.sis_user_id or s.login or s.email or s.user_id, s.name, score, possible] for s, score in scores]
    return csv_text(["student id", "name", "score", "possible"], rows)


WRITERS = {"canvas": canvas_csv, "gradescope": gradescope_csv, "plain": plain_csv}


def unmatched_csv(joined):
    """kind, submission, student, why: one row per thing not joined."""
    rows = [
        ["submission with no student", name, "", "no roster entry matches its file name"] for name in joined.no_student
    ]
    rows += [["student with no submission", "", s.label(), f"roster line {s.row}"] for s in joined.no_submission]
    rows += [
        ["ambiguous", name, "; ".join(s.label() for s in students), why] for name, students, why in joined.ambiguous
    ]
    return csv_text(["kind", "submission", "student", "why"], rows)
