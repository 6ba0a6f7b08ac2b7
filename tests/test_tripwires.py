"""The run-time trap on forbidden PyTorch operators (autograder/engine/student/tripwires.py): it
starts without torch._dynamo (1.4 s of every zygote's start), and a call compiled by
torch.compile still dispatches its operators through it."""

import subprocess
import sys

from autograder.paths import ROOT

PROGRAM = """\
import sys
import torch
import torch.nn.functional as F
from autograder.engine.student.tripwires import STATE, ForbiddenCall, dispatch_mode

mode = dispatch_mode(["aten::convolution*", "aten::conv[123]d*"])
with mode():
    torch.ones(2, dtype=torch.float64) + 1
print("dynamo imported:", "torch._dynamo" in sys.modules)
compiled = torch.compile(F.conv2d)
STATE.armed = True
try:
    with mode():
        compiled(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2))
    print("compiled conv2d: ran")
except ForbiddenCall as e:
    print("compiled conv2d:", e)
"""


def test_the_operator_trap_needs_no_dynamo_and_catches_compiled_calls():
    run = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert "dynamo imported: False" in lines, run.stdout
    assert "compiled conv2d: torch operator aten::convolution is not allowed in this exercise" in lines, run.stdout
