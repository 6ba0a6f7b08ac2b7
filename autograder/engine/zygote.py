"""The grader's side of the zygote: the warm process that forks student processes
(engine.student.server)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from . import confine
from .student.frames import read_frame, write_frame

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class Zygote:
    """The warm process that forks student processes (engine.student.server)."""

    def __init__(self, config, scratch):
        self.config = config
        self.scratch = scratch
        self.proc = None
        self.control = None

    def start(self):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # An allow-list, never the grader's environment; TMPDIR and HOME: the run's scratch
        env = confine.student_environment(self.scratch, python_path=[PACKAGE_PARENT])
        self.stderr = open(os.path.join(self.scratch, "zygote.err"), "w+b")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "autograder.engine.student.server",
                str(child.fileno()),
                json.dumps(
                    {
                        "preload": self.config["preload"],
                        "forbidden": self.config["forbidden"],
                        "blocked": self.config.get("blocked", []),
                    }
                ),
            ],
            pass_fds=[child.fileno()],
            cwd=self.scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        child.close()
        self.control = parent

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def request(self, message, fds=(), timeout=300):
        if not self.alive():
            self.close()
            self.start()
        data = json.dumps(message).encode()
        error = None
        try:
            write_frame(self.control, data, fds)
            self.control.settimeout(timeout)
            reply, _ = read_frame(self.control)
        except (OSError, EOFError) as e:
            reply = b""
            error = e
        if not reply:
            self.stderr.seek(0)
            tail = self.stderr.read()[-2000:].decode(errors="replace")
            self.close()
            raise RuntimeError(f"the grader's student-process server stopped: {tail or error}")
        return json.loads(reply)

    def fork(self, limits, hidden, gpu=False, notebook_fd=None, **request):
        """A new student process: (pid, socket, workdir). gpu=True: one that may use the GPU.
        notebook_fd: the submission's file, open for reading; request: the rest of what
        student.child.child reads (scan, names)."""
        request = dict(request, limits=limits, hidden=hidden, gpu=bool(gpu))
        workdir = tempfile.mkdtemp(prefix="student-", dir=self.scratch)
        os.chmod(workdir, 0o700)
        self.seed(workdir)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            fds = [theirs.fileno()] + ([notebook_fd] if notebook_fd is not None else [])
            reply = self.request(dict(request, op="fork", workdir=workdir), fds=fds)
        finally:
            theirs.close()
        if "error" in reply:
            mine.close()
            raise RuntimeError(f"the grader's student-process server refused to fork: {reply['error']}")
        return reply["pid"], mine, workdir

    def seed(self, workdir):
        """Put beside the notebook what a student's folder holds, so that its first cell finds
        its files and downloads nothing: the exercise's checks (public) and, in place of the
        test files, a line saying they are the grader's (the hidden tests never go there)."""
        tests = Path(self.config["tests"])
        checks = tests.parent / "exercise_checks.py"
        if checks.exists():
            shutil.copy(checks, os.path.join(workdir, "exercise_checks.py"))
        os.makedirs(os.path.join(workdir, "tests"))
        for path in sorted(tests.glob("*.py")):
            Path(workdir, "tests", path.name).write_text("# The grader runs this question's tests itself.\n")

    def status(self):
        """{"cuda_initialised", "nvml_check", "torch"}: the zygote's own state."""
        return self.request({"op": "status"}, timeout=60)

    def end(self, pid, kill):
        try:
            return self.request({"op": "kill" if kill else "wait", "pid": pid}, timeout=60)["status"]
        except RuntimeError as e:
            return str(e)

    def close(self):
        if self.proc is not None:
            try:
                write_frame(self.control, json.dumps({"op": "exit"}).encode())
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.control.close()
            self.stderr.close()
        self.proc = None
