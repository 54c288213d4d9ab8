"""The model registry in the schema: models, versions, aliases, sharing and uploads.

types      object types and enums (``Model``, ``ModelVersion``, ``AccessLevel`` …)
inputs     input types
results    successes, named errors, result unions, and ``HANDLERS`` mapping domain errors
queries    ``RegistryQuery``
mutations  ``RegistryMutation``
"""

from graph.errors import parse_id
from graph.registry.mutations import RegistryMutation
from graph.registry.queries import RegistryQuery
from graph.registry.results import HANDLERS, ForbiddenError
from graph.registry.types import Model, ModelVersion

__all__ = [
    "HANDLERS",
    "ForbiddenError",
    "Model",
    "ModelVersion",
    "RegistryMutation",
    "RegistryQuery",
    "parse_id",
]
