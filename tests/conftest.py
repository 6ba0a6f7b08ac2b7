"""Shared fixtures: the exercises generated once per test session, into a scratch folder."""
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

from autograder.generate import generate  # noqa: E402
from autograder.paths import assignment_ids  # noqa: E402


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """Run `otter assign` on every master once. Returns a folder with, per assignment id,
    exercises/<id>/<id>.ipynb and autograder/<id>/tests/*.py (hidden tests included).
    Generating fails if an answer key fails one of its own tests."""
    root = tmp_path_factory.mktemp("generated")
    for aid in assignment_ids():
        generate(aid, exercises_root=root / "exercises", autograders=root / "autograder")
    return root
