"""grades.csv: one row per submission file, sorted by name.

Columns: `submission` (file name without .ipynb; the whole file name where two files share
that stem, as `alice.ipynb` and `alice.IPYNB`; bytes that are not UTF-8 and control characters
written as escapes, `\\xe9`, `\\n`), one column per question (points earned; empty for a GPU
question on a machine without a GPU), `total`, `possible`, `status` (`ok`, or one line saying
what went wrong). Text cells are safe to open in a spreadsheet (text.csv_text). Written
atomically; the same folder gives the same file.
"""

from pathlib import Path

from ..results import Question, SubmissionOutcome, points, status_of, totals
from ..text import csv_text, write_atomically


def grades_text(outcomes: list[SubmissionOutcome], table: list[Question]) -> str:
    rows = []
    for o in outcomes:
        values, total, possible = totals(o, table)
        rows.append([o.submission, *map(points, values), points(total), points(possible), status_of(o)])
    return csv_text(["submission", *(name for name, _, _ in table), "total", "possible", "status"], rows)


def write(out: Path, run) -> None:
    write_atomically(out / "grades.csv", grades_text(run.outcomes, run.table))
