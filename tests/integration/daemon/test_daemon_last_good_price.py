"""Issue 12 item 4 against the real daemon: it learns a spot price from EC2 (real boto3 against moto), is restarted
while the EC2 endpoint answers 503s, and prices the node from the last good price the store kept (stale = 1 on
/metrics), not from the embedded catalog, and counts the failures in trainspend_api_errors_total{adapter="pricing:aws"},
the series the StalePrices runbook (docs/runbooks.md) sends operators to; once the API answers again the price is
fresh."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from monitor.config.settings import KubeSettings, PricingSettings, Settings, StoreSettings
from monitor.core.clock import ManualClock
from monitor.core.domain.result import TickResult
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon
from monitor.runtime.daemon import Daemon
from tests.integration.pricing.servers import Reply, serve


def settings(server: LocalApiServer, db: Path, ec2_url: str) -> Settings:
    return Settings(
        cluster="it",
        listen="127.0.0.1:0",
        kube=KubeSettings(api_url=server.url, request_timeout_seconds=2.0, watch_timeout_seconds=3),
        store=StoreSettings(url=f"sqlite:///{db}"),
        pricing=PricingSettings(aws_enabled=True, aws_ec2_endpoint_url=ec2_url, request_timeout_seconds=10),
    )


def spot_node() -> dict[str, object]:
    # The label set Karpenter puts on an EC2 spot node (karpenter.sh/capacity-type, well-known topology labels).
    labels = {
        "node.kubernetes.io/instance-type": "g5.xlarge",
        "topology.kubernetes.io/region": "us-east-1",
        "topology.kubernetes.io/zone": "us-east-1b",
        "karpenter.sh/capacity-type": "spot",
    }
    return objects.node("n-spot", labels, gpus=1, provider_id="aws:///us-east-1b/i-0abc")


def run_once(daemon: Daemon, refresh_first: bool = True) -> tuple[TickResult, str]:
    """One tick after the daemon's price-refresh task ran once (the tick itself never calls a pricing API)."""
    daemon.http.start()
    daemon.source.start()
    try:
        assert daemon.source.wait_synced(10)
        if refresh_first:
            daemon.refresh_prices()
        result = daemon.tick()
        with urllib.request.urlopen(daemon.url + "/metrics", timeout=10) as response:  # 127.0.0.1
            assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            metrics = response.read().decode()
    finally:
        daemon.stop()
    return result, metrics


def stale_metric(metrics: str) -> float:
    match = re.search(r'^trainspend_price_stale\{[^}]*node="n-spot"[^}]*\} (\S+)$', metrics, re.MULTILINE)
    assert match is not None, "no trainspend_price_stale for the node"
    return float(match.group(1))


def pricing_errors(metrics: str) -> float:
    match = re.search(r'^trainspend_api_errors_total\{[^}]*adapter="pricing:aws"[^}]*\} (\S+)$', metrics, re.MULTILINE)
    assert match is not None, "no trainspend_api_errors_total for the AWS pricing adapter"
    return float(match.group(1))


def test_restart_during_a_pricing_outage_keeps_the_last_good_price(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path, moto_url: str
) -> None:
    db = tmp_path / "ts.db"
    server.create(spot_node())
    good, metrics = run_once(build_daemon(settings(server, db, moto_url), clock))
    (learned,) = good.nodes
    assert learned.price.source == "aws-spot-history"
    assert stale_metric(metrics) == 0.0
    assert pricing_errors(metrics) == 0.0

    clock.advance(7200)
    with serve(lambda _: Reply(503, "<html>Service Unavailable</html>", {"Content-Type": "text/html"})) as down:
        # before its first refresh the restarted daemon's tick already prices from the store, stale, asking no API
        first, _ = run_once(build_daemon(settings(server, db, down.url), clock), refresh_first=False)
        assert down.requests == []
        assert (first.nodes[0].price.source, first.nodes[0].price.stale) == ("aws-spot-history", True)
        during, metrics = run_once(build_daemon(settings(server, db, down.url), clock))
        assert down.requests, "the refresh asked the API"
    (node,) = during.nodes
    assert node.price.source == "aws-spot-history"
    assert node.price.usd_per_hour == learned.price.usd_per_hour
    assert node.price.stale
    assert stale_metric(metrics) == 1.0
    assert pricing_errors(metrics) >= 1.0

    clock.advance(7200)
    after, metrics = run_once(build_daemon(settings(server, db, moto_url), clock))
    assert not after.nodes[0].price.stale
    assert stale_metric(metrics) == 0.0
