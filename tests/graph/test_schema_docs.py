"""Every part of the schema is described, as GraphiQL shows it: read through introspection."""

from __future__ import annotations

from typing import Any

from graphql import get_introspection_query

# The scalars of the GraphQL specification describe themselves there, not in this schema.
SPEC_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(types: list[dict[str, Any]]) -> list[str]:
    """``Type``, ``Type.field``, ``Type.field(argument)`` and ``Enum.VALUE`` with no description."""
    missing: list[str] = []
    for t in types:
        name = t["name"]
        if name.startswith("__") or name in SPEC_SCALARS:
            continue
        if not t["description"]:
            missing.append(name)
        for field in t["fields"] or []:
            if not field["description"]:
                missing.append(f"{name}.{field['name']}")
            missing += [
                f"{name}.{field['name']}({arg['name']})"
                for arg in field["args"]
                if not arg["description"]
            ]
        missing += [f"{name}.{f['name']}" for f in t["inputFields"] or [] if not f["description"]]
        missing += [f"{name}.{v['name']}" for v in t["enumValues"] or [] if not v["description"]]
    return missing


async def test_every_type_field_argument_and_enum_value_is_described(gql):
    # given the schema as any client reads it (deprecated members included)
    body = await gql(get_introspection_query(descriptions=True))
    assert "errors" not in body, body
    types = body["data"]["__schema"]["types"]

    # then nothing in it lacks a description
    assert undescribed(types) == []


def test_the_check_names_what_lacks_a_description():
    # given a type with an undescribed field, argument and enum value
    types = [
        {
            "name": "Thing",
            "description": "",
            "fields": [
                {"name": "size", "description": None, "args": [{"name": "unit", "description": ""}]}
            ],
            "inputFields": None,
            "enumValues": [{"name": "BIG", "description": None}],
        },
        {
            "name": "String",
            "description": None,
            "fields": None,
            "inputFields": None,
            "enumValues": None,
        },
    ]

    # then each is named, and the specification's scalar is not
    assert undescribed(types) == ["Thing", "Thing.size", "Thing.size(unit)", "Thing.BIG"]
