"""S3 helpers: multipart uploads and the mapping of botocore errors onto store errors."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Awaitable, Iterator
from typing import Any

from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from .base import ArtifactNotFound, ArtifactStoreFull, ArtifactStoreUnavailable

log = logging.getLogger(__name__)

NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
# Ceph RGW says QuotaExceeded; MinIO has its own codes; 507 is the generic HTTP status.
FULL_CODES = frozenset({"QuotaExceeded", "XMinioStorageFull", "XMinioAdminBucketQuotaExceeded"})
# The service cannot be used as configured: wrong bucket or credentials, throttling, outages.
UNAVAILABLE_CODES = frozenset(
    {
        "NoSuchBucket",
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "SlowDown",
        "Throttling",
        "RequestTimeout",
        "ServiceUnavailable",
        "InternalError",
    }
)
UNAVAILABLE_ERRORS = (
    BotoConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
)


class Multipart:
    """One multipart upload; discard() aborts it, or deletes the object once completed."""

    def __init__(self, client: Any, bucket: str, key: str, upload_id: str) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.upload_id = upload_id
        self.parts: list[dict[str, Any]] = []
        self.completed = False

    @classmethod
    async def start(cls, client: Any, bucket: str, key: str) -> Multipart:
        resp = await client.create_multipart_upload(Bucket=bucket, Key=key)
        return cls(client, bucket, key, resp["UploadId"])

    async def upload_part(self, data: io.BytesIO) -> None:
        number = len(self.parts) + 1
        resp = await self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=rewound(data),
        )
        self.parts.append({"ETag": resp["ETag"], "PartNumber": number})

    async def copy_part(self, source: dict[str, str], first: int, last: int) -> None:
        number = len(self.parts) + 1
        resp = await self.client.upload_part_copy(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            CopySource=source,
            CopySourceRange=f"bytes={first}-{last}",
        )
        self.parts.append({"ETag": resp["CopyPartResult"]["ETag"], "PartNumber": number})

    async def complete(self) -> None:
        await self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )
        self.completed = True

    async def discard(self) -> None:
        if self.completed:
            await self.client.delete_object(Bucket=self.bucket, Key=self.key)
        else:
            await ignore_missing(
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
                )
            )


async def cleanup(work: Awaitable[None], what: str) -> None:
    """Run cleanup to the end even if the caller is being cancelled; log, never raise, errors."""
    try:
        # shield: a (second) cancellation of the caller must not abandon the cleanup half-way.
        await asyncio.shield(work)
    except Exception:
        log.warning("artifact store: could not clean up %s; sweep_temp will", what, exc_info=True)


async def ignore_missing(call: Awaitable[Any]) -> None:
    """Await an abort, treating an upload that is already gone as success."""
    try:
        await call
    except ClientError as exc:
        if error_code(exc) != "NoSuchUpload":
            raise


def error_code(exc: ClientError) -> str:
    """The S3 error code of a ClientError ("" if absent)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def map_client_error(exc: ClientError, key: str | None) -> Exception | None:
    """The store error for a ClientError, or None to let it propagate unchanged."""
    code = error_code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if key is not None and code in NOT_FOUND_CODES:
        return ArtifactNotFound(key)
    if code in FULL_CODES or status == 507:
        return ArtifactStoreFull(f"artifact store is full: {code}")
    if code in UNAVAILABLE_CODES or status >= 500:
        return ArtifactStoreUnavailable(f"S3 error: {code or status}")
    return None


@contextlib.contextmanager
def translated(key: str | None = None) -> Iterator[None]:
    """Map botocore errors onto the store's exceptions; unknown client errors pass through."""
    try:
        yield
    except ClientError as exc:
        mapped = map_client_error(exc, key)
        if mapped is None:
            raise
        raise mapped from exc
    except UNAVAILABLE_ERRORS as exc:
        raise ArtifactStoreUnavailable(f"S3 unreachable: {exc}") from exc


def rewound(buf: io.BytesIO) -> io.BytesIO:
    """Seek to the start, so botocore sends (and checksums) the whole buffer."""
    buf.seek(0)
    return buf
