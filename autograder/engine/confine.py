"""Confining a student process (Linux; best effort elsewhere).

Applied by the student process to itself, after the fork and before any student code runs.
Each layer that the operating system offers is used; what was applied is reported back to the
grader and written to the grading log.

- resource limits: address space (memory), CPU seconds, file size, no core files;
- when running as root (Gradescope, Docker): the scratch folder becomes a tmpfs of fixed size
  in a mount namespace of its own (the total disk quota), then the process switches to the
  unprivileged user `nobody`; `root_problem` tells the grader beforehand when that cannot work
  (an interpreter under a folder `nobody` cannot enter, such as pyenv's /root), and the grader
  refuses to run student code as root unless told to;
- Landlock (Linux >= 5.13): the process may read only the Python installation and system
  folders, open only the device nodes of `device_rules` (null, zero, random, urandom), and write
  only its own scratch folder: the repository (answer keys in solutions/, hidden tests in
  _build/), the grader's files and /dev/shm are out of reach; from Linux 6.12 it also
  cannot signal processes outside its sandbox (the grader), and cannot open TCP connections;
- seccomp (Linux, x86_64 and aarch64): no new processes (fork, exec), no kill/ptrace of other
  processes, no leaving its process group, no namespaces (ioctl, mmap and memfd_create, which
  CUDA needs, stay allowed);
- for a process that grades GPU questions (and only for it), Landlock also lets CUDA at the
  NVIDIA device nodes and driver files (`gpu_rules`), and the memory limit is on the data
  segment instead of the address space, which CUDA reserves by the tens of gigabytes.
"""

import ctypes
import os
import platform
import resource
import struct
import sys
import sysconfig

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def _libc():
    return ctypes.CDLL(None, use_errno=True)


# torch.cuda.is_available() asks NVML instead of initialising CUDA (which would not survive fork).
NVML_CHECK = {"PYTORCH_NVML_BASED_CUDA_CHECK": "1"}


def die_with_parent():
    """Be killed (SIGKILL) when the process that started this one ends (Linux; else nothing)."""
    import signal

    try:
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


def not_dumpable():
    """Forbid ptrace and /proc/<pid>/mem access to this process by same-user processes (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        except Exception:
            pass


def set_limits(memory_bytes, cpu_seconds, file_bytes, data_bytes=None):
    """Resource limits: address space (memory_bytes), data segment (data_bytes), CPU seconds,
    file size; None leaves one alone. Returns the names of those set."""
    done = []
    for name, which, value in [
        ("memory", getattr(resource, "RLIMIT_AS", None), memory_bytes),
        ("data", getattr(resource, "RLIMIT_DATA", None), data_bytes),
        ("cpu", resource.RLIMIT_CPU, cpu_seconds),
        ("file size", resource.RLIMIT_FSIZE, file_bytes),
        ("core", resource.RLIMIT_CORE, 0),
    ]:
        if which is None or value is None:
            continue
        try:
            soft, hard = resource.getrlimit(which)
            value = int(value)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value if which != resource.RLIMIT_CPU else hard))
            done.append(name)
        except (ValueError, OSError):
            pass
    return done


def reachable_by_others(path):
    """Whether every folder above `path` lets other users through (mode o+x)."""
    path = os.path.realpath(path)
    while True:
        parent = os.path.dirname(path)
        if parent == path:
            return True
        try:
            if not os.stat(parent).st_mode & 0o001:
                return False
        except OSError:
            return False
        path = parent


def root_problem():
    """Why student code would run as root here (one line), or None: None when this process is
    not root, or when `nobody` can reach every folder of the Python installation."""
    if os.geteuid() != 0:
        return None
    blocked = [p for p in readable_roots() if not reachable_by_others(p + "/x")]
    if not blocked:
        return None
    path = blocked[0]
    closed = path
    while os.path.dirname(closed) != closed:
        parent = os.path.dirname(closed)
        try:
            if not os.stat(parent).st_mode & 0o001:
                closed = parent
                break
        except OSError:
            break
        closed = parent
    return (
        f"the grader runs as root and the user nobody cannot reach the Python installation at {path} "
        f"({closed} is not searchable by other users), so student code would run as root"
    )


def quota_mount(workdir, disk_mb, owner):
    """As root: give this process a mount namespace of its own in which workdir is a tmpfs of
    disk_mb MB (and at most 20,000 files), owned by uid/gid `owner`. Returns a description, or
    None where it cannot be done (not root, no CAP_SYS_ADMIN)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not disk_mb:
        return None
    libc = _libc()
    CLONE_NEWNS, MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV = 0x00020000, 0x4000, 1 << 18, 2, 4
    if libc.unshare(CLONE_NEWNS) != 0:
        return None
    if libc.mount(None, b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None) != 0:
        return None
    options = f"size={int(disk_mb)}m,nr_inodes=20000,mode=0700,uid={owner[0]},gid={owner[1]}".encode()
    below = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)  # what the grader put there (seeded files)
    try:
        if libc.mount(b"tmpfs", os.fsencode(workdir), b"tmpfs", ctypes.c_ulong(MS_NOSUID | MS_NODEV), options) != 0:
            return None
        _copy_tree(below, workdir)
    finally:
        os.close(below)
    return f"disk quota {int(disk_mb)} MB (tmpfs)"


def _copy_tree(dir_fd, dest):
    """Copy the files and folders of the folder open as dir_fd into dest (the grader's seeded
    files, from beneath the tmpfs that now covers them)."""
    for entry in os.scandir(dir_fd):
        if entry.is_dir(follow_symlinks=False):
            os.mkdir(os.path.join(dest, entry.name))
            sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=dir_fd)
            try:
                _copy_tree(sub, os.path.join(dest, entry.name))
            finally:
                os.close(sub)
        elif entry.is_file(follow_symlinks=False):
            src = os.open(entry.name, os.O_RDONLY, dir_fd=dir_fd)
            try:
                with open(src, "rb", closefd=False) as f, open(os.path.join(dest, entry.name), "wb") as g:
                    g.write(f.read())
            finally:
                os.close(src)


def nobody():
    """(uid, gid) of the user `nobody`."""
    try:
        import pwd

        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except (KeyError, ImportError):
        return 65534, 65534


def drop_root(workdir, needed):
    """As root, become `nobody`; workdir is handed over first. Skipped (None) when not root, or
    when a folder in `needed` (the Python installation) is not reachable by other users (the
    grader has refused to start in that case, unless told to run student code as root)."""
    if os.geteuid() != 0:
        return None
    if not all(reachable_by_others(p + "/x") for p in needed):
        return None
    uid, gid = nobody()
    os.chown(workdir, uid, gid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    return f"uid {uid}"


# ----------------------------------------------------------------------------- Landlock

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
    libc = _libc()
    abi = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(abi, 0)


def readable_roots():
    """Folders a Python process needs to read: the interpreter, its libraries, the system."""
    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
    }
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(path)
    roots.update(p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p))
    roots.update(["/usr", "/lib", "/lib64", "/lib32", "/etc", "/opt/conda", "/proc", "/sys", "/bin", "/sbin"])
    return sorted(r for r in roots if r and os.path.exists(r))


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
    libc = _libc()
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
    import glob
    import re

    device = _FS_READ_FILE | _FS_WRITE_FILE | _FS_IOCTL_DEV
    nodes = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"]
    nodes += sorted(p for p in glob.glob("/dev/nvidia*") if re.fullmatch(r"/dev/nvidia\d+", p))
    rules = [(p, device & fs) for p in nodes if os.path.exists(p)]
    rules += [(p, (_FS_READ_FILE | _FS_READ_DIR) & fs) for p in sorted(glob.glob("/proc/driver/nvidia*"))]
    rules.append((f"/proc/{os.getpid()}/task", _FS_WRITE_FILE & fs))
    return rules


def device_rules():
    """[(device node, Landlock rights)]: the only files under /dev that a student process may
    open. Reading null, zero, random and urandom; writing null (it keeps nothing). Nothing else:
    not /dev/shm (memory outside the process's limits), not terminals. (A process that grades
    GPU questions also gets `gpu_rules`.) The place to extend for other devices."""
    rules = [("/dev/null", _FS_READ_FILE | _FS_WRITE_FILE)]
    rules += [(f"/dev/{name}", _FS_READ_FILE) for name in ("zero", "random", "urandom")]
    return rules


def landlock(workdir, read_only, gpu=False):
    """Restrict file access: read (and execute) beneath `read_only`, everything beneath workdir,
    the device nodes of `device_rules`, and with gpu=True what CUDA needs (`gpu_rules`). Returns a description of what
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
    libc = _libc()
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = libc.syscall(_SYS_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return None
    try:
        read = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
        rules = [(p, read) for p in read_only] + [(workdir, fs)] + [(p, r & fs) for p, r in device_rules()]
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
        if libc.prctl(PR_SET_NO_NEW_PRIVS, ul(1), ul(0), ul(0), ul(0)) != 0:
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    parts = [f"Landlock ABI {abi}: files"]
    if gpu:
        parts.append("NVIDIA devices")
    if net:
        parts.append("TCP")
    if scoped:
        parts.append("signals")
    return ", ".join(parts)


# ----------------------------------------------------------------------------- seccomp

_ARCH = {
    "x86_64": dict(
        audit=0xC000003E,
        x32=True,
        clone=56,
        clone3=435,
        deny=[
            57,
            58,
            59,
            322,  # fork, vfork, execve, execveat
            62,
            200,
            234,
            129,
            297,  # kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo
            424,
            434,
            438,  # pidfd_send_signal, pidfd_open, pidfd_getfd
            101,
            310,
            311,  # ptrace, process_vm_readv, process_vm_writev
            112,
            109,  # setsid, setpgid
            272,
            308,
            165,
            166,  # unshare, setns, mount, umount2
            321,
            298,
            323,
            425,
            426,
            427,  # bpf, perf_event_open, userfaultfd, io_uring_*
            250,
            248,
            249,  # keyctl, add_key, request_key
            169,
            246,
            175,
            176,
            313,  # reboot, kexec_load, init_module, delete_module, finit_module
        ],
    ),
    "aarch64": dict(
        audit=0xC00000B7,
        x32=False,
        clone=220,
        clone3=435,
        deny=[
            221,
            281,  # execve, execveat
            129,
            130,
            131,
            138,
            240,  # kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo
            424,
            434,
            438,  # pidfd_send_signal, pidfd_open, pidfd_getfd
            117,
            270,
            271,  # ptrace, process_vm_readv, process_vm_writev
            157,
            154,  # setsid, setpgid
            97,
            268,
            40,
            39,  # unshare, setns, mount, umount2
            280,
            241,
            282,
            425,
            426,
            427,  # bpf, perf_event_open, userfaultfd, io_uring_*
            219,
            217,
            218,  # keyctl, add_key, request_key
            142,
            104,
            105,
            106,
            273,  # reboot, kexec_load, init_module, delete_module, finit_module
        ],
    ),
}
_CLONE_THREAD = 0x00010000
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000


def _bpf(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


def seccomp():
    """Install the filter described in the module docstring. Returns a description or None."""
    arch = _ARCH.get(platform.machine())
    if not sys.platform.startswith("linux") or arch is None:
        return None
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    eperm, enosys = _RET_ERRNO | 1, _RET_ERRNO | 38
    deny = arch["deny"]
    # Layout: 0 ld arch; 1 jeq arch; 2 ret eperm; 3 ld nr; [4 jge x32]; deny checks; clone3; clone;
    # ret allow; ret eperm; ret enosys; clone: ld flags; jset thread; ret eperm; ret allow.
    prog = [_bpf(LD, 0, 0, 4), _bpf(JEQ, 1, 0, arch["audit"]), _bpf(RET, 0, 0, eperm), _bpf(LD, 0, 0, 0)]
    checks = len(deny) + 2 + (1 if arch["x32"] else 0)
    # After the checks: [allow][eperm][enosys][clone block...]
    allow_at = len(prog) + checks
    eperm_at, enosys_at, clone_at = allow_at + 1, allow_at + 2, allow_at + 3

    def jump_to(target):
        here = len(prog)
        return target - here - 1

    if arch["x32"]:
        prog.append(_bpf(JGE, jump_to(eperm_at), 0, 0x40000000))
    for nr in deny:
        prog.append(_bpf(JEQ, jump_to(eperm_at), 0, nr))
    prog.append(_bpf(JEQ, jump_to(enosys_at), 0, arch["clone3"]))
    prog.append(_bpf(JEQ, jump_to(clone_at), 0, arch["clone"]))
    prog += [_bpf(RET, 0, 0, _RET_ALLOW), _bpf(RET, 0, 0, eperm), _bpf(RET, 0, 0, enosys)]
    prog += [_bpf(LD, 0, 0, 16), _bpf(JSET, 1, 0, _CLONE_THREAD), _bpf(RET, 0, 0, eperm), _bpf(RET, 0, 0, _RET_ALLOW)]
    code = b"".join(prog)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HxxxxxxP", len(prog), ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    libc = _libc()
    ul = ctypes.c_ulong
    if libc.prctl(PR_SET_NO_NEW_PRIVS, ul(1), ul(0), ul(0), ul(0)) != 0:
        return None
    if libc.prctl(PR_SET_SECCOMP, ul(SECCOMP_MODE_FILTER), ul(ctypes.addressof(fbuf)), ul(0), ul(0)) != 0:
        return None
    return "seccomp: no fork/exec/kill/ptrace"
