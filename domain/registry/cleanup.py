"""Cleanup: purging deleted models' artifacts and sweeping crash leftovers."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from tortoise.expressions import Q

from domain.registry.base import RegistryBase, utc_now
from domain.registry.intake import claims
from domain.registry.intake.sandbox import WORKDIR_PREFIX
from domain.registry.uploads import SPOOL_PREFIX
from storage import tables

log = logging.getLogger("modelserve.registry")


class Cleanup(RegistryBase):
    """Removing what deleted models and crashed uploads leave behind."""

    async def purge_deleted(self) -> int:
        """Remove artifacts of deleted models that no live version still references."""
        purged = 0
        for model in await tables.Model.filter(deleted_at__isnull=False, purged_at=None):
            keys = set()
            for version in await tables.ModelVersion.filter(model_id=model.id):
                keys.update({version.artifact_key, version.serving_key, version.compiled_key})
            keys.discard(None)
            for key in keys:
                await self._delete_if_unreferenced(key, exclude_model=model.id)
            model.purged_at = utc_now()
            await model.save(update_fields=["purged_at"])
            purged += 1
        return purged

    async def sweep_leftovers(self, *, grace_s: float) -> int:
        """Remove what crashed uploads left behind (here or on another replica); return how many.

        Spool files and sandbox directories go as soon as no live process holds them; artifact
        temp files and stored artifacts that no version references only once ``grace_s`` old,
        as an upload in flight elsewhere stores its artifacts shortly before its version row.
        """
        removed = await asyncio.to_thread(claims.sweep, self.spool_dir, SPOOL_PREFIX)
        removed += await asyncio.to_thread(
            claims.sweep, Path(tempfile.gettempdir()), WORKDIR_PREFIX
        )
        sweep_temp = getattr(self.store, "sweep_temp", None)
        if sweep_temp is not None:
            removed += await sweep_temp(grace_s)
        for key in await self.store.list_keys(older_than_s=grace_s):
            referenced = tables.ModelVersion.filter(
                Q(artifact_key=key) | Q(serving_key=key) | Q(compiled_key=key)
            )
            # A batch job's input and output chunks live in the same store.
            if (
                not await referenced.exists()
                and not await tables.Job.filter(input_key=key).exists()
                and not await tables.JobChunk.filter(output_key=key).exists()
            ):
                log.info("removing artifact %s: no version references it", key)
                await self.store.delete(key)
                removed += 1
        return removed
