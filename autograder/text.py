"""Text that the grader writes: names and messages on one line, CSV cells a spreadsheet will not
run, plurals, and files replaced atomically. Used by every output; imports nothing of the grader."""

import csv
import io
import os
import tempfile
from pathlib import Path


def printable(text: object) -> str:
    """text with what cannot be shown on one line escaped: lone surrogates (`\\ud800`), control
    characters (`\\n`, `\\x1b`), other unprintable characters."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def one_line(text: object, limit: int = 300) -> str:
    """Whitespace runs (newlines included) as one space, then printable(), at most `limit`."""
    text = printable(" ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def file_label(name: str | bytes) -> str:
    """A file name as the CSV and the log show it: bytes that are not UTF-8 as `\\xe9`, control
    characters escaped."""
    return printable(os.fsencode(name).decode("utf-8", "backslashreplace"))


def spreadsheet_safe(text: str) -> str:
    """A text cell that a spreadsheet will not run as a formula (OWASP, CSV injection): one
    that starts with = + - @, a tab or a carriage return gets a ' in front."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(header: list, rows: list, lineterminator: str = "\n") -> str:
    """A CSV file's text: every text cell made spreadsheet_safe, whatever its source (file
    names, roster fields, messages); numbers written as they are."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=lineterminator)
    for row in [header, *rows]:
        writer.writerow([spreadsheet_safe(c) if isinstance(c, str) else c for c in row])
    return buf.getvalue()


def counted(n: int, noun: str) -> str:
    """`1 student`, `2 students`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Replace the file at `path` with `text` (UTF-8) in one step: a reader sees the old file or
    the new one, never half of it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
