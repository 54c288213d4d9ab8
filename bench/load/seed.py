"""The load test's data, made through the public API: the reference model and who calls it.

The owner publishes the reference forest (``bench.service.GraphQL.deploy``) and shares it with a
few client accounts at ``PREDICTOR``. Simulated people sign in as those accounts; simulated
programs use API keys the accounts created (``READ`` + ``PREDICT``, one per program, so each has
its own prediction budget); subscribers use the owner's ``READ`` keys (the ``predictions``
stream is for owners and maintainers).
"""

from __future__ import annotations

import csv
import io
import math
import secrets
from dataclasses import asdict, dataclass, field

from bench import reference
from bench.procs import BenchError
from bench.service import Deployment, GraphQL

# One key per simulated program; an account holds at most 100 live keys.
KEYS_PER_ACCOUNT = 50
# People signed in as one account share its prediction budget: keep a handful per account.
SESSIONS_PER_ACCOUNT = 5
BATCH_ROWS = 100  # rows per predictBatch call
JOB_ROWS = 2_000  # rows per batch job file
ROW_BODIES = 64  # distinct single rows sent in turn
MIN_USERS = 4  # one of each kind


@dataclass
class Mix:
    """How many simulated users of each kind (they add up to ``users``)."""

    users: int
    sessions: int
    subscribers: int
    jobs: int

    @property
    def programs(self) -> int:
        return self.users - self.sessions - self.subscribers - self.jobs

    @classmethod
    def for_users(cls, users: int) -> Mix:
        if users < MIN_USERS:
            raise BenchError(f"--users must be at least {MIN_USERS} (one of each kind of user)")
        subscribers = min(3, max(1, users // 50))
        jobs = min(2, max(1, users // 100))
        sessions = max(1, users // 5)
        return cls(users=users, sessions=sessions, subscribers=subscribers, jobs=jobs)


@dataclass
class Seed:
    """Everything the locustfile reads (as JSON): where to send what, with which credentials."""

    hosts: list[str]
    model: str  # what predictions and jobs name: owner/ref@production
    model_name: str  # what the predictions stream names: owner/ref
    mix: dict
    accounts: list[dict] = field(default_factory=list)  # {"email", "password"}
    program_keys: list[str] = field(default_factory=list)
    job_keys: list[str] = field(default_factory=list)
    subscriber_keys: list[str] = field(default_factory=list)
    rows: list[list[float]] = field(default_factory=list)
    batches: list[list[list[float]]] = field(default_factory=list)
    job_csv: str = ""
    job_rows: int = JOB_ROWS
    requests_log: str = ""
    extra_out: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _expect(data: dict, field_name: str, typename: str) -> dict:
    answer = data[field_name]
    if answer["__typename"] != typename:
        raise BenchError(f"{field_name}: {answer}")
    return answer


def register(gql: GraphQL, email: str, password: str) -> str:
    """A new account; return its access token."""
    _expect(
        gql.call(
            "mutation($i: RegisterInput!) { register(input: $i) { __typename"
            " ... on ValidationError { message fields { path message } } } }",
            {"i": {"email": email, "password": password}},
            what="register",
        ),
        "register",
        "RegisterSuccess",
    )
    return gql.login(email, password)


def username(gql: GraphQL, token: str) -> str:
    return gql.call("{ me { username } }", token=token, what="me")["me"]["username"]


def create_key(gql: GraphQL, token: str, name: str, scopes: list[str]) -> str:
    answer = _expect(
        gql.call(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { __typename"
            " ... on CreateApiKeySuccess { secret } ... on Error { message } } }",
            {"i": {"name": name, "scopes": scopes}},
            token=token,
            what="createApiKey",
        ),
        "createApiKey",
        "CreateApiKeySuccess",
    )
    return answer["secret"]


def share(gql: GraphQL, owner: Deployment, user: str) -> None:
    _expect(
        gql.call(
            "mutation($i: ShareModelInput!) { shareModel(input: $i) { __typename"
            " ... on Error { message } } }",
            {"i": {"modelId": owner.model_id, "username": user, "level": "PREDICTOR"}},
            token=owner.token,
            what="shareModel",
        ),
        "shareModel",
        "ShareSuccess",
    )


def job_file(rows: list[list[float]]) -> str:
    """CSV with a header line; a model fit on a plain matrix takes the columns in order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"x{i}" for i in range(reference.N_FEATURES)])
    writer.writerows(rows)
    return out.getvalue()


def seed(gql: GraphQL, model_bytes: bytes, X: object, hosts: list[str], mix: Mix) -> Seed:
    """Publish the model, make the accounts and keys, and draw the rows the users send."""
    owner = gql.deploy(model_bytes)
    keys_needed = mix.programs + mix.jobs
    n_accounts = max(
        1, math.ceil(mix.sessions / SESSIONS_PER_ACCOUNT), math.ceil(keys_needed / KEYS_PER_ACCOUNT)
    )
    out = Seed(hosts=hosts, model=owner.ref, model_name=owner.full_name, mix=asdict(mix))
    tag = secrets.token_hex(3)
    tokens = []
    for i in range(n_accounts):
        email, password = f"load-{tag}-{i}@example.com", secrets.token_urlsafe(18)
        token = register(gql, email, password)
        share(gql, owner, username(gql, token))
        out.accounts.append({"email": email, "password": password})
        tokens.append(token)
    for i in range(keys_needed):
        key = create_key(gql, tokens[i % n_accounts], f"load-program-{i}", ["READ", "PREDICT"])
        (out.program_keys if i < mix.programs else out.job_keys).append(key)
    out.subscriber_keys = [
        create_key(gql, owner.token, f"load-subscriber-{i}", ["READ"])
        for i in range(mix.subscribers)
    ]
    out.rows = reference.sample_rows(X, ROW_BODIES, seed=11)
    out.batches = [reference.sample_rows(X, BATCH_ROWS, seed=12 + i) for i in range(4)]
    out.job_csv = job_file(reference.sample_rows(X, JOB_ROWS, seed=20))
    return out
