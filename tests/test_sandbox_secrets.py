"""The sandbox keeps the instructor's secrets (issue 21), through the real command.

Each case is a convolution notebook whose corr2d is right only if its attack failed (so q1 says
whether it did), graded in ONE run of `python -m autograder grade` with a secret in the
grader's environment and listeners of the test's own on every kind of socket:

1. the environment: the grader's MY_CANVAS_TOKEN must not reach the student process, nor any
   file the run writes; the student process sees only the allow-list of autograder.confine;
2. the network: no socket of any family (TCP, UDP, IPv6, a named or abstract Unix socket,
   netlink, a socketpair) can be created, and no listener hears from a submission;
3. other processes: no /proc/<pid>/environ but the process's own (the grader's processes and a
   process of the test's that holds a secret of its own);
4. threads: a forbidden operator (torch.ops.aten.conv2d) called on a thread the student starts
   earns nothing for that question.
"""

import csv
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grading_cases as gc
import nbformat
import pytest

from autograder.engine import confine, landlock

pytestmark = pytest.mark.slow  # batch grading: not in `make test-fast`

REPO = Path(__file__).resolve().parents[1]
STUDENT = REPO / "exercises" / "convolution" / "convolution.ipynb"
FULL = {"q1": 8, "q2": 5}

CORR2D = gc.CORR2D_REFERENCE
CONVOLVE2D = """\
def convolve2d(image, kernel):
    return _right_corr2d(image, np.asarray(kernel)[::-1, ::-1])
"""


def notebook(attack="", corr2d=None, convolve2d=CONVOLVE2D, guard="True"):
    """The student notebook with `attack` run in a cell before the answers, and a corr2d that is
    right while `guard` (Python, evaluated at call time) holds, else fails saying `ATTACK_SAW`."""
    nb = nbformat.read(STUDENT, as_version=4)
    if corr2d is None:
        corr2d = (  # ATTACK_SAW read as a plain name: globals() in a graded function is refused
            CORR2D + "\n\ntry:\n    ATTACK_SAW\nexcept NameError:\n    ATTACK_SAW = None\n\n"
            "def corr2d(image, kernel):\n"
            f"    if not ({guard}):\n"
            "        raise AssertionError('the attack worked: ' + repr(ATTACK_SAW)[:3000])\n"
            "    return _right_corr2d(image, kernel)\n"
        )
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "def corr2d(" in cell.source:
            nb.cells[i].source = corr2d
            first = i
        elif cell.cell_type == "code" and "def convolve2d(" in cell.source:
            nb.cells[i].source = convolve2d
    if attack:
        cell = nbformat.v4.new_code_cell(attack)
        cell.id = "attack"
        nb.cells.insert(first, cell)
    return nb


# ----------------------------------------------------------------------------- 1: environment

ENVIRONMENT = """\
import os as _os
_allowed = set({allowed!r})
_extra = sorted(set(_os.environ) - _allowed)
ATTACK_SAW = {{"token": _os.environ.get("MY_CANVAS_TOKEN"), "extra": _extra, "environ": dict(_os.environ)}}
if ATTACK_SAW["token"] or _extra:
    raise RuntimeError("leaked: " + repr(ATTACK_SAW))
"""

# ----------------------------------------------------------------------------- 2: network


def attempt(body):
    """A cell that runs `body` (which uses _s, _socket) and records in ATTACK_SAW what worked:
    creating the socket already counts."""
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    return (
        "import socket as _socket\n"
        "ATTACK_SAW = []\n"
        "try:\n"
        f"{lines}\n"
        "except OSError as _e:\n"
        "    ATTACK_SAW.append('refused: ' + repr(_e))\n"
        "ATTACK_SAW_OK = not [x for x in ATTACK_SAW if not x.startswith('refused')]\n"
    )


class Listeners:
    """Sockets of the test's own that a submission tries to reach; what each heard."""

    def __init__(self, folder):
        self.heard = {}
        self.socks = []
        self.tcp4 = self.stream(socket.AF_INET, ("127.0.0.1", 0), "tcp4")
        self.udp4 = self.datagram(socket.AF_INET, ("127.0.0.1", 0), "udp4")
        self.tcp6 = self.stream(socket.AF_INET6, ("::1", 0), "tcp6")
        self.udp6 = self.datagram(socket.AF_INET6, ("::1", 0), "udp6")
        os.chmod(folder, 0o755)
        self.named = str(folder / "agent.sock")  # where $SSH_AUTH_SOCK would be
        self.stream(socket.AF_UNIX, self.named, "named")
        os.chmod(self.named, 0o777)
        self.abstract = "\0autograder-secrets-" + secrets.token_hex(8)
        self.stream(socket.AF_UNIX, self.abstract, "abstract")

    def stream(self, family, address, name):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind(address)
        s.listen(8)
        self.socks.append(s)
        self.heard[name] = []

        def serve():
            while True:
                try:
                    conn, _ = s.accept()
                except OSError:
                    return
                self.heard[name].append(b"connected")
                conn.settimeout(2)
                try:
                    self.heard[name].append(conn.recv(100))
                except OSError:
                    pass
                conn.close()

        threading.Thread(target=serve, daemon=True).start()
        return s.getsockname()[:2] if family != socket.AF_UNIX else address

    def datagram(self, family, address, name):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.bind(address)
        self.socks.append(s)
        self.heard[name] = []

        def serve():
            while True:
                try:
                    data = s.recv(100)
                except OSError:
                    return
                if not data:  # shut down
                    return
                self.heard[name].append(data)

        threading.Thread(target=serve, daemon=True).start()
        return s.getsockname()[:2]

    def close(self):
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def network_cases(listen):
    connect = "_s = _socket.socket(_socket.{family}, _socket.SOCK_STREAM)\nATTACK_SAW.append('socket')\n"
    connect += "_s.settimeout(3)\n_s.connect({address!r})\nATTACK_SAW.append('connected')\n_s.sendall(b'leak')\n"
    send = "_s = _socket.socket(_socket.{family}, _socket.SOCK_DGRAM)\nATTACK_SAW.append('socket')\n"
    send += "_s.sendto(b'leak', {address!r})\nATTACK_SAW.append('sent')\n"
    netlink = """\
import struct as _struct
_s = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, 0)  # NETLINK_ROUTE
ATTACK_SAW.append('socket')
_s.settimeout(3)
_s.send(_struct.pack("=IHHII", 32, 18, 0x301, 1, 0) + bytes(16))  # RTM_GETLINK, dump
_reply = _s.recv(65536)
ATTACK_SAW.append(f'the kernel answered {len(_reply)} bytes')
"""
    pair = "_a, _b = _socket.socketpair()\nATTACK_SAW.append('socketpair')\n"
    pair += "_s = _socket.socket(_socket.AF_PACKET, _socket.SOCK_DGRAM)\nATTACK_SAW.append('packet socket')\n"
    cases = {
        "tcp4": connect.format(family="AF_INET", address=tuple(listen.tcp4)),
        "udp4": send.format(family="AF_INET", address=tuple(listen.udp4)),
        "tcp6": connect.format(family="AF_INET6", address=tuple(listen.tcp6)),
        "udp6": send.format(family="AF_INET6", address=tuple(listen.udp6)),
        "named": connect.format(family="AF_UNIX", address=listen.named),
        "abstract": connect.format(family="AF_UNIX", address=listen.abstract),
        "netlink": netlink,
        "socketpair": pair,
    }
    return {f"net_{name}.ipynb": notebook(attempt(body), guard="ATTACK_SAW_OK") for name, body in cases.items()}


# ----------------------------------------------------------------------------- 3: other processes

PROC = """\
import os as _os
def _environs():
    seen = {}
    for name in _os.listdir("/proc"):
        if not name.isdigit() or int(name) == _os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                data = f.read()
        except OSError:
            continue
        if data:
            seen[int(name)] = data.decode(errors="replace")
    return seen
try:
    ATTACK_SAW = _environs()
except OSError as _e:  # /proc itself out of reach
    ATTACK_SAW = {}
_parent = _os.getppid()
if ATTACK_SAW:
    raise RuntimeError(f"read {len(ATTACK_SAW)} environments (parent {_parent}): " + repr(ATTACK_SAW)[:3000])
"""

# ----------------------------------------------------------------------------- 4: threads

ON_A_THREAD = """\
import threading
import torch

def corr2d(image, kernel):
    out = {}

    def work():
        try:
            x = torch.as_tensor(np.asarray(image, dtype=float))[None, None]
            k = torch.as_tensor(np.asarray(kernel, dtype=float))[None, None]
            out["y"] = torch.ops.aten.conv2d(x, k).numpy()[0, 0]
        except BaseException as e:
            out["e"] = e

    t = threading.Thread(target=work)
    t.start()
    t.join()
    if "e" in out:
        raise out["e"]
    return out["y"]
"""

# A worker thread started at the top level (before any graded call), fed through a queue.
ON_A_POOL = """\
import _thread
import queue
import torch

_jobs, _results = queue.Queue(), queue.Queue()

def _serve():
    while True:
        image, kernel = _jobs.get()
        try:
            x = torch.as_tensor(np.asarray(image, dtype=float))[None, None]
            k = torch.as_tensor(np.asarray(kernel, dtype=float)[::-1, ::-1].copy())[None, None]
            _results.put(torch.ops.aten.conv2d(x, k).numpy()[0, 0])
        except BaseException as e:
            _results.put(e)

try:
    _thread.start_new_thread(_serve, ())
    _POOL = True
except RuntimeError:
    _POOL = False

def convolve2d(image, kernel):
    if not _POOL:  # no thread: the forbidden operator on this one
        x = torch.as_tensor(np.asarray(image, dtype=float))[None, None]
        k = torch.as_tensor(np.asarray(kernel, dtype=float)[::-1, ::-1].copy())[None, None]
        return torch.ops.aten.conv2d(x, k).numpy()[0, 0]
    _jobs.put((image, kernel))
    y = _results.get(timeout=5)
    if isinstance(y, BaseException):
        raise y
    return y
"""


# ----------------------------------------------------------------------------- the run


def rows_of(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return {r["submission"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded():
    """Every case graded in one run, with MY_CANVAS_TOKEN in the grader's environment, the
    listeners open, and another process holding a secret of its own."""
    root = Path(tempfile.mkdtemp(prefix="secrets-", dir="/tmp"))
    os.chmod(root, 0o711)
    folder, out, sockets = root / "submissions", root / "out", root / "sockets"
    folder.mkdir()
    sockets.mkdir()
    token, other_token = "canvas-" + secrets.token_hex(16), "other-" + secrets.token_hex(16)
    listen = Listeners(sockets)
    other = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(900)"], env={"MY_OTHER_SECRET": other_token}
    )
    cases = {
        "correct.ipynb": notebook(),
        "environment.ipynb": notebook(
            ENVIRONMENT.format(allowed=sorted(confine.STUDENT_ENVIRONMENT)),
            guard="not ATTACK_SAW['token'] and not ATTACK_SAW['extra']",
        ),
        "proc_environ.ipynb": notebook(PROC, guard="not ATTACK_SAW"),
        "thread_operator.ipynb": notebook(corr2d=CORR2D + "\n\n" + ON_A_THREAD, convolve2d=ON_A_POOL),
        **network_cases(listen),
    }
    for name, nb in cases.items():
        nbformat.write(nb, folder / name)
    tmp = root / "tmp"
    tmp.mkdir()
    os.chmod(tmp, 0o711)
    env = dict(os.environ, MY_CANVAS_TOKEN=token, TMPDIR=str(tmp))
    command = [sys.executable, "-m", "autograder", "grade", "convolution", str(folder), "-o", str(out), "-j", "2"]
    command += ["--timeout", "6", "--cell-timeout", "6", "--memory", "1024"]
    try:
        proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
        time.sleep(0.5)  # what a listener heard last
    finally:
        other.kill()
        other.wait()
        listen.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    written["stdout"], written["stderr"] = proc.stdout.encode(), proc.stderr.encode()
    return {
        "rows": rows_of(out),
        "log": (out / "grading.log").read_text(encoding="utf-8"),
        "written": written,
        "heard": listen.heard,
        "tokens": (token, other_token),
    }


def section(graded, name):
    """The grading.log entry of one submission."""
    return graded["log"].split(f"== {name}:")[1].split("\n== ")[0]


def score(graded, name, question):
    return float(graded["rows"][name][question])


def test_the_control_gets_full_marks(graded):
    for q, points in FULL.items():
        assert score(graded, "correct", q) == points, graded["rows"]["correct"]


# ----------------------------------------------------------------------------- 1


def test_the_graders_environment_does_not_reach_student_code(graded):
    assert score(graded, "environment", "q1") == FULL["q1"], section(graded, "environment")
    token = graded["tokens"][0].encode()
    leaks = [str(p) for p, data in graded["written"].items() if token in data]
    assert not leaks, f"the grader's MY_CANVAS_TOKEN is in {leaks}"


# ----------------------------------------------------------------------------- 2


@pytest.mark.parametrize("family", ["tcp4", "udp4", "tcp6", "udp6", "named", "abstract", "netlink", "socketpair"])
def test_no_socket_of_any_family(graded, family):
    name = f"net_{family}"
    assert score(graded, name, "q1") == FULL["q1"], section(graded, name)
    assert not graded["heard"].get(family), f"the test's {family} listener heard {graded['heard'][family]}"


# ----------------------------------------------------------------------------- 3


def test_no_other_process_environment_is_readable(graded):
    log = section(graded, "proc_environ")
    if landlock.landlock_abi() < 1 and "uid 0" in log:
        assert "/proc of other processes readable" in log, log
        pytest.skip("root without Landlock: other processes' /proc is readable, and the log says so")
    assert score(graded, "proc_environ", "q1") == FULL["q1"], log
    for token in graded["tokens"]:
        leaks = [str(p) for p, data in graded["written"].items() if token.encode() in data]
        assert not leaks, f"a secret of another process is in {leaks}"


# ----------------------------------------------------------------------------- 4


def test_a_forbidden_operator_on_a_thread_earns_nothing(graded):
    row = graded["rows"]["thread_operator"]
    assert score(graded, "thread_operator", "q1") == 0, row
    assert score(graded, "thread_operator", "q2") == 0, row


def test_the_log_names_every_protection(graded):
    line = [x for x in section(graded, "correct").splitlines() if "student process:" in x][0]
    for part in ("no capabilities", "no sockets", "environment"):
        assert part in line, line
