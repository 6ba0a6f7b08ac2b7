"""The grading secret: the instructor's key from which each hidden test's inputs are drawn.

A hidden test draws its inputs from `exercise_checks.fresh_rng`, which the grader seeds, before
each test case, with HMAC-SHA256(secret, sha256(submission's bytes), question, test) (`case_seed`).
So the same file always gets the same inputs (reruns and the cache give the same grades.csv),
any change to the file draws other inputs, and no one without the secret can predict them:
a table of inputs seen once answers nothing the next time. A failed hidden test can therefore
show its call and its arguments, as a public one does.

Where it lives (`secret_path`): `--secret FILE`, else $CNN_COURSE_GRADING_SECRET, else
~/.config/cnn-course/grading-secret. Outside the repository on purpose: never in git (nor in
the student tree that `publish` writes, nor in _build/, which a clean wipes while grades made
with it still stand), shared by every checkout of the instructor on that machine; copy the file
to a TA's machine to grade the same files the same way. `python -m autograder secret` creates
it (32 random bytes, hex, mode 0600); `grade` refuses with one line where it is missing, rather
than making one silently (another secret would regrade every file with other inputs). The
Gradescope zip carries it (source/grading-secret), readable by root only there.
"""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from .results import GradingError
from .settings import SECRET_ENV, SECRET_FILE

ZIP_NAME = "grading-secret"  # its name in the Gradescope zip's source/


def secret_path(given: str | None = None) -> Path:
    """The secret's file: `given` (--secret), else $CNN_COURSE_GRADING_SECRET, else the default."""
    return Path(os.path.expanduser(given or os.environ.get(SECRET_ENV) or SECRET_FILE))


def load_secret(given: str | None = None) -> bytes:
    """The secret's bytes; GradingError (one line, with the fix) where it is missing or empty."""
    path = secret_path(given)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise GradingError(
            f"no grading secret at {path}: run `python -m autograder secret` to create it "
            "(or pass --secret FILE); hidden tests draw their inputs from it"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise GradingError(f"the grading secret at {path} cannot be read ({e})") from None
    if len(text) < 32:
        raise GradingError(f"the grading secret at {path} is too short (at least 32 characters)")
    return text.encode("ascii")


def create_secret(given: str | None = None) -> tuple[Path, bool]:
    """(the secret's path, whether it was created now): made where missing, never replaced."""
    path = secret_path(given)
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path, True


def secret_digest(secret: bytes) -> str:
    """What the cache keys by: a digest of the secret (never the secret itself)."""
    return hashlib.sha256(b"grading-secret\0" + secret).hexdigest()


def file_digest(fd: int, limit: int) -> bytes:
    """sha256 of the bytes of an open file (read with pread: its offset is left alone), at most `limit`."""
    digest, offset = hashlib.sha256(), 0
    while offset < limit:
        chunk = os.pread(fd, min(1 << 20, limit - offset), offset)
        if not chunk:
            break
        digest.update(chunk)
        offset += len(chunk)
    return digest.digest()


def case_seed(secret: bytes, submission: bytes, question: str, case: str) -> int:
    """The seed of one test case for one submission: a 128-bit int, HMAC-SHA256 of the
    submission's digest, the question and the test's name under the secret."""
    message = submission + b"\0" + question.encode() + b"\0" + case.encode()
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:16], "big")
