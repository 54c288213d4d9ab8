"""The root fields an operation selects, through inline fragments and fragment spreads."""

from __future__ import annotations

from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.utilities import get_operation_ast


def root_fields(
    document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
) -> tuple[OperationDefinitionNode | None, list[FieldNode]]:
    """The operation ``operation_name`` names and its root fields in document order, leaving
    out what a literal or variable ``@skip``/``@include`` leaves out (those never run)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None, []
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    values = variables or {}
    found: list[FieldNode] = []
    seen: set[str] = set()

    def walk(selections: SelectionSetNode) -> None:
        for selection in selections.selections:
            if not _included(selection, values):
                continue
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    seen.add(name)
                    walk(fragments[name].selection_set)

    walk(operation.selection_set)
    return operation, found


def _included(selection: Any, values: dict[str, Any]) -> bool:
    """False when a literal or variable ``@skip``/``@include`` leaves the selection out."""
    for directive in selection.directives or ():
        name = directive.name.value
        if name not in {"skip", "include"}:
            continue
        condition = next((a.value for a in directive.arguments if a.name.value == "if"), None)
        if isinstance(condition, BooleanValueNode):
            flag = condition.value
        elif isinstance(condition, VariableNode):
            flag = bool(values.get(condition.name.value))
        else:
            continue
        if flag == (name == "skip"):
            return False
    return True
