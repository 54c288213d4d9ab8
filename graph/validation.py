"""Extra validation rules run before any resolver."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
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


def operation_depth_rule(max_depth: int) -> type[ValidationRule]:
    """A rule refusing operations whose deepest field lies more than ``max_depth`` levels down.

    ``{ me { id } }`` is 2 deep; fragments count where they are spread. Strawberry's
    ``QueryDepthLimiter`` lets a leaf at ``max_depth + 1`` through, and walks every path
    through the fragments, so a few hundred tokens of fragments that each spread the next
    twice kept it busy for hours. Here each fragment is measured once. The insides of
    introspection fields are not counted: GraphiQL's own query is deeper than any limit, and
    production disables introspection.
    """

    class OperationDepth(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._fragment_depths: dict[str, int] = {}

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            if self._depth(node.selection_set, frozenset()) > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", node)
                )

        def _depth(self, selection_set: SelectionSetNode, spreading: frozenset[str]) -> int:
            deepest = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    inner = selection.selection_set
                    if inner is None or selection.name.value.startswith("__"):
                        depth = 1
                    else:
                        depth = 1 + self._depth(inner, spreading)
                elif isinstance(selection, InlineFragmentNode):
                    depth = self._depth(selection.selection_set, spreading)
                else:
                    depth = self._fragment_depth(selection.name.value, spreading)
                deepest = max(deepest, depth)
            return deepest

        def _fragment_depth(self, name: str, spreading: frozenset[str]) -> int:
            if name in self._fragment_depths:
                return self._fragment_depths[name]
            fragment = self.context.get_fragment(name)
            if fragment is None or name in spreading:
                return 0  # an unknown fragment or a cycle: other rules report those
            depth = self._depth(fragment.selection_set, spreading | {name})
            self._fragment_depths[name] = depth
            return depth

    return OperationDepth


def alias_count_rule(max_aliases: int) -> type[ValidationRule]:
    """A rule refusing documents with more than ``max_aliases`` aliases.

    Counts as Strawberry's ``MaxAliasesLimiter`` does (an alias inside a fragment counts once
    per spread), but measures each fragment once: that limiter, like its depth limiter, walks
    every path through the fragments, which a chain of fragments spreading the next twice
    makes exponential.
    """

    class AliasCount(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._fragment_counts: dict[str, int] = {}

        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            total = sum(
                self._count(definition.selection_set, frozenset())
                for definition in node.definitions
                if isinstance(definition, OperationDefinitionNode)
            )
            if total > max_aliases:
                self.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

        def _count(self, selection_set: SelectionSetNode, spreading: frozenset[str]) -> int:
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    total += selection.alias is not None
                    if selection.selection_set is not None:
                        total += self._count(selection.selection_set, spreading)
                elif isinstance(selection, InlineFragmentNode):
                    total += self._count(selection.selection_set, spreading)
                else:
                    total += self._fragment_count(selection.name.value, spreading)
            return total

        def _fragment_count(self, name: str, spreading: frozenset[str]) -> int:
            if name in self._fragment_counts:
                return self._fragment_counts[name]
            fragment = self.context.get_fragment(name)
            if fragment is None or name in spreading:
                return 0  # an unknown fragment or a cycle: other rules report those
            count = self._count(fragment.selection_set, spreading | {name})
            self._fragment_counts[name] = count
            return count

    return AliasCount
