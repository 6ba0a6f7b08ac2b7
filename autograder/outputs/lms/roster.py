"""The class list `grade --roster` joins grades to: Canvas's gradebook export, or a simple CSV.

- Canvas's own gradebook export (Grades > Export > Export Entire Gradebook): a header row
  `Student, ID, SIS User ID, SIS Login ID, Section, <assignment (id)>, ...`, then a
  `Points Possible` row, then one row per student; `Student` is the sortable name
  `Last, First`, `ID` Canvas's numeric user id. The `Points Possible` row and Canvas's test
  student (`Student, Test`, from Student View) are not students.
- or a simple CSV with a header naming at least one identifier column: `id` (also `sid`,
  `student id`, `student number`), `login` (`username`, `netid`), `email`, plus optionally
  `name` (or `first name` and `last name`), `section`.
UTF-8, with or without the byte-order mark that Excel and Canvas write; identifiers unique. A
bad roster stops the command before grading, with one line naming the file and what is wrong.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ...results import GradingError

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
