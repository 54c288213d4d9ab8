"""Choosing a caller's version from a split, and comparing a shadow's answers (no server)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.accounts.caller import ALL_SCOPES, AuthMethod, Caller
from domain.inference.service import Target
from domain.inference.shadow import agreeing
from domain.inference.traffic import Policy, caller_identity
from storage import tables

MODEL = uuid.uuid4()


def target(number: int) -> Target:
    return Target(
        model_id=MODEL,
        owner_id=uuid.uuid4(),
        log_policy="full",
        version_id=uuid.uuid4(),
        number=number,
        signature={},
        serving_key="k",
        serving_format="skops",
        compiled_key=None,
        use_compiled=False,
        batch_max_rows=None,
        batch_max_wait_ms=None,
    )


def key_caller(user_id: uuid.UUID | None = None) -> Caller:
    return Caller(
        user_id=user_id or uuid.uuid4(),
        email="x@example.com",
        role=tables.Role.USER,
        method=AuthMethod.API_KEY,
        scopes=ALL_SCOPES,
        expires_at=None,
        key_id=uuid.uuid4(),
    )


V1, V2 = target(1), target(2)


def served(policy: Policy, callers: list[Caller]) -> list[int]:
    return [policy.route(c, V1).target.number for c in callers]


def test_ramping_a_canary_up_moves_only_the_callers_between_the_boundaries():
    callers = [key_caller() for _ in range(2000)]
    before = served(Policy.build("production", [(V1, 90), (V2, 10)], []), callers)
    after = served(Policy.build("production", [(V1, 80), (V2, 20)], []), callers)
    # Nobody on the canary goes back; only callers of v1 move, about a tenth of all
    assert not [1 for b, a in zip(before, after, strict=True) if b == 2 and a == 1]
    moved = sum(1 for b, a in zip(before, after, strict=True) if b != a)
    assert 120 <= moved <= 280  # binomial(2000, 0.1): sd ~13


def test_one_user_is_one_caller_across_sessions_and_each_key_its_own():
    user = uuid.uuid4()
    first, second = key_caller(user), key_caller(user)
    session, other_session = (
        Caller.for_session(
            user_id=user,
            email="x@example.com",
            role=tables.Role.USER,
            session_id=uuid.uuid4(),
            expires_at=datetime.now(UTC),
        )
        for _ in range(2)
    )
    assert session.session_id != other_session.session_id
    assert caller_identity(session) == caller_identity(other_session) == f"user:{user}"
    assert caller_identity(first) != caller_identity(second)


def test_a_policy_without_a_split_serves_the_alias_version_and_keeps_its_shadows():
    shadow = target(3)
    route = Policy.build("production", [], [shadow]).route(key_caller(), V1)
    assert route.target is V1
    assert route.shadows == (shadow,)


def test_answers_agree_when_equal_and_numbers_within_a_millionth():
    assert agreeing([0, 1, "a", True], [0, 2, "a", True]) == 3
    assert agreeing([1.0, 2.0, 100.0], [1.0 + 1e-9, 2.1, 100.00001]) == 2
    assert agreeing([[1, 2]], [[1, 2]]) == 1
