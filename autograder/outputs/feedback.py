"""feedback/<submission>.md: for the student: score per question, every failed test, public or
hidden, with its message (the call, what was wrong, the classic mistake where one is
recognised; `--hidden-feedback name` shows hidden ones by name only), how many hidden tests
passed, and what happened to the notebook (errors, timeouts, forbidden functions).

A hidden test's inputs are drawn for this submission alone (autograder/secret.py), so showing its
call gives nothing away. Text that the submission's own process sent (its exceptions'
messages, its reports of forbidden calls) is never shown as the grader's: it is quoted under a
label that says whose it is (`quoted_output`)."""

import os
import shutil
import tempfile
from pathlib import Path

from ..results import NOT_OWN, Question, SubmissionOutcome, points, questions_of, status_of, totals
from ..text import one_line, printable
from .mistakes import named_in, table

OWN_OUTPUT = "Your submission's own output during this test (quoted as it came; not the grader's words):"
CELL_ERROR = "Your code's own error message (quoted as it came; not the grader's words):"
OWN_REPORTS = "Your submission's process reported (quoted as it came; not the grader's words):"


def fenced(lines: list[str], indent: str = "  ") -> list[str]:
    """Lines in a fenced block, each made printable, none able to close the fence."""
    shown = [printable(str(m).replace("```", "` ` `")) for m in lines]
    return [indent + "```", *[indent + m for m in shown], indent + "```"]


def quoted_output(label: str, texts: list[str], indent: str = "  ") -> list[str]:
    """Text from the student's process, labelled as its own and quoted (never as the grader's)."""
    if not texts:
        return []
    lines = [line for t in texts[:10] for line in str(t).splitlines()[:10]][:40]
    return [f"{indent}{label}", "", *fenced(lines, indent), ""]


def mistake_table(aid: str) -> dict:
    """The exercise's classic mistakes ({} where the checks cannot be read)."""
    try:
        return table(aid)
    except Exception:  # a report line must never cost the student their feedback
        return {}


def mistake_names(message: str, known: dict) -> list[str]:
    """What the classic mistakes a failure message names are, in words."""
    return [known[m].description for m in named_in(message, known)]


def case_lines(c, known: dict, show_message: bool = True) -> list[str]:
    """A failed test: its name, its message, the classic mistakes it names, what the submission said."""
    lines = [f"- FAILED hidden test: `{c.name}`" if c.hidden else f"- FAILED: `{c.name}`"]
    if not show_message:
        return lines
    lines += ["", *fenced(c.message.splitlines()[:20]), ""]
    for description in mistake_names(c.message, known):
        lines += [f"  Classic mistake: {description}.", ""]
    lines += quoted_output(OWN_OUTPUT, getattr(c, "said", []) or [])
    return lines


CELLS_NOTE = "(Cells are counted from the top of the notebook, from 1, text cells included.)"


def feedback_names(names: list[str]) -> dict[str, str]:
    """{row name: feedback file name}: unique even on a case-insensitive file system (macOS,
    Windows), with characters those systems refuse replaced by `_`."""
    out, used = {}, set()
    for name in names:
        base = "".join("_" if ch in '<>:"/\\|?*' or not ch.isprintable() else ch for ch in name).strip(" .") or "_"
        base = base[:150]
        unique, k = base, 2
        while unique.casefold() in used:
            unique, k = f"{base}~{k}", k + 1
        used.add(unique.casefold())
        out[name] = unique + ".md"
    return out


def feedback_text(aid: str, outcome: SubmissionOutcome, table: list[Question], hidden_feedback: str = "full") -> str:
    _, total, possible = totals(outcome, table)
    lines = [
        f"# {aid}: feedback for {outcome.submission}",
        "",
        f"**Score: {points(total)} / {points(possible)}**",
        "",
        f"Status: {status_of(outcome, for_student=True)}",
        "",
    ]
    if outcome.unreadable and outcome.unreadable.startswith(NOT_OWN):
        lines += ["This file is not graded as your own work (see the status above). Ask your instructor.", ""]
        return "\n".join(lines)
    if outcome.unreadable:
        lines += [
            "The file could not be read as a Jupyter notebook, so nothing in it could be graded. "
            "Submit the .ipynb file saved by Jupyter or Colab.",
            "",
        ]
        return "\n".join(lines)
    known = mistake_table(aid)
    for name, full, score, q in questions_of(outcome, table):
        if score is None:
            lines += [
                f"## {name}: not graded",
                "",
                "This question needs a CUDA GPU and the grading machine has none; it is not counted in the total.",
                "",
            ]
            continue
        lines += [f"## {name}: {points(score)} / {points(full)}", ""]
        if q is None:
            lines += ["Not graded (see the status above).", ""]
            continue
        for message in q.forbidden:
            lines.append(f"- **0 points:** {message}.")
        if q.claimed:
            lines += ["", *quoted_output(OWN_REPORTS, q.claimed)]
        hidden = [c for c in q.cases if c.hidden]
        for c in q.cases:
            if c.passed:
                if not c.hidden:
                    lines.append(f"- passed: `{c.name}`")
                continue
            lines += case_lines(c, known, show_message=not c.hidden or hidden_feedback == "full")
        if hidden:
            lines.append(f"- hidden tests: {sum(c.passed for c in hidden)} of {len(hidden)} passed")
        lines.append("")
    if outcome.notes or outcome.cell_errors:
        lines += ["## What happened while your notebook ran", "", CELLS_NOTE, ""]
        lines += [f"- {one_line(n, 500)}" for n in outcome.notes]
        for cell, where, text in outcome.cell_errors:
            lines += [f"- an error in cell {int(cell)}:", "", *quoted_output(CELL_ERROR, [f"{where}: {text}"])]
        lines.append("")
    return "\n".join(lines)


def entry_text(render, aid: str, outcome: SubmissionOutcome, table: list[Question], **options) -> str:
    """render(aid, outcome, table, **options), or a line saying the grader could not write it (never raises)."""
    try:
        return render(aid, outcome, table, **options)
    except Exception as e:
        return f"== {outcome.submission}: the grader could not write this entry ({type(e).__name__}: {one_line(e)})"


def write(out: Path, run) -> None:
    """Write OUT/feedback/ whole, then swap it in for the old one."""
    feedback = out / "feedback"
    stage = Path(tempfile.mkdtemp(prefix=".feedback-", dir=out))
    try:
        files = feedback_names([o.submission for o in run.outcomes])
        for o in run.outcomes:
            text = entry_text(feedback_text, run.aid, o, run.table, hidden_feedback=run.settings.hidden_feedback)
            (stage / files[o.submission]).write_text(text, encoding="utf-8", errors="backslashreplace")
        os.chmod(stage, 0o755)
        old = out / f".feedback-old-{os.getpid()}"
        if feedback.exists():
            os.replace(feedback, old)
        os.replace(stage, feedback)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
