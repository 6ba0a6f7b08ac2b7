"""Reruns that cost nothing: the outcome of each graded submission, kept in `<out>/cache/`.

A rerun of `grade` on the same output folder grades again only the files whose bytes changed,
or all of them when anything else the grade depends on changed: the tests (every file of the
tests folder and the check helpers beside it), the grader's own code (every module of autograder/), the
limits and the forbidden functions, and whether a GPU grades the `_gpu` questions. One key
covers all of that (`run_key`); each cached outcome is `<sha256 of key and file bytes>.json`.
`--force` ignores the cache (and refreshes it).

What is cached is what the run recorded, timeouts included: a rerun gives the same grades.csv
byte for byte. Outcomes in which the grader itself failed ("grader error") are not kept.
Entries that no file of the folder uses any more are removed at the end of a run.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..results import JSON_VERSION, Question, from_json, to_json
from ..secret import secret_digest

FOLDER = "cache"


def tree_digest(*folders, pattern="*"):
    """sha256 of the relative names and bytes of every regular file under the folders whose
    name matches `pattern` (sorted)."""
    digest = hashlib.sha256()
    for folder in folders:
        folder = Path(folder)
        for path in sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def run_key(tests, config, gpu):
    """The key of everything besides the file itself that a grade depends on. tests: the tests
    folder (exercise_checks.py lies beside it); config: the workers' settings (engine.batch.worker_config);
    gpu: whether the `_gpu` questions are graded (None when the assignment has none)."""
    tests = Path(tests)
    checks = tests.parent / "exercise_checks.py"
    digest = hashlib.sha256()
    digest.update(tree_digest(tests).encode())
    digest.update(checks.read_bytes() if checks.is_file() else b"")
    digest.update(tree_digest(Path(__file__).parents[1], pattern="*.py").encode())  # the grader's code
    settings = {k: v for k, v in config.items() if k not in ("scratch", "tests", "hidden", "gpu", "secret")}
    secret = secret_digest(config["secret"].encode()) if config.get("secret") else ""
    digest.update(json.dumps([JSON_VERSION, settings, gpu, secret], sort_keys=True).encode())
    return digest.hexdigest()


def file_key(key, data, max_bytes):
    """The cache key of one submission's bytes (`data`, read once: engine.batch.read_once), or
    None when it is not worth caching (larger than the grader reads: it is refused at once)."""
    if data is None or len(data) > max_bytes:
        return None
    return hashlib.sha256(key.encode() + data).hexdigest()


class Cache:
    """The outcomes of earlier runs in `<out>/cache/`, one JSON file per key. `force`: read
    nothing (still write)."""

    def __init__(self, out, force=False):
        self.folder = Path(out) / FOLDER
        self.force = force
        self.used = set()

    def load(self, key):
        """The text stored under `key`, or None."""
        if key is None:
            return None
        self.used.add(key)
        if self.force:
            return None
        try:
            return (self.folder / f"{key}.json").read_text(encoding="utf-8")
        except OSError:
            return None

    def store(self, key, text):
        self.folder.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".entry-", dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.folder / f"{key}.json")
        self.used.add(key)

    def outcome(self, key, submission):
        """The cached SubmissionOutcome of a file (by file_key), under its row name; or None."""
        text = self.load(key)
        return from_json(text, submission) if text is not None else None

    def keep(self, key, outcome):
        if key is not None and not any(str(n).startswith("grader error") for n in outcome.notes):
            self.store(key, to_json(outcome))

    def table(self, tests, compute):
        """compute(tests), the question table, cached by the tests' digest (reading the test
        files imports otter: over a second)."""
        key = "table-" + tree_digest(tests)
        text = self.load(key)
        if text is not None:
            try:
                return [Question(name, possible, names) for name, possible, names in json.loads(text)]
            except (ValueError, TypeError):
                pass
        table = compute(tests)
        if table:
            self.store(key, json.dumps(table))
        return table

    def prune(self):
        """Remove the entries this run did not use, and temporary files a killed run left."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.stem not in self.used or path.name.startswith("."):
                path.unlink(missing_ok=True)
