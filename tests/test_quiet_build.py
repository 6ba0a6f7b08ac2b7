"""The book build's log says only what a reader needs (book/_ext/cnn_book.py, "A quiet log").

Two kinds of expected, harmless lines are dropped: each kernel's "Kernel is running over TCP
without encryption" (the book's kernels get an IPython profile that logs errors only) and
myst-nb's "Excluded from execution by pattern" for each exercise page. A warning still
reaches the log (and -W still makes it fatal).
"""

import logging
import os
import subprocess
import sys
from pathlib import Path

from autograder.paths import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import cnn_book  # noqa: E402


class _App:
    def __init__(self, outdir):
        self.outdir = str(outdir)


def _kernel_stderr(env):
    """Start an IPython kernel as myst-nb does (jupyter_client, TCP), stop it: its stderr."""
    code = (
        "from jupyter_client.manager import KernelManager\n"
        "km = KernelManager(kernel_name='python3')\n"
        "km.start_kernel()\n"
        "kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)\n"
        "kc.stop_channels(); km.shutdown_kernel(now=True)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stderr


def test_book_kernels_do_not_warn_about_tcp(tmp_path, monkeypatch):
    plain = {k: v for k, v in os.environ.items() if k != "IPYTHONDIR"}
    plain["IPYTHONDIR"] = str(tmp_path / "plain-ipython")
    assert "without encryption" in _kernel_stderr(plain), "the kernel no longer warns: this test checks nothing"
    monkeypatch.delenv("IPYTHONDIR", raising=False)  # quiet_log sets it: restored after the test
    cnn_book.quiet_log(_App(tmp_path / "_build" / "html"), None)
    quiet = dict(os.environ)
    assert Path(quiet["IPYTHONDIR"]) == tmp_path / "_build" / ".ipython"
    assert "without encryption" not in _kernel_stderr(quiet)


def test_expected_messages_are_dropped_and_warnings_kept():
    drop = cnn_book._DropExpected()

    def record(msg, level=logging.INFO):
        return logging.LogRecord("sphinx.myst_nb", level, __file__, 1, msg, None, None)

    assert not drop.filter(record("Excluded from execution by pattern: 'exercises/*/*.ipynb'"))
    assert drop.filter(record("lectures/gpu.ipynb: Executing notebook using local CWD"))
    assert drop.filter(record("undefined label: 'nowhere'", logging.WARNING))
