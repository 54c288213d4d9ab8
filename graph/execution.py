"""The executor every operation runs on: Strawberry's, with each subscription event's own memo.

graphql-core 3.3 executes a subscription event on a shallow copy of the subscription's
executor, so every copy shares one memo of collected subfields. That memo is keyed by the
identity of the field lists an execution builds, and it keeps each list alive with its
entry; each event builds new lists, so a subscription held about 2.4 KB more per event it
delivered for as long as it stayed open. Giving each event a memo of its own keeps the
memo's purpose (one execution reuses what it collected) and bounds a subscription's
memory by one event's.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class Executor(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor
