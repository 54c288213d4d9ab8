"""Registering the domain's enums with a description for every value."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def described_enum(
    cls: E, *, description: str, values: Mapping[str, str], name: str | None = None
) -> E:
    """``strawberry.enum`` for an enum of the domain, which cannot use ``strawberry.enum_value``.

    Args:
        cls: the domain's enum, registered unchanged (names and values stay the clients').
        description: the enum's description.
        values: a description per member name; every member needs one.
        name: the GraphQL name, when it differs from the class's.
    """
    registered = strawberry.enum(cls, name=name, description=description)
    definition = registered.__strawberry_definition__
    names = {value.name for value in definition.values}
    if set(values) != names:
        raise ValueError(f"{cls.__name__}: describe exactly {sorted(names)}")
    for value in definition.values:
        value.description = values[value.name]
    return registered
