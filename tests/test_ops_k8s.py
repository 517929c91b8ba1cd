"""Offline checks of the Kubernetes overlays (rendered by `kubectl kustomize`, schema-checked in
tests/test_ops_kustomize.py) and the monitoring files against the application: workloads, probes,
Services and settings, the autoscalers (HPAs, KEDA, the prometheus-adapter rule) and disruption
budgets, the network policies (webhook egress against the app's URL check), and the alert rules and
Grafana dashboard (the metrics they read, promtool)."""

import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from tests.ops_app import ROOT, Doc, app_facts, app_paths, hard_limit_s, settings_from, worker_metrics_port
from tests.test_ops_kustomize import OVERLAYS, build

ADAPTER_VALUES = ROOT / "k8s" / "components" / "queue-depth-hpa" / "prometheus-adapter-values.yaml"


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
    metrics_port = worker_metrics_port()
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
