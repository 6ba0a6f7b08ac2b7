"""The grader's GPU paths, checked where there is no GPU: CUDA never initialised in a process
that forks student processes, and the confinement that lets CUDA run in (only) the student
process of GPU questions."""

import os
import subprocess
import sys
import textwrap

import pytest

from autograder.authoring.prepared import prepared_tests
from autograder.engine import confine, landlock
from autograder.engine.batch import Assignment, worker_config
from autograder.engine.worker import Worker
from autograder.engine.zygote import Zygote
from autograder.paths import ROOT
from autograder.settings import GradingSettings

LINUX_LANDLOCK = sys.platform.startswith("linux") and landlock.landlock_abi() >= 1


def gpu_worker_config():
    """The configuration `python -m autograder grade gpu` gives its workers (torch preloaded)."""
    from autograder.forbidden import forbidden_for
    from autograder.paths import master_path

    tests, used = prepared_tests("gpu")
    assignment = Assignment("gpu", tests, forbidden_for("gpu", master_path("gpu")), used, [ROOT, tests])
    return worker_config(assignment, GradingSettings())


@pytest.fixture(scope="module")
def config():
    return gpu_worker_config()


def test_zygote_and_grader_leave_cuda_uninitialised(config, tmp_path):
    """The zygote imports torch and forks student processes: it must never have initialised CUDA
    (the children could not use the GPU). The grader's GPU detection asks NVML."""
    import torch

    assert "torch" in config["preload"]
    Worker.detect_gpu()
    assert os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK") == "1"
    assert not torch.cuda.is_initialized(), "detecting the GPU initialised CUDA in the grader"
    zygote = Zygote(config, str(tmp_path))
    zygote.start()
    try:
        status = zygote.status()
        assert status == {"cuda_initialised": False, "nvml_check": "1", "torch": True}, status
        pid, sock, _ = zygote.fork(config["limits"], config["hidden"], gpu=True)
        sock.close()
        zygote.end(pid, kill=True)
        assert zygote.status()["cuda_initialised"] is False
    finally:
        zygote.close()


def test_zygote_refuses_to_fork_once_cuda_is_initialised(config, tmp_path, monkeypatch):
    """Should anything the zygote imports initialise CUDA, it forks no student process (one
    that could not use the GPU) and says why."""
    (tmp_path / "initialises_cuda.py").write_text("import torch\ntorch.cuda._initialized = True\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    zygote = Zygote(dict(config, preload=config["preload"] + ["initialises_cuda"]), str(tmp_path))
    zygote.start()
    try:
        assert zygote.status()["cuda_initialised"] is True
        with pytest.raises(RuntimeError, match="refused to fork: CUDA was initialised"):
            zygote.fork(config["limits"], config["hidden"])
    finally:
        zygote.close()


def test_gpu_rules_name_exactly_what_cuda_needs(monkeypatch):
    nodes = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia0", "/dev/nvidia1"]
    present = set(nodes) | {"/dev/nvidia-modeset", "/dev/nvidia-caps"}
    import glob

    real_glob = glob.glob
    monkeypatch.setattr(os.path, "exists", lambda p: p in present)
    monkeypatch.setattr(
        glob,
        "glob",
        lambda pattern: (
            sorted(present)
            if pattern == "/dev/nvidia*"
            else (["/proc/driver/nvidia"] if "proc" in pattern else real_glob(pattern))
        ),
    )
    rules = dict(landlock.gpu_rules(landlock._FS_ABI1 | landlock._FS_TRUNCATE | landlock._FS_IOCTL_DEV))
    rw_ioctl = landlock._FS_READ_FILE | landlock._FS_WRITE_FILE | landlock._FS_IOCTL_DEV
    assert {p for p, r in rules.items() if r == rw_ioctl} == set(nodes), "no other /dev/nvidia* node"
    assert rules["/proc/driver/nvidia"] == landlock._FS_READ_FILE | landlock._FS_READ_DIR
    assert rules[f"/proc/{os.getpid()}/task"] == landlock._FS_WRITE_FILE
    assert len(rules) == len(nodes) + 2
    # A ruleset that does not handle IOCTL_DEV (Landlock ABI < 5) gets no such right.
    assert all(not r & landlock._FS_IOCTL_DEV for _, r in landlock.gpu_rules(landlock._FS_ABI1))


CONFINED = textwrap.dedent(
    """
    import mmap, os, sys, tempfile, threading
    from autograder.engine import confine, landlock, seccomp
    workdir = tempfile.mkdtemp()
    print(landlock.restrict(workdir, confine.readable_roots(), gpu=sys.argv[1] == "gpu"))
    print(seccomp.install())
    # What CUDA does to name its threads: pthread_setname_np on another thread of the process
    # writes /proc/self/task/<tid>/comm (for the calling thread itself glibc uses prctl).
    import ctypes
    libc = ctypes.CDLL(None)
    done = threading.Event()
    t = threading.Thread(target=done.wait)  # a thread started after the ruleset, as CUDA's are
    t.start()
    error = libc.pthread_setname_np(ctypes.c_ulong(t.ident), b"cuda-like")
    print("comm: written" if error == 0 else f"comm: error {error}")
    done.set(); t.join()
    fd = os.memfd_create("x")
    m = mmap.mmap(-1, 4096)
    import fcntl, termios, array
    r, w = os.pipe()
    buf = array.array("i", [0])
    fcntl.ioctl(r, termios.FIONREAD, buf)
    print("memfd_create, mmap, ioctl: allowed")
    """
)


@pytest.mark.skipif(not LINUX_LANDLOCK, reason="needs Linux with Landlock")
@pytest.mark.parametrize("kind", ["gpu", "cpu"])
def test_threads_may_rename_themselves_only_in_a_gpu_process(kind):
    """CUDA names its threads through /proc/self/task/*/comm and needs ioctl, mmap and
    memfd_create under seccomp: allowed with the GPU rules; comm writes refused without them."""
    proc = subprocess.run([sys.executable, "-c", CONFINED, kind], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Landlock") and ("NVIDIA devices" in lines[0]) == (kind == "gpu"), lines
    assert lines[1].startswith("seccomp")
    assert lines[2] == ("comm: written" if kind == "gpu" else "comm: error 13"), lines  # 13: EACCES
    assert lines[3] == "memfd_create, mmap, ioctl: allowed"


def test_missing_landlock_is_explained(monkeypatch):
    import ctypes

    class NoLandlock:
        def syscall(self, *args):
            return -1

    monkeypatch.setattr(confine, "_libc", lambda: NoLandlock())
    monkeypatch.setattr(ctypes, "get_errno", lambda: 38)
    monkeypatch.setattr(landlock, "_gvisor", lambda: True)
    if sys.platform.startswith("linux") and landlock.platform.machine() in ("x86_64", "aarch64"):
        why = landlock.landlock_missing()
        assert "landlock_create_ruleset with ENOSYS" in why and "gVisor" in why, why


@pytest.mark.skipif(not LINUX_LANDLOCK, reason="needs Linux with Landlock")
def test_only_the_gpu_questions_process_is_let_at_the_gpu(tmp_path):
    """Graded as on a machine with a GPU (gpu=True forces it here), a submission's GPU question
    runs in a student process of its own, the only one with the NVIDIA rules; the others have
    none, and their memory limit stays on the address space."""
    import grading_cases

    tests, used = prepared_tests("convolution")
    gpu_tests = tmp_path / "tests"
    import shutil

    shutil.copytree(tests, gpu_tests)
    shutil.copy(tests.parent / "exercise_checks.py", tmp_path / "exercise_checks.py")
    (gpu_tests / "q3_gpu.py").write_text(
        'from otter.test_files import test_case\n\nOK_FORMAT = False\n\nname = "q3_gpu"\npoints = 1\n\n'
        "@test_case(points=None, hidden=False)\ndef test_on_the_gpu(corr2d):\n"
        "    import numpy as np\n    corr2d(np.ones((4, 4)), np.ones((2, 2)))\n"
    )
    folder, out = tmp_path / "subs", tmp_path / "out"
    grading_cases.write(folder, {"correct.ipynb": (grading_cases.filled(), None)})
    from autograder.commands.grade import grade_into
    from autograder.forbidden import forbidden_for
    from autograder.paths import master_path

    forbidden = forbidden_for("convolution", master_path("convolution"))
    assignment = Assignment("convolution", gpu_tests, forbidden, used)
    [outcome] = grade_into(assignment, folder, out, GradingSettings(jobs=1, progress=False, gpu=True)).outcomes
    log = (out / "grading.log").read_text()
    first = next(line for line in log.splitlines() if "student process:" in line)
    gpu_line = next(line for line in log.splitlines() if "student process for GPU questions:" in line)
    assert "NVIDIA devices" not in first and "of data" not in first, first
    assert "NVIDIA devices" in gpu_line and "memory 2048 MB of data" in gpu_line, gpu_line
    assert "GPU: yes" in log
    assert [q.score for q in outcome.questions] == [q.possible for q in outcome.questions], log
