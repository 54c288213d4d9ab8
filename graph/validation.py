"""Extra validation rules run before any resolver."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
)

# Mutations that guess or mint credentials: batching several into one request would let a
# client multiply its attempts past the per-request rate limit (OWASP "batching attacks").
SENSITIVE_MUTATIONS = frozenset({"register", "login", "refreshToken", "changePassword"})


class SensitiveMutationsAlone(ValidationRule):
    """A sensitive mutation must be the only root field of its operation."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        if node.operation is not OperationType.MUTATION:
            return
        names = self._root_fields(node.selection_set, set())
        sensitive = [n for n in names if n in SENSITIVE_MUTATIONS]
        if sensitive and len(names) > 1:
            self.report_error(
                GraphQLError(f"`{sensitive[0]}` must be the only field in its operation.", node)
            )

    def _root_fields(self, selection_set: SelectionSetNode, seen: set[str]) -> list[str]:
        names: list[str] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.append(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                names.extend(self._root_fields(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in seen:
                    seen.add(name)
                    names.extend(self._root_fields(fragment.selection_set, seen))
        return names
