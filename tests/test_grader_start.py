"""What the grader loads before it grades, and how it ends: only what the questions need, so that
one submission (Gradescope's cold start) is graded in about a second and a half. The figures are
measured by benchmarks/grading.py; these tests check the choices that give them."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.engine.batch import Assignment, worker_config
from autograder.engine.testfiles import checks_call_torch
from autograder.paths import ROOT, assignment_ids
from autograder.settings import GradingSettings
from autograder.submissions import imports, read_notebook

EXERCISES = ROOT / "exercises"


def graded_imports(aid):
    return imports(read_notebook(EXERCISES / aid / f"{aid}.ipynb"))


def test_the_grader_imports_torch_early_only_for_checks_that_call_it(tmp_path):
    calls = {aid: checks_call_torch(EXERCISES / aid / "exercise_checks.py") for aid in assignment_ids()}
    assert calls["mlp-limits"] is False, "parameter counts and permutations are checked without PyTorch"
    assert all(calls[aid] for aid in calls if aid != "mlp-limits"), calls
    # Names in strings and comments (a forbidden list) and in the shared sections do not count.
    shared = (EXERCISES / "mlp-limits" / "exercise_checks.py").read_text()
    bundle = tmp_path / "exercise_checks.py"
    bundle.write_text(shared + '\nFORBIDDEN = ["torch.nn.functional.pad"]  # not torch.pad either\n')
    assert not checks_call_torch(bundle)
    bundle.write_text(shared + "\ndef check(x):\n    return torch_conv2d(x, x)\n")
    assert checks_call_torch(bundle)


def test_cells_the_graders_skip_import_nothing_into_the_student_process():
    """The figure and training cells are tagged otter_ignore: their imports (sklearn for the
    digits, matplotlib) are not preloaded, and torch only where a graded cell imports it."""
    backprop = graded_imports("backprop")
    assert "numpy" in backprop and not any(m.split(".")[0] in ("sklearn", "torch", "matplotlib") for m in backprop)
    assert not any(m.split(".")[0] in ("sklearn", "matplotlib") for m in graded_imports("pooling"))
    assert "torch" in graded_imports("translation-invariance"), "its graded cells call PyTorch's conv2d"
    settings = GradingSettings()
    config = worker_config(Assignment("backprop", Path("tests"), ["aten::convolution*"], backprop), settings)
    third_party = [m for m in config["preload"] if m.split(".")[0] not in sys.stdlib_module_names]
    assert third_party == ["numpy"], config["preload"]
    gpu = worker_config(Assignment("gpu", Path("tests"), ["aten::convolution*"], graded_imports("gpu")), settings)
    assert "torch" in gpu["preload"], "the gpu exercise's graded cells import torch"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="skipped: the device-node test is Linux's")
def test_no_nvidia_device_node_means_no_gpu_without_importing_torch():
    program = "import sys\nfrom autograder.engine.worker import Worker\n"
    program += "print(Worker.detect_gpu(), 'torch' in sys.modules)"
    if any(Path(p).exists() for p in ("/dev/nvidiactl", "/dev/dxg")):
        pytest.skip("skipped: this machine has an NVIDIA device node (torch is asked)")
    proc = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "False"], proc.stdout + proc.stderr


def test_a_process_that_ends_without_teardown_keeps_its_output_and_exit_code(tmp_path):
    """exit_now skips the interpreter's teardown (0.6 to 0.8 s once torch is imported): what was
    printed, to a pipe (block-buffered) or a file, still arrives, with the exit code given."""
    program = textwrap.dedent(
        """
        import sys
        from autograder.engine.confine import exit_now
        print("to stdout", flush=False)
        print("to stderr", file=sys.stderr)
        with open(sys.argv[1], "w") as f:
            f.write("written")
        exit_now(3)
        """
    )
    out = tmp_path / "out.txt"
    proc = subprocess.run([sys.executable, "-c", program, str(out)], cwd=ROOT, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "to stdout\n", "to stderr\n")
    assert out.read_text() == "written"
