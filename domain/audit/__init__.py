"""The audit log: append-only rows of security-relevant changes, and who may read them.

The package exports the writing side, which accounts and the registry import; the reading side
(``domain.audit.log``) depends on the registry and is imported by name where it is needed.
"""

from domain.audit.trail import (
    Actor,
    AuditAction,
    AuditTarget,
    AuditTrail,
    RequestOrigin,
    TargetType,
    current_origin,
    request_origin,
)

__all__ = [
    "Actor",
    "AuditAction",
    "AuditTarget",
    "AuditTrail",
    "RequestOrigin",
    "TargetType",
    "current_origin",
    "request_origin",
]
