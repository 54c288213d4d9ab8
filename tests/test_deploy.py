"""The Kubernetes manifests (deploy/k8s) against the Kubernetes schemas, offline, and the app.

``kubernetes-validate`` ships the API schemas of each Kubernetes release, so no cluster is
needed. Beyond the schemas: every manifest is listed in the kustomization, every variable set
is a real setting, the probes name routes the app serves, and each container's memory covers
the model-cache budget it is given.
"""

from __future__ import annotations

import re
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
