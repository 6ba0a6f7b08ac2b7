"""feedback/<submission>.md: for the student: score per question, each public test with its
message, how many hidden tests passed (hidden tests themselves are withheld), and what happened
to the notebook (errors, timeouts, forbidden functions)."""

import os
import shutil
import tempfile
from pathlib import Path

from ..results import NOT_OWN, Question, SubmissionOutcome, notes_of, points, questions_of, status_of, totals
from ..text import one_line, printable

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


def feedback_text(aid: str, outcome: SubmissionOutcome, table: list[Question]) -> str:
    _, total, possible = totals(outcome, table)
    lines = [
        f"# {aid}: feedback for {outcome.submission}",
        "",
        f"**Score: {points(total)} / {points(possible)}**",
        "",
        f"Status: {status_of(outcome)}",
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
        hidden = [c for c in q.cases if c.hidden]
        for c in q.cases:
            if c.hidden:
                continue
            if c.passed:
                lines.append(f"- passed: `{c.name}`")
            else:
                lines.append(f"- FAILED: `{c.name}`")
                shown = [printable(m.replace("```", "` ` `")) for m in c.message.splitlines()[:20]]
                lines += ["", "  ```", *["  " + m for m in shown], "  ```", ""]
        if hidden:
            lines.append(f"- hidden tests: {sum(c.passed for c in hidden)} of {len(hidden)} passed")
        lines.append("")
    notes = notes_of(outcome)
    if notes:
        lines += ["## What happened while your notebook ran", "", CELLS_NOTE, ""]
        lines += [f"- {one_line(n, 500)}" for n in notes] + [""]
    return "\n".join(lines)


def entry_text(render, aid: str, outcome: SubmissionOutcome, table: list[Question]) -> str:
    """render(aid, outcome, table), or a line saying the grader could not write it (never raises)."""
    try:
        return render(aid, outcome, table)
    except Exception as e:
        return f"== {outcome.submission}: the grader could not write this entry ({type(e).__name__}: {one_line(e)})"


def write(out: Path, run) -> None:
    """Write OUT/feedback/ whole, then swap it in for the old one."""
    feedback = out / "feedback"
    stage = Path(tempfile.mkdtemp(prefix=".feedback-", dir=out))
    try:
        files = feedback_names([o.submission for o in run.outcomes])
        for o in run.outcomes:
            text = entry_text(feedback_text, run.aid, o, run.table)
            (stage / files[o.submission]).write_text(text, encoding="utf-8", errors="backslashreplace")
        os.chmod(stage, 0o755)
        old = out / f".feedback-old-{os.getpid()}"
        if feedback.exists():
            os.replace(feedback, old)
        os.replace(stage, feedback)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
