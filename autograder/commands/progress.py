"""The grade command's progress on stderr: a bar on a terminal, else one line per submission."""

import sys
import time

from ..results import Question, SubmissionOutcome, points, status_of, totals


class Progress:
    """A progress bar on stderr (a plain line per submission when stderr is not a terminal)."""

    def __init__(self, total: int, stream=None):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()

    def update(self, name: str, text: str) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.started
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            eta = elapsed / self.done * (self.total - self.done)
            line = (
                f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
                f"  {elapsed:5.0f} s, about {eta:.0f} s left  "
            )
            self.stream.write(line)
        else:
            self.stream.write(f"[{self.done}/{self.total}] {name}: {text}\n")
        self.stream.flush()
        if self.tty and self.done == self.total:
            self.stream.write("\n")
            self.stream.flush()

    @classmethod
    def for_batch(cls, total: int, table: list[Question], stream=None):
        """The function the engine calls with each outcome (engine.batch.Show)."""
        self = cls(total, stream)

        def show(outcome: SubmissionOutcome, note: str) -> None:
            if outcome.unreadable:
                self.update(outcome.submission, status_of(outcome) + note)
            else:
                _, total, possible = totals(outcome, table)
                self.update(outcome.submission, f"{points(total)} / {points(possible)}, {status_of(outcome)}{note}")

        return show
