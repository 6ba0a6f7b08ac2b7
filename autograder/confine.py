"""Confining a student process (Linux; best effort elsewhere).

Applied by the student process to itself, after the fork and before any student code runs.
Each layer that the operating system offers is used; what was applied is reported back to the
grader and written to the grading log (and so is what could not be closed).

- the environment: the process that forks student processes is started with
  `student_environment` (an allow-list: fixed values, the locale, where Python and CUDA are),
  never with the grader's environment, which holds the instructor's tokens;
- resource limits: address space (memory), CPU seconds, file size, no core files;
- when running as root (Gradescope, Docker): the scratch folder becomes a tmpfs of fixed size
  in a mount namespace of its own (the total disk quota), then the process switches to the
  unprivileged user `nobody`; `root_problem` tells the grader beforehand when that cannot work
  (an interpreter under a folder `nobody` cannot enter, such as pyenv's /root), and the grader
  refuses to run student code as root unless told to; root kept or not, every capability set
  is emptied (`no_root`: bounding, ambient, effective, permitted, inheritable);
- Landlock (Linux >= 5.13): the process may read only the Python installation and system
  folders, of /proc only its own /proc/<pid> and a few system files (`proc_rules`: not the
  environment of another process), open only the device nodes of `device_rules` (null, zero,
  random, urandom), and write only its own scratch folder: the repository (answer keys in
  solutions/, hidden tests in _build/), the grader's files and /dev/shm are out of reach; from
  Linux 6.12 it also cannot signal processes outside its sandbox (the grader), and cannot open
  TCP connections;
- seccomp (Linux, x86_64 and aarch64; rules by syscall name, `DENIED`): no new processes (fork,
  exec), no threads (except where CUDA needs them), no kill/ptrace of other processes, no
  leaving its process group, no namespaces or mounts, no socket of any family and no sending to
  an address (the channel inherited from the grader stays usable); ioctl, mmap and
  memfd_create, which CUDA needs, stay allowed;
- for a process that grades GPU questions (and only for it), Landlock also lets CUDA at the
  NVIDIA device nodes and driver files (`gpu_rules`), threads are allowed (autograder.sandbox
  runs each under the trap on forbidden operators), and the memory limit is on the data
  segment instead of the address space, which CUDA reserves by the tens of gigabytes.
"""

import ctypes
import os
import platform
import resource
import struct
import sys
import sysconfig

PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def _libc():
    return ctypes.CDLL(None, use_errno=True)


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


# ----------------------------------------------------------------------------- environment

# The whole environment of the process that forks student processes (and so of every student
# process): never the grader's own, which holds whatever the instructor's shell holds (an LMS
# token, cloud credentials, SSH_AUTH_SOCK). Fixed values; the locale and a few paths of this
# machine's installation come from the grader's environment, checked to be only that.
FIXED_ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    # one thread each: numpy's BLAS, OpenMP, torch (a CPU student process may not start threads)
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONNOUSERSITE": "1",
    # torch.cuda.is_available() asks NVML instead of initialising CUDA (which would not survive fork)
    "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
}
LOCALE_VARIABLES = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE",
                    "LC_MONETARY", "LC_MESSAGES")  # fmt: skip
# Lists of absolute paths, as the grader has them: where Python, its packages and CUDA's
# libraries are (PYTHONPATH: the grader's package first).
PATH_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH", "CUDA_HOME")
# Other settings passed on when their value has this form.
SETTING_VARIABLES = {"CUDA_VISIBLE_DEVICES": r"[A-Za-z0-9,:-]{0,200}", "TZ": r"[A-Za-z0-9_/:+,.-]{0,64}"}
# Where the process may write: its scratch folder (each student process sets its own).
SCRATCH_VARIABLES = ("HOME", "TMPDIR", "MPLCONFIGDIR")
# Names that the libraries loaded before student code set for themselves (never taken from the
# grader): torch's compiler cache (under TMPDIR) and its lazy loading of CUDA modules.
LIBRARY_VARIABLES = ("TORCHINDUCTOR_CACHE_DIR", "CUDA_MODULE_LOADING")
# Every name a student process's environment may hold.
STUDENT_ENVIRONMENT = frozenset(
    [*FIXED_ENVIRONMENT, *LOCALE_VARIABLES, *PATH_VARIABLES, *SETTING_VARIABLES, *SCRATCH_VARIABLES]
    + [*LIBRARY_VARIABLES]
)
_LOCALE_VALUE = r"[A-Za-z0-9_.@:-]{1,64}"


def _paths(value):
    """The absolute paths of a path list (others dropped: a path variable carries nothing else)."""
    import re

    entries = (value or "").split(os.pathsep)
    return [p for p in entries if p.startswith("/") and re.fullmatch(r"[^\x00-\x1f]{1,4096}", p)]


def student_environment(scratch, python_path=(), environ=None):
    """The environment (a new dict) of the process that forks student processes: the names of
    STUDENT_ENVIRONMENT only, built from FIXED_ENVIRONMENT, scratch (HOME, TMPDIR, MPLCONFIGDIR),
    python_path (entries put first in PYTHONPATH) and, from `environ` (the grader's,
    os.environ by default), the locale, the paths of PATH_VARIABLES and the settings of
    SETTING_VARIABLES where their values have the expected form. Nothing else of `environ`."""
    import re

    environ = os.environ if environ is None else environ
    env = dict(FIXED_ENVIRONMENT)
    env.update({name: str(scratch) for name in SCRATCH_VARIABLES})
    for name in LOCALE_VARIABLES:
        if re.fullmatch(_LOCALE_VALUE, environ.get(name, "")):
            env[name] = environ[name]
    env.setdefault("LANG", "C.UTF-8")
    for name in PATH_VARIABLES:
        paths = _paths(environ.get(name))
        if name == "PYTHONPATH":
            paths = list(dict.fromkeys([str(p) for p in python_path] + paths))
        if paths:
            env[name] = os.pathsep.join(paths)
    for name, form in SETTING_VARIABLES.items():
        if name in environ and re.fullmatch(form, environ[name]):
            env[name] = environ[name]
    return env


def environment_note(environ=None):
    """What the grading log says of this process's environment (one entry of the protections)."""
    environ = os.environ if environ is None else environ
    extra = sorted(set(environ) - STUDENT_ENVIRONMENT)
    if extra:
        return f"WARNING: environment not allow-listed ({', '.join(extra)[:40]})"
    return f"environment: {len(environ)} allow-listed variables"


# ----------------------------------------------------------------------------- capabilities

PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPABILITY_VERSION_3 = 0x20080522


def capabilities():
    """{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}: this process's capability sets (Linux)."""
    sets = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Cap"):
                    name, value = line.split(":")
                    sets[name] = int(value, 16)
    except (OSError, ValueError):
        pass
    return sets


def drop_capabilities():
    """Empty every capability set of this process: the bounding set and the ambient set (while
    CAP_SETPCAP is still there), then effective, permitted and inheritable. Whether all five
    are empty afterwards (False where /proc/self/status cannot tell)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = _libc()
    ul = ctypes.c_ulong
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 63
    if capabilities().get("CapBnd"):
        for cap in range(last + 1):
            libc.prctl(PR_CAPBSET_DROP, ul(cap), ul(0), ul(0), ul(0))
    libc.prctl(PR_CAP_AMBIENT, ul(PR_CAP_AMBIENT_CLEAR_ALL), ul(0), ul(0), ul(0))
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two of {effective, permitted, inheritable}, all zero
    libc.capset(header, data)
    sets = capabilities()
    return len(sets) == 5 and not any(sets.values())


def no_root(workdir, needed):
    """No privileges for student code: as root, become `nobody` (drop_root); where that cannot
    be (root kept: --allow-root), stay uid 0 but with no capability at all, so that root is an
    ordinary user that owns most files (no CAP_DAC_OVERRIDE, CAP_SYS_PTRACE, CAP_NET_RAW...).
    Returns a description: the uid, and whether every capability set is empty."""
    if not sys.platform.startswith("linux"):
        return drop_root(workdir, needed)
    root = os.geteuid() == 0
    if root:  # the bounding and ambient sets need CAP_SETPCAP: before setuid takes it
        libc = _libc()
        ul = ctypes.c_ulong
        for cap in range(64):
            libc.prctl(PR_CAPBSET_DROP, ul(cap), ul(0), ul(0), ul(0))
    dropped = drop_root(workdir, needed)
    empty = drop_capabilities()
    who = dropped or ("uid 0 (root kept)" if root else f"uid {os.geteuid()}")
    return who + (", no capabilities" if empty else ", WARNING: capabilities kept")


def unclosed(applied):
    """Entries for the grading log on what this process could still reach (after the layers
    `applied`): its environment; sockets, threads and signals where no seccomp filter refuses
    them (not Linux, not x86_64 or aarch64); other processes' /proc files where no Landlock
    hides them and the process is root (other processes of root's are readable by uid 0)."""
    notes = [environment_note()]
    if not any(str(a).startswith("seccomp") for a in applied):
        notes.append("WARNING: no seccomp: sockets, threads, signals not refused")
    if sys.platform.startswith("linux") and not any("Landlock" in a for a in applied):
        if os.geteuid() == 0:
            notes.append("WARNING: /proc of other processes readable (root, no Landlock)")
    return notes


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


def landlock(workdir, read_only, gpu=False):
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
    libc = _libc()
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
        if libc.prctl(PR_SET_NO_NEW_PRIVS, ul(1), ul(0), ul(0), ul(0)) != 0:
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


# ----------------------------------------------------------------------------- seccomp
#
# Why a table and a small assembler, not libseccomp: the filter must work wherever the grader
# runs (this machine, Gradescope's image, a lent GPU machine with no network), and libseccomp's
# Python binding (pyseccomp on PyPI) would be a new dependency resting on a system library
# (libseccomp2) that a conda environment or a slim container need not have. The rules are short
# (a list of names, two calls checked by argument), so they are kept here as data: syscall
# numbers by NAME for each architecture, and a program of a few dozen instructions assembled
# with symbolic labels. tests/test_confine.py checks every name against libseccomp's own
# resolver for both architectures (where libseccomp2 is installed, as on Debian and Ubuntu) and
# runs the assembled program, for both architectures, in a BPF interpreter (`run_filter`).

# Syscall numbers: arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h
# (aarch64) of the Linux sources. aarch64 has no fork or vfork (glibc uses clone there).
SYSCALLS = {
    "x86_64": {
        "sendto": 44, "clone": 56, "clone3": 435,
        "fork": 57, "vfork": 58, "execve": 59, "execveat": 322,
        "kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
        "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "process_madvise": 440,
        "setsid": 112, "setpgid": 109,
        "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "keyctl": 250, "add_key": 248, "request_key": 249,
        "reboot": 169, "kexec_load": 246, "kexec_file_load": 320,
        "init_module": 175, "delete_module": 176, "finit_module": 313, "open_by_handle_at": 304,
        "socket": 41, "socketpair": 53, "connect": 42, "bind": 49, "listen": 50, "accept": 43, "accept4": 288,
        "sendmmsg": 307,
    },
    "aarch64": {
        "sendto": 206, "clone": 220, "clone3": 435,
        "execve": 221, "execveat": 281,
        "kill": 129, "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240,
        "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272, "process_madvise": 440,
        "setsid": 157, "setpgid": 154,
        "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442,
        "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "keyctl": 219, "add_key": 217, "request_key": 218,
        "reboot": 142, "kexec_load": 104, "kexec_file_load": 294,
        "init_module": 105, "delete_module": 106, "finit_module": 273, "open_by_handle_at": 265,
        "socket": 198, "socketpair": 199, "connect": 203, "bind": 200, "listen": 201, "accept": 202, "accept4": 242,
        "sendmmsg": 269,
    },
}  # fmt: skip
# AUDIT_ARCH_* (the arch field of seccomp_data); x86_64 also refuses the x32 ABI (bit 30 set).
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_BIT = 0x40000000

# Refused with EPERM, by name (a name an architecture lacks is skipped there).
DENIED = {
    "new programs": ["fork", "vfork", "execve", "execveat"],
    "signals to others": ["kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"],
    "other processes": ["pidfd_open", "pidfd_getfd", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
                        "process_madvise"],
    "its process group": ["setsid", "setpgid"],
    "namespaces and mounts": ["unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree",
                              "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"],
    "the kernel": ["bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
                   "keyctl", "add_key", "request_key", "reboot", "kexec_load", "kexec_file_load", "init_module",
                   "delete_module", "finit_module", "open_by_handle_at"],
    # No socket of any family (TCP, UDP, IPv6, Unix, netlink, packet...), no pair of them, no
    # connecting, binding, listening or accepting. The one socket the process has is the
    # connected stream socketpair inherited from the grader: send/sendmsg on it stay allowed
    # (a destination address there fails with EISCONN), sendto only with no address (below),
    # sendmmsg not at all.
    "network": ["socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendmmsg"],
}  # fmt: skip
# Checked by argument: clone only with CLONE_THREAD (a thread, not a process), and only where
# threads are allowed (a process that grades GPU questions: CUDA starts threads); clone3, whose
# flags are in memory the filter cannot read, fails with ENOSYS (glibc then uses clone); sendto
# only with no destination address (argument 4 NULL: what send() is).
CLONE_THREAD = 0x00010000
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EPERM, ENOSYS = 1, 38

_BPF = {"ld": 0x20, "jeq": 0x15, "jge": 0x35, "jset": 0x45, "ret": 0x06}  # ld: BPF_LD|BPF_W|BPF_ABS
_ARG = 16  # offset of args[0] in struct seccomp_data (nr: 0, arch: 4, instruction_pointer: 8)


def assemble(lines):
    """Classic BPF from lines ("label", name) | ("ld", offset) | ("ret", value) |
    (jump, k, true, false) where true/false are label names or None (the next instruction).
    Returns [(code, jt, jf, k)]; a jump farther than 255 instructions raises ValueError."""
    labels, at = {}, 0
    for line in lines:
        if line[0] == "label":
            labels[line[1]] = at
        else:
            at += 1
    program = []
    for line in lines:
        if line[0] == "label":
            continue
        op, k = line[0], line[1]
        jt = jf = 0
        if op not in ("ld", "ret"):
            here = len(program) + 1
            jt, jf = (0 if target is None else labels[target] - here for target in line[2:4])
            if not (0 <= jt <= 255 and 0 <= jf <= 255):
                raise ValueError(f"jump out of range at instruction {len(program)}: {line}")
        program.append((_BPF[op], jt, jf, k))
    return program


def seccomp_program(arch, threads=True):
    """The filter for `arch` ("x86_64" or "aarch64"), as [(code, jt, jf, k)]. threads=False
    also refuses new threads."""
    table = SYSCALLS[arch]
    names = [n for group in DENIED.values() for n in group] + ([] if threads else ["clone"])
    eperm, enosys = SECCOMP_RET_ERRNO | EPERM, SECCOMP_RET_ERRNO | ENOSYS
    lines = [("ld", 4), ("jeq", AUDIT_ARCH[arch], None, "eperm"), ("ld", 0)]
    if arch == "x86_64":
        lines.append(("jge", X32_BIT, "eperm", None))
    lines += [("jeq", table[n], "eperm", None) for n in dict.fromkeys(names) if n in table]
    lines.append(("jeq", table["clone3"], "enosys", None))
    if threads:
        lines.append(("jeq", table["clone"], "clone", None))
    lines.append(("jeq", table["sendto"], "sendto", None))
    lines += [("ret", SECCOMP_RET_ALLOW)]
    if threads:
        lines += [("label", "clone"), ("ld", _ARG), ("jset", CLONE_THREAD, "allow", "eperm")]
    lines += [("label", "sendto"), ("ld", _ARG + 8 * 4), ("jeq", 0, None, "eperm")]
    lines += [("ld", _ARG + 8 * 4 + 4), ("jeq", 0, "allow", "eperm")]
    lines += [("label", "allow"), ("ret", SECCOMP_RET_ALLOW)]  # jumps go forward only: the returns last
    lines += [("label", "eperm"), ("ret", eperm), ("label", "enosys"), ("ret", enosys)]
    return assemble(lines)


def run_filter(program, arch, nr, args=()):
    """What `program` returns for syscall `nr` with `args` on `arch` (a BPF interpreter for the
    instructions `assemble` writes, to test the filter of an architecture this is not)."""
    args = (list(args) + [0] * 6)[:6]
    data = struct.pack("<iIQ6Q", nr, AUDIT_ARCH.get(arch, arch) if isinstance(arch, str) else arch, 0, *args)
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        pc += 1
        if code == _BPF["ld"]:
            (acc,) = struct.unpack_from("<I", data, k)
        elif code == _BPF["ret"]:
            return k
        else:
            taken = {_BPF["jeq"]: acc == k, _BPF["jge"]: acc >= k, _BPF["jset"]: bool(acc & k)}[code]
            pc += jt if taken else jf


def seccomp(threads=True):
    """Install the filter of `seccomp_program` for this machine. Returns a description or None."""
    arch = platform.machine()
    if not sys.platform.startswith("linux") or arch not in SYSCALLS:
        return None
    program = seccomp_program(arch, threads)
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HxxxxxxP", len(program), ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    libc = _libc()
    ul = ctypes.c_ulong
    if libc.prctl(PR_SET_NO_NEW_PRIVS, ul(1), ul(0), ul(0), ul(0)) != 0:
        return None
    if libc.prctl(PR_SET_SECCOMP, ul(SECCOMP_MODE_FILTER), ul(ctypes.addressof(fbuf)), ul(0), ul(0)) != 0:
        return None
    return "seccomp: no fork/exec, " + ("" if threads else "threads, ") + "signals, ptrace, mounts; no sockets"
