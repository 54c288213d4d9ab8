"""Tie the intake worker's processes to the API process, so that none outlives it.

``PR_SET_PDEATHSIG`` kills a process when its parent dies. The kernel clears it on ``fork`` and
on every change of credentials, so the worker arms it at start, the loader it forks (the PID 1
of its namespace) arms it again, and each re-arms it after dropping privileges. A parent that
died before a process armed the signal is caught by checking, right after arming, that the
parent is still there: by its pid for the first process, and for the loader (whose parent lies
outside its PID namespace, so ``getppid`` says 0) by a pipe only the waiting parent holds open.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal

PR_SET_PDEATHSIG = 1
PARENT_FLAG = "--modelserve-intake-parent="

_libc = ctypes.CDLL(None, use_errno=True)
_parent_pid: int | None = None
_parent_pipe: int | None = None


def marker(parent_pid: int) -> str:
    """The command-line argument naming the API process a worker belongs to."""
    return f"{PARENT_FLAG}{parent_pid}"


def _arm() -> None:
    if _libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")


def _orphaned() -> bool:
    if _parent_pipe is not None:
        # Nothing is ever written: readable means end of file, so the waiter is gone.
        return bool(select.select([_parent_pipe], [], [], 0)[0])
    return _parent_pid is not None and os.getppid() != _parent_pid


def rearm() -> None:
    """Arm the parent-death signal (again), and exit at once if the parent is already gone."""
    _arm()
    if _orphaned():
        os._exit(1)


def bind_to_parent(argv: list[str]) -> None:
    """In the worker started by the API process: die with it."""
    global _parent_pid
    for arg in argv:
        if arg.startswith(PARENT_FLAG):
            _parent_pid = int(arg[len(PARENT_FLAG) :])
    rearm()


def bind_to_waiter(read_fd: int) -> None:
    """In the loader forked by the worker: die with the worker, whose pipe ``read_fd`` reads."""
    global _parent_pipe
    _parent_pipe = read_fd
    rearm()
