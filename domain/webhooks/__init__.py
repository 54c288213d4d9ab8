"""Webhooks: endpoints per model, team or user; an outbox written with each change; signed,
SSRF-checked, retried delivery by workers.

Other areas need only ``record`` (``domain/webhooks/outbox.py``), called inside the transaction
of their change; the service (``domain/webhooks/service.py``) is built by ``domain/runtime.py``.
"""

from domain.webhooks.outbox import EventType, record

__all__ = ["EventType", "record"]
