"""Who may reach the daemon and what it may reach, as the real helm renders it: the NetworkPolicy on by default
(ingress to the HTTP port only, from Prometheus/Grafana pods; egress to DNS, the API server, HTTPS and PostgreSQL),
and the API token from a Secret, which the ServiceMonitor then scrapes with (prometheus-operator's
`Endpoint.authorization`: type Bearer, credentials a SecretKeySelector; prometheus-operator/prometheus-operator,
Documentation/api.md, SafeAuthorization)."""

from __future__ import annotations

from typing import Any

import yaml

from tests.fixtures.binaries import ROOT
from tests.integration.chart.test_chart import _kind, _render

LOCKED_DOWN = ["-f", str(ROOT / "tests" / "integration" / "chart" / "values-locked-down.yaml")]


def _ports(rule: dict[str, Any]) -> set[tuple[int | str, str]]:
    return {(p["port"], p["protocol"]) for p in rule["ports"]}


def test_the_network_policy_is_on_by_default_and_admits_only_monitoring_to_the_http_port() -> None:
    policy = _kind(_render([]), "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["spec"]["ingress"]
    assert _ports(ingress) == {("http", "TCP")}
    names = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in ingress["from"]}
    assert names == {"prometheus", "grafana"}
    assert all(peer["namespaceSelector"] == {} for peer in ingress["from"])  # those pods in any namespace
    egress = policy["spec"]["egress"]
    dns = egress[0]
    assert _ports(dns) == {(53, "UDP"), (53, "TCP")}
    assert dns["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
    assert {port for rule in egress for port, _ in _ports(rule)} == {53, 443, 6443}  # no database without one


def test_a_locked_down_install_narrows_every_rule() -> None:
    docs = _render(LOCKED_DOWN)
    policy = _kind(docs, "NetworkPolicy")
    (ingress,) = policy["spec"]["ingress"]
    assert ingress["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    egress = policy["spec"]["egress"]
    api = next(rule for rule in egress if rule["to"] == [{"ipBlock": {"cidr": "10.0.0.1/32"}}])
    assert _ports(api) == {(443, "TCP")}
    database = next(rule for rule in egress if (6432, "TCP") in _ports(rule))
    assert database["to"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "pgbouncer"}
    assert egress[-1]["to"] == [{"ipBlock": {"cidr": "169.254.20.10/32"}}]


def test_an_empty_peer_list_opens_the_http_port_only_and_egress_can_be_left_open() -> None:
    policy = _kind(
        _render(["--set", "networkPolicy.ingress.from=null", "--set", "networkPolicy.egress.enabled=false"]),
        "NetworkPolicy",
    )
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert "egress" not in policy["spec"]
    (ingress,) = policy["spec"]["ingress"]
    assert "from" not in ingress
    assert _ports(ingress) == {("http", "TCP")}
    assert not [d for d in _render(["--set", "networkPolicy.enabled=false"]) if d["kind"] == "NetworkPolicy"]


def test_the_api_token_comes_from_a_secret_and_the_service_monitor_sends_it() -> None:
    docs = _render(LOCKED_DOWN)
    env = _kind(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    token = next(e for e in env if e["name"] == "TRAINSPEND_API_TOKEN")
    assert token["valueFrom"]["secretKeyRef"] == {"name": "trainspend-api", "key": "token"}
    (endpoint,) = _kind(docs, "ServiceMonitor")["spec"]["endpoints"]
    assert endpoint["authorization"] == {"type": "Bearer", "credentials": {"name": "trainspend-api", "key": "token"}}
    assert yaml.safe_load(_kind(docs, "ConfigMap")["data"]["config.yaml"]).get("api_token") is None  # never in it


def test_without_a_token_nothing_asks_for_one() -> None:
    docs = _render(["--set", "serviceMonitor.enabled=true"])
    env = _kind(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert "TRAINSPEND_API_TOKEN" not in {e["name"] for e in env}
    (endpoint,) = _kind(docs, "ServiceMonitor")["spec"]["endpoints"]
    assert "authorization" not in endpoint
