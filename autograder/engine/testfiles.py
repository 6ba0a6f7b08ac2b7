"""An assignment's otter test files: loading them, the question table, and running them in this
process against functions we pass in.

The test files are otter's exception-based format (`otter assign` writes them from the master
notebook): each test case is a function whose parameters name the student's functions, e.g.
`def test_worked_example(corr2d): ...`. The grader runs them with proxies for a submission's
functions (engine.worker); the course's own tests run them directly on answer keys and on
"classic mistake" implementations (`run_tests`).
"""

import importlib
import importlib.util
import inspect
import io
import sys
import tokenize
import types
from pathlib import Path

from ..paths import CHECKS_SECTION, SHARED_CHECKS
from ..results import CaseOutcome, Question, QuestionOutcome


class _Package(types.ModuleType):
    """A package of which only the submodules asked for are imported: its __init__ runs the
    first time something else of it is asked for (`otter.__version__`, `from otter.test_files
    import OKTestFile`), so that code needing the whole package still gets it."""

    def __getattr__(self, name):
        if self.__dict__.get("_initialised"):
            raise AttributeError(name)
        self.__dict__["_initialised"] = True
        self.__spec__.loader.exec_module(self)
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None


def _light(name: str) -> None:
    """Put package `name` in sys.modules without running its __init__ (see _Package)."""
    if name not in sys.modules:
        spec = importlib.util.find_spec(name)
        package = _Package(name)
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__, package.__file__, package.__package__ = spec, spec.origin, name
        package.__loader__ = spec.loader
        sys.modules[name] = package
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, package)


def exception_test_files():
    """otter's ExceptionTestFile, with `otter.test_files.test_case` (what the test files import)
    in place. Neither otter's __init__ (most of otter, about 2 s) nor otter.test_files' (nbformat,
    and through jsonschema an IRI grammar: 1.5 to 5 s here) is run: exception-based test files
    need neither."""
    _light("otter")
    _light("otter.test_files")
    exception_test = importlib.import_module("otter.test_files.exception_test")  # not `from` (hasattr)
    package = sys.modules["otter.test_files"]
    if isinstance(package, _Package) and "test_case" not in package.__dict__:
        package.__dict__.update(test_case=exception_test.test_case, ExceptionTestFile=exception_test.ExceptionTestFile)
    return exception_test.ExceptionTestFile


def load_test_files(tests: str | Path) -> list:
    """otter's ExceptionTestFile for every tests/<question>.py of a folder, in name order, with
    exercise_checks (beside the folder) importable; otter's package __init__ files skipped
    (exception_test_files)."""
    ExceptionTestFile = exception_test_files()

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


def run_tests(tests_dir: str | Path, env: dict, questions=None) -> list[QuestionOutcome]:
    """Run every question's tests (or those of `questions`, names) against `env` (name ->
    object), here. `exercise_checks.py` must sit in tests_dir's parent folder, as otter lays it out."""
    results = []
    for tf in load_test_files(Path(tests_dir).resolve()):
        if questions is not None and tf.name not in questions:
            continue
        tf.run(env)
        cases = [
            CaseOutcome(
                r.test_case.body.test_func.__name__, r.test_case.hidden, r.passed, r.test_case.points, r.message
            )
            for r in tf.test_case_results
        ]
        results.append(QuestionOutcome(tf.name, tf.score, tf.possible, cases))
    return results


def checks_call_torch(checks: Path) -> bool:
    """Whether an exercise's checks (its exercise_checks.py) call PyTorch: a name starting with
    `torch` (torch itself, core's torch_conv2d, ...) in code, not in strings or comments, past
    the shared sections that every exercise carries (paths.SHARED_CHECKS; each module sits under
    a paths.CHECKS_SECTION line). The grader then imports torch while the
    student process starts, rather than at the first test; checks that do without it (the
    parameter counts of mlp-limits) save the import. Either way the tests get what they import."""
    try:
        source = checks.read_text("utf-8")
    except OSError:
        return False
    shared, calls = False, False
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and token.string.startswith(CHECKS_SECTION):
                shared = token.string[len(CHECKS_SECTION) :].strip() in SHARED_CHECKS
            elif token.type == tokenize.NAME and token.string.startswith("torch") and not shared:
                calls = True
    except (tokenize.TokenError, SyntaxError):
        return "torch" in source
    return calls
