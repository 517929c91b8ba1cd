"""Offline checks of the operations files against the application: Kubernetes overlays (rendered by
`kubectl kustomize`, schema-checked in tests/test_ops_kustomize.py), the prometheus-adapter rule, the
alert rules and the Grafana dashboard (promtool), Terraform, docker-compose, the Dockerfile and the
dependency lock agree with the app's routes, settings, queue names, metric names and time limits;
checkov finds nothing unexplained; and a 15 s Locust smoke run against a local stack has no failures."""

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import hcl2
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from shared.config import Settings
from tests.service_fixtures import start_gateway, start_redis, start_worker, stop, wait_until
from tests.test_ops_kustomize import OVERLAYS, build

ROOT = Path(__file__).resolve().parents[1]
KNOWN_ENV = {f"SVGAI_{name.upper()}" for name in Settings.model_fields}
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
ADAPTER_VALUES = ROOT / "k8s" / "components" / "queue-depth-hpa" / "prometheus-adapter-values.yaml"
Doc = dict[str, Any]


# Read in a subprocess: importing workers.app here would fix Celery's broker URL to the default settings
# for the whole pytest session (the service tests' worker fixture points it at their own Redis later).
_FACTS = """
import json
from api.app import app
from api.metrics import QUEUE_DEPTH
from prometheus_client import REGISTRY
from workers.app import HARD_LIMIT_S, celery_app
app.build_middleware_stack()  # registers the HTTP instrumentation's metrics, as the first request would
suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "summary": ["_sum", "_count"]}
metrics = sorted(f.name + s for f in REGISTRY.collect() for s in suffixes.get(f.type, [""]))
print(json.dumps({"paths": sorted({r.path for r in app.routes if hasattr(r, "path")}),
                  "hard_limit_s": HARD_LIMIT_S, "task_time_limit": celery_app.conf.task_time_limit,
                  "queue_depth": [QUEUE_DEPTH._name, list(QUEUE_DEPTH._labelnames)], "metrics": metrics}))
"""


@lru_cache(maxsize=1)
def app_facts() -> dict[str, Any]:
    """Routes of the FastAPI app, the workers' largest hard time limit, the queue-depth gauge."""
    out = subprocess.run([sys.executable, "-c", _FACTS], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def app_paths() -> set[str]:
    """Paths the FastAPI app serves."""
    return set(app_facts()["paths"])


def hard_limit_s() -> float:
    """The largest hard time limit of a job (workers/app.py), seconds."""
    facts = app_facts()
    assert facts["task_time_limit"] == facts["hard_limit_s"]
    return float(facts["hard_limit_s"])


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workloads(docs: list[Doc]) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")}


def pod_labels(workload: Doc) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


def svgai_containers(docs: list[Doc]) -> dict[str, Doc]:
    """svgai's containers (not Redis) by workload name."""
    return {name: c for name, w in workloads(docs).items()
            if pod_labels(w).get("app.kubernetes.io/name") == "svgai"
            for c in w["spec"]["template"]["spec"]["containers"]}


def container_env(docs: list[Doc], container: Doc) -> dict[str, str]:
    """The SVGAI_* environment a container gets from its ConfigMaps and Secrets (later sources win)."""
    configs = by_kind(docs, "ConfigMap") | by_kind(docs, "Secret")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef") or source.get("secretRef")
        assert ref["name"] in configs, f"{ref['name']} exists"
        config = configs[ref["name"]]
        env.update({**config.get("data", {}), **config.get("stringData", {})})
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as the app would read them from `env` (validation errors raise)."""
    unknown = set(env) - KNOWN_ENV
    assert not unknown, f"settings unknown to shared/config.py: {unknown}"
    for key in KNOWN_ENV:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    return Settings()


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_every_manifest_parses() -> None:
    files = [*ROOT.glob("k8s/**/*.yaml"), ROOT / "docker-compose.yml", *ROOT.glob("deploy/**/*.yml")]
    assert len(files) > 18
    for path in files:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert docs, path
        if path.name != "prometheus-adapter-values.yaml" and "k8s" in path.parts:
            assert all("kind" in d and "apiVersion" in d for d in docs), path
    assert set(OVERLAYS) >= {"dev", "prod"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_is_consistent_with_the_app(overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = build(ROOT / "k8s" / "overlays" / overlay)
    ids = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(ids) == len(set(ids)), "no resource defined twice"
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {"svgai"}
    assert set(by_kind(docs, "Namespace")) == {"svgai"}
    routes, pods = app_paths(), workloads(docs)
    assert {"api", "worker-cpu", "worker-gpu"} <= set(pods)
    for name, workload in pods.items():
        assert selects(workload["spec"]["selector"]["matchLabels"], pod_labels(workload)), name
        selector = workload["spec"]["selector"]["matchLabels"]
        others = [n for n, w in pods.items() if n != name and selects(selector, pod_labels(w))]
        assert not others, f"{name}'s selector also selects {others}"
        spec = workload["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe"):
                check = container.get(probe)
                assert check, f"{name}/{container['name']} has a {probe}"
                if "httpGet" in check:
                    assert check["httpGet"]["path"] in routes, f"{name}: {check['httpGet']['path']} is served"
                    assert check["httpGet"]["port"] in ports
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) & set(resources["limits"])
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
            assert security["capabilities"]["drop"] == ["ALL"]
    # the gateway's probes are /healthz and /readyz on the port `svgai serve` listens on (Dockerfile CMD)
    api = pods["api"]["spec"]["template"]["spec"]["containers"][0]
    assert (api["livenessProbe"]["httpGet"]["path"], api["readinessProbe"]["httpGet"]["path"]) == (
        "/healthz", "/readyz")
    assert [p["containerPort"] for p in api["ports"]] == [8000]
    for name, container in svgai_containers(docs).items():
        settings = settings_from(container_env(docs, container), monkeypatch)
        if "worker" in container.get("args", []):
            queues = set(option(container["args"], "--queues").split(","))
            assert queues <= {settings.queue_tier2, settings.queue_tier3, settings.queue_webhooks}, name
    for name, service in by_kind(docs, "Service").items():
        targets = [w for w in pods.values() if selects(service["spec"]["selector"], pod_labels(w))]
        assert targets, f"service {name} selects a workload"
        ports = {p["name"] for w in targets for c in w["spec"]["template"]["spec"]["containers"]
                 for p in c.get("ports", [])}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaling_targets_real_deployments_and_queues(overlay: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    docs = build(ROOT / "k8s" / "overlays" / overlay)
    deployments = by_kind(docs, "Deployment")
    containers = svgai_containers(docs)
    settings = settings_from(container_env(docs, containers["worker-cpu"]), monkeypatch)
    scaled_queues: dict[str, set[str]] = {}
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    for hpa in hpas.values():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        for metric in hpa["spec"]["metrics"]:
            if metric["type"] == "External":
                assert metric["external"]["metric"]["name"] == "svgai_queue_depth"
                queue = metric["external"]["metric"]["selector"]["matchLabels"]["queue"]
                scaled_queues.setdefault(target["name"], set()).add(queue)
    assert hpas["api"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    secrets = by_kind(docs, "Secret")
    for obj in by_kind(docs, "ScaledObject").values():
        target = obj["spec"]["scaleTargetRef"]["name"]
        assert target in deployments and target not in hpas, f"{target}: scaled by KEDA and an HPA at once"
        for trigger in obj["spec"]["triggers"]:
            assert trigger["type"] == "redis"
            scaled_queues.setdefault(target, set()).add(trigger["metadata"]["listName"])
            auth = by_kind(docs, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
            assert all(ref["name"] in secrets for ref in auth["spec"]["secretTargetRef"])
            # KEDA reads the same Redis as the app: the in-cluster Service's DNS name, or the URL's host
            host, port = trigger["metadata"]["address"].rsplit(":", 1)
            url = urlparse(settings.redis_url)
            if url.hostname == "redis":
                assert host == "redis.svgai.svc.cluster.local" and port == "6379"
                assert "redis" in by_kind(docs, "Service")
            else:
                assert (host, int(port)) == (url.hostname, url.port)
                assert trigger["metadata"]["enableTLS"] == ("true" if url.scheme == "rediss" else "false")
    assert scaled_queues["worker-cpu"] == {settings.queue_tier2, settings.queue_tier3}
    for name, queues in scaled_queues.items():
        consumed = set(option(containers[name]["args"], "--queues").split(","))
        assert queues <= consumed, f"{name} is scaled on queues it does not consume"
    for name in ("worker-cpu", "worker-gpu"):
        grace = deployments[name]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > hard_limit_s(), "Celery's warm shutdown lets the longest job finish before SIGKILL"
    gpu = deployments["worker-gpu"]["spec"]["template"]["spec"]
    assert gpu["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert gpu["tolerations"][0]["key"] == "nvidia.com/gpu" and gpu["nodeSelector"]
    pdbs = by_kind(docs, "PodDisruptionBudget")
    assert set(pdbs) == {"api", "worker-cpu", "worker-gpu"}
    for pdb in pdbs.values():
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert sum(selects(selector, pod_labels(d)) for d in deployments.values()) == 1
        assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow", "unready pods never block drains"
    scaled = by_kind(docs, "ScaledObject")
    if "worker-gpu" in scaled:  # scales from zero: not for one job (KEDA's default activation is 0)
        assert scaled["worker-gpu"]["spec"]["minReplicaCount"] == 0
        (gpu_trigger,) = scaled["worker-gpu"]["spec"]["triggers"]
        cpu_trigger = next(t for t in scaled["worker-cpu"]["spec"]["triggers"]
                           if t["metadata"]["listName"] == gpu_trigger["metadata"]["listName"])
        activation = int(gpu_trigger["metadata"]["activationListLength"])
        assert activation >= int(cpu_trigger["metadata"]["listLength"]) > 0, "deep backlog only"


def test_queue_depth_hpa_reads_the_gateways_gauge() -> None:
    gauge, labels = app_facts()["queue_depth"]
    values = yaml.safe_load(ADAPTER_VALUES.read_text())
    (rule,) = values["rules"]["external"]
    metric = rule["seriesQuery"].split("{", 1)[0]
    assert metric == gauge == "svgai_queue_depth" and "queue" in labels
    assert rule["name"]["as"] == metric and "by (queue)" in rule["metricsQuery"]
    assert rule["metricsQuery"].startswith("max("), "every gateway replica reports the same LLEN"
    docs = build(ROOT / "k8s" / "overlays" / "prod-hpa")
    assert not by_kind(docs, "ScaledObject"), "KEDA and the HPAs must not both scale the workers"
    external = [m["external"]["metric"]["name"] for h in by_kind(docs, "HorizontalPodAutoscaler").values()
                for m in h["spec"]["metrics"] if m["type"] == "External"]
    assert external and set(external) == {rule["name"]["as"]}
    monitor = by_kind(docs, "ServiceMonitor")["api"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics" and "/metrics" in app_paths()
    service = by_kind(docs, "Service")["api"]
    assert selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_takes_traffic_from_outside(overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = build(ROOT / "k8s" / "overlays" / overlay)
    policies = by_kind(docs, "NetworkPolicy")
    assert policies["default-deny"]["spec"]["podSelector"] == {}
    assert set(policies["default-deny"]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    pods = workloads(docs)

    def selected(policy: Doc) -> set[str]:
        selector = policy["spec"]["podSelector"]
        names = set()
        for name, workload in pods.items():
            labels = pod_labels(workload)
            if not selects(selector.get("matchLabels", {}), labels):
                continue
            if all(labels.get(e["key"]) in e["values"] for e in selector.get("matchExpressions", [])):
                names.add(name)
        return names

    ingress = {name: p for name, p in policies.items() if p["spec"].get("ingress")}
    open_to_all = [p for p in ingress.values() if any(not rule.get("from") for rule in p["spec"]["ingress"])]
    assert set().union(*(selected(p) for p in open_to_all)) == {"api"}
    reachable = set().union(*(selected(p) for p in ingress.values()))
    workers = {"worker-cpu", "worker-gpu"}
    assert reachable == ({"api", "redis"} | workers if "redis" in pods else {"api"} | workers)
    for rule in policies["api-ingress"]["spec"]["ingress"]:
        assert [p["port"] for p in rule["ports"]] == [8000]
    if "redis" in pods:
        assert all(rule["from"] for rule in policies["redis-ingress"]["spec"]["ingress"])
    # workers take traffic only from the monitoring namespace, on their metrics port
    scrape = policies["worker-metrics-ingress"]
    assert selected(scrape) == workers
    (rule,) = scrape["spec"]["ingress"]
    monitoring = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    assert rule["from"] == [{"namespaceSelector": monitoring}]
    assert [p["port"] for p in rule["ports"]] == ["metrics"]
    metrics_port = Settings.model_fields["worker_metrics_port"].default if "worker_metrics_port" in \
        Settings.model_fields else 9808
    for name in workers:
        workload = pods[name]
        container = workload["spec"]["template"]["spec"]["containers"][0]
        assert {"name": "metrics", "containerPort": metrics_port} in container["ports"], name
        annotations = workload["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(metrics_port)
    assert selected(policies["worker-webhook-egress"]) == workers
    env = container_env(docs, svgai_containers(docs)["api"])
    redis_port = urlparse(settings_from(env, monkeypatch).redis_url).port
    egress_ports = {p["port"] for rule in policies["svgai-egress"]["spec"]["egress"] for p in rule["ports"]}
    assert {redis_port, 53} <= egress_ports


def test_webhook_egress_matches_the_apps_url_check(monkeypatch: pytest.MonkeyPatch,
                                                   request: pytest.FixtureRequest) -> None:
    """The NetworkPolicy lets workers reach what api/webhook_urls.py accepts (any TCP port, IPv4 and
    IPv6, public addresses) and nothing it refuses: every excepted range is refused by the app, and
    sample internal and public addresses land on the same side of both. The app's default allow-list
    (none) is the one compared: the service tests' session fixtures allow loopback in the environment."""
    from api.webhook_urls import check_webhook_url
    from shared.config import get_settings
    from shared.errors import ParameterError

    monkeypatch.delenv("SVGAI_WEBHOOK_ALLOW", raising=False)
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)  # later tests read the restored environment

    def app_accepts(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        host = f"[{ip}]" if ip.version == 6 else str(ip)
        try:
            check_webhook_url(f"https://{host}:8443/hook")
        except ParameterError:
            return False
        return True

    policy = by_kind(build(ROOT / "k8s" / "overlays" / "dev"), "NetworkPolicy")["worker-webhook-egress"]
    (rule,) = policy["spec"]["egress"]
    assert rule["ports"] == [{"protocol": "TCP"}], "any TCP port, as the app accepts any port"
    blocks = [(ipaddress.ip_network(b["ipBlock"]["cidr"]),
               [ipaddress.ip_network(e) for e in b["ipBlock"]["except"]]) for b in rule["to"]]
    assert sorted(str(cidr) for cidr, _ in blocks) == ["0.0.0.0/0", "::/0"], "IPv4 and IPv6"

    def policy_allows(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip in cidr and not any(ip in e for e in excepts) for cidr, excepts in blocks
                   if cidr.version == ip.version)

    for _, excepts in blocks:
        for network in excepts:
            for ip in (network[0], network[network.num_addresses // 2], network[-1]):
                assert not app_accepts(ip), f"{network} is excepted but the app accepts {ip}"
    samples = ["10.1.2.3", "172.31.255.1", "192.168.0.10", "169.254.169.254", "127.0.0.1", "0.0.0.0",
               "224.0.0.251", "255.255.255.255", "198.18.0.1", "::1", "fd12:3456::1", "fe80::1", "ff02::1",
               "::ffff:10.0.0.1", "2001:db8::1", "8.8.8.8", "1.1.1.1", "93.184.216.34",
               "2606:4700:4700::1111", "2a00:1450:4001::200e"]
    for sample in map(ipaddress.ip_address, samples):
        assert policy_allows(sample) == app_accepts(sample), sample


def _metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression reads (svgai's own, the HTTP instrumentation's, `up`)."""
    return set(re.findall(r"\b(svgai_\w+|http_\w+|up)\b(?=\s*[{\[)])", expr))


def test_alert_rules_and_dashboard_read_metrics_the_app_exports() -> None:
    alerts = yaml.safe_load((ROOT / "deploy" / "alerts.yml").read_text())
    rule = yaml.safe_load((ROOT / "k8s" / "components" / "monitoring" / "prometheusrule.yaml").read_text())
    assert rule["spec"]["groups"] == alerts["groups"], "PrometheusRule and deploy/alerts.yml are one rule set"
    rules = {r["alert"]: r for group in alerts["groups"] for r in group["rules"]}
    assert {"SvgaiQueueBacklogGrowing", "SvgaiConversionFailureRatioHigh", "SvgaiApiLatencyP95High",
            "SvgaiJobsStuck", "SvgaiWorkersAbsent"} <= set(rules)
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "svgai.json").read_text())
    (source,) = yaml.safe_load((ROOT / "deploy" / "grafana" / "provisioning" / "datasources" /
                                "prometheus.yml").read_text())["datasources"]
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert all(target["datasource"]["uid"] == source["uid"] for panel in dashboard["panels"]
               for target in panel["targets"])
    exported = set(app_facts()["metrics"]) | {"up"}
    read = set().union(*map(_metric_names, [*queries, *(r["expr"] for r in rules.values())]))
    assert read and read <= exported, f"not exported by the app: {read - exported}"
    for metric in ("svgai_jobs_total", "svgai_conversion_seconds_bucket", "svgai_conversion_ssim_bucket",
                   "svgai_queue_depth", "svgai_cache_total", "svgai_webhook_deliveries_total",
                   "http_requests_total"):
        assert any(metric in q for q in queries), f"the dashboard shows {metric}"
    # the job names the rules use are the ones compose's Prometheus and the k8s monitors give the targets
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in prometheus["scrape_configs"]}
    monitors = [d for d in yaml.safe_load_all((ROOT / "k8s" / "components" / "monitoring" /
                                               "servicemonitor.yaml").read_text())]
    relabelled = {r["replacement"] for m in monitors for e in m["spec"].get("endpoints", [])
                  + m["spec"].get("podMetricsEndpoints", []) for r in e["relabelings"]}
    assert jobs == relabelled == {"svgai-api", "svgai-worker"}
    used = set(re.findall(r'job="([\w-]+)"', " ".join([*queries, *(r["expr"] for r in rules.values())])))
    assert used == jobs


@pytest.mark.skipif(shutil.which("promtool") is None, reason="make test installs promtool (Debian)")
def test_promtool_checks_rules_config_and_dashboard_queries(tmp_path: Path) -> None:
    deploy = ROOT / "deploy"
    for args in (["check", "config", str(deploy / "prometheus.yml")],
                 ["test", "rules", str(deploy / "alerts.test.yml")]):
        out = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
    # every dashboard query must parse: promtool checks them as recording rules
    dashboard = json.loads((deploy / "grafana" / "dashboards" / "svgai.json").read_text())
    records = [{"record": f"svgai:panel{i}", "expr": target["expr"]}
               for i, panel in enumerate(dashboard["panels"]) for target in panel["targets"]]
    (tmp_path / "queries.yml").write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": records}]}))
    out = subprocess.run(["promtool", "check", "rules", str(tmp_path / "queries.yml")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of names and strings and marks blocks; drop both, recursively."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def _terraform(module: Path) -> tuple[list[Doc], str]:
    files = sorted(module.glob("*.tf"))
    return [_unquote(hcl2.loads(f.read_text())) for f in files], "\n".join(f.read_text() for f in files)


def test_terraform_parses_pins_versions_and_uses_every_variable() -> None:
    pins_seen = []
    modules = [ROOT / "terraform" / "modules" / "svgai", ROOT / "terraform" / "examples" / "basic"]
    declared: dict[Path, dict[str, Doc]] = {}
    for module in modules:
        parsed, text = _terraform(module)
        declared[module] = {name: body for doc in parsed for block in doc.get("variable", [])
                            for name, body in block.items()}
        assert declared[module], module
        for name, body in declared[module].items():
            assert re.search(rf"\bvar\.{name}\b", text), f"{module.name}: variable {name} is unused"
            assert body.get("description"), f"{module.name}: variable {name} has a description"
        pins = {name: spec["version"] for doc in parsed for block in doc.get("terraform", [])
                for req in block.get("required_providers", []) for name, spec in req.items()}
        assert pins and all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pins.values()), "exact provider pins"
        pins_seen.append(pins)
        assert any("required_version" in block for doc in parsed for block in doc.get("terraform", []))
    assert pins_seen[0] == pins_seen[1], "module and example pin the same providers"
    module_vars = declared[modules[0]]
    parsed, _ = _terraform(modules[1])
    (call,) = [body for doc in parsed for block in doc.get("module", []) for body in block.values()]
    passed = set(call) - {"source"}
    assert passed <= set(module_vars), passed - set(module_vars)
    required = {name for name, body in module_vars.items() if "default" not in body}
    assert required <= passed, f"the example leaves required variables unset: {required - passed}"
    environments = re.findall(r'"(\w+)"', str(declared[modules[1]]["environment"]["validation"]))
    assert {"dev", "prod"} <= set(environments)
    assert all((ROOT / "k8s" / "overlays" / env).is_dir() for env in ("dev", "prod"))


def test_terraform_keys_resources_by_ids_known_at_plan() -> None:
    """for_each keys must be known at plan: the patched overlay reads the ElastiCache endpoint, unknown
    before the first apply, so the resources are keyed by an unpatched rendering of the same overlay."""
    parsed, _ = _terraform(ROOT / "terraform" / "modules" / "svgai")
    overlays = {name: body for doc in parsed for block in doc.get("data", [])
                for name, body in block.get("kustomization_overlay", {}).items()}
    resources = {name: body for doc in parsed for block in doc.get("resource", [])
                 for name, body in block.get("kustomization_resource", {}).items()}
    assert len(resources) == 3
    for name, body in resources.items():
        keyed_by = re.fullmatch(r"\$\{data\.kustomization_overlay\.(\w+)\.ids_prio\[\d\]\}", body["for_each"])
        assert keyed_by, f"{name} iterates an overlay's ids_prio"
        static = overlays[keyed_by[1]]
        assert set(static) == {"resources"}, f"{name}: keyed by an overlay with patches: {set(static)}"
        source = re.fullmatch(r"\$\{data\.kustomization_overlay\.(\w+)\.manifests\[each\.value\]\}",
                              body["manifest"])
        assert source and source[1] != keyed_by[1] and {"patches", "dynamic"} & set(overlays[source[1]])
        assert overlays[source[1]]["resources"] == static["resources"], "the same overlay, patched"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary")
def test_terraform_is_formatted() -> None:
    out = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", str(ROOT / "terraform")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout


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
    metrics_port = Settings.model_fields["worker_metrics_port"].default if "worker_metrics_port" in \
        Settings.model_fields else 9808
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
