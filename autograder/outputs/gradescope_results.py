"""Gradescope's results.json for one submission: one entry per question with the public tests'
messages and the number of hidden tests passed, and, visible to instructors only, the hidden
tests' messages."""

import json
from pathlib import Path

from ..results import GradingRun, Question, SubmissionOutcome, notes_of, questions_of, status_of, totals
from ..text import one_line

NO_GPU = "Not graded: this question needs a CUDA GPU and Gradescope has none."


def results_json(aid: str, outcome: SubmissionOutcome, table: list[Question]) -> dict:
    _, total, _ = totals(outcome, table)
    tests = []
    for name, full, score, q in questions_of(outcome, table):
        if score is None:
            tests.append({"name": name, "score": 0, "max_score": 0, "visibility": "visible", "output": NO_GPU})
            continue
        lines, hidden_lines = [], []
        if q is not None:
            lines += [f"0 points: {m}." for m in q.forbidden]
            for c in q.cases:
                failure = "" if c.passed else f"\n    {c.message}"
                mark = "passed" if c.passed else "FAILED"
                (hidden_lines if c.hidden else lines).append(f"{mark}: {c.name}{failure}")
            hidden = [c for c in q.cases if c.hidden]
            if hidden:
                lines.append(f"hidden tests: {sum(c.passed for c in hidden)} of {len(hidden)} passed")
        tests.append(
            {
                "name": name,
                "score": float(score),
                "max_score": float(full),
                "visibility": "visible",
                "output": "\n".join(lines),
            }
        )
        if hidden_lines:
            tests.append(
                {
                    "name": f"{name} (hidden tests, instructors only)",
                    "score": 0,
                    "max_score": 0,
                    "visibility": "hidden",
                    "output": "\n".join(hidden_lines),
                }
            )
    notes = notes_of(outcome)
    if outcome.unreadable:
        notes.insert(0, f"The file could not be read as a notebook: {outcome.unreadable}")
    output = f"Status: {status_of(outcome)}"
    if notes:
        output += "\n\n" + "\n".join(f"- {one_line(n, 500)}" for n in notes)
    return {"score": float(total), "output": output, "tests": tests, "stdout_visibility": "hidden"}


def write(results: Path, run: GradingRun) -> dict:
    """Write <results>/results.json for the run's one submission; returns what it wrote."""
    (outcome,) = run.outcomes
    data = results_json(run.aid, outcome, run.table)
    with open(Path(results) / "results.json", "w") as f:
        json.dump(data, f, indent=1)
    return data
