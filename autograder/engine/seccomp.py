"""seccomp for the student process: the system calls it may not make, by name (see confine.py's
docstring for the whole of the confinement)."""

import ctypes
import platform
import struct
import sys

from .confine import PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, _libc

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


def install(threads=True):
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
