"""Landlock for the student process: what it may read, write and open (see confine.py's
docstring for the whole of the confinement)."""

import ctypes
import glob
import os
import platform
import struct
import sys

from . import confine

_FS_EXECUTE = 1 << 0
_FS_WRITE_FILE = 1 << 1
_FS_READ_FILE = 1 << 2
_FS_READ_DIR = 1 << 3
_FS_ABI1 = (1 << 13) - 1
_FS_REFER = 1 << 13
_FS_TRUNCATE = 1 << 14
_FS_IOCTL_DEV = 1 << 15
_NET_BIND_TCP = 1 << 0
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX = 1 << 0
_SCOPE_SIGNAL = 1 << 1
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV


def landlock_abi():
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "aarch64"):
        return 0
    libc = confine._libc()
    abi = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(abi, 0)


def exposed(hidden, read_only):
    """The paths of `hidden` that lie beneath a folder of `read_only` (readable despite Landlock)."""
    out = []
    for h in hidden:
        real = os.path.realpath(h)
        for root in read_only:
            root = os.path.realpath(root)
            if real == root or real.startswith(root.rstrip("/") + "/"):
                out.append(h)
                break
    return out


def landlock_missing():
    """Why Landlock is not there, in a few words (for the grading log), or None when it is."""
    if not sys.platform.startswith("linux"):
        return f"not Linux ({sys.platform})"
    if platform.machine() not in ("x86_64", "aarch64"):
        return f"not supported on {platform.machine()} here"
    libc = confine._libc()
    abi = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi >= 1:
        return None
    import errno

    name = errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    sandbox = " (gVisor has no Landlock)" if _gvisor() else ""
    return f"the kernel ({platform.release()}) refuses landlock_create_ruleset with {name}{sandbox}"


def _gvisor():
    """Whether this process runs under gVisor (its kernel log opens with 'Starting gVisor')."""
    try:
        with open("/proc/self/cgroup") as f:
            cgroup = f.read()
    except OSError:
        cgroup = ""
    try:
        import subprocess

        log = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=5).stdout
    except Exception:
        log = ""
    return "gVisor" in log or "gvisor" in cgroup


def gpu_rules(fs):
    """Landlock rules [(path, rights)] that CUDA needs, for a process that grades GPU questions:
    read, write and ioctl on /dev/nvidiactl, /dev/nvidia-uvm, /dev/nvidia-uvm-tools and
    /dev/nvidiaN; read beneath /proc/driver/nvidia*; writes to the threads' names,
    /proc/self/task/*/comm (CUDA names its threads). `fs`: the rights the ruleset handles."""
    import re

    device = _FS_READ_FILE | _FS_WRITE_FILE | _FS_IOCTL_DEV
    nodes = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"]
    nodes += sorted(p for p in glob.glob("/dev/nvidia*") if re.fullmatch(r"/dev/nvidia\d+", p))
    rules = [(p, device & fs) for p in nodes if os.path.exists(p)]
    rules += [(p, (_FS_READ_FILE | _FS_READ_DIR) & fs) for p in sorted(glob.glob("/proc/driver/nvidia*"))]
    rules.append((f"/proc/{os.getpid()}/task", _FS_WRITE_FILE & fs))
    return rules


# Files of /proc that say nothing about other processes (the rest of /proc is out of reach).
PROC_FILES = ("cpuinfo", "meminfo", "stat", "loadavg", "uptime", "version", "filesystems", "devices", "modules", "sys")


def proc_rules():
    """Landlock rules [(path, rights)] for /proc: reading the process's own /proc/<pid> and
    PROC_FILES, nothing else. Not /proc itself: another process's /proc/<pid>/environ (the
    grader's, or any process of the same user) is otherwise readable, since Landlock's ptrace
    restriction does not cover reading it (measured on Linux 6.18)."""
    read = _FS_READ_FILE | _FS_READ_DIR
    return [(f"/proc/{os.getpid()}", read)] + [(f"/proc/{name}", read) for name in PROC_FILES]


def device_rules():
    """[(device node, Landlock rights)]: the only files under /dev that a student process may
    open. Reading null, zero, random and urandom; writing null (it keeps nothing). Nothing else:
    not /dev/shm (memory outside the process's limits), not terminals. (A process that grades
    GPU questions also gets `gpu_rules`.) The place to extend for other devices."""
    rules = [("/dev/null", _FS_READ_FILE | _FS_WRITE_FILE)]
    rules += [(f"/dev/{name}", _FS_READ_FILE) for name in ("zero", "random", "urandom")]
    return rules


def restrict(workdir, read_only, gpu=False):
    """Restrict file access: read (and execute) beneath `read_only`, everything beneath workdir,
    the device nodes of `device_rules`, the process's own /proc (`proc_rules`: not /proc, even
    where `read_only` has it), and with gpu=True what CUDA needs (`gpu_rules`). Returns a description of what
    was applied, or None when Landlock is unavailable."""
    abi = landlock_abi()
    if abi < 1:
        return None
    fs = _FS_ABI1
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    if abi >= 5:
        fs |= _FS_IOCTL_DEV
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("QQQ", fs, net, scoped)
    elif abi >= 4:
        attr = struct.pack("QQ", fs, net)
    else:
        attr = struct.pack("Q", fs)
    libc = confine._libc()
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = libc.syscall(_SYS_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return None
    try:
        read = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
        rules = [(p, read) for p in read_only if os.path.realpath(p) != "/proc"] + [(workdir, fs)]
        rules += [(p, r & fs) for p, r in device_rules() + proc_rules()]
        rules += gpu_rules(fs) if gpu else []
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not os.path.isdir(path):
                    rights &= _FILE_RIGHTS
                rights &= fs
                rule = struct.pack("=Qi", rights, fd)
                rbuf = ctypes.create_string_buffer(rule, len(rule))
                if libc.syscall(_SYS_ADD_RULE, ruleset, ctypes.c_int(1), rbuf, ctypes.c_uint32(0)) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule({path})")
            finally:
                os.close(fd)
        ul = ctypes.c_ulong
        if libc.prctl(confine.PR_SET_NO_NEW_PRIVS, ul(1), ul(0), ul(0), ul(0)) != 0:
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    parts = [f"Landlock ABI {abi}: files, own /proc"]
    if gpu:
        parts.append("NVIDIA devices")
    if net:
        parts.append("TCP")
    if scoped:
        parts.append("signals")
    return ", ".join(parts)
