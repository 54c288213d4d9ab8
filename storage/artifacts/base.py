"""Shared contract of the artifact stores: errors, result type, protocol and key rules."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

KEY_PREFIX = "sha256/"
# fullmatch, not `$`: `$` would also accept a trailing newline.
_KEY_RE = re.compile(r"sha256/[0-9a-f]{64}(\.[a-z0-9]{1,16})?")
# Intersection of "[a-z0-9.]{0,16}" and the key grammar above, so every key built from a valid
# suffix passes validate_key (".skops" ok; "skops", "..", ".a.b", ".SKOPS" rejected).
_SUFFIX_RE = re.compile(r"(\.[a-z0-9]{1,15})?")


class ArtifactError(Exception):
    """Base class of all artifact-store errors."""


class ArtifactTooLarge(ArtifactError):
    """The stream exceeded the caller's byte limit; nothing was stored."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"artifact exceeds the limit of {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


class ArtifactStoreFull(ArtifactError):
    """The backend is out of space or quota (ENOSPC, EDQUOT, S3 quota errors)."""


class ArtifactStoreReadOnly(ArtifactError):
    """The backend refuses writes (EROFS, or no permission to write)."""


class ArtifactNotFound(ArtifactError):
    """No artifact is stored under the key."""


class ArtifactStoreUnavailable(ArtifactError):
    """The backend cannot be reached or is not usable right now."""


@dataclass(frozen=True)
class StoredArtifact:
    """Where an artifact landed and what it contains."""

    key: str
    sha256: str
    size: int


@runtime_checkable
class ArtifactStore(Protocol):
    """Content-addressed blob storage for model files."""

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int, suffix: str = ""
    ) -> StoredArtifact:
        """Store a stream under "sha256/<hex><suffix>"; ArtifactTooLarge past max_bytes."""
        ...

    async def put_bytes(self, data: bytes, *, suffix: str = "") -> StoredArtifact:
        """Store bytes under "sha256/<hex><suffix>"."""
        ...

    async def get_bytes(self, key: str) -> bytes:
        """Return the whole artifact."""
        ...

    async def open_stream(self, key: str, *, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Open the artifact (ArtifactNotFound raised here) and return an iterator of chunks."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether an artifact is stored under the key."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the artifact; deleting a missing key is not an error."""
        ...

    async def list_keys(self, *, older_than_s: float | None = None) -> list[str]:
        """Every stored artifact's key, sorted; only those written over ``older_than_s`` ago."""
        ...

    async def ping(self) -> None:
        """Raise ArtifactStoreUnavailable unless the backend is usable."""
        ...

    async def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
        ...


def validate_key(key: str) -> str:
    """Return the key if it is a well-formed content key, else raise ValueError."""
    if not isinstance(key, str) or _KEY_RE.fullmatch(key) is None:
        raise ValueError(f"invalid artifact key: {key!r}")
    return key


def validate_suffix(suffix: str) -> str:
    """Return the suffix if it is empty or like ".skops", else raise ValueError."""
    if not isinstance(suffix, str) or _SUFFIX_RE.fullmatch(suffix) is None:
        raise ValueError(f"invalid artifact suffix: {suffix!r}")
    return suffix


def validate_max_bytes(max_bytes: int) -> int:
    """Return max_bytes if it is a non-negative int, else raise ValueError."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"max_bytes must be a non-negative int, got {max_bytes!r}")
    return max_bytes


def validate_chunk_size(chunk_size: int) -> int:
    """Return chunk_size if it is a positive int, else raise ValueError."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    return chunk_size


def make_key(hexdigest: str, suffix: str = "") -> str:
    """Build the content key for a digest."""
    return validate_key(f"{KEY_PREFIX}{hexdigest}{suffix}")
