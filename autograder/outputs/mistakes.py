"""The classic mistakes in a class's failure messages: mistakes.csv, and the report's table.

Every check module (checks/*.py) has a MISTAKES table, {mistake id: (what the mistake is,
[phrases])}: when a failure message holds one of the phrases, the check recognised that
mistake. An exercise's table joins those of the modules its exercise_checks.py is made of
(`paths.checks_modules`). Ids are stable: mistakes.csv and the report name them.
"""

import importlib
from dataclasses import dataclass

from ..paths import checks_modules
from ..text import csv_text, write_atomically


@dataclass(frozen=True)
class Mistake:
    id: str
    description: str
    phrases: tuple


def table(aid):
    """{mistake id: Mistake} that the checks of exercise `aid` recognise. An id several modules
    list keeps the first one's description and gathers every module's phrases."""
    joined = {}
    for path in checks_modules(aid):
        module = importlib.import_module(f"checks.{path.stem}")
        for mistake_id, (description, phrases) in getattr(module, "MISTAKES", {}).items():
            known = joined.get(mistake_id)
            phrases = tuple(phrases) if known is None else known.phrases + tuple(phrases)
            joined[mistake_id] = Mistake(mistake_id, known.description if known else description, phrases)
    return joined


def named_in(message, mistakes):
    """The ids, in table order, of the mistakes whose phrases the failure message holds."""
    return [m.id for m in mistakes.values() if any(phrase in message for phrase in m.phrases)]


def found(outcome, mistakes):
    """[(question, mistake id)] that the failed tests of a SubmissionOutcome name, each pair once,
    in question order."""
    pairs = []
    for question in outcome.questions:
        for case in question.cases:
            if not case.passed:
                pairs += [
                    (question.name, m) for m in named_in(case.message, mistakes) if (question.name, m) not in pairs
                ]
    return pairs


def class_mistakes(aid: str, outcomes: list) -> tuple[dict, list]:
    """(the exercise's mistake table, [(submission, question, mistake id)])."""
    known = table(aid)
    rows = [(o.submission, question, m) for o in outcomes for question, m in found(o, known)]
    return known, rows


def write(out, run) -> None:
    """Write OUT/mistakes.csv."""
    write_atomically(out / "mistakes.csv", mistakes_text(class_mistakes(run.aid, run.outcomes)[1]))


def mistakes_text(rows: list) -> str:
    """mistakes.csv: submission, question, mistake id, one row each."""
    return csv_text(["submission", "question", "mistake"], [list(r) for r in rows])
