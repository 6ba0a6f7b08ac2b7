"""grading.log: for the instructor: how the run went, then every submission in full, hidden
tests' messages included. One line per entry: text from the student process is escaped."""

from pathlib import Path

from ..results import GradingRun, Question, SubmissionOutcome, points, status_of, totals
from ..text import file_label, one_line, write_atomically
from .feedback import entry_text


def header(run: GradingRun) -> list[str]:
    s = run.settings
    lines = [
        f"grading {run.aid}: {len(run.outcomes)} submissions from {file_label(run.folder)}",
        f"tests: {run.tests}",
        f"workers: {run.workers}; GPU: {'yes' if run.gpu else 'no'}; time limits: "
        f"{s.call_timeout:g} s per call, {s.cell_timeout:g} s per cell statement, "
        f"{s.submission_timeout:g} s per submission; "
        f"memory: {s.memory_mb} MB per student process; disk: {s.disk_mb} MB per submission",
        f"forbidden: {', '.join(run.forbidden) or 'nothing'}",
        f"took {run.seconds:.1f} s ({run.seconds / max(len(run.outcomes), 1):.2f} s per submission)"
        + (f"; {run.reused} unchanged since the last run, taken from the cache" if run.reused else ""),
    ]
    return lines + ["\n".join(run.warnings), ""] if run.warnings else lines + [""]


def log_text(aid: str, outcome: SubmissionOutcome, table: list[Question], main_mb: int = 0) -> str:
    _, total, possible = totals(outcome, table)
    lines = [
        f"== {outcome.submission}: {points(total)} / {points(possible)} in {outcome.seconds:.2f} s",
        f"   status: {status_of(outcome)}",
    ]
    if outcome.grader_mb:
        lines.append(f"   grader memory: main {main_mb} MB, worker {outcome.grader_mb} MB")
    if outcome.protections:
        lines.append(f"   student process: {one_line(', '.join(outcome.protections), 1000)}")
    for n in outcome.log:  # a traceback of the grader's own keeps its lines, each indented
        lines += ["   " + one_line(line, 1000) for line in str(n).splitlines() if line.strip()]
    for _cell, where, text in outcome.cell_errors:
        lines.append(f"   {one_line(where, 80)}: {one_line(text, 400)}")
    for q in outcome.questions:
        if q.gpu_skipped:
            lines.append(f"   {q.name}: not graded (no GPU)")
            continue
        lines.append(f"   {q.name}: {points(q.score)} / {points(q.possible)}")
        for m in q.forbidden:
            lines.append(f"      FORBIDDEN {one_line(m, 400)}")
        for m in q.claimed:
            lines.append(f"      the submission reported: {one_line(repr(m), 400)}")
        for c in q.cases:
            mark = "pass" if c.passed else "FAIL"
            lines.append(
                f"      {mark} {'hidden' if c.hidden else 'public'} {c.name} ({c.seconds:.2f} s)"
                + ("" if c.passed else ": " + one_line(c.message, 400))
            )
            for said in c.said:
                lines.append(f"         the submission said: {one_line(repr(said), 400)}")
    return "\n".join(lines)


def write(out: Path, run: GradingRun) -> None:
    def entry(aid, outcome, table):
        return log_text(aid, outcome, table, run.main_mb)

    entries = [entry_text(entry, run.aid, o, run.table) for o in run.outcomes]
    write_atomically(out / "grading.log", "\n".join(header(run) + entries) + "\n")
