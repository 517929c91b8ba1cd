"""Offline checks of the operations files: Kubernetes (kustomize overlays built in Python), Terraform,
docker-compose and the Dockerfile agree with the application (routes, settings, queue names, time
limits), pass a checkov scan, and a 15 s Locust smoke run against a local stack has no failures."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from shared.config import Settings
from tests.kustomize_build import build
from workers.app import HARD_LIMIT_S

ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = ["dev", "prod"]
KNOWN_ENV = {f"SVGAI_{name.upper()}" for name in Settings.model_fields}
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def app_paths() -> set[str]:
    from api.app import app

    return set(app.openapi()["paths"])


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")}


def test_every_manifest_parses() -> None:
    files = [*ROOT.glob("k8s/**/*.yaml"), ROOT / "docker-compose.yml", ROOT / "deploy" / "prometheus.yml"]
    assert len(files) > 10
    for path in files:
        assert [d for d in yaml.safe_load_all(path.read_text()) if d], path


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_is_consistent_with_the_app(overlay: str) -> None:
    docs = build(ROOT / "k8s" / "overlays" / overlay)
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(names) == len(set(names)), "no resource defined twice"
    assert {d["metadata"].get("namespace", "svgai") for d in docs} == {"svgai"}
    workloads = pod_specs(docs)
    routes = app_paths()
    configs = by_kind(docs, "ConfigMap") | by_kind(docs, "Secret")
    for name, workload in workloads.items():
        selector = workload["spec"]["selector"]["matchLabels"]
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), f"{name}: selector must match its pods"
        for container in workload["spec"]["template"]["spec"]["containers"]:
            ports = {p.get("name") for p in container.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe"):
                check = container.get(probe)
                assert check, f"{name}/{container['name']} has a {probe}"
                if "httpGet" in check:
                    assert check["httpGet"]["path"] in routes, f"{name}: probe path exists in the app"
                    assert check["httpGet"]["port"] in ports
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef") or source.get("secretRef")
                assert ref["name"] in configs, f"{name}: {ref['name']} exists"
            if "resources" in container:
                assert container["resources"]["limits"]["memory"]
    for name, config in configs.items():
        data = {**config.get("data", {}), **config.get("stringData", {})}
        unknown = set(data) - KNOWN_ENV
        assert not unknown, f"{name}: settings unknown to shared/config.py: {unknown}"
    for name, service in by_kind(docs, "Service").items():
        pods = [w for w in workloads.values()
                if service["spec"]["selector"].items() <= w["spec"]["template"]["metadata"]["labels"].items()]
        assert pods, f"service {name} selects a workload"
        ports = {p.get("name") for w in pods for c in w["spec"]["template"]["spec"]["containers"]
                 for p in c.get("ports", [])}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaling_targets_real_deployments_and_queues(overlay: str) -> None:
    docs = build(ROOT / "k8s" / "overlays" / overlay)
    deployments = by_kind(docs, "Deployment")
    settings = Settings()
    for hpa in by_kind(docs, "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    scaled = by_kind(docs, "ScaledObject")
    assert set(scaled) == {"worker-cpu", "worker-gpu"}
    for obj in scaled.values():
        assert obj["spec"]["scaleTargetRef"]["name"] in deployments
        queues = {t["metadata"]["listName"] for t in obj["spec"]["triggers"] if t["type"] == "redis"}
        assert queues and queues <= {settings.queue_tier2, settings.queue_tier3}
    assert {t["metadata"]["listName"] for t in scaled["worker-cpu"]["spec"]["triggers"]} == {
        settings.queue_tier2, settings.queue_tier3}
    for name in ("worker-cpu", "worker-gpu"):
        grace = deployments[name]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > HARD_LIMIT_S, "a warm shutdown lets the longest job finish"
    gpu = deployments["worker-gpu"]["spec"]["template"]["spec"]
    assert gpu["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1" and gpu["tolerations"]
    for pdb in by_kind(docs, "PodDisruptionBudget").values():
        match = pdb["spec"]["selector"]["matchLabels"]
        assert any(match.items() <= d["spec"]["template"]["metadata"]["labels"].items()
                   for d in deployments.values())


def test_only_the_gateway_takes_traffic_from_outside() -> None:
    docs = build(ROOT / "k8s" / "overlays" / "dev")
    policies = by_kind(docs, "NetworkPolicy")
    assert policies["default-deny"]["spec"]["podSelector"] == {}
    ingress = [p for p in policies.values()
               if "Ingress" in p["spec"]["policyTypes"] and p["spec"].get("ingress")]
    selected = {p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component",
                                                          p["spec"]["podSelector"]["matchLabels"].get(
                                                              "app.kubernetes.io/name")) for p in ingress}
    assert selected == {"api", "redis"}
    redis_rule = policies["redis-ingress"]["spec"]["ingress"][0]
    assert redis_rule["from"], "Redis accepts only svgai's pods"


def test_terraform_parses_and_uses_every_variable() -> None:
    for module in [ROOT / "terraform" / "modules" / "svgai", ROOT / "terraform" / "examples" / "basic"]:
        files = sorted(module.glob("*.tf"))
        parsed = [hcl2.loads(f.read_text()) for f in files]
        text = "\n".join(f.read_text() for f in files)
        declared = [name.strip('"') for doc in parsed for block in doc.get("variable", []) for name in block]
        assert declared, module
        for name in declared:
            assert re.search(rf"\bvar\.{name}\b", text), f"{module.name}: variable {name} is unused"
        pins = [p for doc in parsed for block in doc.get("terraform", [])
                for req in block.get("required_providers", []) for p in req.values()]
        versions = [p["version"].strip('"') for p in pins if isinstance(p, dict)]
        assert versions and all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions), "exact pins"


def test_compose_matches_the_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"redis", "api", "worker"} <= set(services)
    assert "--appendonly" in services["redis"]["command"], "the job store survives a restart"
    assert any(p.endswith(":8000") for p in services["api"]["ports"])
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert set(env) <= KNOWN_ENV, f"{name}: {set(env) - KNOWN_ENV}"
        assert env["SVGAI_REDIS_URL"].startswith("redis://redis:")
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert services[name]["read_only"] is True
    grace = int(services["worker"]["stop_grace_period"].rstrip("s"))
    assert grace > HARD_LIMIT_S


def test_dockerfile_targets_run_unprivileged_with_healthchecks() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = dict(re.findall(r"^FROM \S+ AS (\S+)\n(.*?)(?=^FROM |\Z)", text, re.M | re.S))
    assert {"build", "runtime", "api", "worker", "worker-gpu"} <= set(stages)
    assert "USER 10001" in stages["runtime"] and stages["worker-gpu"].rstrip().endswith("USER 10001")
    assert "HEALTHCHECK" in stages["api"] and "/healthz" in stages["api"]
    assert "HEALTHCHECK" in stages["worker"]
    assert "gcc" not in text and "build-essential" not in text


@pytest.mark.skipif(not CHECKOV.exists(), reason="make test installs checkov into .venv-checkov")
@pytest.mark.parametrize(("directory", "framework"), [("k8s", "kubernetes"), ("terraform", "terraform")])
def test_checkov_finds_nothing_unexplained(directory: str, framework: str) -> None:
    """Skips are annotations with a written reason in the manifests (checkov.io/skipN: ID=reason)."""
    out = subprocess.run([str(CHECKOV), "-d", str(ROOT / directory), "--framework", framework, "-o", "json",
                          "--quiet", "--compact"], capture_output=True, text=True, timeout=300)
    reports = json.loads(out.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert not failed, [(c["check_id"], c["resource"]) for c in failed]
    for report in reports:
        for skipped in report.get("results", {}).get("skipped_checks", []):
            assert len(skipped.get("suppress_comment", "")) > 20, f"{skipped['check_id']} needs a reason"
    assert sum(r.get("summary", {}).get("passed", 0) for r in reports) > 0


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_locust_smoke_run_has_no_failures(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "loadtests.run", "--scenario", "smoke", "--duration", "15",
                    "--out-dir", str(tmp_path)], cwd=ROOT, check=True, timeout=240,
                   stdout=subprocess.DEVNULL)
    summary = json.loads((tmp_path / "loadtest-smoke.json").read_text())
    endpoints = summary["endpoints"]
    assert endpoints["Aggregated"]["requests"] > 20
    assert {name: e["failures"] for name, e in endpoints.items() if e["failures"]} == {}
    assert endpoints["POST /v1/jobs (cache hit)"]["requests"] > 0
    assert endpoints["POST /v1/convert"]["requests"] > 0
