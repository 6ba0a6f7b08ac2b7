"""An assignment's otter test files: loading them, the question table, and running them in this
process against functions we pass in.

The test files are otter's exception-based format (`otter assign` writes them from the master
notebook): each test case is a function whose parameters name the student's functions, e.g.
`def test_worked_example(corr2d): ...`. The grader runs them with proxies for a submission's
functions (engine.worker); the course's own tests run them directly on answer keys and on
"classic mistake" implementations (`run_tests`).
"""

import inspect
import sys
from pathlib import Path

from ..results import CaseOutcome, Question, QuestionOutcome


def load_test_files(tests: str | Path) -> list:
    """otter's ExceptionTestFile for every tests/<question>.py of a folder, in name order, with
    exercise_checks (beside the folder) importable. otter's package __init__ (which imports most
    of otter, about 2 s) is skipped: only otter.test_files is needed, which is what the test
    files import."""
    import importlib.util
    import types

    if "otter" not in sys.modules:
        spec = importlib.util.find_spec("otter")
        package = types.ModuleType("otter")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__, package.__file__, package.__package__ = spec, spec.origin, "otter"
        sys.modules["otter"] = package
    from otter.test_files import ExceptionTestFile

    tests = Path(tests)
    if str(tests.parent) in sys.path:  # first, so that this folder's exercise_checks is the one found
        sys.path.remove(str(tests.parent))
    sys.path.insert(0, str(tests.parent))
    sys.modules.pop("exercise_checks", None)
    return [ExceptionTestFile.from_file(str(p)) for p in sorted(tests.glob("*.py"))]


def parameters(test_file) -> set[str]:
    """The names a question's test cases take as parameters (`env`: the whole namespace)."""
    return {n for tc in test_file.test_cases for n in inspect.signature(tc.body.test_func).parameters}


def question_functions(test_file) -> list[str]:
    """The student's functions a question's tests call, in name order."""
    return sorted(parameters(test_file) - {"env"})


def question_table(tests: str | Path) -> list[Question]:
    """[Question(name, possible, function names)] in order, read in this process."""
    return [Question(tf.name, tf.possible, question_functions(tf)) for tf in load_test_files(tests)]


def run_tests(tests_dir: str | Path, env: dict) -> list[QuestionOutcome]:
    """Run every question's tests against `env` (name -> object), here. `exercise_checks.py`
    must sit in tests_dir's parent folder, as otter lays it out."""
    results = []
    for tf in load_test_files(Path(tests_dir).resolve()):
        tf.run(env)
        cases = [
            CaseOutcome(
                r.test_case.body.test_func.__name__, r.test_case.hidden, r.passed, r.test_case.points, r.message
            )
            for r in tf.test_case_results
        ]
        results.append(QuestionOutcome(tf.name, tf.score, tf.possible, cases))
    return results
