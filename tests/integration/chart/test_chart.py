"""The Helm chart rendered by the real helm binary and validated offline with kubernetes-validate --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.binaries import ROOT, require_binary

CHART = ROOT / "charts" / "trainspend"
EXAMPLES = sorted((ROOT / "deploy" / "examples").glob("values-*.yaml"))
VALUE_SETS: list[tuple[str, list[str]]] = [
    ("default", []),
    (
        "all-features",
        [
            "--set",
            "serviceMonitor.enabled=true",
            "--set",
            "prometheusRule.enabled=true",
            "--set",
            "dashboards.enabled=true",
            "--set",
            "networkPolicy.enabled=true",
            "--set",
            "replicaCount=2",
            "--set",
            "externalDatabase.existingSecret=trainspend-db",
        ],
    ),
    (
        "kube-prometheus-stack",
        [
            "-f",
            str(ROOT / "tests" / "integration" / "chart" / "values-kube-prometheus-stack.yaml"),
        ],
    ),
    ("locked-down", ["-f", str(ROOT / "tests" / "integration" / "chart" / "values-locked-down.yaml")]),
    *[(p.stem, ["-f", str(p)]) for p in EXAMPLES],
]


def _helm(*args: str) -> str:
    helm = require_binary("helm")
    proc = subprocess.run([helm, *args], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _render(extra: list[str]) -> list[dict[str, Any]]:
    out = _helm("template", "ts", str(CHART), "--namespace", "trainspend", *extra)
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.mark.parametrize(("name", "extra"), VALUE_SETS, ids=[v[0] for v in VALUE_SETS])
def test_lint_template_and_strict_validation(name: str, extra: list[str], tmp_path: Path) -> None:
    _helm("lint", "--strict", str(CHART), *extra)
    docs = _render(extra)
    core = [d for d in docs if not d["apiVersion"].startswith("monitoring.coreos.com/")]
    manifest = tmp_path / f"{name}.yaml"
    manifest.write_text(yaml.safe_dump_all(core))
    proc = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", str(manifest)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_deployment_is_hardened_and_probed() -> None:
    docs = _render([])
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = pod["containers"][0]
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/data", "/tmp", "/etc/trainspend"}


def test_rbac_writes_only_events_and_leases() -> None:
    docs = _render(["--set", "replicaCount=2", "--set", "externalDatabase.existingSecret=db"])
    write_verbs = {"create", "update", "patch", "delete", "deletecollection", "*"}
    for doc in docs:
        if doc["kind"] not in {"ClusterRole", "Role"}:
            continue
        for rule in doc["rules"]:
            writes = write_verbs & set(rule["verbs"])
            if writes:
                assert set(rule["resources"]) <= {"events", "leases"}, rule
                assert "delete" not in writes
                assert "*" not in writes
            if "leases" in rule["resources"]:
                assert doc["kind"] == "Role", "leases only in the release namespace"
                # the elector reads, creates and replaces its own Lease (monitor/adapters/kube/leader.py), nothing more
                if rule["verbs"] != ["create"]:
                    assert rule.get("resourceNames") == ["trainspend-leader"], rule
                    assert set(rule["verbs"]) == {"get", "update"}, rule
    clusterrole = next(d for d in docs if d["kind"] == "ClusterRole")
    readable = {r for rule in clusterrole["rules"] for r in rule["resources"] if "watch" in rule["verbs"]}
    assert readable >= {
        "nodes",
        "pods",
        "jobs",
        "pytorchjobs",
        "jobsets",
        "rayjobs",
        "resourceclaims",
        "resourceslices",
    }


def test_several_replicas_on_sqlite_are_refused_and_a_users_store_url_is_kept() -> None:
    helm = require_binary("helm")
    proc = subprocess.run(
        [helm, "template", "ts", str(CHART), "--set", "replicaCount=2"], capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    assert "externalDatabase.existingSecret" in proc.stderr
    cm = next(d for d in _render(["--set", "config.store.url=postgresql://db/ts"]) if d["kind"] == "ConfigMap")
    assert yaml.safe_load(cm["data"]["config.yaml"])["store"]["url"] == "postgresql://db/ts"
    default = next(d for d in _render([]) if d["kind"] == "ConfigMap")
    assert yaml.safe_load(default["data"]["config.yaml"])["store"]["url"] == "sqlite:////data/trainspend.db"


def test_leader_election_turns_on_with_replicas() -> None:
    def config(extra: list[str]) -> dict[str, Any]:
        cm = next(d for d in _render(extra) if d["kind"] == "ConfigMap")
        return dict(yaml.safe_load(cm["data"]["config.yaml"]))

    assert config([])["leader"]["enabled"] is False
    two = config(["--set", "replicaCount=2", "--set", "externalDatabase.existingSecret=db"])
    assert two["leader"]["enabled"] is True
    assert two["leader"]["lease_namespace"] == "trainspend"


def test_prometheus_rule_equals_deploy_rules() -> None:
    docs = _render(["--set", "prometheusRule.enabled=true"])
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    shipped = yaml.safe_load((ROOT / "deploy" / "prometheus" / "trainspend-rules.yaml").read_text())
    assert rule["spec"] == shipped


def test_alert_thresholds_and_runbook_base_are_values_checked_by_promtool(tmp_path: Path) -> None:
    """The rules rendered from prometheusRule.thresholds pass `promtool check rules`, carry the values set, and the
    promtool unit tests of the shipped rules pass against them where the thresholds they exercise are unchanged."""
    promtool = require_binary("promtool")
    docs = _render(
        [
            "--set",
            "prometheusRule.enabled=true",
            "--set",
            "prometheusRule.thresholds.idleGpuUsdPerHour=75",
            "--set",
            "prometheusRule.thresholds.lowGpuUtilizationRatio=0.35",
            "--set",
            "prometheusRule.thresholds.lowGpuUtilizationFor=1h",
            "--set",
            "prometheusRule.runbookBaseUrl=https://wiki.example.com/ml/runbooks/",
        ]
    )
    spec = next(d for d in docs if d["kind"] == "PrometheusRule")["spec"]
    rules = {r["alert"]: r for g in spec["groups"] for r in g["rules"]}
    assert rules["TrainspendIdleGPUCost"]["expr"].endswith("> 75")
    low = rules["TrainspendJobLowGPUUtilization"]
    assert "< 0.35" in low["expr"]
    assert low["for"] == "1h"
    assert "under 0.35 for 1h" in low["annotations"]["description"]
    assert all(
        r["annotations"]["runbook_url"].startswith("https://wiki.example.com/ml/runbooks#") for r in rules.values()
    )
    rendered = tmp_path / "rules.yaml"
    rendered.write_text(yaml.safe_dump(spec))
    check = subprocess.run([promtool, "check", "rules", str(rendered)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("prometheusRule.thresholds.idleGpuFor=5m) or vector(1", "idleGpuFor"),
        ("prometheusRule.thresholds.lowGpuUtilizationRatio=2", "lowGpuUtilizationRatio"),
        ("prometheusRule.thresholds.idleGpuUsdPerHr=75", "idleGpuUsdPerHr"),
    ],
)
def test_a_threshold_that_is_not_one_is_refused_naming_it(value: str, complaint: str) -> None:
    helm = require_binary("helm")
    proc = subprocess.run(
        [helm, "template", "t", str(CHART), "--set", "prometheusRule.enabled=true", "--set", value],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert complaint in proc.stderr


def test_dcgm_settings_reach_the_config_and_open_egress_to_prometheus_and_dcgm_exporter() -> None:
    def egress_ports(extra: list[str]) -> set[int]:
        policy = next(d for d in _render(extra) if d["kind"] == "NetworkPolicy")
        return {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}

    assert not egress_ports([]) & {9090, 9400}  # off by default: no extra egress
    on = ["--set", "config.dcgm.enabled=true", "--set", "config.dcgm.prometheus_url=http://prom.monitoring:9090"]
    assert {9090, 9400} <= egress_ports(on)
    cm = next(d for d in _render(on) if d["kind"] == "ConfigMap")
    dcgm = yaml.safe_load(cm["data"]["config.yaml"])["dcgm"]
    assert (dcgm["enabled"], dcgm["prometheus_url"], dcgm["metric"]) == (
        True,
        "http://prom.monitoring:9090",
        "DCGM_FI_DEV_GPU_UTIL",
    )


def test_dcgm_service_grants_list_on_endpointslices_in_its_namespace_only() -> None:
    def endpoint_rules(extra: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (d["kind"], d["metadata"].get("namespace", ""), rule)
            for d in _render(extra)
            if d["kind"] in {"ClusterRole", "Role"}
            for rule in d["rules"]
            if "endpointslices" in rule["resources"]
        ]

    assert endpoint_rules([]) == []  # DCGM off: no access to any EndpointSlice
    on = ["--set", "config.dcgm.enabled=true", "--set", "config.dcgm.service=gpu-operator/nvidia-dcgm-exporter"]
    ((kind, namespace, rule),) = endpoint_rules(on)
    assert (kind, namespace, rule["apiGroups"], rule["verbs"]) == (
        "Role",
        "gpu-operator",
        ["discovery.k8s.io"],
        ["list"],
    )
    binding = next(d for d in _render(on) if d["kind"] == "RoleBinding" and "dcgm" in d["metadata"]["name"])
    assert binding["metadata"]["namespace"] == "gpu-operator"
    assert binding["subjects"][0]["namespace"] == "trainspend"  # the release's service account
    cm = next(d for d in _render(on) if d["kind"] == "ConfigMap")
    dcgm = yaml.safe_load(cm["data"]["config.yaml"])["dcgm"]
    assert (dcgm["service"], dcgm["service_port"]) == ("gpu-operator/nvidia-dcgm-exporter", "gpu-metrics")
    prometheus = [*on, "--set", "config.dcgm.prometheus_url=http://prom.monitoring:9090"]
    assert endpoint_rules(prometheus) == []  # read from Prometheus: the Service is not listed


def test_postgres_url_comes_from_a_secret() -> None:
    docs = _render(["--set", "externalDatabase.existingSecret=db"])
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    env = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    url = next(e for e in env if e["name"] == "TRAINSPEND_STORE__URL")
    assert url["valueFrom"]["secretKeyRef"] == {"name": "db", "key": "url"}


def _kind(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind)


def test_fits_kube_prometheus_stack_selectors_and_follows_config_listen() -> None:
    docs = _render(["-f", str(ROOT / "tests" / "integration" / "chart" / "values-kube-prometheus-stack.yaml")])
    monitor, rule = _kind(docs, "ServiceMonitor"), _kind(docs, "PrometheusRule")
    # kube-prometheus-stack selects ServiceMonitors and rules by its release's name (serviceMonitorSelector,
    # ruleSelector: matchLabels release=<release>)
    assert monitor["metadata"]["labels"]["release"] == rule["metadata"]["labels"]["release"] == "kps"
    assert monitor["metadata"]["namespace"] == "monitoring"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["trainspend"]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert (endpoint["interval"], endpoint["scrapeTimeout"]) == ("60s", "20s")
    assert endpoint["metricRelabelings"][0]["action"] == "drop"
    pod = _kind(docs, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["ports"][0]["containerPort"] == 9090  # from config.listen, not a fixed 8080
    assert container["image"] == "ghcr.io/trainspend/trainspend@sha256:" + "0" * 64
    assert {"name": "TRAINSPEND_EXPORTER__OPENCOST_SERIES", "value": "true"} in container["env"]
    assert pod["priorityClassName"] == "high-priority"
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    default = _render(["--set", "serviceMonitor.enabled=true"])
    assert _kind(default, "ServiceMonitor")["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    bare = _render(["--set", "serviceMonitor.enabled=true", "--set", "prometheusRelease="])
    assert "release" not in _kind(bare, "ServiceMonitor")["metadata"]["labels"]


def _patchable(docs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    clusterrole = _kind(docs, "ClusterRole")
    return {
        (group, resource)
        for rule in clusterrole["rules"]
        if "patch" in rule["verbs"] and "events" not in rule["resources"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }


def _with_budgets(tmp_path: Path, budgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    values = tmp_path / "budgets.yaml"
    values.write_text(yaml.safe_dump({"config": {"budgets": budgets}}))
    _helm("lint", "--strict", str(CHART), "-f", str(values))
    return _render(["-f", str(values)])


def test_suspend_rbac_is_rendered_only_when_a_budget_asks_for_it(tmp_path: Path) -> None:
    alert = {"name": "nlp", "limit_usd": 100}
    suspend = {"name": "sweep", "limit_usd": 50, "action": "suspend"}
    assert _patchable(_with_budgets(tmp_path, [alert])) == set()
    assert _patchable(_with_budgets(tmp_path, [alert, {**suspend, "dry_run": True}])) == set()  # patches nothing
    assert _patchable(_with_budgets(tmp_path, [alert, suspend])) == {
        ("batch", "jobs"),
        ("jobset.x-k8s.io", "jobsets"),
        ("trainer.kubeflow.org", "trainjobs"),
        ("ray.io", "rayjobs"),
        ("ray.io", "rayclusters"),
        ("kubeflow.org", "pytorchjobs"),
        ("kubeflow.org", "tfjobs"),
        ("kubeflow.org", "mpijobs"),
        ("kueue.x-k8s.io", "workloads"),  # a Job Kueue manages: its Workload is deactivated
    }
    assert _patchable(_with_budgets(tmp_path, [{**suspend, "suspend_via": "local_queue"}])) == {
        ("kueue.x-k8s.io", "localqueues")
    }
