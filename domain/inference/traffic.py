"""Traffic policies at serving time: which version answers a caller, and who shadows it.

A caller lands in one of 100 buckets by a stable hash (SHA-256) of the model, the alias and
who is calling: an API key by its key id (each program is its own caller), a session by its
user id (a person sees the same version on every device and after every login). Every
prediction has an authenticated caller, so there is no anonymous case to hash by address.
The split lays the versions' weights out over the buckets in its order, so a caller keeps its
version for as long as the policy stands, and ramping a canary up (90/10 to 80/20) moves only
the callers between the old and the new boundary.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.accounts import Caller

if TYPE_CHECKING:
    from domain.inference.service import Target


def caller_identity(caller: Caller) -> str:
    """What a caller is hashed by: its API key, else its user."""
    return f"key:{caller.key_id}" if caller.key_id is not None else f"user:{caller.user_id}"


def caller_point(caller: Caller, *, model_id: uuid.UUID, alias: str) -> int:
    """A number in [0, 2**64) that one caller of one alias always gets."""
    text = f"{model_id}:{alias}:{caller_identity(caller)}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


@dataclass(frozen=True, slots=True)
class Route:
    """The version that answers this call, and the versions that get a copy of it."""

    target: Target
    shadows: tuple[Target, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """An alias's split (each version with the upper end of its buckets) and shadows."""

    alias: str
    split: tuple[tuple[Target, int], ...]
    shadows: tuple[Target, ...]

    @classmethod
    def build(cls, alias: str, split: list[tuple[Target, int]], shadows: list[Target]) -> Policy:
        bounds: list[tuple[Target, int]] = []
        upper = 0
        for target, weight in split:
            upper += weight
            bounds.append((target, upper))
        return cls(alias=alias, split=tuple(bounds), shadows=tuple(shadows))

    def route(self, caller: Caller, baseline: Target) -> Route:
        if not self.split:
            return Route(baseline, self.shadows)
        total = self.split[-1][1]
        bucket = caller_point(caller, model_id=baseline.model_id, alias=self.alias) % total
        for target, upper in self.split:
            if bucket < upper:
                return Route(target, self.shadows)
        return Route(baseline, self.shadows)  # unreachable: the last bound is the total
