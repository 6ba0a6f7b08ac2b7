"""The zygote: imports what student code needs once, then forks a student process per request.

    python -m autograder.engine.student.server FD CONFIG_JSON

See the package's docstring for what a student process does.
"""

import importlib
import json
import os
import signal
import socket
import sys

from ... import submissions
from .. import confine
from .child import child, cuda_initialised
from .frames import read_frame, write_frame
from .tripwires import Tripwires, refuse_modules


def preload(modules):
    os.environ.setdefault("MPLBACKEND", "Agg")
    loaded = []
    for name in modules:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:
            pass
    try:  # turns magics into Python in the student process (submissions.ipython_to_python)
        submissions.ipython_to_python("%matplotlib inline")
    except Exception:
        pass
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        torch.zeros(2, 2) @ torch.zeros(2, 2)
    if "matplotlib.pyplot" in sys.modules:
        plt = sys.modules["matplotlib.pyplot"]
        fig = plt.figure()  # loads the font cache once, here, rather than in every child
        fig.text(0.5, 0.5, "warm up")
        fig.canvas.draw()
        plt.close(fig)
    return loaded


def zygote(control_fd, config):
    confine.die_with_parent()  # the grader
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    confine.not_dumpable()  # no student process may read or write this one's memory through /proc
    os.environ.update(confine.NVML_CHECK)
    control = socket.socket(fileno=control_fd)
    preload(config.get("preload", []))
    blocked = config.get("blocked", [])
    tripwires = Tripwires([e for e in config.get("forbidden", []) if e not in blocked])
    refuse_modules(blocked)
    children = set()
    while True:
        try:
            data, fds = read_frame(control)
        except (OSError, EOFError):
            break
        request = json.loads(data.decode())
        op = request.get("op")
        reply = {}
        if op == "status":
            reply = {
                "cuda_initialised": cuda_initialised(),
                "nvml_check": os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK"),
                "torch": "torch" in sys.modules,
            }
        elif op == "fork" and cuda_initialised():
            for fd in fds:
                os.close(fd)
            reply = {"error": "CUDA was initialised in the process that forks student processes"}
        elif op == "fork":
            pid = os.fork()
            if pid == 0:
                control.close()
                code = 1
                try:
                    child(fds[0], request, tripwires, fds[1] if len(fds) > 1 else None)
                    code = 0
                finally:
                    os._exit(code)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            reply = {"pid": pid}
        elif op in ("kill", "wait"):
            pid = int(request["pid"])
            if pid in children:
                if op == "kill":
                    for target in (-pid, pid):
                        try:
                            os.kill(target, signal.SIGKILL)
                        except OSError:
                            pass
                _, status = os.waitpid(pid, 0)
                children.discard(pid)
                reply = {"status": describe_status(status)}
            else:
                reply = {"status": "unknown process"}
        elif op == "exit":
            break
        write_frame(control, json.dumps(reply).encode())
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
    confine.exit_now()


def describe_status(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"killed by {name}"
    if os.WIFEXITED(status):
        return f"exit status {os.WEXITSTATUS(status)}"
    return f"status {status}"


if __name__ == "__main__":
    zygote(int(sys.argv[1]), json.loads(sys.argv[2]))
