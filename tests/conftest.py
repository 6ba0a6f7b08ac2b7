"""Shared fixtures: the exercises generated once per test session, into a scratch folder."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

from autograder.generate import generate  # noqa: E402


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """generated(aid) runs `otter assign` on that master once per session and returns a folder
    with exercises/<id>/<id>.ipynb and autograder/<id>/tests/*.py (hidden tests included).
    Generating fails if the answer key fails one of its own tests."""
    root = tmp_path_factory.mktemp("generated")
    done = set()

    def get(aid):
        if aid not in done:
            generate(aid, exercises_root=root / "exercises", autograders=root / "autograder")
            done.add(aid)
        return root

    return get
