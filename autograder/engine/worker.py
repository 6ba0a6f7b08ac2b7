"""Grading one submission: the grader's side.

A `Worker` loads an assignment's hidden tests once (otter's exception-based test files), starts
a warm zygote (engine.student) and grades submissions one after another. For each
submission it forks a student process from the zygote, which runs the submission's code cells.
Then it runs every test case here, in the grader, passing it *proxies* instead of the student's
functions: calling a proxy sends the arguments to the student process, which runs the student's
function and sends back the result (decoded safely: engine.wire), the inputs the function
changed in place (copied back into the test's own arrays, so that "inputs not modified" checks
work as in a notebook), and the forbidden functions it tried.

Student code therefore never sees a test, an expected value or a comparison, and cannot reach
the verdict: replacing otter's test runner, numpy or torch in the student process changes
nothing here. What a submission can do is bounded per call and per statement:

- a call that does not return within `call_timeout` fails its test; the student process is
  killed and restarted (re-running the cells) for the next test, and that function is not called
  again (its other tests fail at once, so a loop costs one timeout, not one per test);
- a statement of a cell that does not finish within `cell_timeout`, or that ends the process
  (os._exit, a crash), is skipped with the rest of its cell on a restart, as if the cell had been
  interrupted; its notebook's other cells still count;
- all of a submission (its cells and every test) has one wall-clock budget,
  `submission_timeout`, kept by the grader: when it runs out the process is stopped and the
  remaining tests fail. Progress reports from the student process only ever move forward
  through the notebook's real statements, so resending them extends nothing;
- questions whose name ends in `_gpu` are graded only where the grader sees a CUDA GPU, in a
  student process of their own: the only one that Landlock lets at the GPU's device nodes.

CUDA does not survive fork(): a process that has initialised it cannot give its children a
working GPU. So no process that forks a student process touches CUDA: the zygote imports torch
but never initialises CUDA (and refuses to fork if it has), and the grader looks for a GPU
through NVML (PYTORCH_NVML_BASED_CUDA_CHECK=1), which does not initialise CUDA either. The
worker itself may use CUDA in the GPU questions' tests: it starts the zygote with fork+exec.

The grader never reads the submission's file itself: it hands the student process a
descriptor, and that process parses the notebook and its code (confined) and reports what it
found before any submission code runs. A result that shares memory with an argument comes back
as the test's own argument (or a view of it): see wire.Decoder.alias.
"""

import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from ..results import CaseOutcome, QuestionOutcome, SubmissionOutcome, question_score
from ..secret import case_seed, file_digest
from ..settings import MAX_NOTEBOOK_BYTES
from . import confine
from .calls import describe_failure
from .clock import Clock
from .session import Session
from .testfiles import checks_call_torch, load_test_files, parameters, question_functions
from .zygote import Zygote


class Worker:
    """Grades submissions of one assignment, one at a time. config: see engine.batch.worker_config."""

    def __init__(self, config):
        self.config = config
        scratch = config.get("scratch")  # the command's own folder for this run (engine.batch.make_scratch)
        self.scratch = tempfile.mkdtemp(prefix="worker-" if scratch else "grading-", dir=scratch)
        os.chmod(self.scratch, 0o711)  # a student process that runs as `nobody` must reach its folder
        self.zygote = Zygote(config, self.scratch)
        self.zygote.start()  # it warms up while this process loads the tests
        self.test_files = load_test_files(config["tests"])
        # Where the tests' checks call PyTorch: imported now, while the zygote starts, rather than
        # at the first test, once the zygote is ready.
        if checks_call_torch(Path(config["tests"]).parent / "exercise_checks.py"):
            import torch  # noqa: F401
        # Only the `_gpu` questions use the GPU: without one, torch is not imported to look for it.
        if not any(tf.name.endswith("_gpu") for tf in self.test_files):
            self.gpu = False
        else:
            self.gpu = self.detect_gpu() if config.get("gpu", "auto") == "auto" else bool(config["gpu"])
        names = set().union(*(parameters(tf) for tf in self.test_files))
        # the names the tests take as parameters ("*" when a test asks for the whole `env`)
        self.names = "*" if "env" in names else sorted(names)
        self.questions = {tf.name: question_functions(tf) for tf in self.test_files}
        self.secret = str(config.get("secret") or "").encode("ascii")
        self.checks = self.import_checks()

    @staticmethod
    def import_checks():
        """The tests' exercise_checks module (beside the tests folder, which load_test_files put
        first on sys.path): the grader sets its GRADING_SEED before each test case."""
        import importlib

        try:
            return importlib.import_module("exercise_checks")
        except ImportError:
            return None

    def recognised_hit(self, hit):
        """Whether a run-time trap's report names what the exercise forbids, as the trap words it:
        an entry, a function of a forbidden module, or `torch operator <an operator it forbids>`."""
        import fnmatch

        for entry in self.config["forbidden"]:
            if entry.startswith("aten::"):
                if hit.startswith("torch operator ") and fnmatch.fnmatchcase(hit[len("torch operator ") :], entry):
                    return True
            elif hit == entry or hit.startswith(entry + "."):
                return True
        return False

    def seed_case(self, submission, question, case):
        """Before a test case: its inputs' seed for this submission (autograder.secret.case_seed),
        where exercise_checks.fresh_rng reads it. No secret (the course's own tests): no seed."""
        if self.checks is not None and hasattr(self.checks, "GRADING_SEED"):
            seed = case_seed(self.secret, submission, question, case) if self.secret else None
            self.checks.GRADING_SEED = seed

    def run_case(self, session, submission, question, tc, virtual_pauses):
        """Run one test case: (passed, message). `virtual_pauses`: whether the call-backs'
        time.sleep moves the student process's clocks instead of waiting (Session.run_callback)."""
        env = session.environment()
        self.seed_case(submission, question, tc.body.test_func.__name__)
        session.said, session.paused, session.virtual_pauses = [], 0.0, virtual_pauses
        session.callbacks.clear()  # a function handed over in an earlier test is not this test's to call
        try:
            tc.body.call_func(env)
            return True, ""
        except Exception as exc:
            return False, describe_failure(exc)

    @staticmethod
    def detect_gpu():
        """Whether torch sees a CUDA GPU, asked through NVML: CUDA is not initialised here. On
        Linux without an NVIDIA device node (/dev/nvidiactl; /dev/dxg under WSL) there is none,
        and torch is not imported to say so (1.4 s, and as long again to free it at exit)."""
        os.environ.update(confine.NVML_CHECK)
        if sys.platform.startswith("linux") and not any(map(os.path.exists, ("/dev/nvidiactl", "/dev/dxg"))):
            return False
        try:
            import torch

            return bool(torch.cuda.is_available())
        except Exception:
            return False

    def device_ok(self, device):
        return self.gpu and str(device).startswith("cuda")

    def grade_submission(self, name, path):
        """Grade one submission: its row name and the path of its file (a regular file, opened
        without following a symbolic link)."""
        started = Clock.real()
        outcome = SubmissionOutcome(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as e:
            outcome.unreadable = f"cannot open the file ({e.strerror})"
            return outcome
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                outcome.unreadable = "not a regular file"
                return outcome
            return self._grade_questions(outcome, fd, started)
        finally:
            os.close(fd)

    def _grade_questions(self, outcome, fd, started):
        from otter.test_files.abstract_test import TestCaseResult

        session = Session(self, outcome, fd, self.names)
        submission = file_digest(fd, MAX_NOTEBOOK_BYTES)  # its bytes, hashed, never parsed here
        try:
            session.start()
            if outcome.unreadable:
                return outcome
            copied = answer_key_copy(session.notebook, self.config.get("master_fingerprint"))
            if copied:
                outcome.unreadable = copied
                return outcome
            found = (session.notebook or {}).get("static")
            static = {}
            for question, messages in (found if isinstance(found, dict) else {}).items():
                if isinstance(messages, list):
                    static[str(question)] = [str(m)[:300] for m in messages[:20]]
            for tf in self.test_files:
                if tf.name.endswith("_gpu") and not self.gpu:
                    outcome.questions.append(QuestionOutcome(tf.name, 0, tf.possible, gpu_skipped=True))
                    continue
                session.use_gpu(tf.name.endswith("_gpu"))
                session.hits = []
                for value in session.environment().values():  # what the tests' expect_allowed reports
                    if getattr(value, "_grading_session", None) is session:
                        value.forbidden_uses = list(static.get(tf.name, []))
                cases, results = [], []
                for tc in tf.test_cases:
                    t0 = Clock.real()
                    passed, message = self.run_case(session, submission, tf.name, tc, virtual_pauses=True)
                    if not passed and session.paused:
                        # It failed after pauses that did not wait (a timer's test): run it again
                        # with real ones, so that a timer reading a clock the student process does
                        # not move on (engine.student.pauses) is graded on real time.
                        passed, message = self.run_case(session, submission, tf.name, tc, virtual_pauses=False)
                    seconds = Clock.real() - t0
                    said = [] if passed else [str(t)[:500] for t in session.said]
                    cases.append(
                        CaseOutcome(tc.body.test_func.__name__, tc.hidden, passed, tc.points, message, seconds, said)
                    )
                    results.append(TestCaseResult(test_case=tc, message=message, passed=passed))
                tf.test_case_results = results
                tf._score = None
                forbidden, claimed = list(static.get(tf.name, [])), []
                for hit in dict.fromkeys(session.hits):
                    if self.recognised_hit(hit):
                        forbidden.append(f"a graded call used {hit}, which this exercise forbids")
                    else:
                        claimed.append(hit)
                if claimed:
                    forbidden.append(
                        "the submission's process reported forbidden calls in words the grader does not "
                        "recognise (quoted below as the submission's own output)"
                    )
                score = 0 if forbidden else question_score(cases, tf.possible, self.config.get("public_points", False))
                outcome.questions.append(
                    QuestionOutcome(tf.name, score, tf.possible, cases, forbidden=forbidden, claimed=claimed)
                )
                if forbidden:
                    outcome.notes.append(f"forbidden function in {tf.name}")
        finally:
            session.close()
            session.callbacks.clear()
            outcome.seconds = Clock.real() - started
        return outcome

    def close(self):
        self.zygote.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def answer_key_copy(notebook: dict | None, master: str | None) -> str | None:
    """Why a submission is not graded as the student's own work where its code cells are the
    master notebook's (the answer key, tests and all, comments and layout aside), else None.
    The fingerprint comes from the student process's first report, made before any of the
    submission's code ran (engine.student.child.Child.load)."""
    if master and isinstance(notebook, dict) and notebook.get("fingerprint") == master:
        return "answer-key copy: its code cells are those of the master notebook (the answer key): not graded"
    return None


def peak_mb():
    """This process's peak resident memory so far, in MB (its children not counted).

    On Linux it is VmHWM, the high-water mark of this process's own address space. Not
    ru_maxrss: Linux keeps that across execve, so a grader started by a large process (a test
    runner holding torch) would report its parent's peak as its own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(kb / 1024) if sys.platform.startswith("linux") else int(kb / 2**20)


def grade_one(worker, name, path):
    """worker.grade_submission(name, path), a failure of the grader itself recorded as such, and
    the grader's peak memory."""
    try:
        result = worker.grade_submission(name, path)
    except Exception as e:
        import traceback

        result = SubmissionOutcome(
            name, notes=[f"grader error: {type(e).__name__}: {e}"[:200]], log=[traceback.format_exc()]
        )
    result.grader_mb = peak_mb()
    return result


def worker_main(conn, config):
    """Entry point of a worker process: (name, path) jobs in, SubmissionOutcome out."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    confine.die_with_parent()  # the command
    confine.not_dumpable()
    Clock.install()
    try:
        worker = Worker(config)
    except BaseException as e:
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", {"gpu": worker.gpu}))
    try:
        while True:
            job = conn.recv()
            if job is None:
                break
            conn.send(("done", grade_one(worker, *job)))
    except (EOFError, OSError):
        pass
    finally:
        worker.close()
    conn.close()
    confine.exit_now()
