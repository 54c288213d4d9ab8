"""Child processes: started pinned, in their own session, and always stopped."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import httpx


class BenchError(Exception):
    """A failure that ends the run with a message (no traceback)."""


class Interrupted(BaseException):  # like KeyboardInterrupt: not caught as an Exception
    """SIGINT, SIGTERM or SIGHUP: stop measuring and clean up."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(argv: Sequence[str], cpu: int | None) -> list[str]:
    """``argv`` behind ``taskset -c CPU`` (``taskset`` execs, so the pid stays the command's)."""
    if cpu is None:
        return list(argv)
    taskset = shutil.which("taskset")
    if taskset is None:
        raise BenchError("taskset (util-linux) is needed to pin processes to a core")
    return [taskset, "-c", str(cpu), *argv]


def tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


class Processes:
    """Every process the benchmark starts; ``stop_all`` ends them (group: TERM, then KILL)."""

    def __init__(self) -> None:
        self._running: list[subprocess.Popen] = []

    def start(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cpu: int | None = None,
        log: Path | None = None,
        capture: bool = False,
        cwd: Path | None = None,
    ) -> subprocess.Popen:
        if capture:
            stdout, stderr = subprocess.PIPE, subprocess.PIPE
        elif log is not None:
            stdout = log.open("ab")
            stderr = subprocess.STDOUT
        else:
            stdout, stderr = subprocess.DEVNULL, subprocess.DEVNULL
        try:
            proc = subprocess.Popen(
                pinned(argv, cpu),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,  # Ctrl-C reaches us, and we stop the children ourselves
            )
        finally:
            if not capture and log is not None:
                stdout.close()
        self._running.append(proc)
        return proc

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        env: dict[str, str] | None = None,
        cpu: int | None = None,
        cwd: Path | None = None,
    ) -> tuple[int, str, str]:
        """Run to completion within ``timeout`` seconds; return (code, stdout, stderr)."""
        proc = self.start(argv, env=env, cpu=cpu, capture=True, cwd=cwd)
        return self.finish(proc, argv[0], timeout)

    def finish(self, proc: subprocess.Popen, what: str, timeout: float) -> tuple[int, str, str]:
        """Wait for a process started with ``capture=True``; return (code, stdout, stderr)."""
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc, grace=2)
            raise BenchError(f"{what} did not finish within {timeout:.0f} s") from None
        except BaseException:  # interrupted: do not leave it running
            self.stop(proc, grace=2)
            raise
        self._forget(proc)
        return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def _forget(self, proc: subprocess.Popen) -> None:
        with contextlib.suppress(ValueError):
            self._running.remove(proc)

    def stop(self, proc: subprocess.Popen, grace: float = 15.0) -> None:
        """SIGTERM the process group, SIGKILL after ``grace`` seconds."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        # Whatever the leader left behind in its group (intake workers, …).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        self._forget(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self._running)):
            self.stop(proc)


def wait_ready(url: str, proc: subprocess.Popen, log: Path | None, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(
                f"the server exited with code {proc.returncode} before it was ready\n{tail(log)}"
            )
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}"
        time.sleep(0.1)
    raise BenchError(f"{url} not ready within {timeout:.0f} s ({last})\n{tail(log)}")


class Run(Protocol):
    def run(self) -> int: ...

    def failed(self, exc: BenchError) -> int: ...

    def cleanup(self) -> None: ...


def _terminate(signum: int, frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def guarded(prog: str, make: Callable[[Processes, Path], Run]) -> int:
    """Run ``make(processes, work_dir).run()``; whatever happens, stop every child process, clean
    up and remove the work directory. A BenchError exits through ``failed``, a signal with 130."""
    # Explicitly: a shell starting us in the background would leave SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)
    procs = Processes()
    work = Path(tempfile.mkdtemp(prefix=f"modelserve-{prog}-"))
    job = make(procs, work)
    try:
        return job.run()
    except BenchError as exc:
        print(f"{prog}: FAILED: {exc}", file=sys.stderr, flush=True)
        return job.failed(exc)
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"{prog}: interrupted ({exc or 'SIGINT'}); cleaning up", file=sys.stderr, flush=True)
        return 130
    finally:
        # Ignore further Ctrl-C while cleaning up, so nothing is left behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.stop_all()
        job.cleanup()
        shutil.rmtree(work, ignore_errors=True)
