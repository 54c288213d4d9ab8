"""What the client returns: plain dataclasses built from the server's answers."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

ENDED = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
T = TypeVar("T")


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def build(cls: type[T], data: dict[str, Any], **given: Any) -> T:
    """``cls`` from an answer's camelCase fields (absent ones as ``None``), ``given`` as given."""
    names = [f.name for f in fields(cls) if f.init and f.name not in given]  # type: ignore[arg-type]
    values = {name: data.get(_camel(name)) for name in names}
    return cls(**values, **given)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in session: the tokens ``login`` returned and who they belong to."""

    access_token: str
    refresh_token: str
    email: str
    username: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Session:
        user = data["user"]
        return cls(data["accessToken"], data["refreshToken"], user["email"], user["username"])


@dataclass(frozen=True, slots=True)
class ModelVersion:
    id: str
    number: int
    status: str
    estimator_class: str
    source_format: str
    serving_format: str
    runtime: str
    description: str
    created_at: str
    signature: dict[str, Any] = field(default_factory=dict)
    deduplicated: bool = False

    @classmethod
    def from_payload(cls, data: dict[str, Any], *, deduplicated: bool = False) -> ModelVersion:
        return build(cls, data, signature=data.get("signature") or {}, deduplicated=deduplicated)


@dataclass(frozen=True, slots=True)
class Model:
    id: str
    name: str
    full_name: str
    description: str
    aliases: dict[str, int]
    versions: list[ModelVersion]

    @property
    def latest(self) -> ModelVersion | None:
        return max(self.versions, key=lambda v: v.number, default=None)

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Model:
        return cls(
            id=data["id"],
            name=data["name"],
            full_name=data["fullName"],
            description=data["description"],
            aliases={a["name"]: a["version"]["number"] for a in data["aliases"]},
            versions=[ModelVersion.from_payload(e["node"]) for e in data["versions"]["edges"]],
        )


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    version_number: int
    version_id: str


@dataclass(frozen=True, slots=True)
class RowPrediction:
    """One row's answer; ``probabilities`` maps each class label to its probability."""

    value: Any
    probabilities: dict[Any, float] | None = None


@dataclass(frozen=True, slots=True)
class Prediction:
    request_id: str
    latency_ms: float
    runtime: str
    version_number: int
    rows: list[RowPrediction]

    @property
    def values(self) -> list[Any]:
        return [row.value for row in self.rows]

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Prediction:
        rows = [
            RowPrediction(
                p["value"],
                {c["label"]: c["probability"] for c in p["probabilities"]}
                if p.get("probabilities") is not None
                else None,
            )
            for p in data["predictions"]
        ]
        return cls(
            data["requestId"], data["latencyMs"], data["runtime"], data["version"]["number"], rows
        )


@dataclass(frozen=True, slots=True)
class BatchPrediction:
    """Column-wise: ``predictions[i]`` for row i, ``probabilities[i][k]`` for ``classes[k]``."""

    request_id: str
    latency_ms: float
    runtime: str
    version_number: int
    rows: int
    predictions: list[Any]
    probabilities: list[list[float]] | None
    classes: list[Any] | None

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> BatchPrediction:
        return build(cls, data, version_number=data["version"]["number"])


@dataclass(frozen=True, slots=True)
class JobProgress:
    job_id: str
    status: str
    rows_done: int
    rows_failed: int
    progress: float
    rows_per_second: float | None
    eta_seconds: float | None
    error: str | None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> JobProgress:
        return build(cls, data)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    code: str
    message: str


@dataclass(slots=True)
class Job:
    """A batch job. ``wait``, ``progress`` and ``download`` go through the client that made it:
    plain calls on a ``Client``, awaitables and async iterators on an ``AsyncClient``."""

    id: str
    status: str
    model_id: str
    version_id: str
    filename: str
    rows_done: int
    rows_failed: int
    progress_fraction: float
    error: str | None
    row_errors: list[RowError]
    created_at: str
    finished_at: str | None
    client: Any = field(default=None, repr=False, compare=False)

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def wait(self, *, raise_on_failure: bool = True) -> Any:
        """Follow the job until it ends; the ended job (``JobFailed`` if it failed)."""
        return self.client.wait_job(self.id, raise_on_failure=raise_on_failure)

    def progress(self) -> Any:
        """Its progress as it happens (the ``jobProgress`` subscription), until it ends."""
        return self.client.job_progress(self.id)

    def download(self, path: Any = None, *, format: str = "csv") -> Any:
        """The results (original columns beside the predictions): to ``path``, else as bytes."""
        return self.client.download_job(self.id, path, format=format)

    @classmethod
    def from_payload(cls, data: dict[str, Any], client: Any = None) -> Job:
        row_errors = [RowError(e["line"], e["code"], e["message"]) for e in data["rowErrors"]]
        return build(
            cls, data, progress_fraction=data["progress"], row_errors=row_errors, client=client
        )


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    is_active: bool

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ApiKey:
        return build(cls, data)


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key; ``secret`` (``msk_...``) is shown this once and never again."""

    key: ApiKey
    secret: str


@dataclass(frozen=True, slots=True)
class PredictionEvent:
    """One logged prediction, as the ``predictions`` subscription streams it."""

    request_id: str
    status: str
    error_code: str | None
    rows: int
    latency_ms: float
    version_number: int | None
    inputs: Any
    outputs: Any
    shadow: bool
    at: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> PredictionEvent:
        return build(cls, data)
