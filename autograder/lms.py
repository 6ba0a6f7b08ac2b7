"""Grades an LMS imports: `grade ... --roster ROSTER [--lms canvas|gradescope|plain]`.

The submissions of a graded folder (their row names, the `submission` column of grades.csv; see
batch.submissions_in) are joined to the students of a roster, and OUT/<lms>-grades.csv is
written in the format the LMS imports, with OUT/<lms>-unmatched.csv listing what could not be
joined (submissions with no student, students with no submission, ambiguous matches) and one
summary line on stderr.

The roster (read before grading starts; a bad one stops the command with one line naming the
file and what is wrong):
- Canvas's own gradebook export (Grades > Export > Export Entire Gradebook): a header row
  `Student, ID, SIS User ID, SIS Login ID, Section, <assignment (id)>, ...`, then a
  `Points Possible` row, then one row per student; `Student` is the sortable name
  `Last, First`, `ID` Canvas's numeric user id. The `Points Possible` row and Canvas's test
  student (`Student, Test`, from Student View) are not students.
- or a simple CSV with a header naming at least one identifier column: `id` (also `sid`,
  `student id`, `student number`), `login` (`username`, `netid`), `email`, plus optionally
  `name` (or `first name` and `last name`), `section`.
UTF-8, with or without the byte-order mark that Excel and Canvas write; identifiers unique.

Matching a submission to a student, never a guess:
1. Canvas's submission download names files `<lastfirst>_[late_]<user id>_<submission id>_
   <file name as uploaded>`, lastfirst being the sortable name lowercased with everything but
   letters and digits removed (`smithjane_1234_56789_convolution.ipynb`; described in
   Canvas's guide "How do I download all student submissions for an assignment?",
   https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-download-all-student-submissions-for-an-assignment/ta-p/686,
   and relied on by the tools that unpack those downloads). A name of that form is matched by
   the user id when the roster has Canvas's `ID` column, else by lastfirst.
2. Otherwise the name is split at separators (`_ - . space @ +`) and compared, case folded and
   accents removed, with each student's identifiers (id, SIS user id, login, email and the
   part of it before @) and names (`Last, First` and `First Last` in either order, letters and
   digits only): a token equal to an identifier, or a run of tokens that spells a name.
A submission matching two or more students, or two submissions matching one student, is
reported as ambiguous and its grade left out.
"""

import csv
import io
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .batch import GradingError, question_table, spreadsheet_safe, status_of, totals

FORMATS = ("canvas", "gradescope", "plain")

# Canvas's gradebook export and import columns, in Canvas's order (the guides cited below).
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# The second row of Canvas's export, read back by its import: the label sits in the Student
# column with four leading spaces, as Canvas writes it.
POINTS_POSSIBLE = "    Points Possible"
TEST_STUDENT = "Student, Test"

SIMPLE_COLUMNS = {
    "id": ("id", "sid", "student id", "student_id", "studentid", "student number", "sis user id"),
    "login": ("login", "login id", "username", "user", "netid", "sis login id"),
    "email": ("email", "e-mail", "email address", "mail"),
    "name": ("name", "full name", "student", "student name"),
    "first": ("first name", "first", "given name"),
    "last": ("last name", "last", "surname", "family name"),
    "section": ("section", "sections"),
}
IDENTIFIERS = ("user_id", "sis_user_id", "login", "email")

CANVAS_DOWNLOAD = re.compile(
    r"^(?P<lastfirst>[a-z0-9]*)_(?:late_)?(?P<user_id>\d+)_(?P<submission_id>\d+)_(?P<file>.*)$"
)
SEPARATORS = re.compile(r"[\s_\-.@+,()\[\]]+")


@dataclass
class Student:
    """One roster row. name: as the roster writes it (Canvas: `Last, First`); user_id: Canvas's
    numeric ID (Canvas rosters only); sis_user_id: the institution's student id; login: SIS login
    id or user name; email. Empty strings where the roster has no such column."""

    row: int
    name: str = ""
    user_id: str = ""
    sis_user_id: str = ""
    login: str = ""
    email: str = ""
    section: str = ""

    def label(self):
        ident = self.sis_user_id or self.login or self.email or self.user_id
        return f"{self.name} ({ident})" if self.name and ident else self.name or ident

    def name_keys(self):
        return name_keys(self.name)

    def id_keys(self):
        keys = {fold(getattr(self, k)) for k in IDENTIFIERS}
        if "@" in self.email:
            keys.add(fold(self.email.split("@")[0]))
        return {k for k in keys if k}


@dataclass
class Roster:
    """students: in roster order; canvas: read from Canvas's gradebook export; columns: the
    export's header (for the assignment column's name)."""

    path: Path
    students: list
    canvas: bool
    columns: list = field(default_factory=list)


def fold(text):
    """Case folded, accents removed, only letters and digits: `Müller-Lüdenscheidt, Jo` ->
    `mullerludenscheidtjo`."""
    text = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in text.casefold() if ch.isalnum() and not unicodedata.combining(ch))


def name_keys(name):
    """The folded spellings of a name: as written, and `Last, First` turned around (or `First
    Last` with its last word first)."""
    name = name.strip()
    if not fold(name):
        return set()
    keys = {fold(name)}
    if "," in name:
        last, first = name.split(",", 1)
        keys.add(fold(first + last))
    else:
        words = name.split()
        if len(words) > 1:
            keys.add(fold(words[-1] + "".join(words[:-1])))
    return keys


# ----------------------------------------------------------------------------- the roster


def _decode(path, data):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise GradingError(f"{path}: UTF-16 text (Excel's 'Unicode Text'); save the roster as CSV UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise GradingError(
            f"{path}: not UTF-8 (byte 0x{data[e.start]:02x} on line {line}); save the roster as CSV UTF-8"
        ) from None


def read_roster(path):
    """Roster from a CSV file (see the module's docstring for the two formats); GradingError
    with one line naming the file and what is wrong."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GradingError(f"{path}: no such roster file") from None
    except IsADirectoryError:
        raise GradingError(f"{path}: a folder, not a roster file") from None
    except OSError as e:
        raise GradingError(f"{path}: cannot read the roster ({e.strerror})") from None
    text = _decode(path, data)
    if "\x00" in text:
        raise GradingError(f"{path}: has NUL bytes; not a CSV file")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise GradingError(f"{path}: not CSV ({e})") from None
    numbered = [(i, [c.strip() for c in r]) for i, r in enumerate(rows, 1) if any(c.strip() for c in r)]
    if not numbered:
        raise GradingError(f"{path}: empty roster")
    (_, header), body = numbered[0], numbered[1:]
    lowered = [h.casefold() for h in header]
    if {"student", "id"} <= set(lowered) and ({"sis user id", "sis login id"} & set(lowered)):
        students = _canvas_students(header, body)
        roster = Roster(path, students, True, header)
    else:
        roster = Roster(path, _simple_students(path, lowered, body), False, header)
    if not roster.students:
        raise GradingError(f"{path}: no students in the roster (only a header)")
    _check_unique(roster)
    return roster


def _canvas_students(header, body):
    at = {h.casefold(): i for i, h in reversed(list(enumerate(header)))}

    def cell(row, name):
        i = at.get(name.casefold())
        return row[i] if i is not None and i < len(row) else ""

    out = []
    for n, row in body:
        name = cell(row, "Student")
        if name.strip().casefold() == "points possible" or name == TEST_STUDENT:
            continue
        out.append(
            Student(
                n,
                name=name,
                user_id=cell(row, "ID"),
                sis_user_id=cell(row, "SIS User ID"),
                login=cell(row, "SIS Login ID"),
                section=cell(row, "Section"),
            )
        )
    return out


def _simple_students(path, lowered, body):
    at = {}
    for key, names in SIMPLE_COLUMNS.items():
        for i, h in enumerate(lowered):
            if h in names and key not in at:
                at[key] = i
    if not {"id", "login", "email"} & at.keys():
        shown = ", ".join(lowered) or "nothing"
        raise GradingError(
            f"{path}: no column to match students by (need id, login or email, or Canvas's gradebook export); "
            f"the header has: {shown[:200]}"
        )

    def cell(row, key):
        i = at.get(key)
        return row[i] if i is not None and i < len(row) else ""

    out = []
    for n, row in body:
        name = cell(row, "name") or f"{cell(row, 'last')}, {cell(row, 'first')}".strip(", ")
        out.append(
            Student(
                n,
                name=name,
                sis_user_id=cell(row, "id"),
                login=cell(row, "login"),
                email=cell(row, "email"),
                section=cell(row, "section"),
            )
        )
    return out


def _check_unique(roster):
    for attr, label in (("user_id", "ID"), ("sis_user_id", "id"), ("login", "login"), ("email", "email")):
        seen = {}
        for s in roster.students:
            value = getattr(s, attr)
            if not value:
                continue
            key = value.casefold()
            if key in seen:
                raise GradingError(
                    f"{roster.path}: {label} {value!r} appears twice (lines {seen[key]} and {s.row}); "
                    "ids must be unique"
                )
            seen[key] = s.row


# ----------------------------------------------------------------------------- matching


def candidates(submission, roster):
    """The students a submission's name can mean (a set of roster indices)."""
    stem = submission[: -len(".ipynb")] if submission.lower().endswith(".ipynb") else submission
    stem = re.sub(r" \(\d+\)$", "", stem)  # batch.submissions_in's suffix for a repeated name
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
    """Canvas's gradebook import format, as its guides give it: Canvas's own "How do I import
    grades in the Gradebook?"
    (https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807;
    not in the copy of the documentation searched when this was written) and, restating its
    requirements, Ohio State's "Import CSV File for Carmen Grades"
    (https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades):
    "The CSV file you import ... has four required components: Student Name (last name, first
    name) OR Student ID OR Student SIS User ID ... Only one of these three fields is required.
    SIS Login ID ... Section ... Assignment Name", "The acceptable fields can be found and
    exported from the current Gradebook details", and "New assignment columns in the Gradebook
    generate new assignments". So: the export's five columns Student, ID, SIS User ID, SIS
    Login ID, Section, then one column for the assignment (its export header, with Canvas's id
    in parentheses, where the roster has it); a `Points Possible` row as the export's second
    row; one row per matched student with the total as a number. Students left out keep their
    grade (a file does not have to list everyone)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CANVAS_COLUMNS + [canvas_column(roster, aid)])
    w.writerow([POINTS_POSSIBLE, "", "", "", "", possible])
    for s, score in scores:
        w.writerow([s.name, s.user_id, s.sis_user_id, s.login, s.section, score])
    return buf.getvalue()


def gradescope_csv(roster, aid, scores, possible):
    """Gradescope's score import for an assignment: a header naming the student columns it
    matches on (Name, SID, Email) and a score column."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Name", "SID", "Email", "Score"])
    for s, score in scores:
        w.writerow([s.name, s.sis_user_id or s.login or s.user_id, s.email, score])
    return buf.getvalue()


def plain_csv(roster, aid, scores, possible):
    """student id, name, score, possible: one row per matched student."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student id", "name", "score", "possible"])
    for s, score in scores:
        w.writerow([s.sis_user_id or s.login or s.email or s.user_id, s.name, score, possible])
    return buf.getvalue()


WRITERS = {"canvas": canvas_csv, "gradescope": gradescope_csv, "plain": plain_csv}


def unmatched_csv(joined):
    """kind, submission, student, why: one row per thing not joined."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["kind", "submission", "student", "why"])
    for name in joined.no_student:
        w.writerow(["submission with no student", spreadsheet_safe(name), "", "no roster entry matches its file name"])
    for s in joined.no_submission:
        w.writerow(["student with no submission", "", spreadsheet_safe(s.label()), f"roster line {s.row}"])
    for name, students, why in joined.ambiguous:
        w.writerow(["ambiguous", spreadsheet_safe(name), spreadsheet_safe("; ".join(s.label() for s in students)), why])
    return buf.getvalue()


@dataclass
class Export:
    """What `grade --roster` was asked for: the roster (read before grading) and the format."""

    roster: Roster
    lms: str

    def write(self, out, aid, outcomes, tests, stream=None):
        """Write OUT/<lms>-grades.csv and OUT/<lms>-unmatched.csv; print one summary line.
        Returns the Join."""
        from .batch import points, write_atomically

        stream = stream or sys.stderr
        out = Path(out)
        table = question_table(tests)
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


def counted(n, noun):
    """`1 student`, `2 students`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
    for lms in FORMATS:
        if lms == written:
            continue
        for path in (Path(out) / f"{lms}-grades.csv", Path(out) / f"{lms}-unmatched.csv"):
            if path.is_file():
                path.unlink()
                print(f"removed {path}: an earlier run's, not written by this one", file=stream or sys.stderr)
