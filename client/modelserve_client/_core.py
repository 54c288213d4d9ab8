"""The client's operations, written once for both clients.

Each operation is a generator: it yields what it needs from the network (a GraphQL request, a
download, a subscription followed to its end) and gets the answer back, so ``Client`` (httpx,
blocking) and ``AsyncClient`` (httpx, asyncio) only differ in how they carry those requests.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import json
import os
import time
import uuid
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from modelserve_client import _documents as docs
from modelserve_client import errors
from modelserve_client.types import (
    Alias,
    ApiKey,
    BatchPrediction,
    CreatedKey,
    Job,
    JobProgress,
    Model,
    ModelVersion,
    Prediction,
    Session,
)

T = TypeVar("T")
# The header that tells the server's CSRF guard a multipart post comes from code, not a form.
CSRF_HEADER = "x-modelserve-csrf"


@dataclass(frozen=True, slots=True)
class GraphQL:
    """POST one operation; ``files`` maps a variable path (``input.file``) to an open file;
    ``anonymous`` sends it without the client's credentials."""

    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    files: dict[str, tuple[str, BinaryIO]] = field(default_factory=dict)
    anonymous: bool = False


@dataclass(frozen=True, slots=True)
class Download:
    """GET a path of the server; write it to ``target`` (a path), or answer the bytes."""

    path: str
    params: dict[str, str]
    target: Path | None


@dataclass(frozen=True, slots=True)
class Follow:
    """Run a subscription until the server completes it; answer its last event."""

    query: str
    variables: dict[str, Any]


Operation = Generator[GraphQL | Download | Follow, Any, T]


def operation(fn: Callable[..., Operation[T]]) -> Callable[..., Any]:
    """A method run by the client's own driver: a value on ``Client``, an awaitable on
    ``AsyncClient``."""

    @functools.wraps(fn)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._drive(fn(self, *args, **kwargs))

    return run


def multipart(request: GraphQL) -> tuple[dict[str, str], dict[str, Any]]:
    """The GraphQL multipart request spec, as apollo-upload-client builds it: files nulled in
    ``operations``, a ``map`` from "1", "2", ... to variable paths, then the files."""
    variables = json.loads(json.dumps(request.variables))
    mapping, files = {}, {}
    for number, (where, (filename, handle)) in enumerate(request.files.items(), start=1):
        *parents, last = where.split(".")
        slot = variables
        for part in parents:
            slot = slot[part]
        slot[last] = None
        mapping[str(number)] = [f"variables.{where}"]
        files[str(number)] = (filename, handle, "application/octet-stream")
    operations = json.dumps({"query": request.query, "variables": variables})
    return {"operations": operations, "map": json.dumps(mapping)}, files


def decode(status: int, body: bytes) -> dict[str, Any]:
    """A GraphQL answer's ``data``, or the typed exception for its first error."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise errors.ModelServeError(
            f"HTTP_{status}", f"The server answered HTTP {status} without JSON."
        ) from None
    if answer.get("errors"):
        raise errors.from_graphql_error(answer["errors"][0])
    if not isinstance(answer.get("data"), dict):
        raise errors.ModelServeError(f"HTTP_{status}", "The server answered no data.")
    return answer["data"]


def decode_download(status: int, body: bytes) -> None:
    """Raise the typed exception for a refused download (its body is a GraphQL-style error)."""
    if status < 400:
        return
    decode(status, body)
    raise errors.ModelServeError(f"HTTP_{status}", f"The server answered HTTP {status}.")


def succeeded(payload: dict[str, Any], *expected: str) -> dict[str, Any]:
    """A mutation's union answer when it is a success; its typed exception otherwise."""
    if payload.get("__typename") in expected:
        return payload
    raise errors.from_payload(payload)


def auth_headers(token: str | None, api_key: str | None) -> dict[str, str]:
    if api_key:
        return {"x-api-key": api_key}
    if token:
        return {"authorization": f"Bearer {token}"}
    return {}


def connection_params(token: str | None, api_key: str | None) -> dict[str, str]:
    """Credentials for ``connection_init`` on the websocket."""
    if api_key:
        return {"apiKey": api_key}
    if token:
        return {"Authorization": f"Bearer {token}"}
    return {}


def _plain(value: Any) -> Any:
    """NumPy and pandas scalars as the JSON values they stand for (NaN as null)."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def feature_input(data: Any) -> dict[str, Any]:
    """``rows`` or ``records`` for ``data``: a DataFrame, records, rows, one record or one row.

    Raises:
        ValidationFailed: when ``data`` is none of those.
    """
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        records = data.to_dict(orient="records")
        return {"records": [{str(k): _plain(v) for k, v in r.items()} for r in records]}
    if hasattr(data, "tolist"):
        data = data.tolist()
    if isinstance(data, dict):
        data = [data]
    if isinstance(data, list | tuple) and data and not isinstance(data[0], list | tuple | dict):
        data = [list(data)]
    if isinstance(data, list | tuple) and data and all(isinstance(r, dict) for r in data):
        return {"records": [{str(k): _plain(v) for k, v in r.items()} for r in data]}
    if isinstance(data, list | tuple) and data and all(isinstance(r, list | tuple) for r in data):
        return {"rows": [[_plain(v) for v in r] for r in data]}
    raise errors.ValidationFailed(
        "BAD_USER_INPUT",
        "Give rows (lists of values), records (dicts keyed by feature name) or a DataFrame.",
        extensions={"fields": [{"path": ["rows"], "message": "No rows.", "code": "invalid"}]},
    )


def artifact(estimator_or_path: Any) -> tuple[str, BinaryIO]:
    """The file to upload: a path as it is; a fitted estimator saved as skops."""
    if isinstance(estimator_or_path, str | os.PathLike):
        path = Path(estimator_or_path)
        return path.name, path.open("rb")
    if hasattr(estimator_or_path, "read"):
        return getattr(estimator_or_path, "name", "model.skops"), estimator_or_path
    try:
        import skops.io as sio
    except ImportError:
        raise errors.ModelServeError(
            "MISSING_EXTRA",
            "Saving an estimator needs skops: pip install 'modelserve-client[skops]'.",
        ) from None
    return "model.skops", io.BytesIO(sio.dumps(estimator_or_path))


# Refresh this long before the access token's expiry (capped at a tenth of its lifetime), so a
# call is not sent with a token that expires on the way or by a server clock a little ahead.
REFRESH_MARGIN_S = 30.0


def expiring(token: str | None, *, now: float | None = None) -> bool:
    """Whether an access token is past, or within the refresh margin of, its ``exp`` claim.

    The client only reads the claims (the server alone verifies the signature); a token whose
    claims cannot be read counts as not expiring, and the server's answer decides.
    """
    if not token or token.count(".") != 2:
        return False
    body = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        exp, iat = float(claims["exp"]), float(claims.get("iat", claims["exp"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return False
    margin = min(REFRESH_MARGIN_S, (exp - iat) / 10)
    return exp - (time.time() if now is None else now) <= margin


def rewind(call: GraphQL | Download) -> None:
    """Put a request's files back at their start, to send it again."""
    if isinstance(call, GraphQL):
        for _, handle in call.files.values():
            handle.seek(0)


def is_version_id(ref: str) -> bool:
    try:
        uuid.UUID(ref)
    except ValueError:
        return False
    return True


class Operations:
    """Everything a client can do; subclasses supply ``_drive`` and the transports."""

    token: str | None
    refresh_token: str | None
    api_key: str | None
    _username: str | None
    _on_refresh: Callable[[Session], None] | None

    # -- the session's tokens ------------------------------------------------------------------

    def _can_refresh(self) -> bool:
        return bool(self.refresh_token) and not self.api_key

    def _refresh_call(self) -> GraphQL:
        # Without the expired access token, which the server would refuse before reading this.
        return GraphQL(docs.REFRESH, {"refreshToken": self.refresh_token}, anonymous=True)

    def _adopt(self, data: dict[str, Any]) -> Session:
        """Carry the rotated pair from now on (and hand it to ``on_refresh``)."""
        session = Session.from_payload(data["refreshToken"])
        self.token, self.refresh_token = session.access_token, session.refresh_token
        self._username = session.username
        if self._on_refresh is not None:
            self._on_refresh(session)
        return session

    def _catch_up(self, stored: tuple[str | None, str | None] | None) -> None:
        """Carry the pair another process stored, if it refreshed the session meanwhile."""
        if stored is not None and stored[1] and stored[1] != self.refresh_token:
            self.token, self.refresh_token = stored

    def _session_over(self) -> None:
        """The refresh token was refused: the session has ended, keep no token of it."""
        self.refresh_token = None

    # -- accounts ------------------------------------------------------------------------------

    @operation
    def register(self, email: str, password: str) -> Operation[None]:
        """Create an account (the answer is the same whether or not the email was taken)."""
        data = yield GraphQL(docs.REGISTER, {"email": email, "password": password})
        succeeded(data["register"], "RegisterSuccess")

    @operation
    def login(self, email: str, password: str) -> Operation[Session]:
        """Sign in; later calls carry the new access token, refreshed when it expires."""
        data = yield GraphQL(docs.LOGIN, {"email": email, "password": password})
        session = Session.from_payload(succeeded(data["login"], "AuthPayload"))
        self.token, self.api_key, self._username = session.access_token, None, session.username
        self.refresh_token = session.refresh_token
        return session

    @operation
    def logout(self) -> Operation[None]:
        """End the session (its refresh token stops working)."""
        yield GraphQL(docs.LOGOUT)
        self.token = self.refresh_token = None

    @operation
    def me(self) -> Operation[dict[str, Any]]:
        data = yield GraphQL(docs.ME)
        self._username = data["me"]["username"]
        return data["me"]

    def _owner(self) -> Operation[str]:
        if self._username is None:
            data = yield GraphQL(docs.ME)
            self._username = data["me"]["username"]
        return self._username

    def _qualified(self, ref: str) -> Operation[str]:
        """``name...`` as ``owner/name...`` (the caller's own model); other forms as given."""
        if "/" in ref or is_version_id(ref):
            return ref
        owner = yield from self._owner()
        return f"{owner}/{ref}"

    def _split(self, name: str) -> Operation[tuple[str, str]]:
        qualified = yield from self._qualified(name)
        owner, _, rest = qualified.partition("/")
        return owner, rest

    # -- the registry --------------------------------------------------------------------------

    @operation
    def models(
        self, search: str | None = None, *, owner: str | None = None
    ) -> Operation[list[Model]]:
        """The models you can see (the first 100), each with its versions and aliases."""
        data = yield GraphQL(docs.MODELS, {"search": search, "owner": owner})
        return [Model.from_payload(e["node"]) for e in data["models"]["edges"]]

    def _model(self, name: str) -> Operation[Model | None]:
        owner, bare = yield from self._split(name)
        data = yield GraphQL(docs.MODEL, {"owner": owner, "name": bare})
        return Model.from_payload(data["model"]) if data["model"] else None

    @operation
    def model(self, name: str) -> Operation[Model | None]:
        """A model by ``name`` (yours) or ``owner/name``; ``None`` when there is none."""
        return (yield from self._model(name))

    def _require_model(self, name: str) -> Operation[Model]:
        found = yield from self._model(name)
        if found is None:
            raise errors.NotFound("NOT_FOUND", f"No model {name!r}.")
        return found

    @operation
    def create_model(self, name: str, *, description: str = "") -> Operation[Model]:
        data = yield GraphQL(docs.CREATE_MODEL, {"name": name, "description": description})
        return Model.from_payload(succeeded(data["createModel"], "ModelSuccess")["model"])

    @operation
    def upload(
        self,
        estimator_or_path: Any,
        *,
        name: str,
        input_example: Any = None,
        description: str = "",
        tags: Iterable[str] = (),
        metrics: dict[str, Any] | None = None,
    ) -> Operation[ModelVersion]:
        """Publish a new version of model ``name`` (created when it does not exist yet).

        Args:
            estimator_or_path: a fitted estimator (saved as skops), or a model file's path.
            input_example: rows or records (or a DataFrame) the server runs the model on once.

        Raises:
            Rejected: the server refused the file (``reason`` says why).
        """
        model = yield from self._model(name)
        if model is None:
            bare = name.rpartition("/")[2]
            data = yield GraphQL(docs.CREATE_MODEL, {"name": bare, "description": description})
            model = Model.from_payload(succeeded(data["createModel"], "ModelSuccess")["model"])
        variables: dict[str, Any] = {
            "modelId": model.id,
            "description": description,
            "tags": list(tags),
            "metrics": metrics,
        }
        if input_example is not None:
            example = feature_input(input_example)
            if "rows" in example:
                variables["inputExample"] = example["rows"]
            else:
                variables["inputExampleRecords"] = example["records"]
        filename, handle = artifact(estimator_or_path)
        with handle:
            data = yield GraphQL(
                docs.UPLOAD, {"input": variables}, files={"input.file": (filename, handle)}
            )
        success = succeeded(data["uploadModelVersion"], "UploadModelVersionSuccess")
        return ModelVersion.from_payload(success["version"], deduplicated=success["deduplicated"])

    @operation
    def promote(
        self, name: str, version: int, alias: str = "production", *, reason: str = ""
    ) -> Operation[Alias]:
        """Point ``alias`` of model ``name`` at its version number ``version``."""
        model = yield from self._require_model(name)
        chosen = next((v for v in model.versions if v.number == int(version)), None)
        if chosen is None:
            raise errors.NotFound("NOT_FOUND", f"{model.full_name} has no version {version}.")
        data = yield GraphQL(
            docs.SET_ALIAS,
            {
                "input": {
                    "modelId": model.id,
                    "alias": alias,
                    "versionId": chosen.id,
                    "reason": reason,
                }
            },
        )
        moved = succeeded(data["setAlias"], "SetAliasSuccess")["alias"]
        return Alias(moved["name"], moved["version"]["number"], moved["version"]["id"])

    # -- predictions ---------------------------------------------------------------------------

    @operation
    def predict(self, ref: str, data: Any) -> Operation[Prediction]:
        """Predict a few rows: ``data`` is rows, records or a DataFrame; ``ref`` is
        ``name``, ``owner/name``, ``...:3``, ``...@alias`` or a version id."""
        model = yield from self._qualified(ref)
        answer = yield GraphQL(docs.PREDICT, {"model": model, **feature_input(data)})
        return Prediction.from_payload(answer["predict"])

    @operation
    def predict_batch(self, ref: str, data: Any) -> Operation[BatchPrediction]:
        """Predict many rows (up to the server's batch limit), answered column-wise."""
        model = yield from self._qualified(ref)
        answer = yield GraphQL(docs.PREDICT_BATCH, {"model": model, **feature_input(data)})
        return BatchPrediction.from_payload(answer["predictBatch"])

    # -- batch jobs ----------------------------------------------------------------------------

    @operation
    def submit_job(
        self,
        ref: str,
        path: str | os.PathLike[str],
        *,
        max_failed_rows: int | None = None,
        idempotency_key: str | None = None,
    ) -> Operation[Job]:
        """Predict a CSV or JSON Lines file (gzip welcome) in the background."""
        model = yield from self._qualified(ref)
        source = Path(path)
        variables = {
            "model": model,
            "maxFailedRows": max_failed_rows,
            "idempotencyKey": idempotency_key,
        }
        with source.open("rb") as handle:
            data = yield GraphQL(
                docs.CREATE_JOB, {"input": variables}, files={"input.file": (source.name, handle)}
            )
        return Job.from_payload(succeeded(data["createBatchJob"], "JobSuccess")["job"], self)

    @operation
    def job(self, job_id: str) -> Operation[Job | None]:
        data = yield GraphQL(docs.JOB, {"id": job_id})
        return Job.from_payload(data["job"], self) if data["job"] else None

    @operation
    def wait_job(self, job_id: str, *, raise_on_failure: bool = True) -> Operation[Job]:
        """Follow a job through ``jobProgress`` until it ends; the ended job.

        Raises:
            JobFailed: it ended FAILED or CANCELLED (unless ``raise_on_failure`` is false).
        """
        yield Follow(docs.JOB_PROGRESS, {"id": job_id})
        data = yield GraphQL(docs.JOB, {"id": job_id})
        if data["job"] is None:
            raise errors.NotFound("NOT_FOUND", f"No job {job_id}.")
        job = Job.from_payload(data["job"], self)
        if raise_on_failure and job.status != "SUCCEEDED":
            raise errors.JobFailed(job)
        return job

    @operation
    def download_job(
        self, job_id: str, path: str | os.PathLike[str] | None = None, *, format: str = "csv"
    ) -> Operation[Any]:
        """A job's results as CSV or JSONL: written to ``path`` (answered), else the bytes."""
        target = Path(path) if path is not None else None
        return (yield Download(f"/jobs/{job_id}/results", {"format": format.lower()}, target))

    @staticmethod
    def _progress(event: dict[str, Any]) -> JobProgress:
        return JobProgress.from_payload(event["jobProgress"])

    # -- keys ----------------------------------------------------------------------------------

    @operation
    def create_key(
        self,
        name: str,
        scopes: Iterable[str] = ("PREDICT",),
        *,
        models: Iterable[str] | None = None,
        expires_at: str | None = None,
    ) -> Operation[CreatedKey]:
        """A new API key; its whole secret is in the answer, and never again."""
        variables = {
            "name": name,
            "scopes": [s.upper() for s in scopes],
            "models": list(models) if models is not None else None,
            "expiresAt": expires_at,
        }
        data = yield GraphQL(docs.CREATE_KEY, {"input": variables})
        created = succeeded(data["createApiKey"], "CreateApiKeySuccess")
        return CreatedKey(ApiKey.from_payload(created["key"]), created["secret"])

    @operation
    def keys(self, *, include_revoked: bool = False) -> Operation[list[ApiKey]]:
        data = yield GraphQL(docs.KEYS, {"includeRevoked": include_revoked})
        return [ApiKey.from_payload(k) for k in data["apiKeys"]]

    @operation
    def revoke_key(self, key_id: str) -> Operation[ApiKey]:
        data = yield GraphQL(docs.REVOKE_KEY, {"id": key_id})
        return ApiKey.from_payload(succeeded(data["revokeApiKey"], "RevokeApiKeySuccess")["key"])

    # -- drift ---------------------------------------------------------------------------------

    @operation
    def upload_drift_reference(
        self, version_id: str, path: str | os.PathLike[str]
    ) -> Operation[dict[str, Any]]:
        """Profile a version from a reference CSV (a header naming its inputs)."""
        source = Path(path)
        with source.open("rb") as handle:
            data = yield GraphQL(
                docs.DRIFT_REFERENCE,
                {"input": {"versionId": version_id}},
                files={"input.file": (source.name, handle)},
            )
        return succeeded(data["uploadDriftReference"], "DriftProfileSuccess")["profile"]
