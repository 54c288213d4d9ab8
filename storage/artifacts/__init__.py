"""Content-addressed storage for model files (local directory or S3)."""

from .base import (
    ArtifactError,
    ArtifactNotFound,
    ArtifactStore,
    ArtifactStoreFull,
    ArtifactStoreReadOnly,
    ArtifactStoreUnavailable,
    ArtifactTooLarge,
    StoredArtifact,
    validate_key,
    validate_suffix,
)
from .local import LocalArtifactStore
from .s3 import S3ArtifactStore
from .url import artifact_store_from_url

__all__ = [
    "ArtifactError",
    "ArtifactNotFound",
    "ArtifactStore",
    "ArtifactStoreFull",
    "ArtifactStoreReadOnly",
    "ArtifactStoreUnavailable",
    "ArtifactTooLarge",
    "LocalArtifactStore",
    "S3ArtifactStore",
    "StoredArtifact",
    "artifact_store_from_url",
    "validate_key",
    "validate_suffix",
]
