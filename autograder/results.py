"""What grading found: the outcome of each test, question and submission, and what every output
reads off them (points, totals, the status line, the kinds of trouble).

The engine makes these; the outputs (grades.csv, feedback, the log, the report, Gradescope's
results.json, the LMS files) render them; the cache stores them as JSON (`to_json`, `from_json`).
"""

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from .settings import GradingSettings
from .text import one_line

GPU_NOTE = "GPU questions not graded: no GPU"
JSON_VERSION = 1  # of the cached outcome's format (to_json)
# How the reasons a file is not graded as the student's own work begin (engine.worker, submissions)
NOT_OWN = ("answer-key copy", "a hard link")


class GradingError(Exception):
    """A problem with the grading setup (not with a submission): stops the command."""


@dataclass
class CaseOutcome:
    """One test case of a question, run against one submission."""

    name: str
    hidden: bool
    passed: bool
    points: float
    message: str = ""
    seconds: float = 0.0
    # Text the submission's process sent during the test (its exceptions' messages): quoted in the
    # feedback as the submission's own output, never part of `message`, which is the grader's.
    said: list[str] = field(default_factory=list)


@dataclass
class QuestionOutcome:
    """One question of one submission: its score, its cases, and the forbidden calls that zeroed it."""

    name: str
    score: float
    possible: float
    cases: list[CaseOutcome] = field(default_factory=list)
    gpu_skipped: bool = False
    forbidden: list[str] = field(default_factory=list)
    # Forbidden-call reports from the submission's process that name nothing the exercise forbids:
    # its own words, quoted as such (they still cost the question its points).
    claimed: list[str] = field(default_factory=list)

    def failures(self) -> list[CaseOutcome]:
        return [c for c in self.cases if not c.passed]


@dataclass
class SubmissionOutcome:
    """Everything grading one file found."""

    submission: str
    questions: list[QuestionOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line events worth the status column
    cell_errors: list[tuple] = field(default_factory=list)  # (cell, where, "Type: message")
    log: list[str] = field(default_factory=list)  # details for the instructor's log
    unreadable: str | None = None
    seconds: float = 0.0
    protections: list[str] = field(default_factory=list)
    grader_mb: int = 0  # peak memory (RSS) of the worker that graded it, so far
    from_cache: bool = False  # taken from an earlier run (engine.cache), not graded now


class Question(NamedTuple):
    """A row of an assignment's question table: its name, its points, the functions its tests take."""

    name: str
    possible: float
    functions: list[str]


class QuestionView(NamedTuple):
    """One question of one submission as every output shows it (questions_of)."""

    name: str
    possible: float
    score: float | None  # None: a GPU question not graded (no GPU)
    outcome: QuestionOutcome | None  # None: not graded (the notebook could not be run)


@dataclass
class GradingRun:
    """A graded class: the outcomes in row order, and what every output says about the run."""

    aid: str
    folder: str  # the submissions' folder, resolved
    tests: str  # the prepared tests' folder, resolved
    forbidden: list[str]
    settings: GradingSettings
    outcomes: list[SubmissionOutcome]
    table: list[Question]
    workers: int = 0
    gpu: bool | None = None  # whether the `_gpu` questions were graded (None: there are none)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    main_mb: int = 0  # the command's own peak memory, in MB

    @property
    def reused(self) -> int:
        """How many outcomes came from the cache."""
        return sum(o.from_cache for o in self.outcomes)


def question_score(cases: list[CaseOutcome], possible: float, public_points: bool = False) -> float:
    """A question's score from its cases. By default its points follow its hidden tests alone,
    whose inputs each submission draws afresh (autograder.secret): `possible` shared among them
    (by their points where the master gives each case its own, else equally), so answering the
    public examples (which anyone can copy into a table) earns nothing. public_points (or a
    question without hidden tests): among all its cases, as otter counts them."""
    counted = ([c for c in cases if c.hidden] if not public_points else []) or list(cases)
    weights = [1.0 if c.points is None else float(c.points) for c in counted]
    if sum(weights) <= 0:
        return 0.0
    earned = sum(w for w, c in zip(weights, counted) if c.passed)
    return round(possible * earned / sum(weights), 6)


def points(x: float | None) -> str:
    """Points as the CSV and the feedback write them: `13`, `0.5`, `` for None."""
    if x is None:
        return ""
    text = f"{float(x):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def questions_of(outcome: SubmissionOutcome, table: list[Question]) -> Iterator[QuestionView]:
    """The submission's questions in the table's order, whether graded or not."""
    by_name = {q.name: q for q in outcome.questions}
    for name, full, _ in table:
        q = by_name.get(name)
        if q is not None and q.gpu_skipped:
            yield QuestionView(name, full, None, q)
        else:
            yield QuestionView(name, full, q.score if q is not None else 0.0, q)


def totals(outcome: SubmissionOutcome, table: list[Question]) -> tuple[list, float, float]:
    """(per-question column values, total, possible): a GPU question not graded is None and
    counts in neither sum."""
    views = list(questions_of(outcome, table))
    values = [v.score for v in views]
    total = sum(v.score for v in views if v.score is not None)
    possible = sum(v.possible for v in views if v.score is not None)
    return values, float(total), float(possible)


def status_of(outcome: SubmissionOutcome, for_student: bool = False) -> str:
    """The status column: `ok`, or what happened, on one line. for_student: as the student's
    feedback shows it, without the text of an error their code raised (the feedback quotes it
    apart, as the submission's own output, not in the grader's words)."""
    if outcome.unreadable:
        if outcome.unreadable.startswith(NOT_OWN):
            return one_line(outcome.unreadable)
        return one_line(f"unreadable notebook: {outcome.unreadable}")
    parts = list(outcome.notes)
    if outcome.cell_errors:
        cell, where, text = outcome.cell_errors[0]
        more = f" (and {len(outcome.cell_errors) - 1} more)" if len(outcome.cell_errors) > 1 else ""
        if for_student:
            parts.append(f"error in cell {int(cell)}{more} (quoted below)")
        else:
            parts.append(f"error in {where}: {text}{more}")
    status = "; ".join(parts) if parts else "ok"
    if any(q.gpu_skipped for q in outcome.questions):
        status += f"; {GPU_NOTE}"
    return one_line(status)


STATUS_KINDS = [
    "not the student's own file",
    "unreadable file",
    "timeout",
    "forbidden function",
    "error in a cell",
    "process stopped or misbehaved",
]


def note_kind(note: str) -> str:
    """The kind of one of a SubmissionOutcome's notes (the status column's events)."""
    if note.startswith(NOT_OWN):
        return "not the student's own file"
    if note.startswith("timeout:") or "time budget" in note:
        return "timeout"
    if note.startswith("forbidden function"):
        return "forbidden function"
    return "process stopped or misbehaved"


def status_kinds(outcome: SubmissionOutcome) -> list[str]:
    """The kinds of trouble a submission had, in STATUS_KINDS order; [] when it graded cleanly."""
    kinds = {note_kind(n) for n in outcome.notes}
    if outcome.unreadable:
        kinds.add(note_kind(outcome.unreadable) if outcome.unreadable.startswith(NOT_OWN) else "unreadable file")
    if outcome.cell_errors:
        kinds.add("error in a cell")
    return [kind for kind in STATUS_KINDS if kind in kinds]


def summary(outcomes: list[SubmissionOutcome]) -> str:
    """ "graded 40 submissions (35 ok; 38 unchanged, from the cache)"."""
    from .text import counted

    ok = sum(status_of(o).startswith("ok") for o in outcomes)
    reused = sum(o.from_cache for o in outcomes)
    parts = [f"{ok} ok"] + ([f"{reused} unchanged, from the cache"] if reused else [])
    return f"graded {counted(len(outcomes), 'submission')} ({'; '.join(parts)})"


def to_json(outcome: SubmissionOutcome) -> str:
    return json.dumps({"version": JSON_VERSION, "outcome": dataclasses.asdict(outcome)})


def from_json(text: str, submission: str) -> SubmissionOutcome | None:
    """The SubmissionOutcome stored in `text`, under its row name now; None if it is not one."""
    try:
        data = json.loads(text)
        if data.get("version") != JSON_VERSION:
            return None
        fields = dict(data["outcome"])
        fields["questions"] = [
            QuestionOutcome(**dict(q, cases=[CaseOutcome(**c) for c in q["cases"]])) for q in fields["questions"]
        ]
        fields["cell_errors"] = [tuple(e) for e in fields["cell_errors"]]
        fields["submission"] = submission
        fields["from_cache"] = True
        return SubmissionOutcome(**fields)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
