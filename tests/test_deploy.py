"""The Kubernetes manifests (deploy/k8s) against the Kubernetes schemas, offline, and the app.

``kubernetes-validate`` ships the API schemas of each Kubernetes release, so no cluster is
needed. Beyond the schemas: every manifest is listed in the kustomization, every variable set
is a real setting, the probes name routes the app serves, and each container's memory covers
the model-cache budget it is given.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from settings import Settings

K8S = Path(__file__).resolve().parent.parent / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33"  # the oldest release the manifests promise (sleep preStop hooks)
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
MIB = 1 << 20
UNITS = {"Ki": 1 << 10, "Mi": MIB, "Gi": 1 << 30}


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _containers() -> list[tuple[str, dict]]:
    found = []
    for path in MANIFESTS:
        for doc in _documents(path):
            spec = doc.get("spec", {})
            pod = spec.get("template", {}).get("spec", {})
            found += [(f"{path.name}:{c['name']}", c) for c in pod.get("containers", [])]
    return found


def _bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Ki|Mi|Gi)?", quantity).groups()
    return int(number) * UNITS.get(unit or "", 1)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_each_manifest_matches_the_kubernetes_schema_strictly(path: Path) -> None:
    for doc in _documents(path):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [p.name for p in MANIFESTS]
    # The secret is generated from a git-ignored env file whose template is committed.
    generated = kustomization["secretGenerator"][0]
    assert generated["envs"] == ["secret.env"]
    assert (K8S / "secret.env.example").exists()


def test_every_variable_set_is_a_setting_or_a_storage_credential() -> None:
    names = set()
    for path in MANIFESTS:
        for doc in _documents(path):
            if doc["kind"] == "ConfigMap":
                names |= set(doc["data"])
    for _, container in _containers():
        names |= {e["name"] for e in container.get("env", [])}
    for line in (K8S / "secret.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("=", 1)[0])
    settings = {f"MODELSERVE_{name.upper()}" for name in Settings.model_fields}
    unknown = {n for n in names if n.startswith("MODELSERVE_")} - settings
    assert not unknown, f"not settings: {sorted(unknown)}"
    assert {n for n in names if not n.startswith("MODELSERVE_")} <= {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL",
    }


def test_api_probes_name_routes_the_app_serves() -> None:
    from graph.app import create_app

    routes = {getattr(r, "path", None) for r in create_app().routes}
    (api,) = [c for name, c in _containers() if name.startswith("api-deployment")]
    probed = {api[p]["httpGet"]["path"] for p in ("readinessProbe", "livenessProbe")}
    assert probed == {"/readyz", "/healthz"}
    assert probed <= routes


def test_serving_containers_have_room_for_their_model_cache_budget() -> None:
    (configmap,) = _documents(K8S / "configmap.yaml")
    budget = int(configmap["data"]["MODELSERVE_MODEL_CACHE_MAX_BYTES"])
    for name, container in _containers():
        if name.startswith("migrate-job"):
            continue
        resources = container["resources"]
        request = _bytes(resources["requests"]["memory"])
        limit = _bytes(resources["limits"]["memory"])
        # The cache budget plus the interpreter, libraries and requests in flight.
        assert request >= budget + 256 * MIB, name
        assert limit >= request, name


# -- the compose stack ---------------------------------------------------------------------

ROOT = K8S.parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_runs_replicas_behind_a_tls_proxy_with_a_worker_and_every_store():
    assert {"proxy", "api", "worker", "migrate", "postgres", "redis", "minio"} <= set(SERVICES)
    assert SERVICES["api"]["deploy"]["replicas"] >= 2
    assert "ports" not in SERVICES["api"]  # reached only through the proxy
    assert SERVICES["proxy"]["ports"] == ["443:443", "80:80"]
    assert SERVICES["worker"]["command"][:2] == ["modelserve", "worker"]
    env = SERVICES["api"]["environment"]
    assert env["MODELSERVE_ENVIRONMENT"] == "production"
    assert env["MODELSERVE_DATABASE_URL"].startswith("postgres://")
    assert env["MODELSERVE_ARTIFACT_STORE_URL"].startswith("s3://modelserve/")
    assert SERVICES["worker"]["environment"] == env


def test_the_api_and_workers_start_after_migrations_and_the_bucket():
    for name in ("api", "worker"):
        after = SERVICES[name]["depends_on"]
        assert after["migrate"]["condition"] == "service_completed_successfully"
        assert after["minio-bucket"]["condition"] == "service_completed_successfully"
        assert after["postgres"]["condition"] == "service_healthy"
    assert "mc mb --ignore-existing local/modelserve" in SERVICES["minio-bucket"]["command"][0]


def test_every_long_running_service_has_a_health_check_and_state_has_named_volumes():
    one_shot = {"migrate", "minio-bucket"}
    for name, service in SERVICES.items():
        if name not in one_shot:
            assert "healthcheck" in service, name
    for name, mount in (("postgres", "pgdata"), ("redis", "redisdata"), ("minio", "miniodata")):
        assert any(v.startswith(f"{mount}:") for v in SERVICES[name]["volumes"])
        assert mount in COMPOSE["volumes"]


def test_compose_holds_no_secret_of_its_own():
    secrets = ("MODELSERVE_SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD")
    text = (ROOT / "docker-compose.yml").read_text()
    for name in secrets:
        for line in text.splitlines():
            if f"{name}:" in line:
                assert "${" in line, line  # from the environment (.env), required
    example = (ROOT / ".env.example").read_text()
    for name in secrets:
        assert re.search(rf"^{name}=$", example, flags=re.M), name  # left for the operator


@pytest.mark.skipif(not shutil.which("caddy"), reason="Caddy checks its own configuration")
def test_the_proxy_configuration_is_valid_for_caddy(tmp_path):
    checked = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", "deploy/compose/Caddyfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert checked.returncode == 0, checked.stderr
    caddyfile = (ROOT / "deploy/compose/Caddyfile").read_text()
    assert "tls internal" in caddyfile and "read_body" in caddyfile
