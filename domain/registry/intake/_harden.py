"""Confinement the sandbox worker applies to itself before it touches an artifact.

Runs only in the worker process (Linux). As root it builds, in order: new network, mount, PID,
IPC and UTS namespaces (the caller forks so the loader is PID 1 of the new PID namespace), a fresh
``/proc`` that shows no other process, the secret files it was told about masked with
``/dev/null``, every mount read-only except the work directory, and a switch to an unused uid
with no capabilities. As any user it then installs a seccomp filter that makes socket, exec,
fork/vfork, clone without ``CLONE_THREAD``, ptrace, mount and similar calls fail with EPERM (so
threads, which OpenMP libraries such as LightGBM's start, work while new processes do not), sets
resource limits, and stubs out Python's socket constructors. Every step is best effort;
:func:`summary` says what took effect.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import resource
import stat
import sys
from pathlib import Path

CLONE_THREAD = 0x00010000
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SANDBOX_UID_BASE = 2_100_000_000
MAX_THREADS = 64  # RLIMIT_NPROC under the sandbox's own uid, which only the loader uses

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
applied: dict[str, bool | int] = {}


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    def enc(value: str | None) -> bytes | None:
        return None if value is None else os.fsencode(value)

    _check(
        _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
        f"mount {target}",
    )


def enter_namespaces() -> bool:
    """Root only: new net/mount/pid/ipc/uts namespaces; True when the caller must fork."""
    if os.geteuid() != 0:
        return False
    try:
        unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)
    except OSError:
        try:
            unshare(CLONE_NEWNET)
            applied["netns"] = True
        except OSError:
            pass
        return False
    applied["netns"] = applied["pidns"] = True
    return True


def _mountinfo() -> list[tuple[str, set[str]]]:
    """(mount point, per-mount options) for every mount visible here, parents first."""
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        point = fields[4].encode().decode("unicode_escape")
        mounts.append((point, set(fields[5].split(","))))
    return mounts


def _preserved_flags(options: set[str]) -> int:
    flags = 0
    for name, bit in (("nosuid", MS_NOSUID), ("nodev", MS_NODEV), ("noexec", MS_NOEXEC)):
        if name in options:
            flags |= bit
    return flags


def _reachable_by_others(path: str) -> bool:
    mode = os.stat(path).st_mode
    return bool(mode & stat.S_IXOTH) and (not stat.S_ISDIR(mode) or bool(mode & stat.S_IROTH))


def _open_closed_ancestors(needed: list[str]) -> bool:
    """Overmount dirs others cannot traverse (e.g. /root) with a tmpfs holding only ``needed``.

    The interpreter or virtualenv may live under such a dir; after the uid switch the loader must
    still import from it, but nothing else in it should be reachable.
    """
    blockers: dict[str, set[str]] = {}
    for path in needed:
        parts = Path(path).parts
        for depth in range(1, len(parts)):
            ancestor = str(Path(*parts[:depth]))
            if not os.stat(ancestor).st_mode & stat.S_IXOTH:
                blockers.setdefault(ancestor, set()).add(parts[depth])
                break
        if not _reachable_by_others(path):
            # A needed directory others cannot list (a checkout in a 0700 directory, as
            # ``mktemp -d`` makes): all of it stays, or modules imported after the uid switch
            # (lazily) would not be found.
            blockers.setdefault(path, set()).update(os.listdir(path))
    for ancestor, children in sorted(blockers.items()):
        handles = {}
        for child in sorted(children):
            with contextlib.suppress(OSError):  # a dangling link: nothing to keep
                handles[child] = os.open(Path(ancestor, child), os.O_PATH)
        try:
            mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k")
            for child, handle in handles.items():
                target = Path(ancestor, child)
                if stat.S_ISDIR(os.fstat(handle).st_mode):
                    target.mkdir(mode=0o755)
                else:
                    target.touch(mode=0o644)
                mount(f"/proc/self/fd/{handle}", str(target), None, MS_BIND | MS_REC)
        finally:
            for handle in handles.values():
                os.close(handle)
    return all(
        _reachable_by_others(str(Path(*Path(path).parts[:depth])))
        for path in needed
        for depth in range(2, len(Path(path).parts) + 1)
    )


def confine_filesystem(workdir: str, hide: list[str]) -> bool:
    """In the new mount namespace: private mounts, fresh /proc, masked secrets, read-only all.

    Returns True when every path Python needs stays readable by an unprivileged uid.
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    applied["fresh_proc"] = True
    mount(workdir, workdir, None, MS_BIND)
    os.chdir(workdir)  # the old cwd is on the parent mount, which becomes read-only
    for path in hide:
        if os.path.isfile(path):
            mount("/dev/null", path, None, MS_BIND)
    needed = sorted(
        {os.path.realpath(path) for path in sys.path if os.path.isdir(path)}
        | {os.path.dirname(os.path.realpath(sys.executable))}
    )
    uid_ok = _open_closed_ancestors(needed)
    readonly = True
    for point, options in _mountinfo():
        if point == workdir or point == "/proc" or point.startswith("/proc/"):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | _preserved_flags(options)
        try:
            mount(None, point, None, flags)
        except OSError:
            readonly = readonly and point != "/"
    applied["readonly_fs"] = readonly
    return uid_ok


def drop_privileges(uid: int, workdir: str) -> None:
    """Become ``uid`` (no such user, no groups, no capabilities), owning only ``workdir``."""
    os.chown(workdir, uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    applied["uid"] = uid


def set_limits(*, memory_bytes: int, cpu_seconds: int, file_bytes: int) -> None:
    """Address space, CPU time, file size, no core dumps, and a cap on processes and threads.

    RLIMIT_NPROC counts the threads of every process of the real uid. Without the seccomp
    filter it is 1: no new process and no thread. With the filter (which alone refuses new
    processes) it allows ``MAX_THREADS`` under the sandbox's own uid, and is left as it is under
    a shared uid, whose other processes count too; RLIMIT_AS then bounds the thread stacks.
    """
    limits = {
        resource.RLIMIT_AS: memory_bytes,
        resource.RLIMIT_CPU: cpu_seconds,
        resource.RLIMIT_FSIZE: file_bytes,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: 256,
    }
    if not applied.get("seccomp"):
        limits[resource.RLIMIT_NPROC] = 1
    elif applied.get("uid"):
        limits[resource.RLIMIT_NPROC] = MAX_THREADS
    for which, value in limits.items():
        _soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        hard_value = value + 1 if which == resource.RLIMIT_CPU else value
        if hard != resource.RLIM_INFINITY:
            hard_value = min(hard_value, hard)
        resource.setrlimit(which, (value, hard_value))
    applied["rlimits"] = True


# Syscalls denied with EPERM: networking, new programs and processes, debugging other
# processes, namespace and mount changes, kernel and raw-device interfaces, io_uring (which
# could issue network operations behind seccomp's back). clone is decided by its flags and
# clone3 (whose flags sit behind a pointer seccomp cannot read) answers ENOSYS, so that libc
# falls back to clone: see :func:`_seccomp_program`.
_DENIED = {
    "x86_64": (
        0xC000003E,
        [41, 53, 42, 59, 322, 57, 58, 101, 310, 311, 165, 166, 272, 308, 155, 161,
         321, 246, 320, 175, 313, 176, 303, 304, 248, 249, 250, 323, 298, 425, 426, 427, 133,
         259, 172, 173, 169, 167, 168],
    ),
    "aarch64": (
        0xC00000B7,
        [198, 199, 203, 221, 281, 117, 270, 271, 40, 39, 97, 268, 41, 51, 280, 104,
         294, 105, 273, 106, 264, 265, 217, 218, 219, 282, 241, 425, 426, 427, 33, 142, 224,
         225],
    ),
}  # fmt: skip
_CLONE = {"x86_64": (56, 435), "aarch64": (220, 435)}  # clone, clone3
# A thread never needs new namespaces; refusing them keeps clone to exactly "a new thread".
_CLONE_NAMESPACES = (
    CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
    | CLONE_NEWNET
)  # fmt: skip


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program(
    arch: int, denied: list[int], x32_check: bool, clone: tuple[int, int]
) -> list[tuple[int, int, int, int]]:
    """A classic BPF filter: EPERM for ``denied``, clone only for threads, ENOSYS for clone3."""
    ld_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | 1, 0x00050000 | 38
    clone_nr, clone3_nr = clone
    # Instructions with symbolic jump targets, resolved to relative offsets at the end.
    code: list[tuple[int, int | str, int | str, int]] = [
        (ld_abs, 0, 0, 4),  # the architecture
        (jeq, 1, 0, arch),
        (ret, 0, 0, kill),  # a foreign ABI (e.g. 32-bit calls on a 64-bit kernel) has other numbers
        (ld_abs, 0, 0, 0),  # the syscall number
    ]
    if x32_check:
        code.append((jge, "eperm", 0, 0x40000000))
    code += [(jeq, "clone", 0, clone_nr), (jeq, "enosys", 0, clone3_nr)]
    code += [(jeq, "eperm", 0, nr) for nr in denied]
    code.append((ret, 0, 0, allow))
    labels = {"clone": len(code)}
    code += [
        (ld_abs, 0, 0, 16),  # the low half of the first argument: clone's flags
        (jset, 0, "eperm", CLONE_THREAD),
        (jset, "eperm", 0, _CLONE_NAMESPACES),
        (ret, 0, 0, allow),
    ]
    labels["eperm"] = len(code)
    code.append((ret, 0, 0, eperm))
    labels["enosys"] = len(code)
    code.append((ret, 0, 0, enosys))

    def offset(at: int, target: int | str) -> int:
        return target if isinstance(target, int) else labels[target] - at - 1

    return [(op, offset(i, jt), offset(i, jf), k) for i, (op, jt, jf, k) in enumerate(code)]


def install_seccomp() -> None:
    machine = platform.machine()
    if machine not in _DENIED:
        return
    arch, denied = _DENIED[machine]
    program = _seccomp_program(arch, denied, x32_check=machine == "x86_64", clone=_CLONE[machine])
    filters = (_SockFilter * len(program))(*[_SockFilter(*entry) for entry in program])
    prog = _SockFprog(len(program), filters)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")
    applied["seccomp"] = True


def block_python_sockets() -> None:
    """Make Python-level socket creation fail even where seccomp is unavailable."""
    import _socket
    import socket

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("network access is disabled in the intake sandbox")

    class NoSocket(socket.socket):
        def __init__(self, *args: object, **kwargs: object) -> None:
            refuse()

    socket.socket = NoSocket  # type: ignore[misc]
    socket.socketpair = refuse  # type: ignore[assignment]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.fromfd = refuse  # type: ignore[assignment]
    _socket.socket = NoSocket  # type: ignore[misc]
    applied["python_sockets_blocked"] = True


def summary() -> dict[str, bool | int]:
    return dict(applied)


def pack_status(status: int) -> int:
    """An exit code for the namespace's outer process that carries the loader's fate."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


__all__ = [
    "MAX_THREADS",
    "SANDBOX_UID_BASE",
    "applied",
    "block_python_sockets",
    "confine_filesystem",
    "drop_privileges",
    "enter_namespaces",
    "install_seccomp",
    "pack_status",
    "set_limits",
    "summary",
]
