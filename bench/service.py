"""Talking to ModelServe over GraphQL: account, model, upload, alias, runtime switch."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

import httpx

from bench.procs import BenchError

# A missing field, argument or type means the API the benchmark needs has not landed yet.
_MISSING_API = re.compile(
    r"Cannot query field|Unknown argument|Unknown type|Field .* argument .* is required|"
    r"Cannot return null for non-nullable field Query\.predict"
)


class ApiUnavailable(BenchError):
    """The running build lacks part of the GraphQL API the benchmark is written against."""


def predict_query(model_ref: str) -> str:
    return (
        "query($rows: FeatureMatrix!) { predict(model: " + json.dumps(model_ref) + ", rows: $rows)"
        " { requestId latencyMs runtime predictions { value probabilities { label probability } }"
        " } }"
    )


def predict_batch_query(model_ref: str) -> str:
    return (
        "query($rows: FeatureMatrix!) { predictBatch(model: " + json.dumps(model_ref) + ","
        " rows: $rows) { requestId latencyMs runtime predictions probabilities classes } }"
    )


UPLOAD = (
    "mutation($f: Upload!) { uploadModelVersion(input: {modelId: %s, file: $f}) { __typename"
    " ... on UploadModelVersionSuccess { version { id number servingFormat compiledAvailable } }"
    " ... on ModelRejectedError { reason message } ... on Error { message } } }"
)


def graphql_errors(errors: list[dict], what: str) -> BenchError:
    messages = "; ".join(
        f"{e.get('message')} [{(e.get('extensions') or {}).get('code', '-')}]" for e in errors
    )
    if any(_MISSING_API.search(str(e.get("message", ""))) for e in errors):
        return ApiUnavailable(
            f"{what}: the ModelServe build under test lacks part of the GraphQL API this "
            f"benchmark needs (issue 4: predict / predictBatch / setVersionRuntime / "
            f"compiledAvailable): {messages}"
        )
    return BenchError(f"{what}: {messages}")


@dataclass
class Deployment:
    token: str
    email: str
    password: str
    model_id: str
    full_name: str
    version_id: str
    serving_format: str
    compiled_available: bool

    @property
    def ref(self) -> str:
        return f"{self.full_name}@production"


class GraphQL:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=httpx.Timeout(120.0, connect=10.0))

    def close(self) -> None:
        self.http.close()

    def call(
        self, query: str, variables: dict | None = None, *, token: str | None = None, what: str
    ) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        body = {"query": query, "variables": variables or {}}
        return self._answer(self.http.post(self.url, json=body, headers=headers), what)

    def _answer(self, response: httpx.Response, what: str) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise BenchError(
                f"{what}: HTTP {response.status_code}, not JSON: {response.text[:300]}"
            ) from None
        if body.get("errors"):
            raise graphql_errors(body["errors"], what)
        if response.status_code != 200 or body.get("data") is None:
            raise BenchError(f"{what}: HTTP {response.status_code}: {response.text[:300]}")
        return body["data"]

    def login(self, email: str, password: str) -> str:
        data = self.call(
            "mutation($i: LoginInput!) { login(input: $i) { __typename"
            " ... on AuthPayload { accessToken } ... on Error { message } } }",
            {"i": {"email": email, "password": password}},
            what="login",
        )["login"]
        if data["__typename"] != "AuthPayload":
            raise BenchError(f"login: {data}")
        return data["accessToken"]

    def register(self) -> tuple[str, str, str]:
        """A fresh account: (email, password, access token)."""
        email = f"bench-{secrets.token_hex(4)}@example.com"
        password = secrets.token_urlsafe(18)
        data = self.call(
            "mutation($i: RegisterInput!) { register(input: $i) { __typename"
            " ... on ValidationError { message fields { path message } } } }",
            {"i": {"email": email, "password": password}},
            what="register",
        )["register"]
        if data["__typename"] != "RegisterSuccess":
            raise BenchError(f"register: {data}")
        return email, password, self.login(email, password)

    def upload_model(
        self, token: str, name: str, model_bytes: bytes, filename: str
    ) -> tuple[str, str, dict]:
        """A new model ``name`` whose version 1 is the upload: (model id, full name, version)."""
        data = self.call(
            "mutation($i: CreateModelInput!) { createModel(input: $i) { __typename"
            " ... on ModelSuccess { model { id fullName } } ... on Error { message } } }",
            {"i": {"name": name}},
            token=token,
            what="createModel",
        )["createModel"]
        if data["__typename"] != "ModelSuccess":
            raise BenchError(f"createModel: {data}")
        model_id, full_name = data["model"]["id"], data["model"]["fullName"]

        operations = {"query": UPLOAD % json.dumps(model_id), "variables": {"f": None}}
        response = self.http.post(
            self.url,
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
            files={"0": (filename, model_bytes, "application/octet-stream")},
            headers={"authorization": f"Bearer {token}", "x-modelserve-csrf": "1"},
        )
        data = self._answer(response, "uploadModelVersion")["uploadModelVersion"]
        if data["__typename"] != "UploadModelVersionSuccess":
            raise BenchError(f"uploadModelVersion: {data}")
        return model_id, full_name, data["version"]

    def deploy(self, model_bytes: bytes, filename: str = "ref.joblib") -> Deployment:
        """A fresh account owning model ``ref`` whose ``production`` alias is the upload."""
        email, password, token = self.register()
        model_id, full_name, version = self.upload_model(token, "ref", model_bytes, filename)

        data = self.call(
            "mutation($i: SetAliasInput!) { setAlias(input: $i) { __typename"
            " ... on Error { message } } }",
            {"i": {"modelId": model_id, "alias": "production", "versionId": version["id"]}},
            token=token,
            what="setAlias",
        )["setAlias"]
        if data["__typename"] != "SetAliasSuccess":
            raise BenchError(f"setAlias: {data}")
        return Deployment(
            token=token,
            email=email,
            password=password,
            model_id=model_id,
            full_name=full_name,
            version_id=version["id"],
            serving_format=str(version.get("servingFormat")),
            compiled_available=bool(version.get("compiledAvailable")),
        )

    def set_runtime(self, deployment: Deployment, use_compiled: bool) -> str:
        # Literal input, as in the contract: the input type's name is not part of it.
        data = self.call(
            "mutation { setVersionRuntime(input: {versionId: "
            + json.dumps(deployment.version_id)
            + f", useCompiled: {'true' if use_compiled else 'false'}}}) {{ __typename }} }}",
            token=deployment.token,
            what="setVersionRuntime",
        )["setVersionRuntime"]
        typename = data["__typename"]
        if typename.endswith("Error"):
            raise BenchError(f"setVersionRuntime(useCompiled: {use_compiled}): {typename}")
        return typename
