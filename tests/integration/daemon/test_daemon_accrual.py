"""The whole daemon (real `kubernetes` client over HTTP, SQLite store, pricing chain) against the local API server:
the accrued dollars equal the integral of the hourly price over the pods' wall time, to the cent, through updates,
deletes, dropped watches, a 410 relist, an API outage and daemon restarts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.app import Daemon, build_daemon
from monitor.clock import ManualClock
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from monitor.domain.result import TickResult
from monitor.settings import KubeSettings, PricingSettings, Settings, StoreSettings
from tests.fixtures.apiserver import eventually

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
P4D = 32.0  # USD per hour, overridden: 8 GPUs → $4 per GPU-hour
P5 = 96.0  # 8 GPUs → $12 per GPU-hour


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def server(clock: ManualClock) -> Iterator[LocalApiServer]:
    api = LocalApiServer(clock=clock.now, bookmark_interval_seconds=0.2).start()
    try:
        yield api
    finally:
        api.stop()


def settings_for(server: LocalApiServer, db: Path) -> Settings:
    return Settings(
        cluster="it",
        listen="127.0.0.1:0",
        kube=KubeSettings(
            api_url=server.url,
            request_timeout_seconds=2.0,
            watch_timeout_seconds=3,
            backoff_max_seconds=0.4,
            deleted_pod_grace_seconds=7 * 86400.0,
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


def test_accrual_to_the_cent_through_watch_faults_and_restarts(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path
) -> None:
    db = tmp_path / "ts.db"
    server.create(gpu_node("n-p4d", "p4d.24xlarge"))
    server.create(gpu_node("n-p5", "p5.48xlarge"))
    pt = server.create(objects.custom("kubeflow.org/v1", "PyTorchJob", "llama", "ml", spec={}))
    for name in ("llama-master-0", "llama-worker-0"):
        server.create(
            objects.pod(name, "ml", "n-p4d", {"nvidia.com/gpu": "4"}, started=iso(T0), owners=[objects.owner(pt)])
        )
    daemon = start(server, db, clock)
    try:
        clock.advance(3600)  # 1 h, 8 GPUs x $4
        assert cost(daemon.tick(), "llama") == pytest.approx(32.00, abs=0.005)
        assert cost(daemon.tick(), "llama") == pytest.approx(32.00, abs=0.005)  # a replayed tick adds nothing

        # A dropped watch, then the worker moves to the p5 node (deleted, recreated) after 30 more minutes.
        server.drop_watches()
        clock.advance(1800)
        server.delete("v1", "Pod", "llama-worker-0", "ml")
        t_move = clock.now()
        server.create(
            objects.pod(
                "llama-worker-1", "ml", "n-p5", {"nvidia.com/gpu": "4"}, started=iso(t_move), owners=[objects.owner(pt)]
            )
        )
        sees(daemon, lambda s: any(p.name == "llama-worker-1" for p in s.pods))
        # Master and old worker each ran 1.5 h at $16/h; the new worker has not run yet.
        assert cost(daemon.tick(), "llama") == pytest.approx(24.0 + 24.0, abs=0.005)

        # A 410: the server forgets old events; the watcher relists.
        server.compact()
        server.drop_watches()
        clock.advance(3600)
        result = daemon.tick()
        master = 2.5 * 16.0
        old_worker = 1.5 * 16.0
        new_worker = 1.0 * 48.0  # 4 GPUs x $12
        assert cost(result, "llama") == pytest.approx(master + old_worker + new_worker, abs=0.005)

        # An outage of the API server: accrual goes on from the cache.
        server.set_down(True)
        clock.advance(1800)
        during = cost(daemon.tick(), "llama")
        server.set_down(False)
        assert during == pytest.approx(master + 8.0 + old_worker + new_worker + 24.0, abs=0.005)
    finally:
        daemon.stop()

    # The daemon is down for two hours; the job finishes in between; a new daemon accrues the gap up to the finish.
    finish = clock.now() + timedelta(minutes=45)
    for name in ("llama-master-0", "llama-worker-1"):
        pod = server.get("v1", "Pod", name, "ml")
        done = objects.pod(
            name,
            "ml",
            pod["spec"]["nodeName"],
            phase="Succeeded",
            started=pod["status"]["startTime"],
            finished=iso(finish),
        )
        server.patch("v1", "Pod", name, {"status": done["status"]}, "ml")
    clock.advance(7200)
    daemon = start(server, db, clock)
    try:
        result = daemon.tick()
        total = 16.0 * (3.0 + 0.75) + 16.0 * 1.5 + 48.0 * (1.5 + 0.75)
        assert cost(result, "llama") == pytest.approx(total, abs=0.005)
        clock.advance(3600)
        assert cost(daemon.tick(), "llama") == pytest.approx(total, abs=0.005)  # finished: nothing more
    finally:
        daemon.stop()
