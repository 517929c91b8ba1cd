"""Offline checks of docker-compose, the Dockerfile and the dependency lock against the application:
routes, settings, metric scraping and time limits; the lock agrees with pyproject.toml, the venv, make
and the Dockerfile; checkov finds nothing unexplained in k8s/, terraform/ and the Dockerfile; and a 15 s
Locust smoke run against a local stack has no failures. The Kubernetes and monitoring files are checked
in tests/test_ops_k8s.py and tests/test_ops_kustomize.py, Terraform in tests/test_ops_terraform.py."""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.ops_app import ROOT, app_paths, hard_limit_s, settings_from, worker_metrics_port
from tests.service_fixtures import start_gateway, start_redis, start_worker, stop, wait_until

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def test_compose_matches_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"redis", "api", "worker", "worker-gpu", "prometheus"} <= set(services)
    assert {"--appendonly", "yes"} <= set(services["redis"]["command"]), "the job store survives a restart"
    assert services["redis"]["healthcheck"]["test"][-1] == "ping"
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    stages = dockerfile_stages()
    for name in ("api", "worker", "worker-gpu"):
        service = services[name]
        assert service["build"]["target"] in stages
        env = {k: str(v) for k, v in service["environment"].items()}
        defaults = {k: re.sub(r"\$\{\w+:-(.*)\}", r"\1", v) for k, v in env.items()}  # ${VAR:-default}
        settings = settings_from(defaults, monkeypatch)
        assert urlparse(settings.redis_url).hostname == "redis"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"]
    for name in ("worker", "worker-gpu"):
        assert int(services[name]["stop_grace_period"].rstrip("s")) > hard_limit_s()
    assert "name" not in compose, "a top-level name: breaks Compose v1 (docker-compose 1.29)"
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["monitoring"]
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    api = jobs["svgai-api"]
    assert api["metrics_path"] in app_paths() and api["static_configs"][0]["targets"] == ["api:8000"]
    # every worker service (however many replicas) through Docker's DNS, on the workers' metrics port
    (workers,) = jobs["svgai-worker"]["dns_sd_configs"]
    metrics_port = worker_metrics_port()
    assert set(workers["names"]) == {"worker", "worker-gpu"} and workers["port"] == metrics_port
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services["prometheus"]["volumes"]}
    (rules,) = prometheus["rule_files"]
    assert mounts[f"/etc/prometheus/{rules}"] == f"./deploy/{rules}" and (ROOT / "deploy" / rules).exists()
    grafana = {volume.split(":")[1]: volume.split(":")[0] for volume in services["grafana"]["volumes"]}
    assert grafana["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    provider = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/svgai.yml").read_text())
    dashboards = provider["providers"][0]["options"]["path"]
    assert (ROOT / grafana[dashboards].removeprefix("./") / "svgai.json").exists()


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="no Compose v1 (docker-compose)")
def test_compose_v1_accepts_the_file() -> None:
    out = subprocess.run(["docker-compose", "--profile", "monitoring", "--profile", "gpu", "config", "-q"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def dockerfile_stages() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text()
    return dict(re.findall(r"^FROM \S+ AS (\S+)\n(.*?)(?=^FROM |\Z)", text, re.M | re.S))


def lock_pins() -> dict[str, str]:
    """Package name (normalised) -> exact version, from the lock (constraints.txt)."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, _, pinned = requirement.partition("==")
            assert pinned, f"the lock pins exact versions: {line}"
            pins[canonicalize_name(name)] = pinned
    return pins


def test_the_lock_agrees_with_pyproject_and_is_installed() -> None:
    """Every requirement of pyproject.toml (main, dev, train) and constraints.in is pinned in the lock at
    a version it accepts; the venv that runs the tests holds the locked versions (make install used it)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    main = [Requirement(r) for r in project["dependencies"]]
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "constraints.in").read_text().splitlines()]
    extra_inputs = [Requirement(line) for line in lines if line]
    pins = lock_pins()
    for requirement in [*main, *(Requirement(r) for r in extras["dev"] + extras["train"]), *extra_inputs]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in the lock: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"the lock pins {name}=={pins[name]}, outside pyproject's {requirement}: run make lock")
    assert pins["onnxruntime"] == pins["onnxruntime-gpu"], "CPU and GPU images run the same ONNX Runtime"
    assert "tzdata" in {canonicalize_name(r.name) for r in main}, "slim images have no /usr/share/zoneinfo"
    for requirement in [*main, *(Requirement(r) for r in extras["dev"])]:
        name = canonicalize_name(requirement.name)
        installed = version(name)
        assert installed == pins[name], f"{name} {installed} installed, {pins[name]} locked: make install"


def test_the_lock_is_used_by_make_and_the_dockerfile() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^LOCK := constraints\.txt$", makefile, re.M)
    installs = re.findall(r"pip install (.*)$", makefile, re.M)
    project_installs = [line for line in installs if "-e '." in line]
    assert project_installs and all("-c $(LOCK)" in line for line in project_installs)
    assert re.search(r"^\$\(STAMP\): pyproject\.toml \$\(LOCK\)$", makefile, re.M), "a new lock reinstalls"
    assert re.search(r"^lock:", makefile, re.M) and "uv pip compile pyproject.toml constraints.in" in makefile
    stages = dockerfile_stages()
    assert "PIP_CONSTRAINT=/src/constraints.txt" in stages["build"] and "constraints.txt" in stages["build"]
    assert "-c /opt/venv/constraints.txt" in stages["worker-gpu"]
    assert "constraints.txt" not in (ROOT / ".dockerignore").read_text()


def test_dockerfile_builds_without_buildkit_features() -> None:
    """The legacy builder refuses RUN --mount and a syntax directive needs a frontend image pulled."""
    text = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"^#\s*syntax=", text, re.M | re.I)
    instructions = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "--mount" not in instructions and "<<" not in instructions, "no BuildKit-only mounts or heredocs"
    assert set(re.findall(r"^FROM (\S+)", text, re.M)) - set(dockerfile_stages()) == {
        "python:3.11-slim-bookworm"}, "one base image, nothing else pulled"


def test_image_check_is_a_valid_script_outside_make_test() -> None:
    script = ROOT / "deploy" / "image-check.sh"
    out = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^image-check:\n\tnice -n 15 bash deploy/image-check\.sh$", makefile, re.M)
    test_deps = re.search(r"^test: (.*)$", makefile, re.M)
    assert test_deps and "image-check" not in test_deps[1], "minutes, root and a daemon: not in make test"
    text = script.read_text()
    for target in ("api", "worker"):
        assert target in re.search(r"for target in (.*); do", text)[1]
    assert "for builder in legacy buildkit" in text and "tier=2" in text and " down " in text


def test_dockerfile_targets_run_unprivileged_with_healthchecks() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = dockerfile_stages()
    assert {"build", "runtime", "api", "worker", "worker-gpu"} <= set(stages)
    assert "USER 10001" in stages["runtime"]
    assert stages["worker-gpu"].rstrip().splitlines()[-2] == "USER 10001", "back to the user after pip"
    assert "HEALTHCHECK" in stages["api"] and "/healthz" in stages["api"] and "/healthz" in app_paths()
    assert "HEALTHCHECK" in stages["worker"] and "inspect ping" in stages["worker"]
    assert '"--port", "8000"' in stages["api"] and "EXPOSE 8000" in stages["api"]
    assert not re.search(r"gcc|build-essential|apt-get install", text), "no build tools in the images"
    assert "onnxruntime-gpu" in stages["worker-gpu"]
    # every package (and its data files: models, portfolio, web assets) is copied and not docker-ignored
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for package in ("api", "cli", "shared", "workers"):
        assert f"COPY {package} /app/{package}" in stages["runtime"]
        assert package not in ignored
    assert "pyproject.toml" not in ignored and "README.md" not in ignored


@pytest.mark.skipif(not CHECKOV.exists(), reason="make test installs checkov into .venv-checkov")
@pytest.mark.parametrize(("target", "framework"), [("k8s", "kubernetes"), ("terraform", "terraform"),
                                                   ("Dockerfile", "dockerfile")])
def test_checkov_finds_nothing_unexplained(target: str, framework: str) -> None:
    """Skips are annotations/comments with a written reason (checkov.io/skipN: ID=reason)."""
    where = ["-f" if (ROOT / target).is_file() else "-d", str(ROOT / target)]
    out = subprocess.run([str(CHECKOV), *where, "--framework", framework, "-o", "json", "--quiet",
                          "--compact", "--skip-download"], capture_output=True, text=True, timeout=300)
    reports = json.loads(out.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert not failed, [(c["check_id"], c["resource"], c["check_name"]) for c in failed]
    for report in reports:
        for skipped in report.get("results", {}).get("skipped_checks", []):
            assert len(skipped.get("suppress_comment", "")) > 30, f"{skipped['check_id']} needs a reason"
    assert sum(r.get("summary", {}).get("passed", 0) for r in reports) > 0


def _worker_answers(url: str) -> bool:
    from celery import Celery

    app = Celery(broker=url)
    try:
        return bool(app.control.ping(timeout=0.5))
    finally:
        app.close()


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """redis-server, a Celery worker and the gateway (uvicorn api.app:app) on free loopback ports, all
    subprocesses (tests/service_fixtures.py's helpers). Not the session fixtures: they import workers.app
    into this process, which fixes Celery's broker for the session to the first Redis they start."""
    redis_proc, url = start_redis(tmp_path_factory.mktemp("ops-redis"))
    env = {"SVGAI_REDIS_URL": url, "SVGAI_KEY_PREFIX": "svgai-ops", "SVGAI_TIER1_WORKERS": "1",
           "SVGAI_WEBHOOK_ALLOW": '["127.0.0.1/32"]', "SVGAI_WEBHOOK_SECRET": "ops-test-secret",
           "SVGAI_WEBHOOK_BACKOFF_S": "0.2"}
    procs = [redis_proc, start_worker(env)]
    try:
        wait_until(lambda: _worker_answers(url), 60, "celery worker")
        gateway, host = start_gateway(env)
        procs.append(gateway)
        yield host, env
    finally:
        for proc in reversed(procs):
            stop(proc)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_locust_smoke_run_has_no_failures(tmp_path: Path, local_stack: tuple[str, dict[str, str]]) -> None:
    host, env = local_stack
    subprocess.run([sys.executable, "-m", "loadtests.run", "--scenario", "smoke", "--duration", "15",
                    "--host", host, "--out-dir", str(tmp_path)], cwd=ROOT, check=True, timeout=180,
                   stdout=subprocess.DEVNULL, env={**os.environ, **env})
    summary = json.loads((tmp_path / "loadtest-smoke.json").read_text())
    endpoints = summary["endpoints"]
    assert summary["stack"] == {"started_here": False, "host": host}
    assert {name: e["failures"] for name, e in endpoints.items() if e["failures"]} == {}
    assert endpoints["Aggregated"]["requests"] > 20
    for name in ("POST /v1/jobs (tier 2)", "GET /v1/jobs/{id}/svg", "POST /v1/jobs (cache hit)",
                 "POST /v1/convert", "POST /v1/jobs (webhook)", "JOB tier 2 submit→succeeded"):
        assert endpoints[name]["requests"] > 0, name
    assert summary["webhooks"]["delivered"] > 0 and summary["webhooks"]["bad_signature"] == 0
    assert set(summary["queues"]) == {"tier2", "tier3", "webhooks"}
