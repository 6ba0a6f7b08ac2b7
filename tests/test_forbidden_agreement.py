"""One forbidden-function check: a student's own `expect_allowed` (in a real IPython shell, as
a notebook runs it) and the grader (through the real command) judge the same functions alike,
for the ways of reaching a forbidden function that the check once missed (a hostile review
found the last four: names looked up in a module's table, PyTorch's dispatch modes turned off,
and a forbidden function held by a name set at the top level)."""

import csv

import grading_cases as gc
import pytest
from conftest import run_grade
from IPython.core.interactiveshell import InteractiveShell

pytestmark = pytest.mark.slow  # batch grading: not in `make test-fast`

START = (
    "def corr2d(image, kernel):\n    import numpy as np\n"
    "    image, kernel = np.asarray(image, float), np.asarray(kernel, float)\n"
)
CONV = (
    "    out = {call}(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None])\n"
    "    return out[0, 0].numpy()\n"
)
CASES = {
    "getattr_built": (
        "import torch\nimport torch.nn.functional as F\n\n"
        + START
        + "    name = 'con' + 'v2d'\n"
        + CONV.format(call="getattr(F, name)"),
        "getattr with a name built at run time",
    ),
    "torch_ops": ("import torch\n\n" + START + CONV.format(call="torch.ops.aten.conv2d"), "torch.ops.aten.conv2d"),
    "importlib_built": (
        "import importlib\nimport torch\n\n"
        + START
        + "    F = importlib.import_module('torch.nn.' + 'functional')\n"
        + CONV.format(call="F.conv2d"),
        "importlib.import_module with a name built at run time",
    ),
    "exec_encoded": (
        "import base64\n\n" + START + "    exec(base64.b64decode(b'eD0x').decode())\n    return image\n",
        "exec, which runs code built at run time",
    ),
    "vars_lookup": (
        "import torch\nimport torch.nn.functional as F\n\n" + START + CONV.format(call='vars(F)["conv2d"]'),
        "vars, which reaches functions by a name built at run time",
    ),
    "dict_lookup": (
        "import torch\nimport torch.nn.functional as F\n\n" + START + CONV.format(call='F.__dict__["conv2d"]'),
        "__dict__, which reaches functions by a name built at run time",
    ),
    "dispatch_off": (
        "import torch\nfrom torch.utils._python_dispatch import _disable_current_modes\n\n"
        + START
        + "    with _disable_current_modes():\n"
        + "        return torch.tensor(image).numpy()\n",
        "torch.utils._python_dispatch, which turns off the dispatch modes",
    ),
    "held_at_top": (
        "import functools\nimport torch\nimport torch.nn.functional as F\n\n_conv = functools.partial(F.conv2d)\n\n"
        + START
        + CONV.format(call="_conv"),
        "torch.nn.functional.conv2d, which this exercise forbids (through _conv, set at the top level",
    ),
    "thread": (
        "import threading\nimport torch\n\n"
        + START
        + "    box = []\n"
        + "    t = threading.Thread(target=lambda: box.append(torch.conv2d(torch.tensor(image)[None, None], "
        + "torch.tensor(kernel)[None, None])[0, 0].numpy()))\n"
        + "    t.start(); t.join()\n    return box[0]\n",
        "threading, which starts threads",
    ),
}


@pytest.fixture(scope="module", autouse=True)
def _no_shell_left_behind():
    """The IPython shell these tests start is a process-wide singleton: once they are done it
    goes, or a later test's own check in this process would read this shell's cells."""
    yield
    InteractiveShell.clear_instance()


def local_verdict(source):
    """What `expect_allowed(corr2d, ...)` says in an IPython shell that has run `source`: the
    message of its AssertionError, or None where it passes."""
    shell = InteractiveShell.instance()
    shell.run_cell(source, store_history=True)
    shell.run_cell(
        "from checks.core import expect_allowed\nfrom checks.convolution import FORBIDDEN", store_history=True
    )
    result = shell.run_cell(
        "try:\n    expect_allowed(corr2d, 'corr2d', FORBIDDEN)\n    verdict = None\n"
        "except AssertionError as e:\n    verdict = str(e)\n",
        store_history=True,
    )
    assert result.error_in_exec is None, result.error_in_exec
    verdict = shell.user_ns["verdict"]
    shell.run_cell("del corr2d", store_history=True)
    return verdict


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("agreement")
    notebooks = {f"{name}.ipynb": (gc.filled(corr2d=source), None) for name, (source, _) in CASES.items()}
    notebooks["control.ipynb"] = (gc.filled(), None)
    gc.write(root / "in", notebooks)
    run_grade(root / "in", root / "out")
    with open(root / "out" / "grades.csv", newline="") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    return rows, root / "out"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_students_check_and_the_grader_agree(case, graded):
    source, finding = CASES[case]
    rows, out = graded
    verdict = local_verdict(source)
    assert verdict is not None and finding in verdict, (case, verdict)
    assert rows[case]["q1"] == "0", rows[case]
    feedback = (out / "feedback" / f"{case}.md").read_text()
    assert "**0 points:**" in feedback and finding in feedback, feedback


def test_an_honest_function_passes_both(graded):
    rows, _ = graded
    assert local_verdict(gc.answers()["corr2d"]) is None
    assert rows["control"]["total"] == "13", rows["control"]
