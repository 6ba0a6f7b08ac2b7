"""Gradescope's results.json for one submission: one entry per question with every failed
test's message (hidden ones too, or their names only under `--hidden-feedback name`: see
outputs/feedback.py), the classic mistakes named, the number of hidden tests passed, and,
visible to instructors only, every hidden test's message. What the submission's own process
said is quoted under a label that says so, never as the grader's words."""

import json
from pathlib import Path

from ..results import GradingRun, Question, SubmissionOutcome, questions_of, status_of, totals
from ..text import one_line
from .feedback import CELL_ERROR, OWN_OUTPUT, OWN_REPORTS, mistake_names, mistake_table


def quoted(label: str, texts: list[str]) -> list[str]:
    """Text from the submission's process, under its label, each line quoted with `> `."""
    if not texts:
        return []
    return ["    " + label] + [f"    > {one_line(line, 500)}" for t in texts[:10] for line in str(t).splitlines()[:10]]


NO_GPU = "Not graded: this question needs a CUDA GPU and Gradescope has none."


def results_json(aid: str, outcome: SubmissionOutcome, table: list[Question], hidden_feedback: str = "full") -> dict:
    _, total, _ = totals(outcome, table)
    known = mistake_table(aid)
    tests = []
    for name, full, score, q in questions_of(outcome, table):
        if score is None:
            tests.append({"name": name, "score": 0, "max_score": 0, "visibility": "visible", "output": NO_GPU})
            continue
        lines, hidden_lines = [], []
        if q is not None:
            lines += [f"0 points: {m}." for m in q.forbidden]
            lines += quoted(OWN_REPORTS, q.claimed)
            for c in q.cases:
                mark = "passed" if c.passed else "FAILED"
                kind = "hidden test" if c.hidden else "test"
                detail = [] if c.passed else [f"    {c.message}"]
                detail += [f"    Classic mistake: {d}." for d in ([] if c.passed else mistake_names(c.message, known))]
                detail += quoted(OWN_OUTPUT, c.said) if not c.passed else []
                if c.hidden:
                    hidden_lines += [f"{mark}: {c.name}", *detail]
                    if not c.passed:
                        lines += [f"{mark} {kind}: {c.name}", *(detail if hidden_feedback == "full" else [])]
                else:
                    lines += [f"{mark}: {c.name}", *detail]
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
    notes = list(outcome.notes)
    if outcome.unreadable:
        notes.insert(0, f"The file could not be read as a notebook: {outcome.unreadable}")
    output = f"Status: {status_of(outcome, for_student=True)}"
    if notes or outcome.cell_errors:
        output += "\n\n" + "\n".join(f"- {one_line(n, 500)}" for n in notes)
        for cell, where, text in outcome.cell_errors:
            output += "\n" + "\n".join([f"- an error in cell {int(cell)}:", *quoted(CELL_ERROR, [f"{where}: {text}"])])
    return {"score": float(total), "output": output, "tests": tests, "stdout_visibility": "hidden"}


def write(results: Path, run: GradingRun) -> dict:
    """Write <results>/results.json for the run's one submission; returns what it wrote."""
    (outcome,) = run.outcomes
    data = results_json(run.aid, outcome, run.table, hidden_feedback=run.settings.hidden_feedback)
    with open(Path(results) / "results.json", "w") as f:
        json.dump(data, f, indent=1)
    return data
