"""The pure parts of autograder.confine (fast): the student environment's allow-list, the
syscall table of the seccomp filter (checked against libseccomp's resolver), the filter itself
(run in a BPF interpreter for both architectures, and installed for real in a subprocess)."""

import ctypes
import ctypes.util
import os
import platform
import subprocess
import sys

import pytest

from autograder.engine import confine, seccomp

ARCHES = sorted(seccomp.SYSCALLS)
GRADER = {
    "MY_CANVAS_TOKEN": "secret-token",
    "AWS_SECRET_ACCESS_KEY": "secret-key",
    "SSH_AUTH_SOCK": "/tmp/ssh-XXXX/agent.1",
    "HOME": "/home/instructor",
    "PATH": "/home/instructor/bin:/usr/bin",
    "PYTHONPATH": "/opt/extra:relative:/opt/other",
    "LD_LIBRARY_PATH": "/usr/local/cuda/lib64",
    "LANG": "de_DE.UTF-8",
    "LC_ALL": "C; rm -rf /",
    "CUDA_VISIBLE_DEVICES": "1",
    "TZ": "Europe/Berlin",
    "OMP_NUM_THREADS": "16",
}


# ----------------------------------------------------------------------------- environment


def test_the_student_environment_is_the_allow_list_only():
    env = confine.student_environment("/tmp/scratch", python_path=["/srv/grader"], environ=GRADER)
    assert set(env) <= confine.STUDENT_ENVIRONMENT
    assert "secret" not in repr(env) and "SSH_AUTH_SOCK" not in env and "instructor" not in repr(env)
    assert env["HOME"] == env["TMPDIR"] == env["MPLCONFIGDIR"] == "/tmp/scratch"
    assert env["PYTHONPATH"] == "/srv/grader:/opt/extra:/opt/other"  # relative entries dropped
    assert env["PATH"] == confine.FIXED_ENVIRONMENT["PATH"]
    assert env["LD_LIBRARY_PATH"] == "/usr/local/cuda/lib64"
    assert env["LANG"] == "de_DE.UTF-8" and "LC_ALL" not in env  # not a locale name: dropped
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and env["TZ"] == "Europe/Berlin"
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    assert env["PYTORCH_NVML_BASED_CUDA_CHECK"] == "1" and env["MPLBACKEND"] == "Agg"


def test_an_empty_grader_environment_still_works():
    env = confine.student_environment("/s", environ={})
    assert env["LANG"] == "C.UTF-8" and "PYTHONPATH" not in env
    assert confine.environment_note(env).startswith("environment: ")
    assert confine.environment_note(dict(env, MY_CANVAS_TOKEN="x")).startswith("WARNING")


def test_no_library_variable_is_taken_from_the_grader():
    env = confine.student_environment("/s", environ={"TORCHINDUCTOR_CACHE_DIR": "/root/secret"})
    assert "TORCHINDUCTOR_CACHE_DIR" not in env


# ----------------------------------------------------------------------------- syscall table


def test_every_rule_names_a_syscall_of_each_architecture():
    names = {n for group in seccomp.DENIED.values() for n in group} | {"clone", "clone3", "sendto"}
    for arch in ARCHES:
        table = seccomp.SYSCALLS[arch]
        missing = names - set(table) - ({"fork", "vfork"} if arch == "aarch64" else set())
        assert not missing, (arch, missing)
        assert len(set(table.values())) == len(table), f"{arch}: two names, one number"
    assert set(seccomp.SYSCALLS["x86_64"]) - set(seccomp.SYSCALLS["aarch64"]) == {"fork", "vfork"}


def _libseccomp():
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    lib.seccomp_syscall_resolve_name_arch.restype = ctypes.c_int
    return lib


@pytest.mark.parametrize("arch", ARCHES)
def test_syscall_numbers_agree_with_libseccomp(arch):
    """libseccomp's own tables (from the kernel's) resolve every name to the same number."""
    lib = _libseccomp()
    if lib is None:
        pytest.skip("skipped: libseccomp2 is not installed (Debian/Ubuntu: apt-get install libseccomp2)")
    token = seccomp.AUDIT_ARCH[arch]  # SCMP_ARCH_* are the AUDIT_ARCH_* values
    wrong = {}
    for name, nr in seccomp.SYSCALLS[arch].items():
        got = lib.seccomp_syscall_resolve_name_arch(token, name.encode())
        if got != nr:
            wrong[name] = (nr, got)
    assert not wrong, wrong
    if arch == "aarch64":  # no such syscalls there: libseccomp gives a negative pseudo-number
        assert lib.seccomp_syscall_resolve_name_arch(token, b"fork") < 0


# ----------------------------------------------------------------------------- the filter


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("threads", [True, False])
def test_the_filter_refuses_what_it_says(arch, threads):
    program = seccomp.seccomp_program(arch, threads)
    table = seccomp.SYSCALLS[arch]
    allow, eperm, enosys = seccomp.SECCOMP_RET_ALLOW, seccomp.SECCOMP_RET_ERRNO | 1, seccomp.SECCOMP_RET_ERRNO | 38

    def verdict(name, *args):
        return seccomp.run_filter(program, arch, table[name], args)

    for group in seccomp.DENIED.values():
        for name in group:
            if name in table:
                assert verdict(name) == eperm, (arch, name)
    for nr in range(0, 300):  # whatever is not named stays allowed (read, write, mmap, ioctl...)
        if nr not in table.values():
            assert seccomp.run_filter(program, arch, nr) == allow, (arch, nr)
    assert verdict("sendto", 3, 0, 10, 0, 0, 0) == allow  # send(): no address
    assert verdict("sendto", 3, 0, 10, 0, 0x7FFF0000, 16) == eperm  # an address (low half)
    assert verdict("sendto", 3, 0, 10, 0, 0x5500_0000_0000, 16) == eperm  # (high half)
    assert verdict("clone3") == enosys
    assert verdict("clone", 0x11) == eperm  # fork: no CLONE_THREAD
    assert verdict("clone", 0x3D0F00) == (allow if threads else eperm)  # what pthread_create passes
    other = 0x40000003  # i386
    assert seccomp.run_filter(program, other, 0) == eperm
    if arch == "x86_64":
        assert seccomp.run_filter(program, arch, 0x40000000 | table["socket"]) == eperm  # x32


def test_a_jump_too_far_is_refused():
    lines = [("ld", 0), ("jeq", 1, "far", None)] + [("ld", 0)] * 300 + [("label", "far"), ("ret", 0)]
    with pytest.raises(ValueError, match="out of range"):
        seccomp.assemble(lines)


PROBE = """
import socket, sys, threading
sys.path.insert(0, sys.argv[1])
from autograder.engine import confine, seccomp
a, b = socket.socketpair()
print(seccomp.install(threads=False))
refused = []
for name, attempt in [
    ("socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
    ("unix", lambda: socket.socket(socket.AF_UNIX)),
    ("socketpair", socket.socketpair),
    ("sendto", lambda: a.sendto(b"x", "/nonexistent")),
    ("thread", lambda: threading.Thread(target=print).start()),
]:
    try:
        attempt()
    except (OSError, RuntimeError):
        refused.append(name)
a.sendall(b"still")
socket.send_fds(a, [b" open"], [0])
print(",".join(refused), b.recv(20).decode())
"""


def test_the_filter_installed_here():
    if not sys.platform.startswith("linux") or platform.machine() not in seccomp.SYSCALLS:
        pytest.skip(f"skipped: no seccomp filter for {sys.platform} {platform.machine()}")
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(confine.__file__)))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, package_parent],
        capture_output=True,
        text=True,
        timeout=60,
        env=confine.student_environment("/tmp"),
    )
    assert proc.returncode == 0, proc.stderr
    described, result = proc.stdout.splitlines()
    assert "no sockets" in described and "threads" in described
    assert result == "socket,unix,socketpair,sendto,thread still open", result


def test_what_cannot_be_closed_is_said():
    closed = confine.unclosed(["Landlock ABI 7: files", "seccomp: no fork/exec"])
    assert len(closed) == 1 and "environment" in closed[0], closed  # this test's own: not allow-listed
    open_ = confine.unclosed(["limits"])
    assert any(n.startswith("WARNING: no seccomp") for n in open_), open_
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        assert any("/proc of other processes readable" in n for n in open_), open_
    assert all(len(n) <= 80 for n in open_), "the grader keeps 80 characters of each"
