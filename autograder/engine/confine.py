"""Confining a student process (Linux; best effort elsewhere): the environment, limits, root and
capabilities here; Landlock in landlock.py; seccomp in seccomp.py.

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
  NVIDIA device nodes and driver files (`gpu_rules`), threads are allowed (engine.student.tripwires
  runs each under the trap on forbidden operators), and the memory limit is on the data
  segment instead of the address space, which CUDA reserves by the tens of gigabytes.
"""

import ctypes
import os
import resource
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


def exit_now(code: int = 0) -> None:
    """End this process (the grader's, once its work is written and its files closed) without the
    interpreter's teardown, which frees every module's objects one by one: 0.6 to 0.8 s in a
    process that imported torch, which the command (or whoever waits for this process) would
    wait for. All that teardown would still do here is flush the standard streams."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


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
