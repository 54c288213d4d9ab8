"""The model registry: models, versions, aliases, sharing and safe uploads.

Visibility is the first rule: a caller who may not read a model gets ``NotFound`` for it, its
versions and its aliases, exactly as for an id that does not exist (``access`` decides).

One ``Registry`` per process, composed of one part per concern, each in its own module:

    models    Catalogue  lookups, listings, loaders' batch lookups, create, update, delete
    uploads   Uploads    spool, intake, store, record the next version (idempotently)
    versions  Versions   archive, restore, runtime settings, the original file
    aliases   Aliases    point a name at a ready version; the history of moves
    traffic   Traffic    an alias's weighted split between versions and its shadow versions
    sharing   Sharing    give and take other users' access
    cleanup   Cleanup    purge deleted models' artifacts, sweep crash leftovers
    base      RegistryBase  the store, intake limits and the emitter they share
"""

from __future__ import annotations

from domain.registry.aliases import Aliases
from domain.registry.base import Compile, IntakeLimits, RegistryBase
from domain.registry.cleanup import Cleanup
from domain.registry.models import Catalogue, ModelFilter
from domain.registry.sharing import Sharing
from domain.registry.traffic import Traffic, WeightedVersion
from domain.registry.uploads import SPOOL_PREFIX, UploadOutcome, Uploads, VersionMetadata
from domain.registry.versions import Versions

__all__ = [
    "SPOOL_PREFIX",
    "Compile",
    "IntakeLimits",
    "ModelFilter",
    "Registry",
    "RegistryBase",
    "UploadOutcome",
    "VersionMetadata",
    "WeightedVersion",
]


class Registry(Catalogue, Uploads, Versions, Aliases, Traffic, Sharing, Cleanup):
    """The registry service; one per process (see the module docstring for its parts)."""
