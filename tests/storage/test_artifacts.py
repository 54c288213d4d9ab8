"""Behavioural tests of the artifact stores, run against both backends where they apply.

Self-contained on purpose (no conftest): the S3 side runs against a moto server started once
per session, and the suite also works under --noconftest.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import socket
import stat
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from storage.artifacts import (
    ArtifactNotFound,
    ArtifactStore,
    ArtifactStoreFull,
    ArtifactStoreUnavailable,
    ArtifactTooLarge,
    LocalArtifactStore,
    S3ArtifactStore,
    StoredArtifact,
    artifact_store_from_url,
)
from storage.artifacts.local import TEMP_DIR_NAME
from storage.artifacts.s3 import MIN_PART_SIZE

MIB = 1 << 20
HEX = hashlib.sha256(b"x").hexdigest()
FAKE_CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"
S3_PREFIX = "models/v1"


@dataclass
class Backend:
    """A store plus ways to look behind its back at what it really left on the backend."""

    name: str
    store: LocalArtifactStore | S3ArtifactStore
    artifacts: Callable[[], list[str]]  # published keys, relative to the store
    leftovers: Callable[[], list[str]]  # temp files / temp objects / open multipart uploads


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials, and no access to the developer's real AWS config."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_CREDS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_CREDS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3_admin(moto_endpoint: str) -> Any:
    """A plain boto3 client used to inspect the bucket independently of the store."""
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION, **FAKE_CREDS)


@pytest.fixture
def bucket(s3_admin: Any) -> str:
    name = f"artifacts-{uuid.uuid4().hex[:12]}"
    s3_admin.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def big_data() -> bytes:
    """More than two S3 parts, so the multipart path and its short last part both run."""
    return os.urandom(2 * MIN_PART_SIZE + 123_457)


def make_s3_store(endpoint: str, bucket: str, **kwargs: Any) -> S3ArtifactStore:
    """Minimum-size parts so the multipart paths run with test-sized data."""
    defaults: dict[str, Any] = {
        "endpoint_url": endpoint,
        "region": REGION,
        "part_size": MIN_PART_SIZE,
        "connect_timeout": 2.0,
        "max_attempts": 2,
    }
    return S3ArtifactStore(bucket, S3_PREFIX, **(defaults | kwargs))


def local_backend(root: Path) -> Backend:
    def artifacts() -> list[str]:
        base = root / "sha256"
        return sorted(f"sha256/{p.name}" for p in base.iterdir()) if base.exists() else []

    def leftovers() -> list[str]:
        tmp = root / TEMP_DIR_NAME
        return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []

    return Backend("local", LocalArtifactStore(root), artifacts, leftovers)


def s3_backend(store: S3ArtifactStore, admin: Any, bucket: str) -> Backend:
    root = f"{S3_PREFIX}/"

    def keys() -> list[str]:
        pages = admin.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def artifacts() -> list[str]:
        return [k.removeprefix(root) for k in keys() if k.startswith(f"{root}sha256/")]

    def leftovers() -> list[str]:
        uploads = admin.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        temp = [k for k in keys() if not k.startswith(f"{root}sha256/")]
        return sorted(temp + [f"upload:{u['Key']}" for u in uploads])

    return Backend("s3", store, artifacts, leftovers)


@pytest.fixture(params=["local", "s3"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """The same behavioural tests run against a local directory and against moto S3."""
    if request.param == "local":
        b = local_backend(tmp_path / "artifacts")
    else:
        request.getfixturevalue("aws_env")
        endpoint = request.getfixturevalue("moto_endpoint")
        admin = request.getfixturevalue("s3_admin")
        name = request.getfixturevalue("bucket")
        b = s3_backend(make_s3_store(endpoint, name), admin, name)
    yield b
    await b.store.close()


async def chunked(data: bytes, size: int = MIB) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def collect(stream: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in stream]


def expected(data: bytes, suffix: str = "") -> StoredArtifact:
    digest = hashlib.sha256(data).hexdigest()
    return StoredArtifact(key=f"sha256/{digest}{suffix}", sha256=digest, size=len(data))


class Hang:
    """A producer that yields `data`, signals, then blocks until released."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reached = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self) -> AsyncIterator[bytes]:
        async for chunk in chunked(self.data):
            yield chunk
        self.reached.set()
        await self.release.wait()


# --- round trips -----------------------------------------------------------------------------


async def test_store_satisfies_protocol(backend: Backend) -> None:
    assert isinstance(backend.store, ArtifactStore)


async def test_put_bytes_round_trip(backend: Backend) -> None:
    data = b"model weights \x00\xff" * 100
    stored = await backend.store.put_bytes(data)
    assert stored == expected(data)
    assert await backend.store.get_bytes(stored.key) == data
    assert await backend.store.exists(stored.key)
    assert backend.artifacts() == [stored.key]
    assert backend.leftovers() == []


async def test_put_stream_small_round_trip(backend: Backend) -> None:
    data = os.urandom(3 * 1000 + 7)
    stored = await backend.store.put_stream(chunked(data, 1000), max_bytes=10_000)
    assert stored == expected(data)
    assert await backend.store.get_bytes(stored.key) == data
    assert backend.leftovers() == []


async def test_put_stream_multipart_round_trip(backend: Backend, big_data: bytes) -> None:
    stored = await backend.store.put_stream(chunked(big_data), max_bytes=len(big_data))
    assert stored == expected(big_data)
    assert await backend.store.get_bytes(stored.key) == big_data
    assert backend.artifacts() == [stored.key]
    assert backend.leftovers() == []


async def test_empty_artifact(backend: Backend) -> None:
    stored = await backend.store.put_stream(chunked(b""), max_bytes=0)
    assert stored == expected(b"")
    assert await backend.store.get_bytes(stored.key) == b""
    assert await collect(await backend.store.open_stream(stored.key)) == []


async def test_suffix_is_part_of_key(backend: Backend) -> None:
    data = b"skops archive"
    stored = await backend.store.put_bytes(data, suffix=".skops")
    assert stored == expected(data, ".skops")
    streamed = await backend.store.put_stream(chunked(data), max_bytes=100, suffix=".skops")
    assert streamed == stored
    assert await backend.store.get_bytes(stored.key) == data


@pytest.mark.parametrize(
    "suffix", ["skops", ".SKOPS", ".", "..", ".a.b", "/x", ".a/b", "." + "a" * 16]
)
async def test_bad_suffix_rejected(backend: Backend, suffix: str) -> None:
    with pytest.raises(ValueError):
        await backend.store.put_bytes(b"x", suffix=suffix)
    with pytest.raises(ValueError):
        await backend.store.put_stream(chunked(b"x"), max_bytes=1, suffix=suffix)
    assert backend.artifacts() == []


# --- dedupe ----------------------------------------------------------------------------------


async def test_identical_bytes_dedupe(backend: Backend, big_data: bytes) -> None:
    first = await backend.store.put_stream(chunked(big_data), max_bytes=len(big_data))
    second = await backend.store.put_stream(chunked(big_data, 777_777), max_bytes=len(big_data))
    third = await backend.store.put_bytes(big_data)
    assert first == second == third
    assert backend.artifacts() == [first.key]
    assert backend.leftovers() == []
    assert await backend.store.get_bytes(first.key) == big_data


async def test_concurrent_identical_puts(backend: Backend) -> None:
    data = os.urandom(200_000)
    results = await asyncio.gather(
        *(backend.store.put_stream(chunked(data, 10_000), max_bytes=len(data)) for _ in range(5))
    )
    assert set(results) == {expected(data)}
    assert backend.artifacts() == [expected(data).key]
    assert backend.leftovers() == []


# --- limits, failures, cancellation ------------------------------------------------------------


async def test_exact_limit_is_allowed(backend: Backend) -> None:
    data = os.urandom(4096)
    stored = await backend.store.put_stream(chunked(data, 1000), max_bytes=len(data))
    assert stored.size == len(data)


@pytest.mark.parametrize("size", [4097, 7 * MIB], ids=["single-part", "multipart"])
async def test_over_limit_leaves_nothing(backend: Backend, size: int) -> None:
    limit = size - 1
    data = os.urandom(size)
    with pytest.raises(ArtifactTooLarge) as info:
        await backend.store.put_stream(chunked(data, 1000 if size < MIB else MIB), max_bytes=limit)
    assert info.value.limit_bytes == limit
    assert backend.artifacts() == []
    assert backend.leftovers() == []


async def test_negative_limit_rejected(backend: Backend) -> None:
    with pytest.raises(ValueError):
        await backend.store.put_stream(chunked(b""), max_bytes=-1)


async def test_producer_error_leaves_nothing(backend: Backend) -> None:
    async def failing() -> AsyncIterator[bytes]:
        for _ in range(6):  # past one S3 part, so a multipart upload is open when it fails
            yield os.urandom(MIB)
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError, match="client went away"):
        await backend.store.put_stream(failing(), max_bytes=100 * MIB)
    assert backend.artifacts() == []
    assert backend.leftovers() == []


async def test_cancellation_mid_stream_leaves_nothing(backend: Backend) -> None:
    producer = Hang(os.urandom(MIN_PART_SIZE + MIB))
    task = asyncio.create_task(backend.store.put_stream(producer(), max_bytes=100 * MIB))
    await asyncio.wait_for(producer.reached.wait(), 10)
    assert backend.leftovers() != []  # a temp file / multipart upload really was in progress
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.artifacts() == []
    assert backend.leftovers() == []


# --- keys ------------------------------------------------------------------------------------

BAD_KEYS = [
    "../../etc/passwd",
    "/abs",
    "/etc/passwd",
    "sha256/../x",
    f"sha256/../{HEX}",
    f"sha256/{HEX}\x00",
    f"sha256\\{HEX}",
    f"sha256/{HEX}\n",
    f"sha256/{HEX}/../../x",
    f"sha256/{HEX.upper()}",
    f"sha256/{HEX[:-1]}",
    f"sha256/{HEX}.",
    f"sha256/{HEX}.tar.gz",
    f"/sha256/{HEX}",
    f"md5/{HEX}",
    "",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_bad_keys_rejected(backend: Backend, key: str) -> None:
    store = backend.store
    with pytest.raises(ValueError):
        await store.get_bytes(key)
    with pytest.raises(ValueError):
        await store.open_stream(key)
    with pytest.raises(ValueError):
        await store.exists(key)
    with pytest.raises(ValueError):
        await store.delete(key)


async def test_missing_key(backend: Backend) -> None:
    key = f"sha256/{HEX}"
    with pytest.raises(ArtifactNotFound):
        await backend.store.get_bytes(key)
    with pytest.raises(ArtifactNotFound):
        await backend.store.open_stream(key)  # raised on open, before any iteration
    assert not await backend.store.exists(key)


async def test_delete_is_idempotent(backend: Backend) -> None:
    stored = await backend.store.put_bytes(b"to be deleted", suffix=".onnx")
    await backend.store.delete(stored.key)
    await backend.store.delete(stored.key)
    assert not await backend.store.exists(stored.key)
    assert backend.artifacts() == []
    with pytest.raises(ArtifactNotFound):
        await backend.store.get_bytes(stored.key)


# --- streaming reads ---------------------------------------------------------------------------


async def test_open_stream_chunks(backend: Backend) -> None:
    size = 64 * 1024
    data = os.urandom(2 * size + size // 2)
    stored = await backend.store.put_bytes(data)
    chunks = await collect(await backend.store.open_stream(stored.key, chunk_size=size))
    assert [len(c) for c in chunks] == [size, size, size // 2]
    assert b"".join(chunks) == data


async def test_open_stream_can_be_abandoned(backend: Backend, big_data: bytes) -> None:
    stored = await backend.store.put_bytes(big_data)
    stream = await backend.store.open_stream(stored.key, chunk_size=1000)
    first = await anext(stream)
    await stream.aclose()
    assert first == big_data[:1000]
    # The connection / file handle was released: the store still works.
    assert await backend.store.get_bytes(stored.key) == big_data


@pytest.mark.parametrize("chunk_size", [0, -1])
async def test_open_stream_bad_chunk_size(backend: Backend, chunk_size: int) -> None:
    stored = await backend.store.put_bytes(b"abc")
    with pytest.raises(ValueError):
        await backend.store.open_stream(stored.key, chunk_size=chunk_size)


# --- maintenance -------------------------------------------------------------------------------


async def test_ping_and_close(backend: Backend) -> None:
    await backend.store.ping()
    await backend.store.close()
    await backend.store.close()  # idempotent


async def test_sweep_temp_spares_in_flight_uploads(backend: Backend) -> None:
    producer = Hang(os.urandom(MIN_PART_SIZE + MIB))
    task = asyncio.create_task(backend.store.put_stream(producer(), max_bytes=100 * MIB))
    await asyncio.wait_for(producer.reached.wait(), 10)
    await asyncio.sleep(0.05)
    assert await backend.store.sweep_temp(0) == 0
    producer.release.set()
    stored = await task
    assert backend.artifacts() == [stored.key]
    assert backend.leftovers() == []


# --- local backend only ----------------------------------------------------------------------


async def test_local_sweep_temp_removes_only_old_files(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "a")
    await store.ping()
    old, fresh = store.temp_dir / "old.part", store.temp_dir / "fresh.part"
    old.write_bytes(b"crash leftover")
    fresh.write_bytes(b"recent")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert await store.sweep_temp(3600) == 1
    assert sorted(p.name for p in store.temp_dir.iterdir()) == ["fresh.part"]


async def test_local_dir_created_private_on_first_use(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "artifacts"
    store = LocalArtifactStore(root)
    assert not root.exists()  # constructing the store touches nothing
    stored = await store.put_bytes(b"secret model")
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / stored.key).stat().st_mode) == 0o600


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
async def test_local_disk_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    store = LocalArtifactStore(tmp_path / "a")
    real_write = store._write
    calls = 0

    async def write(f: Any, chunk: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(code, os.strerror(code))
        await real_write(f, chunk)

    monkeypatch.setattr(store, "_write", write)
    with pytest.raises(ArtifactStoreFull):
        await store.put_stream(chunked(os.urandom(5000), 1000), max_bytes=10_000)
    assert list(store.temp_dir.iterdir()) == []
    assert not any((store.root / "sha256").iterdir())


async def test_local_store_recreates_a_removed_directory(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "a")
    await store.ping()
    store.temp_dir.rmdir()  # e.g. an operator emptied the directory while the server ran
    stored = await store.put_bytes(b"x")
    assert await store.get_bytes(stored.key) == b"x"


async def test_local_other_os_errors_pass_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalArtifactStore(tmp_path / "a")

    async def write(f: Any, chunk: bytes) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(store, "_write", write)
    with pytest.raises(OSError) as raised:
        await store.put_bytes(b"x")
    assert raised.value.errno == errno.EIO
    assert not isinstance(raised.value, ArtifactStoreFull)
    assert list(store.temp_dir.iterdir()) == []


async def test_local_ping_unwritable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(ArtifactStoreUnavailable):
        await LocalArtifactStore(blocker / "artifacts").ping()


# --- S3 backend only ---------------------------------------------------------------------------


async def test_s3_parts_bound_memory(
    aws_env: None, moto_endpoint: str, bucket: str, s3_admin: Any, big_data: bytes
) -> None:
    store = make_s3_store(moto_endpoint, bucket)
    client = await store._client()
    sizes: list[int] = []
    real_upload_part = client.upload_part

    async def spy(**kwargs: Any) -> Any:
        sizes.append(kwargs["Body"].getbuffer().nbytes)
        return await real_upload_part(**kwargs)

    client.upload_part = spy
    try:
        stored = await store.put_stream(chunked(big_data), max_bytes=len(big_data))
    finally:
        await store.close()
    assert stored == expected(big_data)
    assert len(sizes) == 3
    assert max(sizes) <= MIN_PART_SIZE + MIB  # at most one part plus one incoming chunk
    assert s3_backend(store, s3_admin, bucket).leftovers() == []


async def test_s3_multipart_copy_for_big_objects(
    aws_env: None, moto_endpoint: str, bucket: str, s3_admin: Any, big_data: bytes
) -> None:
    # Lower the CopyObject threshold so the UploadPartCopy path (> 5 GiB in production) runs.
    store = make_s3_store(
        moto_endpoint, bucket, copy_threshold=MIN_PART_SIZE, copy_part_size=MIN_PART_SIZE
    )
    try:
        stored = await store.put_stream(chunked(big_data), max_bytes=len(big_data))
        assert await store.get_bytes(stored.key) == big_data
    finally:
        await store.close()
    backend = s3_backend(store, s3_admin, bucket)
    assert backend.artifacts() == [stored.key]
    assert backend.leftovers() == []


async def test_s3_objects_live_under_prefix(
    aws_env: None, moto_endpoint: str, bucket: str, s3_admin: Any
) -> None:
    store = make_s3_store(moto_endpoint, bucket)
    stored = await store.put_bytes(b"abc")
    await store.close()
    keys = [o["Key"] for o in s3_admin.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"{S3_PREFIX}/{stored.key}"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_s3_endpoint_down_is_unavailable_quickly(aws_env: None) -> None:
    url = (
        f"s3://nowhere?endpoint_url=http://127.0.0.1:{_free_port()}"
        "&region=us-east-1&connect_timeout=0.5&max_attempts=1"
    )
    store = artifact_store_from_url(url)
    started = time.monotonic()
    try:
        with pytest.raises(ArtifactStoreUnavailable):
            await store.ping()
        with pytest.raises(ArtifactStoreUnavailable):
            await store.get_bytes(f"sha256/{HEX}")
    finally:
        await store.close()
    assert time.monotonic() - started < 10  # a guard: retries would take minutes


async def test_s3_ping_times_out_on_silent_endpoint(aws_env: None) -> None:
    # A listening socket that never answers: only the ping deadline can end the wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        store = S3ArtifactStore(
            "b", endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1", ping_timeout=0.5
        )
        started = time.monotonic()
        try:
            with pytest.raises(ArtifactStoreUnavailable):
                await store.ping()
        finally:
            await store.close()
        assert time.monotonic() - started < 10  # a guard: without the deadline it never ends


async def test_s3_missing_bucket_is_unavailable(aws_env: None, moto_endpoint: str) -> None:
    store = make_s3_store(moto_endpoint, "no-such-bucket-here")
    try:
        with pytest.raises(ArtifactStoreUnavailable):
            await store.ping()
        with pytest.raises(ArtifactStoreUnavailable):
            await store.put_bytes(b"x")
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("QuotaExceeded", 403, ArtifactStoreFull),
        ("XMinioStorageFull", 507, ArtifactStoreFull),
        ("SlowDown", 503, ArtifactStoreUnavailable),
        ("InternalError", 500, ArtifactStoreUnavailable),
        ("AccessDenied", 403, ArtifactStoreUnavailable),
    ],
)
async def test_s3_error_mapping(
    aws_env: None, moto_endpoint: str, bucket: str, code: str, status: int, error: type
) -> None:
    store = make_s3_store(moto_endpoint, bucket)
    client = await store._client()

    async def fail(**_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject"
        )

    client.put_object = fail
    try:
        with pytest.raises(error):
            await store.put_bytes(b"x")
    finally:
        await store.close()


async def test_s3_sweep_temp_removes_crash_leftovers(
    aws_env: None, moto_endpoint: str, bucket: str, s3_admin: Any
) -> None:
    store = make_s3_store(moto_endpoint, bucket)
    try:
        s3_admin.put_object(Bucket=bucket, Key=f"{S3_PREFIX}/.tmp/orphan", Body=b"x")
        assert await store.sweep_temp(3600) == 0  # too fresh to be a crash leftover
        # (Uploads are created only now because moto reports every upload as initiated in 2010.)
        s3_admin.create_multipart_upload(Bucket=bucket, Key=f"{S3_PREFIX}/.tmp/crashed")
        s3_admin.create_multipart_upload(Bucket=bucket, Key="someone-else/upload")
        await asyncio.sleep(0.05)
        assert await store.sweep_temp(0) == 2
    finally:
        await store.close()
    uploads = s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads] == ["someone-else/upload"]
    assert "Contents" not in s3_admin.list_objects_v2(Bucket=bucket, Prefix=f"{S3_PREFIX}/")


# --- URL parsing -----------------------------------------------------------------------------


def test_url_relative_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    store = artifact_store_from_url("var/artifacts")
    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path / "var" / "artifacts"
    assert not store.root.exists()


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("/srv/artifacts", "/srv/artifacts"),
        ("file:///srv/artifacts", "/srv/artifacts"),
        ("file://localhost/srv/my%20artifacts", "/srv/my artifacts"),
    ],
)
def test_url_local(url: str, root: str) -> None:
    store = artifact_store_from_url(url)
    assert isinstance(store, LocalArtifactStore)
    assert store.root == Path(root)


def test_url_s3_full() -> None:
    store = artifact_store_from_url(
        "s3://my-bucket/optional/prefix/?endpoint_url=http://127.0.0.1:9000&region=us-east-1"
        "&addressing_style=path&connect_timeout=1.5&read_timeout=30&max_attempts=2"
    )
    assert isinstance(store, S3ArtifactStore)
    assert (store.bucket, store.prefix) == ("my-bucket", "optional/prefix")
    assert (store.endpoint_url, store.region) == ("http://127.0.0.1:9000", "us-east-1")


def test_url_s3_bare_bucket() -> None:
    store = artifact_store_from_url("s3://models.example")
    assert isinstance(store, S3ArtifactStore)
    assert (store.bucket, store.prefix, store.endpoint_url) == ("models.example", "", None)


@pytest.mark.parametrize(
    "url",
    [
        "s3://bucket?access_key=AKIAEXAMPLE&secret_key=SUPERSECRET",
        "s3://bucket/p?aws_secret_access_key=SUPERSECRET",
        "s3://bucket?aws_session_token=SUPERSECRET",
        "s3://AKIAEXAMPLE:SUPERSECRET@bucket/prefix",
        "s3://bucket?endpoint_url=http://AKIAEXAMPLE:SUPERSECRET@127.0.0.1:9000",
    ],
)
def test_url_rejects_credentials_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError, match="credentials") as info:
        artifact_store_from_url(url)
    assert "SUPERSECRET" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "ftp://host/x",
        "s3://",
        "s3://Bad_Bucket",
        "s3://bucket:9000/x",
        "s3://bucket/../x",
        "s3://bucket/a//b",
        "s3://bucket?bogus=1",
        "s3://bucket?region=a&region=b",
        "s3://bucket?region=",
        "s3://bucket?max_attempts=0",
        "s3://bucket?connect_timeout=abc",
        "s3://bucket?addressing_style=sideways",
        "s3://bucket?endpoint_url=ftp://host",
        "s3://bucket#frag",
        "file://otherhost/srv/x",
        "file:///srv/x?mode=1",
        "file:relative/x",
        "/srv/x\x00",
    ],
)
def test_url_rejects_invalid(url: str) -> None:
    with pytest.raises(ValueError):
        artifact_store_from_url(url)


async def test_list_keys_names_every_artifact_and_no_temp(backend: Backend) -> None:
    first = await backend.store.put_bytes(b"first")
    second = await backend.store.put_bytes(b"second", suffix=".onnx")
    assert await backend.store.list_keys() == sorted([first.key, second.key])
