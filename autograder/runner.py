"""Run an assignment's otter test files against a set of functions, in this process.

The test files are otter's exception-based format (`otter assign` writes them from the master
notebook): each test case is a function whose parameters name the student's functions, e.g.
`def test_worked_example(corr2d): ...`. Running them here, with functions we pass in, is what
lets the course check its answer keys and its "classic mistake" implementations directly.
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path

from otter.test_files import ExceptionTestFile


@dataclass
class CaseResult:
    name: str
    hidden: bool
    passed: bool
    points: float
    message: str


@dataclass
class QuestionResult:
    name: str
    score: float
    possible: float
    cases: list = field(default_factory=list)

    def failures(self):
        return [c for c in self.cases if not c.passed]


def load_test_files(tests_dir):
    """Every tests/<question>.py in a folder, in question order."""
    return [ExceptionTestFile.from_file(str(p)) for p in sorted(Path(tests_dir).glob("*.py"))]


def run_tests(tests_dir, env):
    """Run every question's tests against `env` (name -> object). Returns [QuestionResult].

    `exercise_checks.py` must sit in tests_dir's parent folder, as otter lays it out.
    """
    helpers = str(Path(tests_dir).resolve().parent)
    sys.path.insert(0, helpers)
    sys.modules.pop("exercise_checks", None)
    try:
        results = []
        for tf in load_test_files(tests_dir):
            tf.run(env)
            cases = [
                CaseResult(
                    name=r.test_case.body.test_func.__name__,
                    hidden=r.test_case.hidden,
                    passed=r.passed,
                    points=r.test_case.points,
                    message=r.message,
                )
                for r in tf.test_case_results
            ]
            results.append(QuestionResult(tf.name, tf.score, tf.possible, cases))
        return results
    finally:
        sys.path.remove(helpers)
