"""Settings: defaults, validation with readable messages, the development secret."""

from __future__ import annotations

import stat

import pytest

from settings import SettingsError, load_settings


def test_embedded_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("MODELSERVE_SECRET_KEY", raising=False)
    settings = load_settings(data_dir=tmp_path)
    assert settings.database_url == f"sqlite://{tmp_path}/modelserve.db"
    assert settings.artifact_store_url == f"{tmp_path}/artifacts"
    assert settings.redis_url is None
    assert (settings.queue_url, settings.pubsub_url) == ("memory://", None)
    assert settings.graphiql_enabled and settings.introspection_enabled
    assert settings.auto_migrate_enabled


@pytest.mark.parametrize(
    ("redis_url", "queue_url", "pubsub_url"),
    [
        ("redis://cache:6379/0", "", "redis://cache:6379/0"),
        ("redis://cache:6379/0", "redis://queue:6379/1", "redis://cache:6379/0"),
        # Workers in other processes publish job progress: it travels on the queue's Redis.
        (None, "redis://queue:6379/1", "redis://queue:6379/1"),
        (None, "memory://", None),
    ],
)
def test_events_travel_where_the_processes_meet(
    tmp_path, monkeypatch, redis_url, queue_url, pubsub_url
):
    monkeypatch.delenv("MODELSERVE_REDIS_URL", raising=False)
    if redis_url:
        monkeypatch.setenv("MODELSERVE_REDIS_URL", redis_url)
    monkeypatch.setenv("MODELSERVE_QUEUE_URL", queue_url)
    assert load_settings(data_dir=tmp_path).pubsub_url == pubsub_url


def test_development_secret_is_generated_once_with_mode_0600(tmp_path):
    first = load_settings(data_dir=tmp_path)
    second = load_settings(data_dir=tmp_path)
    assert first.jwt_secret == second.jwt_secret
    assert len(first.jwt_secret) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_production_requires_a_secret(tmp_path):
    with pytest.raises(SettingsError, match="MODELSERVE_SECRET_KEY is required"):
        load_settings(data_dir=tmp_path, environment="production")


@pytest.mark.parametrize(
    ("secret", "message"),
    [("changeme", "placeholder"), ("short-secret", "at least 32 bytes")],
)
def test_weak_secrets_are_refused(tmp_path, secret, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(data_dir=tmp_path, environment="production", secret_key=secret)


PG = "postgres://db/modelserve"


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_staging_and_production_turn_graphiql_and_introspection_off(tmp_path, environment):
    settings = load_settings(
        data_dir=tmp_path, environment=environment, secret_key="k" * 40, database_url=PG
    )
    assert settings.is_locked_down
    assert not settings.graphiql_enabled
    assert not settings.introspection_enabled
    assert not load_settings(
        data_dir=tmp_path,
        environment="production",
        secret_key="k" * 40,
        database_url=PG,
    ).auto_migrate_enabled


def test_staging_requires_a_secret_too(tmp_path):
    with pytest.raises(SettingsError, match="MODELSERVE_SECRET_KEY is required in staging"):
        load_settings(data_dir=tmp_path, environment="staging")


@pytest.mark.parametrize(
    ("opened", "allowance", "message"),
    [
        ({"graphiql": True}, "graphiql", "MODELSERVE_GRAPHIQL is on in production"),
        ({"introspection": True}, "introspection", "MODELSERVE_INTROSPECTION is on"),
        ({"metrics_public": True}, "public-metrics", "MODELSERVE_METRICS_PUBLIC is on"),
        ({"database_url": ""}, "sqlite", "MODELSERVE_DATABASE_URL is SQLite in production"),
    ],
)
def test_production_refuses_what_it_is_not_told_to_allow(tmp_path, opened, allowance, message):
    values = {"data_dir": tmp_path, "environment": "production", "secret_key": "k" * 40}
    values |= {"database_url": PG} | opened
    with pytest.raises(SettingsError, match=message) as refused:
        load_settings(**values)
    assert f"add '{allowance}' to MODELSERVE_PRODUCTION_ALLOW" in str(refused.value)
    allowed = load_settings(**values, production_allow=f"{allowance},")
    assert allowance in allowed.production_allow
    # Staging opens the same things without being told.
    assert load_settings(**{**values, "environment": "staging"}).is_locked_down


def test_production_names_every_refusal_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELSERVE_ENVIRONMENT", "production")
    monkeypatch.setenv("MODELSERVE_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("MODELSERVE_GRAPHIQL", "true")
    monkeypatch.setenv("MODELSERVE_PRODUCTION_ALLOW", "graphiql")
    with pytest.raises(SettingsError) as refused:
        load_settings(data_dir=tmp_path)
    message = str(refused.value)
    assert "SQLite" in message and "GRAPHIQL" not in message.split("SQLite")[0]
    monkeypatch.setenv("MODELSERVE_PRODUCTION_ALLOW", "graphiql, sqlite")
    assert load_settings(data_dir=tmp_path).graphiql_enabled


def test_an_unknown_allowance_is_named(tmp_path):
    with pytest.raises(SettingsError, match="MODELSERVE_PRODUCTION_ALLOW"):
        load_settings(data_dir=tmp_path, production_allow="everything")


def test_bad_values_name_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELSERVE_DATABASE_URL", "mysql://nope")
    monkeypatch.setenv("MODELSERVE_MAX_QUERY_DEPTH", "zero")
    with pytest.raises(SettingsError) as raised:
        load_settings(data_dir=tmp_path)
    message = str(raised.value)
    assert "MODELSERVE_DATABASE_URL" in message
    assert "MODELSERVE_MAX_QUERY_DEPTH" in message


def test_cors_origins_from_a_comma_list(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELSERVE_CORS_ORIGINS", "https://a.example, https://b.example")
    assert load_settings(data_dir=tmp_path).cors_origins == [
        "https://a.example",
        "https://b.example",
    ]
