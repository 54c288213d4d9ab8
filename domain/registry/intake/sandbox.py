"""Run the intake worker in a separate, confined process and read back its JSON verdict.

The API process never unpickles anything: it starts ``python -I -B`` on
``domain.registry.intake._worker`` with an empty environment (thread counts pinned to 1), a
fresh 0700 temp dir as cwd, the artifact passed as an inherited read-only file descriptor, and
its own session/process group. The worker confines itself (see ``_harden``) before reading the
artifact, and dies with the API process (see ``_lifeline``). This side enforces the wall-clock
timeout (killing the worker's PID namespace, then the whole process group), reaps everything it
started, caps what it reads back, and treats every field of the worker's answer as untrusted
data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.errors import ModelRejected
from domain.registry.intake import _lifeline, claims
from domain.registry.intake.models import REASONS

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MAX_STDOUT = 4 << 20
KILL_GRACE_S = 2.0
SERVING_FILE = "serving.skops"
WORKDIR_PREFIX = "modelserve-intake-"
_SECRET_NAMES = (".env", ".env.local", ".env.production", ".netrc", ".pgpass")
# PR_SET_PDEATHSIG (1) with SIGKILL (9) first of all, not after the imports (see ``_lifeline``).
_BOOT = (
    "import ctypes, sys; ctypes.CDLL(None).prctl(1, 9, 0, 0, 0); sys.path.insert(0, {root!r}); "
    "from domain.registry.intake._worker import main; main()"
)
_MEMORY_HINTS = ("MemoryError", "bad_alloc", "Cannot allocate memory", "out of memory")


@dataclass(frozen=True)
class SandboxLimits:
    timeout_s: float
    memory_limit_mb: int
    max_output_bytes: int  # RLIMIT_FSIZE, and the largest serving file read back


@dataclass(frozen=True)
class WorkerOutcome:
    payload: dict[str, Any]
    serving_bytes: bytes | None


def _worker_env(workdir: str) -> dict[str, str]:
    threads = {
        name: "1"
        for name in (
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
            "NUMEXPR_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS",
        )
    }
    return {**threads, "LC_ALL": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir}


def secret_files() -> list[str]:
    """Files the worker masks (when it can): dotenv-style secrets next to the app."""
    dirs = {Path.cwd().resolve(), PROJECT_ROOT}
    return sorted(str(d / name) for d in dirs for name in _SECRET_NAMES if (d / name).is_file())


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


async def _kill(proc: asyncio.subprocess.Process) -> None:
    """Kill the worker and reap it.

    As root the worker's first process only waits for the loader, which is PID 1 of its own PID
    namespace: killing the loader takes the namespace down and lets the waiter reap it and exit.
    Whatever is left in the process group is then killed before the group leader is reaped (so
    its pid, the group id, cannot have been reused).
    """
    children = _children(proc.pid) if proc.returncode is None else []
    if children:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(proc.wait()), KILL_GRACE_S)
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()


async def _read_capped(stream: asyncio.StreamReader) -> bytes:
    data = bytearray()
    while chunk := await stream.read(1 << 16):
        data += chunk
        if len(data) > MAX_STDOUT:
            raise ModelRejected("load_failed", "The intake worker wrote too much output.")
    return bytes(data)


def _signal_of(returncode: int) -> int | None:
    if returncode < 0:
        return -returncode
    if returncode > 128:
        return returncode - 128  # relayed by the namespace's waiting process
    return None


def _stderr_tail(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 8192))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _failure(returncode: int, stderr: str) -> ModelRejected:
    """The verdict for a worker that died without answering."""
    sig = _signal_of(returncode)
    if any(hint in stderr for hint in _MEMORY_HINTS):
        return ModelRejected("load_memory", "Loading the model exceeded the memory limit.")
    if sig == signal.SIGXCPU:
        return ModelRejected("load_timeout", "Loading the model exceeded the CPU time limit.")
    what = f"signal {signal.Signals(sig).name}" if sig else f"exit code {returncode}"
    return ModelRejected("load_failed", f"The intake worker crashed ({what}).")


def _parse_answer(stdout: bytes) -> dict[str, Any] | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        answer = json.loads(lines[-1])
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _rejection(answer: dict[str, Any]) -> ModelRejected:
    reason = answer.get("reason")
    message = answer.get("message")
    if reason not in REASONS:
        reason = "load_failed"
    if not isinstance(message, str):
        message = "The model was rejected."
    return ModelRejected(str(reason), message[:1000])


def _read_serving_file(workdir: Path, limit: int) -> bytes | None:
    """The worker's skops file, refusing symlinks, hard links and special files."""
    try:
        fd = os.open(workdir / SERVING_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ModelRejected("load_failed", "The intake worker left an unreadable file.") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size > limit:
            raise ModelRejected("load_failed", "The intake worker left an unexpected file.")
        return handle.read(limit + 1)[:limit]


async def run_worker(
    request: dict[str, Any], *, artifact: Path | None, limits: SandboxLimits
) -> WorkerOutcome:
    """Run one worker; return its answer or raise the ModelRejected it (or its death) implies."""
    # Claimed, so that a start-up sweep can remove it if this process dies meanwhile.
    workdir, claim = claims.claim(Path(tempfile.gettempdir()), WORKDIR_PREFIX, directory=True)
    fd = os.open(artifact, os.O_RDONLY | os.O_CLOEXEC) if artifact is not None else None
    stderr_path = workdir / "stderr.log"
    try:
        full_request = {
            **request,
            "fd": fd,
            "workdir": str(workdir),
            "hide": secret_files(),
            "memory_bytes": limits.memory_limit_mb << 20,
            "cpu_seconds": max(1, math.ceil(limits.timeout_s)) + 1,
            "file_bytes": limits.max_output_bytes,
        }
        with stderr_path.open("wb") as stderr:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-B",
                "-c",
                _BOOT.format(root=str(PROJECT_ROOT)),
                _lifeline.marker(os.getpid()),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                cwd=workdir,
                env=_worker_env(str(workdir)),
                pass_fds=() if fd is None else (fd,),
                start_new_session=True,
            )
        try:
            async with asyncio.timeout(limits.timeout_s):
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(json.dumps(full_request).encode())
                with contextlib.suppress(ConnectionError):
                    await proc.stdin.drain()
                proc.stdin.close()
                stdout = await _read_capped(proc.stdout)
                returncode = await proc.wait()
        except TimeoutError:
            raise ModelRejected(
                "load_timeout", f"Loading the model took longer than {limits.timeout_s:g} s."
            ) from None
        finally:
            await _kill(proc)
        answer = _parse_answer(stdout)
        if answer is None:
            raise _failure(returncode, _stderr_tail(stderr_path))
        if answer.get("ok") is not True:
            raise _rejection(answer)
        return WorkerOutcome(answer, _read_serving_file(workdir, limits.max_output_bytes))
    finally:
        if fd is not None:
            os.close(fd)
        shutil.rmtree(workdir, ignore_errors=True)
        claims.release(claim)
