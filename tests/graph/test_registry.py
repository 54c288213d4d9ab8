"""The model registry through the GraphQL API, uploads included (multipart, real models)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re

import numpy as np
import pytest

from storage import tables
from tests import factories
from tests.graph.queries import CREATE_MODEL, MODEL, SET_ALIAS, SHARE, UPLOAD
from tests.graph.test_accounts import codes


async def stored_names(app) -> list[str]:
    """Names of the artifacts in the app's store (a local directory or an S3 bucket)."""
    return [key.split("/", 1)[1] for key in await app.state.services.store.list_keys()]


async def test_create_model_and_upload_a_version(owner, create_model, upload):
    model = await create_model(owner["accessToken"])
    assert model["fullName"] == "ada/iris"
    assert model["myAccess"] == "OWNER"

    clf = factories.logistic_regression()
    body = await upload(owner["accessToken"], model["id"], factories.skops_bytes(clf))
    result = body["data"]["uploadModelVersion"]
    assert result["__typename"] == "UploadModelVersionSuccess", body
    version = result["version"]
    assert version["number"] == 1
    assert version["status"] == "READY"
    assert version["sourceFormat"] == version["servingFormat"] == "skops"
    assert version["safeFormat"] is True
    assert version["signature"]["nFeaturesIn"] == 4
    assert version["signature"]["classes"] == [0, 1]
    assert version["signature"]["hasPredictProba"] is True
    assert version["createdBy"] == {"username": "ada"}
    assert result["deduplicated"] is False


async def test_joblib_upload_is_served_as_skops(owner, create_model, upload):
    model = await create_model(owner["accessToken"])
    body = await upload(
        owner["accessToken"],
        model["id"],
        factories.joblib_bytes(factories.logistic_regression(), compress=3),
        filename="clf.joblib",
    )
    version = body["data"]["uploadModelVersion"]["version"]
    assert version["sourceFormat"] == "joblib"
    assert version["servingFormat"] == "skops"
    assert version["safeFormat"] is False


async def test_same_bytes_give_the_existing_version(owner, create_model, upload):
    model = await create_model(owner["accessToken"])
    data = factories.skops_bytes(factories.logistic_regression())
    first = (await upload(owner["accessToken"], model["id"], data))["data"]["uploadModelVersion"]
    again = (await upload(owner["accessToken"], model["id"], data))["data"]["uploadModelVersion"]
    assert again["deduplicated"] is True
    assert again["version"]["id"] == first["version"]["id"]
    assert await tables.ModelVersion.all().count() == 1


async def test_idempotency_key_replay_and_reuse(owner, create_model, upload):
    model = await create_model(owner["accessToken"])
    v1 = factories.skops_bytes(factories.logistic_regression(seed=1))
    v2 = factories.skops_bytes(factories.logistic_regression(seed=2))
    token = owner["accessToken"]
    first = await upload(token, model["id"], v1, idempotencyKey="release-42")
    replay = await upload(token, model["id"], v1, idempotencyKey="release-42")
    assert (
        replay["data"]["uploadModelVersion"]["version"]["id"]
        == first["data"]["uploadModelVersion"]["version"]["id"]
    )
    reused = await upload(token, model["id"], v2, idempotencyKey="release-42")
    assert reused["data"]["uploadModelVersion"]["__typename"] == "IdempotencyKeyReusedError"
    assert await tables.ModelVersion.all().count() == 1


async def test_idempotency_key_header_and_per_caller_scope(signup, create_model, client):
    # I1 by header, I4: the same key from another caller is that caller's own fresh request.
    ada, bob = await signup("ada@example.com"), await signup("bob@example.com")
    ada_model = await create_model(ada["accessToken"])
    bob_model = await create_model(bob["accessToken"], name="wine")
    data = factories.skops_bytes(factories.logistic_regression(seed=3))

    async def send(who: dict, model: dict, **input_fields) -> dict:
        operations = {
            "query": UPLOAD,
            "variables": {"input": {"modelId": model["id"], "file": None, **input_fields}},
        }
        response = await client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.input.file"]}),
            },
            files={"0": ("model.skops", data, "application/octet-stream")},
            headers={
                "Authorization": f"Bearer {who['accessToken']}",
                "X-ModelServe-CSRF": "1",
                "Idempotency-Key": "nightly-2026-12-01",
            },
        )
        return response.json()["data"]["uploadModelVersion"]

    sent = [await send(ada, ada_model), await send(ada, ada_model), await send(bob, bob_model)]
    assert [s["__typename"] for s in sent] == ["UploadModelVersionSuccess"] * 3, sent
    assert sent[1]["version"]["id"] == sent[0]["version"]["id"]
    assert sent[2]["version"]["id"] != sent[0]["version"]["id"]
    assert await tables.IdempotencyKey.all().count() == 2
    # The header and the argument must agree.
    clash = await send(ada, ada_model, idempotencyKey="another-key")
    assert clash == {
        "__typename": "ValidationError",
        "fields": [{"path": ["input", "idempotencyKey"], "code": "conflict"}],
    }


async def test_one_idempotency_key_on_two_concurrent_uploads(owner, create_model, upload):
    # Given two different files sent at once under one idempotency key
    model = await create_model(owner["accessToken"])
    files = [factories.skops_bytes(factories.logistic_regression(seed=s)) for s in (1, 2)]
    token = owner["accessToken"]

    # When both race to record it
    bodies = await asyncio.gather(
        *(upload(token, model["id"], data, idempotencyKey="release-7") for data in files)
    )

    # Then one is stored and the other is told the key was used, not an internal error
    outcomes = sorted(b["data"]["uploadModelVersion"]["__typename"] for b in bodies)
    assert outcomes == ["IdempotencyKeyReusedError", "UploadModelVersionSuccess"], bodies
    assert await tables.ModelVersion.all().count() == 1
    assert await tables.IdempotencyKey.all().count() == 1


async def test_versions_aliases_and_their_history(gql, owner, create_model, upload):
    token = owner["accessToken"]
    model = await create_model(token)
    ids = []
    for seed in (1, 2):
        body = await upload(
            token, model["id"], factories.skops_bytes(factories.logistic_regression(seed))
        )
        ids.append(body["data"]["uploadModelVersion"]["version"]["id"])

    for version_id, reason in ((ids[1], "better recall"), (ids[0], "roll back")):
        moved = await gql(
            SET_ALIAS,
            {"model": model["id"], "alias": "production", "version": version_id, "reason": reason},
            token=token,
        )
        assert moved["data"]["setAlias"]["__typename"] == "SetAliasSuccess", moved

    data = (await gql(MODEL, {"id": model["id"]}, token=token))["data"]["model"]
    assert [e["node"]["number"] for e in data["versions"]["edges"]] == [2, 1]
    assert data["aliases"] == [{"name": "production", "version": {"number": 1}}]
    assert data["aliasHistory"] == [
        {
            "alias": "production",
            "reason": "roll back",
            "fromVersion": {"number": 2},
            "toVersion": {"number": 1},
            "actor": {"username": "ada"},
        },
        {
            "alias": "production",
            "reason": "better recall",
            "fromVersion": None,
            "toVersion": {"number": 2},
            "actor": {"username": "ada"},
        },
    ]


async def test_archived_version_cannot_get_an_alias(gql, owner, create_model, upload):
    token = owner["accessToken"]
    model = await create_model(token)
    body = await upload(token, model["id"], factories.skops_bytes(factories.logistic_regression()))
    version_id = body["data"]["uploadModelVersion"]["version"]["id"]
    await gql(
        SET_ALIAS, {"model": model["id"], "alias": "production", "version": version_id}, token=token
    )
    archived = await gql(
        "mutation($id: ID!) { archiveVersion(id: $id) { __typename "
        "... on VersionSuccess { version { status } } } }",
        {"id": version_id},
        token=token,
    )
    assert archived["data"]["archiveVersion"]["version"]["status"] == "ARCHIVED"
    # Archiving took the alias away, and the history says so.
    data = (await gql(MODEL, {"id": model["id"]}, token=token))["data"]["model"]
    assert data["aliases"] == []
    assert data["aliasHistory"][0]["reason"] == "version archived"

    refused = await gql(
        SET_ALIAS, {"model": model["id"], "alias": "production", "version": version_id}, token=token
    )
    assert refused["data"]["setAlias"] == {
        "__typename": "VersionNotReadyError",
        "status": "ARCHIVED",
    }


async def test_sharing_levels(gql, signup, owner, create_model, upload):
    token = owner["accessToken"]
    model = await create_model(token)
    bob = await signup("bob@example.com")
    shared = await gql(SHARE, {"model": model["id"], "user": "bob", "level": "VIEWER"}, token=token)
    assert shared["data"]["shareModel"]["share"] == {"level": "VIEWER", "user": {"username": "bob"}}

    seen = await gql(
        "{ models(first: 10) { edges { node { fullName myAccess } } } }", token=bob["accessToken"]
    )
    assert seen["data"]["models"]["edges"] == [
        {"node": {"fullName": "ada/iris", "myAccess": "VIEWER"}}
    ]

    # A viewer reads but cannot publish.
    refused = await upload(
        bob["accessToken"], model["id"], factories.skops_bytes(factories.logistic_regression())
    )
    assert refused["data"]["uploadModelVersion"]["__typename"] == "ForbiddenError"

    await gql(SHARE, {"model": model["id"], "user": "bob", "level": "MAINTAINER"}, token=token)
    allowed = await upload(
        bob["accessToken"], model["id"], factories.skops_bytes(factories.logistic_regression())
    )
    assert allowed["data"]["uploadModelVersion"]["__typename"] == "UploadModelVersionSuccess"

    await gql(
        'mutation($m: ID!) { unshareModel(input: {modelId: $m, username: "bob"}) { __typename } }',
        {"m": model["id"]},
        token=token,
    )
    gone = await gql(
        "query($id: ID!) { model(id: $id) { name } }", {"id": model["id"]}, token=bob["accessToken"]
    )
    assert gone["data"]["model"] is None


async def test_strangers_see_nothing(gql, signup, owner, create_model, upload):
    """G21: another user's model, version and aliases answer exactly like random ids."""
    token = owner["accessToken"]
    model = await create_model(token)
    body = await upload(token, model["id"], factories.skops_bytes(factories.logistic_regression()))
    version_id = body["data"]["uploadModelVersion"]["version"]["id"]
    mallory = (await signup("mallory@example.com"))["accessToken"]
    random_id = "00000000-0000-4000-8000-000000000000"

    for target_model, target_version in ((model["id"], version_id), (random_id, random_id)):
        assert (
            await gql(
                "query($id: ID!) { model(id: $id) { name } }", {"id": target_model}, token=mallory
            )
        )["data"] == {"model": None}
        assert (
            await gql(
                "query($id: ID!) { modelVersion(id: $id) { number } }",
                {"id": target_version},
                token=mallory,
            )
        )["data"] == {"modelVersion": None}
        alias = await gql(
            SET_ALIAS,
            {"model": target_model, "alias": "production", "version": target_version},
            token=mallory,
        )
        assert alias["data"]["setAlias"] == {
            "__typename": "NotFoundError",
            "message": "Model not found.",
        }
        archived = await gql(
            "mutation($id: ID!) { archiveVersion(id: $id) { "
            "__typename ... on NotFoundError { message } } }",
            {"id": target_version},
            token=mallory,
        )
        assert archived["data"]["archiveVersion"] == {
            "__typename": "NotFoundError",
            "message": "Model version not found.",
        }
        uploaded = await upload(mallory, target_model, b"irrelevant")
        assert uploaded["data"]["uploadModelVersion"] == {
            "__typename": "NotFoundError",
            "message": "Model not found.",
        }
    listed = await gql("{ models(first: 100) { edges { node { id } } } }", token=mallory)
    assert listed["data"]["models"]["edges"] == []
    by_name = await gql('{ model(owner: "ada", name: "iris") { id } }', token=mallory)
    assert by_name["data"]["model"] is None


@pytest.mark.parametrize(
    ("make", "filename"),
    [
        (lambda m: factories.exploit_pickle(m), "model.pkl"),
        (lambda m: factories.exploit_joblib(m), "model.joblib"),
        (lambda m: factories.exploit_joblib(m, compress=3), "model.joblib"),
        (lambda m: factories.exploit_pickle(m), "model.bin"),
    ],
    ids=["pkl", "joblib", "joblib-compressed", "renamed-bin"],
)
async def test_malicious_pickles_are_rejected_unexecuted(
    owner, create_model, upload, app, tmp_path, make, filename
):
    model = await create_model(owner["accessToken"])
    marker = tmp_path / "pwned"
    body = await upload(owner["accessToken"], model["id"], make(str(marker)), filename=filename)
    result = body["data"]["uploadModelVersion"]
    assert result["__typename"] == "ModelRejectedError"
    assert result["reason"] == "forbidden_global"
    assert "system" in result["message"]
    assert not marker.exists()
    assert await tables.ModelVersion.all().count() == 0
    assert await stored_names(app) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (os.urandom(4096), "unknown_format"),
        (b"this is a text file renamed to .onnx\n" * 20, "unknown_format"),
    ],
    ids=["empty", "random", "text"],
)
async def test_non_models_are_rejected(owner, create_model, upload, app, data, reason):
    model = await create_model(owner["accessToken"])
    body = await upload(owner["accessToken"], model["id"], data, filename="model.onnx")
    assert body["data"]["uploadModelVersion"]["__typename"] == "ModelRejectedError"
    assert body["data"]["uploadModelVersion"]["reason"] == reason
    assert await tables.ModelVersion.all().count() == 0
    assert await stored_names(app) == []


async def test_a_plain_dict_pickle_is_not_a_model(owner, create_model, upload):
    model = await create_model(owner["accessToken"])
    body = await upload(
        owner["accessToken"], model["id"], factories.pickle_bytes({"a": 1}), filename="m.pkl"
    )
    assert body["data"]["uploadModelVersion"]["__typename"] == "ModelRejectedError"
    assert body["data"]["uploadModelVersion"]["reason"] in {"no_predict", "not_a_model"}


async def test_truncated_pickle_is_rejected(owner, create_model, upload):
    model = await create_model(owner["accessToken"])
    data = factories.pickle_bytes(factories.logistic_regression())
    body = await upload(owner["accessToken"], model["id"], data[: len(data) // 2], filename="m.pkl")
    assert body["data"]["uploadModelVersion"]["reason"] == "truncated"


async def test_oversized_upload_is_refused_and_leaves_nothing(
    app, owner, create_model, upload, settings
):
    model = await create_model(owner["accessToken"])
    registry = app.state.services.registry
    original = registry.limits
    registry.limits = dataclasses.replace(original, max_upload_bytes=10_000)
    try:
        body = await upload(owner["accessToken"], model["id"], b"\x80\x04" + b"x" * 20_000)
    finally:
        registry.limits = original
    assert body["data"]["uploadModelVersion"] == {
        "__typename": "PayloadTooLargeError",
        "limitBytes": 10_000,
    }
    assert await stored_names(app) == []
    spool = settings.data_dir / "spool"
    assert not spool.exists() or list(spool.iterdir()) == []


async def test_hostile_filename_is_only_a_label(owner, create_model, upload, app):
    model = await create_model(owner["accessToken"])
    body = await upload(
        owner["accessToken"],
        model["id"],
        factories.skops_bytes(factories.logistic_regression()),
        filename="../../app/main.py",
    )
    version = body["data"]["uploadModelVersion"]["version"]
    assert version["originalFilename"] == "main.py"
    names = set(await stored_names(app))
    assert version["sha256"] in names
    # Besides the upload, only the compiled copy: every name is a content hash.
    assert all(re.fullmatch(r"[0-9a-f]{64}(\.onnx)?", name) for name in names), names


async def test_upload_without_csrf_header_is_refused(owner, create_model, upload):
    model = await create_model(owner["accessToken"])
    body = await upload(
        owner["accessToken"],
        model["id"],
        factories.skops_bytes(factories.logistic_regression()),
        csrf=False,
    )
    assert body["_status"] == 400
    assert body["errors"][0]["extensions"]["code"] == "CSRF_HEADER_REQUIRED"
    assert await tables.ModelVersion.all().count() == 0


async def test_model_names_are_validated_and_unique(gql, owner):
    token = owner["accessToken"]
    bad = await gql(CREATE_MODEL, {"name": "../etc"}, token=token)
    assert bad["data"]["createModel"] == {
        "__typename": "ValidationError",
        "fields": [{"path": ["input", "name"], "code": "invalid_name"}],
    }
    await gql(CREATE_MODEL, {"name": "iris"}, token=token)
    again = await gql(CREATE_MODEL, {"name": "iris"}, token=token)
    assert again["data"]["createModel"]["__typename"] == "ModelNameTakenError"


async def test_delete_model_hides_it_and_frees_the_name(
    gql, owner, create_model, upload, app, settings
):
    token = owner["accessToken"]
    model = await create_model(token)
    await upload(token, model["id"], factories.skops_bytes(factories.logistic_regression()))
    deleted = await gql(
        "mutation($id: ID!) { deleteModel(id: $id) { __typename } }",
        {"id": model["id"]},
        token=token,
    )
    assert deleted["data"]["deleteModel"]["__typename"] == "DoneSuccess"
    assert (
        await gql("query($id: ID!) { model(id: $id) { name } }", {"id": model["id"]}, token=token)
    )["data"]["model"] is None
    assert len(await stored_names(app)) == 2  # the upload and its compiled copy
    assert await app.state.services.registry.purge_deleted() == 1
    assert await stored_names(app) == []
    recreated = await gql(CREATE_MODEL, {"name": "iris"}, token=token)
    assert recreated["data"]["createModel"]["__typename"] == "ModelSuccess"


async def test_unauthenticated_registry_calls(gql):
    body = await gql("{ models(first: 5) { edges { cursor } } }")
    assert codes(body) == ["UNAUTHENTICATED"]


LIST_EVERYTHING = """
{ models(first: 50) { edges { node {
    fullName owner { username }
    versions(first: 5) { edges { node { number createdBy { username } } } }
    aliases { name version { number } }
} } } }"""


async def test_listing_models_costs_a_constant_number_of_queries(gql, owner, app, monkeypatch):
    """20 models with versions, owners and aliases: the query count does not grow with N."""
    from tortoise import connections

    caller = await app.state.services.accounts.authenticate(owner["accessToken"])
    registry = app.state.services.registry
    data = factories.skops_bytes(factories.logistic_regression())

    async def seed(count: int) -> None:
        for i in range(count):
            model = await registry.create_model(
                caller=caller, name=f"m{i}-{count}", description="", tags=[]
            )
            version = await tables.ModelVersion.create(
                model_id=model.id,
                number=1,
                status="ready",
                artifact_key="sha256/" + "0" * 64,
                sha256=f"{i:064d}",
                size=len(data),
                source_format="skops",
                serving_key="sha256/" + "0" * 64,
                serving_format="skops",
                serving_size=len(data),
                framework="sklearn",
                estimator_class="LogisticRegression",
                created_by_id=caller.user_id,
            )
            await tables.Alias.create(model_id=model.id, name="production", version_id=version.id)

    connection = connections.get("default")
    counted: list[str] = []
    for method in ("execute_query", "execute_query_dict"):
        original = getattr(connection, method)

        async def counting(query, *args, _original=original, **kwargs):
            counted.append(str(query))
            return await _original(query, *args, **kwargs)

        monkeypatch.setattr(connection, method, counting)

    async def queries_for_listing() -> tuple[int, int]:
        counted.clear()
        body = await gql(LIST_EVERYTHING, token=owner["accessToken"])
        assert "errors" not in body, body
        return len(body["data"]["models"]["edges"]), len(counted)

    await seed(2)
    small, small_queries = await queries_for_listing()
    await seed(18)
    large, large_queries = await queries_for_listing()
    assert (small, large) == (2, 20)
    assert large_queries == small_queries


def rejected(body: dict) -> tuple[str, str]:
    result = body["data"]["uploadModelVersion"]
    assert result["__typename"] == "ModelRejectedError", body
    return result["reason"], result["message"]


async def test_a_model_that_cannot_be_run_once_is_refused_unless_given_an_example(
    owner, create_model, upload
):
    # Given a fitted model that does not record its feature count
    clf = factories.logistic_regression()
    del clf.n_features_in_
    model = await create_model(owner["accessToken"])
    data = factories.skops_bytes(clf)

    # When it is uploaded without and then with an input example
    bare = await upload(owner["accessToken"], model["id"], data)
    example = await upload(
        owner["accessToken"], model["id"], data, inputExample=[[0.1, 0.2, 0.3, 0.4]]
    )

    # Then only the one the sandbox could run is accepted
    reason, message = rejected(bare)
    assert reason == "no_input_shape"
    assert "input example" in message
    assert example["data"]["uploadModelVersion"]["__typename"] == "UploadModelVersionSuccess"


@pytest.mark.parametrize("fmt", ["skops", "joblib"])
async def test_a_model_answering_in_bytes_is_refused_at_the_door(owner, create_model, upload, fmt):
    # Given a classifier whose labels are bytes, so predict returns bytes
    X, y = factories.training_data()
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=200).fit(X, np.where(y == 1, "yes", "no"))
    clf.classes_ = np.array([b"no", b"yes"])  # scikit-learn refuses to fit bytes labels
    data = factories.skops_bytes(clf) if fmt == "skops" else factories.joblib_bytes(clf)
    model = await create_model(owner["accessToken"])

    # When it is uploaded
    body = await upload(owner["accessToken"], model["id"], data, filename=f"model.{fmt}")

    # Then the sandbox refuses it with a reason, and nothing is stored
    reason, message = rejected(body)
    assert reason == "bad_output"
    assert "bytes" in message or "|S" in message
    assert await tables.ModelVersion.all().count() == 0


@pytest.mark.parametrize("fmt", ["skops", "joblib"])
async def test_a_model_needing_a_missing_extra_is_refused_by_name(
    owner, create_model, upload, monkeypatch, fmt
):
    # Given a server without xgboost (as `make run` installs it unless asked)
    import importlib.util

    import xgboost

    X, y = factories.training_data()
    clf = xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y)
    data = factories.skops_bytes(clf) if fmt == "skops" else factories.joblib_bytes(clf)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "xgboost" else find_spec(name, *a),
    )
    model = await create_model(owner["accessToken"])

    # When an XGBoost model is uploaded
    body = await upload(owner["accessToken"], model["id"], data, filename=f"model.{fmt}")

    # Then it is refused with the extra to install, before any sandbox runs
    reason, message = rejected(body)
    assert reason == "missing_extra"
    assert "modelserve[xgboost]" in message
    assert await tables.ModelVersion.all().count() == 0
