"""Artifact store on S3 (or an S3-compatible service): s3://bucket/prefix/sha256/<hex>[.suffix].

Upload strategy for put_stream (why not spool to a local file): the stream is buffered in memory
up to one part. If it ends within that part, the hash is already known and a single PutObject
writes the final key directly, with no temp object at all (most models are small). Larger streams
go as a multipart upload to a temp key under "<prefix>/.tmp/", are completed, and then copied
server-side to the final key. That needs no local disk (containers often have little, and model
files can be GBs), keeps memory at about one part, and the copy costs no second transfer from us.
On any failure, including cancellation, the multipart upload is aborted or the temp object is
deleted; sweep_temp (or a bucket lifecycle rule) catches what a crash leaves behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .base import (
    ArtifactNotFound,
    ArtifactStoreUnavailable,
    ArtifactTooLarge,
    StoredArtifact,
    make_key,
    validate_chunk_size,
    validate_key,
    validate_max_bytes,
    validate_suffix,
)
from .s3_support import (
    NOT_FOUND_CODES,
    UNAVAILABLE_ERRORS,
    Multipart,
    cleanup,
    error_code,
    ignore_missing,
    rewound,
    translated,
)

MIB = 1 << 20
GIB = 1 << 30
MIN_PART_SIZE = 5 * MIB  # S3 rejects smaller non-final parts
MAX_PARTS = 10_000
MAX_COPY_OBJECT = 5 * GIB  # CopyObject limit; larger objects need UploadPartCopy


class S3ArtifactStore:
    """Content-addressed store in an S3 bucket; one client, opened lazily, shared by all calls."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
        connect_timeout: float = 3.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
        ping_timeout: float = 5.0,
        part_size: int = 8 * MIB,
        copy_threshold: int = MAX_COPY_OBJECT,
        copy_part_size: int = 512 * MIB,
        session: aioboto3.Session | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE or copy_part_size < MIN_PART_SIZE:
            raise ValueError(f"part sizes must be at least {MIN_PART_SIZE} bytes")
        if not 0 <= copy_threshold <= MAX_COPY_OBJECT:
            raise ValueError(f"copy_threshold must be within 0..{MAX_COPY_OBJECT}")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.region = region
        self.part_size = part_size
        self.copy_threshold = copy_threshold
        self.copy_part_size = copy_part_size
        self.ping_timeout = ping_timeout
        self._root = f"{self.prefix}/" if self.prefix else ""
        self._tmp_root = f"{self._root}.tmp/"
        s3_options = {"addressing_style": addressing_style} if addressing_style else None
        self._config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            s3=s3_options,
        )
        # The session resolves credentials from the standard AWS env vars / config chain.
        self._session = session or aioboto3.Session()
        self._stack: AsyncExitStack | None = None
        self._client_obj: Any = None
        self._client_lock = asyncio.Lock()
        self._inflight: set[str] = set()  # temp keys of this process, spared by sweep_temp

    def __repr__(self) -> str:
        return f"S3ArtifactStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    async def put_stream(
        self, chunks: AsyncIterator[bytes], *, max_bytes: int, suffix: str = ""
    ) -> StoredArtifact:
        """Stream to S3 with memory bounded by one part; see the module docstring."""
        validate_max_bytes(max_bytes)
        validate_suffix(suffix)
        client = await self._client()
        # Grow parts when needed so that max_bytes always fits in S3's 10,000-part limit.
        part_size = max(self.part_size, math.ceil(max_bytes / MAX_PARTS))
        hasher = hashlib.sha256()
        size = 0
        buf = io.BytesIO()
        upload: Multipart | None = None
        try:
            with translated():
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise ArtifactTooLarge(max_bytes)
                    hasher.update(chunk)
                    buf.write(chunk)
                    if buf.tell() >= part_size:
                        if upload is None:
                            upload = await self._start_temp_upload(client)
                        # Hand the buffer over instead of slicing it: no second copy in memory.
                        data, buf = buf, io.BytesIO()
                        await upload.upload_part(data)
                digest = hasher.hexdigest()
                key = make_key(digest, suffix)
                if upload is None:
                    await client.put_object(
                        Bucket=self.bucket, Key=self._obj(key), Body=rewound(buf)
                    )
                else:
                    if buf.tell():
                        await upload.upload_part(buf)
                    await upload.complete()
                    await self._promote(client, upload.key, self._obj(key), size)
        finally:
            if upload is not None:
                await cleanup(upload.discard(), upload.key)
                self._inflight.discard(upload.key)
        return StoredArtifact(key=key, sha256=digest, size=size)

    async def put_bytes(self, data: bytes, *, suffix: str = "") -> StoredArtifact:
        """Hash locally, then one PutObject to the final key (atomic on S3)."""
        validate_suffix(suffix)
        digest = hashlib.sha256(data).hexdigest()
        key = make_key(digest, suffix)
        client = await self._client()
        with translated():
            # BytesIO, not bytes: aiohttp then writes in slices, yielding to the loop between them
            # (and shares the bytes object's memory instead of copying it).
            body = io.BytesIO(data)
            await client.put_object(Bucket=self.bucket, Key=self._obj(key), Body=body)
        return StoredArtifact(key=key, sha256=digest, size=len(data))

    async def get_bytes(self, key: str) -> bytes:
        """Download the whole object."""
        obj = self._obj(key)
        client = await self._client()
        with translated(key):
            resp = await client.get_object(Bucket=self.bucket, Key=obj)
            async with resp["Body"] as body:
                return await body.read()

    async def open_stream(self, key: str, *, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Issue the GET now (so a missing key fails before any byte is sent), then yield chunks."""
        validate_chunk_size(chunk_size)
        obj = self._obj(key)
        client = await self._client()
        with translated(key):
            resp = await client.get_object(Bucket=self.bucket, Key=obj)
        return _iter_body(resp["Body"], chunk_size)

    async def exists(self, key: str) -> bool:
        """HEAD the object."""
        obj = self._obj(key)
        client = await self._client()
        try:
            with translated(key):
                await client.head_object(Bucket=self.bucket, Key=obj)
        except ArtifactNotFound:
            return False
        return True

    async def delete(self, key: str) -> None:
        """DeleteObject, which S3 already treats as idempotent."""
        obj = self._obj(key)
        client = await self._client()
        with translated():
            await client.delete_object(Bucket=self.bucket, Key=obj)

    async def list_keys(self, *, older_than_s: float | None = None) -> list[str]:
        """Every stored artifact's key (temp objects excluded), for audits and cleanup."""
        cutoff = None
        if older_than_s is not None:
            cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        client = await self._client()
        keys: list[str] = []
        with translated():
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"{self._root}sha256/"
            )
            async for page in pages:
                keys.extend(
                    obj["Key"][len(self._root) :]
                    for obj in page.get("Contents", [])
                    if cutoff is None or obj["LastModified"] < cutoff
                )
        return sorted(keys)

    async def ping(self) -> None:
        """HEAD the bucket within ping_timeout; any failure means unavailable."""
        try:
            async with asyncio.timeout(self.ping_timeout):
                client = await self._client()
                await client.head_bucket(Bucket=self.bucket)
        except (ClientError, *UNAVAILABLE_ERRORS, TimeoutError) as exc:
            raise ArtifactStoreUnavailable(
                f"s3://{self.bucket}: {exc!s} ({type(exc).__name__})"
            ) from exc

    async def close(self) -> None:
        """Close the shared client (and its connection pool)."""
        async with self._client_lock:
            stack, self._stack, self._client_obj = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def sweep_temp(self, older_than_s: float) -> int:
        """Abort stale multipart uploads and delete stale temp objects; return how many."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        client = await self._client()
        removed = 0
        with translated():
            pages = client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self._root
            )
            async for page in pages:
                for up in page.get("Uploads", []):
                    if self._is_stale_upload(up, cutoff):
                        await ignore_missing(
                            client.abort_multipart_upload(
                                Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"]
                            )
                        )
                        removed += 1
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._tmp_root
            )
            async for page in pages:
                for obj in page.get("Contents", []):
                    if obj["Key"] not in self._inflight and obj["LastModified"] < cutoff:
                        await client.delete_object(Bucket=self.bucket, Key=obj["Key"])
                        removed += 1
        return removed

    def _is_stale_upload(self, upload: dict[str, Any], cutoff: datetime) -> bool:
        key = upload["Key"]
        # Only our own uploads: temp keys and multipart copies into sha256/.
        ours = key.startswith((self._tmp_root, f"{self._root}sha256/"))
        return ours and key not in self._inflight and upload["Initiated"] < cutoff

    def _obj(self, key: str) -> str:
        return self._root + validate_key(key)

    async def _client(self) -> Any:
        if self._client_obj is None:
            async with self._client_lock:
                if self._client_obj is None:
                    stack = AsyncExitStack()
                    self._client_obj = await stack.enter_async_context(
                        self._session.client(
                            "s3",
                            endpoint_url=self.endpoint_url,
                            region_name=self.region,
                            config=self._config,
                        )
                    )
                    self._stack = stack
        return self._client_obj

    async def _start_temp_upload(self, client: Any) -> Multipart:
        upload = await Multipart.start(client, self.bucket, f"{self._tmp_root}{uuid.uuid4().hex}")
        # Registered once it exists; an upload this fresh is never stale enough to be swept.
        self._inflight.add(upload.key)
        return upload

    async def _promote(self, client: Any, src: str, dst: str, size: int) -> None:
        """Server-side copy of the completed temp object to its content key."""
        if await self._has_object(client, dst):
            return  # dedupe: the same bytes are already stored
        source = {"Bucket": self.bucket, "Key": src}
        if size <= self.copy_threshold:
            await client.copy_object(Bucket=self.bucket, Key=dst, CopySource=source)
            return
        copy = await Multipart.start(client, self.bucket, dst)
        try:
            step = max(self.copy_part_size, math.ceil(size / MAX_PARTS))
            for start in range(0, size, step):
                await copy.copy_part(source, start, min(start + step, size) - 1)
            await copy.complete()
        except BaseException:
            if not copy.completed:
                await cleanup(copy.discard(), dst)
            raise

    async def _has_object(self, client: Any, obj: str) -> bool:
        try:
            await client.head_object(Bucket=self.bucket, Key=obj)
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND_CODES:
                return False
            raise
        return True


async def _iter_body(body: Any, chunk_size: int) -> AsyncIterator[bytes]:
    """Yield chunk_size-byte chunks (the last may be shorter); always release the connection."""
    try:
        buf = bytearray()
        with translated():
            while data := await body.read(chunk_size - len(buf)):
                buf += data
                if len(buf) == chunk_size:
                    yield bytes(buf)
                    buf.clear()
        if buf:
            yield bytes(buf)
    finally:
        body.close()
