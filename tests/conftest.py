"""Shared fixtures: the exercises generated once per test session, into a scratch folder."""

import contextlib
import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

from autograder.authoring.prepared import cached_generation  # noqa: E402
from autograder.engine import confine  # noqa: E402
from autograder.secret import create_secret  # noqa: E402
from autograder.settings import SECRET_ENV  # noqa: E402

# Where student code cannot be run as `nobody` (root, with a Python under /root as pyenv puts
# it), the grader refuses to grade unless told otherwise. The suite tells it (and every log then
# says so); tests/test_hostile.py checks the refusal without it.
ROOT_PROBLEM = confine.root_problem()
if ROOT_PROBLEM:
    os.environ["AUTOGRADER_ALLOW_ROOT"] = "1"

# The grading secret that seeds each submission's hidden tests (autograder.secret): one for the
# whole session, outside the repository, as an instructor's lives in ~/.config; every grade the
# suite runs (and the processes it starts) finds it through the environment.
if not os.environ.get(SECRET_ENV):
    import tempfile

    os.environ[SECRET_ENV] = str(create_secret(os.path.join(tempfile.mkdtemp(prefix="secret-"), "grading-secret"))[0])


@contextlib.contextmanager
def one_at_a_time(name):
    """Hold the lock _build/.locks/<name> while the block runs: the pytest-xdist workers (`make
    test` runs two) share the repository's _build/html and .venv-colab, which one builds and the
    other then finds current."""
    import fcntl

    from autograder.paths import ROOT

    locks = ROOT / "_build" / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def grade_argv(folder, out, *options, aid="convolution"):
    """The command line of `python -m autograder grade <aid> <folder> -o <out> <options>`."""
    import sys

    return [sys.executable, "-m", "autograder", "grade", aid, str(folder), "-o", str(out), *map(str, options)]


def run_grade(folder, out, *options, aid="convolution", cwd=None, env=None, check=True, timeout=900):
    """The real grade command (grade_argv), in a process of its own, as an instructor runs it.
    Returns the CompletedProcess; with check, asserts that it exited 0 (showing its output
    where it did not). The one helper of every test that runs the command."""
    import subprocess

    from autograder.paths import ROOT

    argv = grade_argv(folder, out, *options, aid=aid)
    proc = subprocess.run(argv, cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="session")
def built_book():
    """_build/html as `make book` builds it (warnings are errors), once per test session and only
    when a file the book is built from changed since its last build (make's stamp,
    _build/html/.built; the lectures' execution is cached too). The book tests, the browser
    tests and the PDF read this one build. BOOK_HTML=<folder>: a book built elsewhere."""
    import subprocess
    from pathlib import Path

    from autograder.paths import ROOT

    if os.environ.get("BOOK_HTML"):
        html = Path(os.environ["BOOK_HTML"]).resolve()
        assert (html / "index.html").exists(), f"BOOK_HTML={html} holds no built book"
        return html
    # -o .venv/.installed: the environment is the one running these tests, not rebuilt from here
    command = ["make", "--no-print-directory", "-o", ".venv/.installed", "book"]
    with one_at_a_time("book"):
        proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    return ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def student_tree(tmp_path_factory):
    """The student tree, as `python -m autograder publish` writes it (what the public repository holds)."""
    from autograder.authoring.publish import publish

    return publish(tmp_path_factory.mktemp("published") / "student")


@pytest.fixture(scope="session")
def files_server(student_tree):
    """A local web server for the student tree's exercises/ folder: the URL a student notebook's
    first cell downloads its public files from (CNN_COURSE_FILES), as from GitHub on Colab."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(student_tree / "exercises"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def generated():
    """generated(aid) returns a folder with exercises/<id>/<id>.ipynb (and the public files) and
    autograder/<id>/tests/*.py (hidden tests included), as `otter assign` writes them from the
    master, reused from _build/generated/ while the master, the checks and the generator are
    unchanged. Generating fails if the answer key fails one of its own tests."""
    return cached_generation


@pytest.fixture(scope="session")
def gradescope_zip(tmp_path_factory):
    """The convolution exercise's Gradescope zip, as `python -m autograder gradescope` writes it."""
    import subprocess
    import sys

    from autograder.paths import ROOT

    path = tmp_path_factory.mktemp("gradescope") / "convolution.zip"
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "gradescope", "convolution", "-o", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture(scope="session")
def run_autograder(gradescope_zip):
    """run_autograder(notebook, root) -> the results.json it wrote (a dict).

    Lays the zip out under the scratch folder `root` as Gradescope lays it out in /autograder
    (source/: the zip, file modes kept; run_autograder copied beside it; submission/: the
    notebook; results/) and runs run_autograder there, as Gradescope runs it, with
    AUTOGRADER_ROOT=root. setup.sh is not run: AUTOGRADER_PYTHON makes run_autograder use this
    test session's Python, the environment the course is tested in, in place of the one setup.sh
    builds from the same requirements.txt (tests/test_gradescope.py checks that they agree)."""
    import json
    import shutil
    import subprocess
    import sys
    import zipfile

    import nbformat

    def run(notebook, root, env=None):
        """env: variables added to run_autograder's environment. Its stderr is left in
        root/stderr.txt."""
        (root / "source").mkdir(parents=True)
        (root / "submission").mkdir()
        (root / "results").mkdir()
        with zipfile.ZipFile(gradescope_zip) as z:
            for info in z.infolist():
                z.extract(info, root / "source")
                mode = info.external_attr >> 16
                if mode:
                    os.chmod(root / "source" / info.filename, mode & 0o777)
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        nbformat.write(notebook, root / "submission" / "my notebook.ipynb")
        env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable, **(env or {}))
        proc = subprocess.run(
            [str(root / "run_autograder")], env=env, cwd=root, capture_output=True, text=True, timeout=600
        )
        (root / "stderr.txt").write_text(proc.stderr)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads((root / "results" / "results.json").read_text())

    return run

