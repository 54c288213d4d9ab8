"""Build an artifact store from a configuration URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .base import ArtifactStore
from .local import LocalArtifactStore
from .s3 import S3ArtifactStore

_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX_SEGMENT_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
# Anything that smells like a secret; matched before the allow-list for a clearer message.
_CREDENTIAL_RE = re.compile(r"access|secret|token|password|credential|session", re.IGNORECASE)


def _positive_float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, got {raw!r}")
    return value


def _positive_int(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def _endpoint(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an http(s) URL")
    if "@" in parts.netloc:
        raise ValueError("credentials must not be in the artifact store URL; use AWS env vars")
    return raw


def _addressing(name: str, raw: str) -> str:
    if raw not in ("auto", "path", "virtual"):
        raise ValueError(f"{name} must be auto, path or virtual, got {raw!r}")
    return raw


def _text(name: str, raw: str) -> str:
    if not raw:
        raise ValueError(f"{name} must not be empty")
    return raw


# Query parameter -> (constructor argument, parser).
_S3_OPTIONS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "endpoint_url": ("endpoint_url", _endpoint),
    "region": ("region", _text),
    "addressing_style": ("addressing_style", _addressing),
    "connect_timeout": ("connect_timeout", _positive_float),
    "read_timeout": ("read_timeout", _positive_float),
    "max_attempts": ("max_attempts", _positive_int),
}


def artifact_store_from_url(url: str) -> ArtifactStore:
    """Local path, file:///abs/path or s3://bucket/prefix?endpoint_url=...&region=...

    Error messages never echo the URL, which might carry a secret by mistake.
    """
    if not isinstance(url, str) or not url.strip() or "\x00" in url:
        raise ValueError("artifact store URL must be a non-empty string without NUL")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        return _s3_store(parts.netloc, parts.path, parts.query, parts.fragment)
    if scheme == "file":
        return _file_store(parts.netloc, parts.path, parts.query, parts.fragment)
    if scheme == "":
        return LocalArtifactStore(url)
    raise ValueError(f"unsupported artifact store URL scheme {scheme!r} (use a path, file:, s3:)")


def _file_store(netloc: str, path: str, query: str, fragment: str) -> LocalArtifactStore:
    if netloc not in ("", "localhost"):
        raise ValueError("file: artifact store URL must be file:///absolute/path")
    if query or fragment:
        raise ValueError("file: artifact store URL takes no query or fragment")
    path = unquote(path)
    if not path.startswith("/") or "\x00" in path:
        raise ValueError("file: artifact store URL must be file:///absolute/path")
    return LocalArtifactStore(path)


def _s3_store(netloc: str, path: str, query: str, fragment: str) -> S3ArtifactStore:
    if "@" in netloc:
        raise ValueError("credentials must not be in the artifact store URL; use AWS env vars")
    if _BUCKET_RE.fullmatch(netloc) is None or ".." in netloc:
        raise ValueError("s3 artifact store URL needs a valid bucket name: s3://bucket/prefix")
    if fragment:
        raise ValueError("s3 artifact store URL takes no fragment")
    return S3ArtifactStore(netloc, _s3_prefix(path), **_s3_options(query))


def _s3_prefix(path: str) -> str:
    prefix = unquote(path).strip("/")
    if prefix and not all(
        _PREFIX_SEGMENT_RE.fullmatch(seg) and seg not in (".", "..") for seg in prefix.split("/")
    ):
        raise ValueError("s3 artifact store prefix must be /-separated [A-Za-z0-9._-] segments")
    return prefix


def _s3_options(query: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError("s3 artifact store URL has a malformed query string") from None
    for name, raw in pairs:
        if _CREDENTIAL_RE.search(name):
            raise ValueError(
                "credentials must not be in the artifact store URL; "
                "use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the AWS config chain"
            )
        if name not in _S3_OPTIONS:
            raise ValueError(
                f"unknown s3 artifact store option {name!r}; allowed: {sorted(_S3_OPTIONS)}"
            )
        arg, parse = _S3_OPTIONS[name]
        if arg in options:
            raise ValueError(f"s3 artifact store option {name!r} given twice")
        options[arg] = parse(name, raw)
    return options
