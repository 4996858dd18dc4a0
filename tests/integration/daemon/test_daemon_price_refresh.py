"""Issue 12 item 5's last part against the real daemon: a pricing API that hangs does not hold the tick. The daemon
runs its own scheduler (tick every second, the price-refresh task beside it); the EC2 endpoint (real boto3) holds
its first request open until the test lets go. Meanwhile ticks keep being published, pricing the spot node from
what is known without the API (here the embedded catalog); once the endpoint answers (a 503), the refresh records
the failure, and stopping the daemon does not wait for the API."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from monitor.config.settings import KubeSettings, PricingSettings, Settings, StoreSettings
from monitor.core.clock import ManualClock
from monitor.core.domain.result import TickResult
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon
from tests.fixtures.apiserver import eventually
from tests.integration.daemon.test_daemon_last_good_price import spot_node
from tests.integration.pricing.servers import Reply, Request, serve


def test_a_hanging_pricing_endpoint_does_not_hold_the_tick(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")  # boto3 signs the request; the local endpoint reads nothing of it
    server.create(spot_node())
    arrived, release = threading.Event(), threading.Event()

    def hang(_: Request) -> Reply:
        arrived.set()
        release.wait(60)
        return Reply(503, "<html>Service Unavailable</html>", {"Content-Type": "text/html"})

    with serve(hang) as ec2:
        settings = Settings(
            cluster="it",
            listen="127.0.0.1:0",
            tick_seconds=1.0,
            kube=KubeSettings(api_url=server.url, request_timeout_seconds=2.0, watch_timeout_seconds=3),
            store=StoreSettings(url=f"sqlite:///{tmp_path / 'ts.db'}"),
            pricing=PricingSettings(aws_enabled=True, aws_ec2_endpoint_url=ec2.url, request_timeout_seconds=90),
        )
        daemon = build_daemon(settings, clock)
        ticks: list[TickResult] = []
        during: list[TickResult] = []
        daemon.on_tick.append(ticks.append)
        daemon.on_tick.append(lambda r: during.append(r) if arrived.is_set() and not release.is_set() else None)
        daemon.start()
        try:
            assert arrived.wait(30), "the price-refresh task never asked the EC2 endpoint"
            eventually(
                lambda: sum(1 for r in during if r.nodes) >= 3, timeout_seconds=30, what="ticks while the API hangs"
            )
            held = [r for r in during if r.nodes]
            assert all(r.nodes[0].price.source == "catalog" for r in held)
            assert len(ec2.requests) == 1  # only the refresh asked, once; no tick did
            release.set()
            eventually(
                lambda: bool(ticks) and ticks[-1].stats.api_errors.get("pricing:aws", 0) >= 1,
                timeout_seconds=30,
                what="the refresh to record the API failure",
            )
        finally:
            release.set()
            started = time.monotonic()
            daemon.stop()
            stopped_in = time.monotonic() - started
    assert stopped_in < 20
