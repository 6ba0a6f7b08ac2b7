"""Every lecture and student notebook runs on a fresh Colab runtime with no other step.

Colab preinstalls numpy, torch, matplotlib, ipywidgets and scikit-learn (with ipykernel, which
runs the notebook); it has neither `cnn_course`, nor otter-grader, nor Jupyter Book. This test
builds that environment once, in .venv-colab at the repository root (the same versions as
requirements.txt; rebuilt only when those pins change), and for each notebook:

- copies the notebook ALONE into a fresh temporary folder outside the repository;
- runs it top to bottom in a kernel whose Python is a throwaway environment layered on
  .venv-colab (a venv with a .pth line pointing at .venv-colab's packages), so whatever the
  notebook's first cell installs lands in the throwaway layer and the next notebook starts
  clean again, as a new Colab runtime does;
- fails if a cell raises; a ModuleNotFoundError names the package Colab would lack.

Simulated, because this machine reaches PyPI but not GitHub: a lecture's first cell runs
`%pip install "cnn-course @ git+https://github.com/<repository>@<branch>"` (from _config.yml).
The cell runs unchanged; git, through GIT_CONFIG_* environment variables in the kernel
(url.<local>.insteadOf <repository URL>), fetches that URL from a local git repository made
from the working tree (the files git would commit, on a branch named as configured). pip then
clones and builds the package from it exactly as it would from GitHub, its dependencies
resolved against what Colab has. The git repository and the files served are the student tree
(`python -m autograder publish`), as the public repository holds it. Student notebooks' first
cell installs otter-grader==7.0.0 from PyPI for real, and downloads its public files from a
local web server (CNN_COURSE_FILES) in place of raw.githubusercontent.com.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import one_at_a_time
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.authoring.repository import repository
from autograder.paths import EXERCISES, ROOT

COLAB_VENV = ROOT / ".venv-colab"
# What Colab preinstalls that the course uses; versions as requirements.txt pins them
# (torch pinned: an unpinned torch pulls a multi-GB CUDA build). Colab has scikit-learn too.
COLAB_PACKAGES = ["numpy", "torch", "matplotlib", "ipywidgets", "scikit-learn", "ipykernel"]
CELL_TIMEOUT = 600
pytestmark = pytest.mark.slow


def notebooks():
    lectures = sorted((ROOT / "lectures").glob("*.ipynb"))
    students = sorted(EXERCISES.glob("*/*.ipynb"))
    return [p.relative_to(ROOT).as_posix() for p in lectures + students]


def colab_pins():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name, _, version = line.strip().partition("==")
        if version:
            pins[name.lower()] = version
    missing = [p for p in COLAB_PACKAGES if p not in pins]
    assert not missing, f"requirements.txt pins no version of {missing}"
    return [f"{p}=={pins[p]}" for p in COLAB_PACKAGES]


def _python(venv):
    return Path(venv) / "bin" / "python"


def _site_packages(python):
    return subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="session")
def colab_base():
    """.venv-colab: what Colab preinstalls, and nothing of the course. Cached between runs."""
    pins = colab_pins()
    stamp = COLAB_VENV / ".colab-pins"
    with one_at_a_time("venv-colab"):
        if not (stamp.exists() and stamp.read_text().split() == pins and _python(COLAB_VENV).exists()):
            shutil.rmtree(COLAB_VENV, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(COLAB_VENV)], check=True)
            pip = [str(_python(COLAB_VENV)), "-m", "pip", "install", "--quiet"]
            subprocess.run([*pip, "--upgrade", "pip"], check=True)
            subprocess.run([*pip, *pins], check=True)
            stamp.write_text("\n".join(pins) + "\n")
    python = _python(COLAB_VENV)
    check = subprocess.run([str(python), "-c", "import cnn_course"], capture_output=True, cwd="/")
    assert check.returncode != 0, ".venv-colab can import cnn_course: it must not have the course installed"
    return python


@pytest.fixture(scope="session")
def local_remote(tmp_path_factory, student_tree):
    """A git repository holding the student tree (what the public repository holds), on the
    configured branch: what `git+<repository URL>@<branch>` fetches, as seen from here."""
    url, branch = repository()
    repo = tmp_path_factory.mktemp("remote") / "cnn-course"
    shutil.copytree(student_tree, repo)
    git = ["git", "-c", "user.name=colab-check", "-c", "user.email=colab-check@localhost", "-c", "init.defaultBranch=x"]
    subprocess.run([*git, "init", "-q", "-b", branch], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "working tree"], cwd=repo, check=True)
    return url, repo


def layered_env(base_python, where):
    """A throwaway venv whose Python also sees .venv-colab's packages (after its own)."""
    env_dir = where / "runtime"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = _python(env_dir)
    Path(_site_packages(python), "_colab_preinstalled.pth").write_text(_site_packages(base_python) + "\n")
    return env_dir, python


def kernel_env(env_dir, remote, files_url):
    """The kernel's environment: this process's, minus the repository's venv and anything that
    would let it import the course from here, plus git's URL rewrite to the local remote."""
    url, repo = remote
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "MPLBACKEND", "PYTHONHOME"} and not k.startswith("GIT_CONFIG")
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(ROOT))]
    env["PATH"] = os.pathsep.join([str(env_dir / "bin"), *path])
    env["VIRTUAL_ENV"] = str(env_dir)
    env.update(
        {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"url.{repo}.insteadOf",
            "GIT_CONFIG_VALUE_0": url,
            "GIT_TERMINAL_PROMPT": "0",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "CNN_COURSE_FILES": files_url,  # raw.githubusercontent.com/<repo>/<branch>/exercises, from here
        }
    )
    return env


def _failure(nb):
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, cell.source, out.get("ename"), out.get("evalue")
    return None


@pytest.mark.parametrize("notebook", notebooks())
def test_notebook_runs_on_a_fresh_colab_runtime(
    notebook, colab_base, local_remote, files_server, tmp_path, monkeypatch
):
    work = tmp_path / "content"  # Colab's working folder is /content
    work.mkdir()
    assert not str(work).startswith(str(ROOT))
    shutil.copy(ROOT / notebook, work / Path(notebook).name)
    env_dir, python = layered_env(colab_base, tmp_path)

    kernels = tmp_path / "jupyter" / "kernels" / "colab"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], '
        '"display_name": "Colab-like", "language": "python"}' % python
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))

    nb = nbformat.read(work / Path(notebook).name, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="colab", resources={"metadata": {"path": str(work)}})
    try:
        client.execute(env=kernel_env(env_dir, local_remote, files_server), cwd=str(work))
    except CellExecutionError:
        pass
    failure = _failure(nb)
    if failure:
        index, source, ename, evalue = failure
        hint = ""
        if ename in {"ModuleNotFoundError", "ImportError"}:
            hint = (
                "\nColab does not preinstall it and the notebook's first cell does not install it: "
                "add it to the first cell (or to cnn_course's dependencies in pyproject.toml)."
            )
        pytest.fail(f"{notebook}, cell {index}:\n{source[:500]}\n-> {ename}: {evalue}{hint}")
    installed = subprocess.run(
        [str(python), "-m", "pip", "list", "--path", _site_packages(python), "--format=freeze"],
        capture_output=True,
        text=True,
        env=kernel_env(env_dir, local_remote, files_server),
    ).stdout
    if notebook.startswith("lectures/"):
        assert "cnn-course==" in installed.lower() or "cnn_course==" in installed.lower(), (
            f"{notebook}: its first cell did not install the course package:\n{installed}"
        )
