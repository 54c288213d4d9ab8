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
    assert settings.graphiql_enabled and settings.introspection_enabled
    assert settings.auto_migrate_enabled


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


def test_production_turns_graphiql_and_introspection_off(tmp_path):
    settings = load_settings(data_dir=tmp_path, environment="production", secret_key="k" * 40)
    assert not settings.graphiql_enabled
    assert not settings.introspection_enabled
    assert not load_settings(
        data_dir=tmp_path,
        environment="production",
        secret_key="k" * 40,
        database_url="postgres://db/modelserve",
    ).auto_migrate_enabled


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
