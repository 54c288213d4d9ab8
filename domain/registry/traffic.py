"""Traffic policies on aliases: a weighted, sticky split between versions, and shadow versions.

An alias keeps pointing at one version (its baseline). A policy adds a **split** (versions and
integer weights summing to 100, the baseline among them: a 90/10 canary is the baseline at 90
and the candidate at 10) and **shadows** (versions that get a copy of every call, off the
request path, and answer no one). Every version in a policy is a ready version of the alias's
model whose inputs match the baseline's, so a caller's rows fit whichever version answers
them and a shadow can run the very rows the caller sent.

A policy change is one transaction: the routes, a row of the alias history (carrying the new
policy) and the audit entry; then an ``ALIAS_TRAFFIC_CHANGED`` event drops every replica's
cached resolution of the model. Moving the alias with ``set_alias`` clears the policy (a plain
move means "this version answers everyone now", which is what a rollback needs); removing the
alias removes it; archiving a version takes it out of every policy (a split it was in is
cleared, as a shadow it is dropped).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from domain.accounts import Caller
from domain.audit import AuditAction, AuditTarget, AuditTrail
from domain.errors import FieldError, NotFound, ValidationFailed
from domain.events import ModelEvent, ModelEventKind
from domain.registry import access
from domain.registry.access import Access
from domain.registry.base import RegistryBase
from storage import tables

MAX_SPLIT = 10
MAX_SHADOWS = 5
TOTAL_WEIGHT = 100


@dataclass(frozen=True, slots=True)
class WeightedVersion:
    version_id: uuid.UUID
    weight: int


def _inputs(signature: dict[str, Any] | None) -> tuple[Any, ...]:
    """What a version takes, as far as a caller's rows are concerned."""
    signature = signature or {}
    columns = signature.get("columns")
    return (
        signature.get("n_features_in"),
        tuple(signature.get("feature_names") or ()),
        None if columns is None else tuple((c.get("name"), c.get("type")) for c in columns),
    )


def _same_inputs(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    (na, fa, ca), (nb, fb, cb) = _inputs(a), _inputs(b)
    if na is not None and nb is not None and na != nb:
        return False
    if fa and fb and fa != fb:
        return False
    return ca is None or cb is None or ca == cb


def snapshot(routes: list[tables.TrafficRoute], numbers: dict[uuid.UUID, int]) -> dict[str, Any]:
    """The policy as the alias history and the audit trail keep it."""
    split = sorted(
        (r for r in routes if r.role == tables.RouteRole.SPLIT), key=lambda r: r.position
    )
    return {
        "split": [
            {
                "versionId": str(r.version_id),
                "number": numbers.get(r.version_id),
                "weight": r.weight,
            }
            for r in split
        ],
        "shadows": [
            {"versionId": str(r.version_id), "number": numbers.get(r.version_id)}
            for r in sorted(routes, key=lambda r: r.position)
            if r.role == tables.RouteRole.SHADOW
        ],
    }


EMPTY = {"split": [], "shadows": []}


async def clear_policy(model_id: uuid.UUID, alias: str) -> bool:
    """Delete ``alias``'s policy (inside the caller's transaction); whether there was one."""
    return bool(await tables.TrafficRoute.filter(model_id=model_id, alias=alias).delete())


async def drop_version(
    *, model_id: uuid.UUID, version_id: uuid.UUID, caller: Caller, reason: str
) -> list[str]:
    """Take an archived version out of every policy of its model (inside the caller's
    transaction), recording each change in the alias history; the aliases changed."""
    changed: list[str] = []
    routes = await tables.TrafficRoute.filter(model_id=model_id, version_id=version_id)
    for alias in sorted({r.alias for r in routes}):
        mine = [r for r in routes if r.alias == alias]
        if any(r.role == tables.RouteRole.SPLIT for r in mine):
            await tables.TrafficRoute.filter(
                model_id=model_id, alias=alias, role=tables.RouteRole.SPLIT
            ).delete()
        await tables.TrafficRoute.filter(
            model_id=model_id, alias=alias, version_id=version_id
        ).delete()
        current = await tables.Alias.get_or_none(model_id=model_id, name=alias)
        left = await tables.TrafficRoute.filter(model_id=model_id, alias=alias)
        if current is not None:
            numbers = await _numbers([r.version_id for r in left])
            await tables.AliasEvent.create(
                model_id=model_id,
                alias=alias,
                from_version_id=current.version_id,
                to_version_id=current.version_id,
                actor_id=caller.user_id,
                reason=reason,
                traffic=snapshot(left, numbers),
            )
        changed.append(alias)
    return changed


async def _numbers(version_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not version_ids:
        return {}
    return dict(await tables.ModelVersion.filter(id__in=version_ids).values_list("id", "number"))


class Traffic(RegistryBase):
    """Set an alias's traffic policy; read policies for the schema's loaders."""

    async def set_alias_traffic(
        self,
        *,
        caller: Caller,
        model_id: uuid.UUID,
        alias: str,
        split: list[WeightedVersion],
        shadows: list[uuid.UUID],
        reason: str = "",
    ) -> tables.Alias:
        """Replace ``alias``'s policy; an empty split and no shadows clear it.

        Raises:
            NotFound: the model is not visible, or it has no such alias.
            Forbidden: the caller does not maintain the model.
            ValidationFailed: every problem with the split and shadows at once (codes
                ``weights_sum``, ``out_of_range``, ``unknown_version``, ``version_not_ready``,
                ``signature_mismatch``, ``duplicate``, ``alias_version_missing``,
                ``shadow_in_split``, ``too_many``, ``too_long``).
        """
        model = (await access.require_model(caller, model_id, needed=Access.MAINTAINER)).model
        current = await tables.Alias.get_or_none(model_id=model.id, name=alias).select_related(
            "version"
        )
        if current is None:
            raise NotFound(f"Alias {alias!r}")
        ids = [entry.version_id for entry in split] + list(shadows)
        versions = {
            v.id: v for v in await tables.ModelVersion.filter(id__in=ids, model_id=model.id)
        }
        errors = _check(current, split, shadows, versions)
        if len(reason) > 500:
            errors.append(FieldError(("input", "reason"), "At most 500 characters.", "too_long"))
        if errors:
            raise ValidationFailed(errors)
        if len(split) == 1:
            split = []  # the baseline alone at 100 is no split at all
        async with in_transaction():
            previous = await tables.TrafficRoute.filter(model_id=model.id, alias=alias)
            await clear_policy(model.id, alias)
            routes = [
                tables.TrafficRoute(
                    model_id=model.id,
                    alias=alias,
                    version_id=entry.version_id,
                    role=tables.RouteRole.SPLIT,
                    weight=entry.weight,
                    position=i,
                    created_by_id=caller.user_id,
                )
                for i, entry in enumerate(split)
            ] + [
                tables.TrafficRoute(
                    model_id=model.id,
                    alias=alias,
                    version_id=version_id,
                    role=tables.RouteRole.SHADOW,
                    position=i,
                    created_by_id=caller.user_id,
                )
                for i, version_id in enumerate(shadows)
            ]
            for route in routes:
                await route.save()
            numbers = {v.id: v.number for v in versions.values()}
            numbers.update(await _numbers([r.version_id for r in previous]))
            policy = snapshot(routes, numbers)
            await tables.AliasEvent.create(
                model_id=model.id,
                alias=alias,
                from_version_id=current.version_id,
                to_version_id=current.version_id,
                actor_id=caller.user_id,
                reason=reason,
                traffic=policy,
            )
            await AuditTrail.record(
                AuditAction.ALIAS_TRAFFIC_SET,
                actor=caller,
                target=AuditTarget.alias(model, alias),
                detail={**policy, "previous": snapshot(previous, numbers), "reason": reason},
            )
        await self._event(
            ModelEvent(
                ModelEventKind.ALIAS_TRAFFIC_CHANGED,
                model.id,
                caller.user_id,
                alias=alias,
                version_id=current.version_id,
            )
        )
        return current

    async def get_traffic_by_model_ids(
        self, *, model_ids: list[uuid.UUID]
    ) -> list[list[tables.TrafficRoute]]:
        """Every policy route of each model, in split then shadow order."""
        grouped: dict[uuid.UUID, list[tables.TrafficRoute]] = {m: [] for m in model_ids}
        for route in await tables.TrafficRoute.filter(model_id__in=model_ids).order_by(
            "alias", "role", "position"
        ):
            grouped[route.model_id].append(route)
        return [grouped[m] for m in model_ids]


def _check(
    alias: tables.Alias,
    split: list[WeightedVersion],
    shadows: list[uuid.UUID],
    versions: dict[uuid.UUID, tables.ModelVersion],
) -> list[FieldError]:
    errors: list[FieldError] = []
    baseline = alias.version

    def check_version(path: tuple[str, ...], version_id: uuid.UUID) -> None:
        version = versions.get(version_id)
        if version is None:
            errors.append(FieldError(path, "No such version of this model.", "unknown_version"))
        elif version.status != tables.VersionStatus.READY:
            errors.append(
                FieldError(
                    path,
                    f"Version {version.number} is {version.status}; only ready versions serve.",
                    "version_not_ready",
                )
            )
        elif not _same_inputs(version.signature, baseline.signature):
            errors.append(
                FieldError(
                    path,
                    f"Version {version.number} takes other inputs than version "
                    f"{baseline.number}, which the alias points at.",
                    "signature_mismatch",
                )
            )

    if len(split) > MAX_SPLIT:
        errors.append(FieldError(("input", "split"), f"At most {MAX_SPLIT} versions.", "too_many"))
    if len(shadows) > MAX_SHADOWS:
        errors.append(
            FieldError(("input", "shadows"), f"At most {MAX_SHADOWS} versions.", "too_many")
        )
    seen: set[uuid.UUID] = set()
    for i, entry in enumerate(split):
        path = ("input", "split", str(i))
        if not 1 <= entry.weight <= TOTAL_WEIGHT:
            errors.append(
                FieldError((*path, "weight"), "A weight is 1-100 (percent).", "out_of_range")
            )
        if entry.version_id in seen:
            errors.append(FieldError((*path, "versionId"), "Listed twice.", "duplicate"))
        seen.add(entry.version_id)
        check_version((*path, "versionId"), entry.version_id)
    if split:
        total = sum(entry.weight for entry in split)
        if total != TOTAL_WEIGHT:
            errors.append(
                FieldError(
                    ("input", "split"),
                    f"Weights must sum to {TOTAL_WEIGHT}; these sum to {total}.",
                    "weights_sum",
                )
            )
        if baseline.id not in seen:
            errors.append(
                FieldError(
                    ("input", "split"),
                    f"The split must include version {baseline.number}, which the alias "
                    "points at (move the alias with setAlias to change it).",
                    "alias_version_missing",
                )
            )
    shadowed: set[uuid.UUID] = set()
    for i, version_id in enumerate(shadows):
        path = ("input", "shadows", str(i))
        if version_id in seen or version_id == baseline.id:
            errors.append(
                FieldError(
                    path,
                    "A version that answers callers cannot also shadow them.",
                    "shadow_in_split",
                )
            )
        elif version_id in shadowed:
            errors.append(FieldError(path, "Listed twice.", "duplicate"))
        else:
            check_version(path, version_id)
        shadowed.add(version_id)
    return errors
