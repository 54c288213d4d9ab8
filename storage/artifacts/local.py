"""Artifact store on a local directory: <root>/sha256/<hex>[.suffix], temp files in <root>/.tmp."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiofiles
import aiofiles.os

from .base import (
    ArtifactNotFound,
    ArtifactStoreFull,
    ArtifactStoreReadOnly,
    ArtifactStoreUnavailable,
    ArtifactTooLarge,
    StoredArtifact,
    make_key,
    validate_chunk_size,
    validate_key,
    validate_max_bytes,
    validate_suffix,
)

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
TEMP_DIR_NAME = ".tmp"


class LocalArtifactStore:
    """Content-addressed store in a directory; memory use is one chunk per stream."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        # Absolute at construction so a later chdir cannot move the store.
        self.root = Path(root).absolute()
        self.temp_dir = self.root / TEMP_DIR_NAME
        self._dirs_ready = False
        # Temp files being written by this process; sweep_temp never touches them.
        self._inflight: set[Path] = set()

    def __repr__(self) -> str:
        return f"LocalArtifactStore({str(self.root)!r})"

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int, suffix: str = ""
    ) -> StoredArtifact:
        """Spool to .tmp (hashing as we go), fsync, then os.replace to the content path."""
        validate_max_bytes(max_bytes)
        validate_suffix(suffix)
        await self._ensure_dirs()
        tmp = self.temp_dir / f"{uuid.uuid4().hex}.part"
        self._inflight.add(tmp)
        try:
            with _full_errors():
                digest, size = await self._spool(chunks, tmp, max_bytes)
                key = make_key(digest, suffix)
                await asyncio.to_thread(_publish, tmp, self._path(key))
        except BaseException:
            # BaseException so that CancelledError also removes the partial file.
            _discard(tmp)
            raise
        finally:
            self._inflight.discard(tmp)
        return StoredArtifact(key=key, sha256=digest, size=size)

    async def put_bytes(self, data: bytes, *, suffix: str = "") -> StoredArtifact:
        """Store bytes through the same temp-file + rename path as put_stream."""
        return await self.put_stream(_single(data), max_bytes=len(data), suffix=suffix)

    async def get_bytes(self, key: str) -> bytes:
        """Read the whole artifact."""
        path = self._path(key)
        try:
            async with aiofiles.open(path, "rb") as f:
                return await f.read()
        except FileNotFoundError as exc:
            raise ArtifactNotFound(key) from exc

    async def open_stream(self, key: str, *, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Open now (so a missing key fails before any byte is sent), then yield chunks."""
        validate_chunk_size(chunk_size)
        path = self._path(key)
        try:
            f = await aiofiles.open(path, "rb")
        except FileNotFoundError as exc:
            raise ArtifactNotFound(key) from exc
        return _iter_file(f, chunk_size)

    async def exists(self, key: str) -> bool:
        """Whether the artifact file exists."""
        return await aiofiles.os.path.isfile(self._path(key))

    async def delete(self, key: str) -> None:
        """Remove the artifact file if present."""
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            await aiofiles.os.remove(path)

    async def list_keys(self, *, older_than_s: float | None = None) -> list[str]:
        """Every stored artifact's key (temp files excluded), for audits and cleanup."""
        folder = self.root / "sha256"
        cutoff = None if older_than_s is None else time.time() - older_than_s

        def old_enough(entry: os.DirEntry[str]) -> bool:
            try:
                return cutoff is None or entry.stat(follow_symlinks=False).st_mtime < cutoff
            except FileNotFoundError:
                return False

        def scan() -> list[str]:
            if not folder.is_dir():
                return []
            return sorted(
                f"sha256/{entry.name}"
                for entry in os.scandir(folder)
                if entry.is_file(follow_symlinks=False) and old_enough(entry)
            )

        return await asyncio.to_thread(scan)

    async def ping(self) -> None:
        """Check that the directory exists (creating it) and is writable."""
        try:
            await self._ensure_dirs()
            writable = await aiofiles.os.access(self.temp_dir, os.W_OK | os.X_OK)
        except OSError as exc:
            raise ArtifactStoreUnavailable(f"{self.root}: {exc.strerror}") from exc
        if not writable:
            raise ArtifactStoreUnavailable(f"{self.temp_dir} is not writable")

    async def close(self) -> None:
        """Nothing to release: files are opened per call."""

    async def sweep_temp(self, older_than_s: float) -> int:
        """Delete temp files left by crashed writers, older than the age given; return count.

        Choose an age well above the slowest expected upload: a writer from another process
        whose stream stalls for longer than that would lose its temp file and fail.
        """
        cutoff = time.time() - older_than_s
        return await asyncio.to_thread(self._sweep, cutoff, frozenset(self._inflight))

    def _path(self, key: str) -> Path:
        # validate_key admits only "sha256/<hex>[.ext]", so the result stays under root.
        return self.root / validate_key(key)

    async def _ensure_dirs(self) -> None:
        # Re-checked on every write (one stat): an operator who empties the directory while the
        # server runs gets it back on the next upload instead of failing every upload after.
        if not self._dirs_ready or not self.temp_dir.is_dir():
            with _full_errors():
                await asyncio.to_thread(self._make_dirs)
            self._dirs_ready = True

    def _make_dirs(self) -> None:
        created = not self.root.exists()
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if created:
            # mkdir's mode is filtered by the umask; models may be sensitive, so force 0700.
            self.root.chmod(0o700)
        for sub in (self.temp_dir, self.root / "sha256"):
            sub.mkdir(mode=0o700, exist_ok=True)

    async def _spool(
        self, chunks: AsyncIterator[bytes], tmp: Path, max_bytes: int
    ) -> tuple[str, int]:
        hasher = hashlib.sha256()
        size = 0
        async with aiofiles.open(tmp, "xb", opener=_private_opener) as f:
            async for chunk in chunks:
                size += len(chunk)
                # Check before writing so an oversized stream never reaches the disk.
                if size > max_bytes:
                    raise ArtifactTooLarge(max_bytes)
                hasher.update(chunk)
                await self._write(f, chunk)
            await f.flush()
            await asyncio.to_thread(os.fsync, f.fileno())
        return hasher.hexdigest(), size

    async def _write(self, f: Any, chunk: bytes) -> None:
        await f.write(chunk)

    def _sweep(self, cutoff: float, inflight: frozenset[Path]) -> int:
        removed = 0
        try:
            entries = list(os.scandir(self.temp_dir))
        except FileNotFoundError:
            return 0
        for entry in entries:
            if Path(entry.path) in inflight:
                continue
            with contextlib.suppress(FileNotFoundError):
                if entry.is_dir(follow_symlinks=False):
                    continue
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed


@contextlib.contextmanager
def _full_errors() -> Iterator[None]:
    """Translate out-of-space / out-of-quota and read-only OSErrors into store errors."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _FULL_ERRNOS:
            raise ArtifactStoreFull(f"artifact store is full: {exc.strerror}") from exc
        if exc.errno in _READ_ONLY_ERRNOS:
            raise ArtifactStoreReadOnly(f"artifact store refuses writes: {exc.strerror}") from exc
        raise


def _publish(tmp: Path, final: Path) -> None:
    # os.replace is atomic within one filesystem (.tmp is under root). Replacing an existing
    # identical artifact is harmless and heals a damaged copy; readers keep the old inode.
    os.replace(tmp, final)
    dir_fd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def _discard(tmp: Path) -> None:
    # Synchronous on purpose: it must complete even while the task is being cancelled, and an
    # unlink is a single metadata operation. On a read-only store there is nothing to remove,
    # and the unlink's own EROFS must not hide the error being handled.
    with contextlib.suppress(OSError):
        tmp.unlink()


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _iter_file(f: Any, chunk_size: int) -> AsyncIterator[bytes]:
    try:
        while chunk := await f.read(chunk_size):
            yield chunk
    finally:
        await f.close()
