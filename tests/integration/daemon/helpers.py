"""Shared pieces of the daemon integration tests: the daemon against the local API server on 127.0.0.1, with prices
overridden so that expectations are hourly price x wall time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.config.settings import KubeSettings, PricingSettings, Settings, StoreSettings
from monitor.core.clock import ManualClock
from monitor.core.domain.result import TickResult
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon
from monitor.runtime.daemon import Daemon
from tests.fixtures.apiserver import eventually

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
P4D = 32.0  # USD per hour, overridden: 8 GPUs → $4 per GPU-hour
P5 = 96.0  # 8 GPUs → $12 per GPU-hour


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def settings_for(server: LocalApiServer, db: Path) -> Settings:
    return Settings(
        cluster="it",
        listen="127.0.0.1:0",
        kube=KubeSettings(
            api_url=server.url,
            request_timeout_seconds=2.0,
            watch_timeout_seconds=3,
            backoff_max_seconds=0.4,
            deleted_pod_tombstone_seconds=7 * 86400.0,
        ),
        store=StoreSettings(url=f"sqlite:///{db}"),
        pricing=PricingSettings(instance_usd_per_hour={"p4d.24xlarge": P4D, "p5.48xlarge": P5}),
    )


def start(server: LocalApiServer, db: Path, clock: ManualClock) -> Daemon:
    daemon = build_daemon(settings_for(server, db), clock)
    daemon.source.start()
    assert daemon.source.wait_synced(10), "cache never synced"
    return daemon


def gpu_node(name: str, instance: str) -> dict[str, object]:
    labels = {
        "node.kubernetes.io/instance-type": instance,
        "topology.kubernetes.io/region": "us-east-1",
        "karpenter.sh/capacity-type": "on-demand",
        "nvidia.com/gpu.count": "8",
    }
    return objects.node(name, labels, gpus=8, provider_id=f"aws:///us-east-1a/i-{name}")


def cost(result: TickResult, name: str) -> float:
    return next(j.cost_usd for j in result.jobs if j.ref.name == name)


def sees(daemon: Daemon, predicate: object) -> None:
    eventually(lambda: predicate(daemon.source.snapshot()), what="the watch to deliver the change")  # type: ignore[operator]
