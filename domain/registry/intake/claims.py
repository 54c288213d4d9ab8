"""Files and directories that a live process holds a lock on, so that a sweep can tell what a
crashed process left behind (nobody holds it) from work in progress (somebody does).

An entry is made under a hidden name, locked (``flock``), then renamed to its public name: an
unlocked public entry can only be a leftover, whatever its age. The lock belongs to the open file
description, so the kernel drops it when the process dies, however it dies. Used for the upload
spool and the sandbox's work directories, which are on local disk (``flock`` is not reliable on
network filesystems).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from pathlib import Path


def claim(parent: Path, prefix: str, *, directory: bool = False) -> tuple[Path, int]:
    """Create ``parent/<prefix><random>``, already locked; return it and the lock's descriptor.

    Close the descriptor (``release``) only once the entry is gone or no longer needed.
    """
    hidden = parent / f".{prefix}{uuid.uuid4().hex}"
    if directory:
        os.mkdir(hidden, 0o700)
        fd = os.open(hidden, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    else:
        fd = os.open(hidden, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        final = parent / f"{prefix}{uuid.uuid4().hex}"
        os.rename(hidden, final)
    except BaseException:
        os.close(fd)
        _remove(hidden)
        raise
    return final, fd


def release(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _held(path: Path) -> bool:
    """Whether a live process holds the entry's lock (a vanished entry counts as held)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock just taken
    return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def sweep(parent: Path, prefix: str, *, half_made_after_s: float = 60.0) -> int:
    """Remove the unheld ``prefix*`` entries of ``parent``; return how many.

    A hidden entry is between creation and rename for microseconds, unless its maker crashed
    right then: those go once older than ``half_made_after_s``.
    """
    try:
        entries = list(os.scandir(parent))
    except FileNotFoundError:
        return 0
    cutoff = time.time() - half_made_after_s
    removed = 0
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith(prefix):
            if _held(path):
                continue
        elif entry.name.startswith(f".{prefix}"):
            with contextlib.suppress(FileNotFoundError):
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
        else:
            continue
        _remove(path)
        removed += 1
    return removed
