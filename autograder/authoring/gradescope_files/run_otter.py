"""Gradescope runs this (through run_autograder): grade /autograder/submission with the course's
grader (the `autograder` package beside this file), not with otter's in-kernel grading."""

import os
import sys

ROOT = os.environ.get("AUTOGRADER_ROOT", "/autograder")
sys.path.insert(0, os.path.join(ROOT, "source"))

from autograder.commands.gradescope_run import run  # noqa: E402
from autograder.engine.confine import exit_now  # noqa: E402

if __name__ == "__main__":
    run(ROOT)
    exit_now()  # results.json is written: no 0.7 s of interpreter teardown
