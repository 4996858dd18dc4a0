"""Pod lifecycle and outages, end to end: the daemon (official kubernetes client over HTTP against the local API
server, SQLite store) charges a pod from its bind to its finish or deletion, to the cent — ContainerCreating
included, a spot reclaim's replacement not doubling the Job's GPUs, pods finished or deleted during an API-server
outage or while the daemon was down charged only until then, and nothing lost or counted twice.

Node: p4d.24xlarge at an overridden $32/h, 8 GPUs: $4 per GPU-hour. The deletion flow follows the real one: the API
server sets metadata.deletionTimestamp (request + grace period; k8s.io/apiserver pkg/registry/rest/delete.go), the
kubelet reports the containers terminated and then deletes the pod (kubernetes/kubernetes
pkg/kubelet/status/status_manager.go), which the watch delivers as DELETED."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.adapters.kube.kinds import PODS
from monitor.core.clock import ManualClock
from monitor.core.domain.result import TickResult
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from tests.fixtures.apiserver import eventually
from tests.integration.daemon.helpers import T0, gpu_node, iso, sees, start


def job(result: TickResult, name: str) -> tuple[float, float, float]:
    """(cost USD, hourly USD, GPUs) of a Job."""
    status = next(j for j in result.jobs if j.ref.name == name)
    return status.cost_usd, status.hourly_cost_usd, status.gpus


def _terminate(server: LocalApiServer, name: str, at: datetime, grace_seconds: int = 30) -> None:
    """Graceful deletion as the cluster does it: deletionTimestamp = request + grace, the container exits on
    SIGTERM (state.terminated.finishedAt) and the kubelet deletes the pod."""
    server.get("v1", "Pod", name, "ml")
    terminated = {
        "name": "main",
        "ready": False,
        "restartCount": 0,
        "image": "trainer:latest",
        "imageID": "",
        "state": {"terminated": {"exitCode": 143, "reason": "Error", "finishedAt": iso(at)}},
    }
    patch: dict[str, Any] = {
        "metadata": {"deletionTimestamp": iso(at + timedelta(seconds=grace_seconds))},
        "status": {"containerStatuses": [terminated]},
    }
    server.patch("v1", "Pod", name, patch, "ml")
    server.delete("v1", "Pod", name, "ml")


def test_container_creating_charged_from_bind_and_a_spot_reclaim_replacement_does_not_double_the_gpus(
    server: LocalApiServer,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    server.create(gpu_node("n-a", "p4d.24xlarge"))
    server.create(gpu_node("n-b", "p4d.24xlarge"))
    owner = server.create(objects.batch_job("finetune", "ml"))
    creating = objects.pod(
        "finetune-a",
        "ml",
        "n-a",
        {"nvidia.com/gpu": "8"},
        phase="Pending",
        started=iso(T0),
        scheduled=iso(T0),
        owners=[objects.owner(owner)],
    )
    server.create(creating)
    daemon = start(server, tmp_path / "ts.db", clock)
    try:
        clock.advance(600)  # ten minutes pulling the image: the 8 GPUs are the pod's already
        assert job(daemon.tick(), "finetune") == pytest.approx((32.0 * 10 / 60, 32.0, 8.0), abs=0.005)
        server.patch("v1", "Pod", "finetune-a", {"status": {"phase": "Running"}}, "ml")
        sees(daemon, lambda s: any(p.phase == "Running" for p in s.pods))
        clock.advance(3000)
        assert job(daemon.tick(), "finetune") == pytest.approx((32.0, 32.0, 8.0), abs=0.005)

        # Spot reclaim at 09:30: the pod is terminated (exits at once) and deleted; its replacement binds at 09:35.
        clock.advance(1800)
        _terminate(server, "finetune-a", clock.now())
        sees(daemon, lambda s: any(p.name == "finetune-a" and p.finished is not None for p in s.pods))
        clock.advance(300)
        replacement = objects.pod(
            "finetune-b",
            "ml",
            "n-b",
            {"nvidia.com/gpu": "8"},
            started=iso(clock.now()),
            scheduled=iso(clock.now()),
            owners=[objects.owner(owner)],
        )
        server.create(replacement)
        sees(daemon, lambda s: any(p.name == "finetune-b" for p in s.pods))
        clock.advance(1500)  # 10:00
        cost, hourly, gpus = job(daemon.tick(), "finetune")
        assert (hourly, gpus) == pytest.approx((32.0, 8.0))  # not 16 GPUs, not $64/h
        assert cost == pytest.approx(32.0 * 1.5 + 32.0 * 25 / 60, abs=0.005)  # $61.33
    finally:
        daemon.stop()


def test_pods_finished_or_deleted_during_an_outage_or_a_restart_are_charged_only_until_then(
    server: LocalApiServer,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    db = tmp_path / "ts.db"
    server.create(gpu_node("n-a", "p4d.24xlarge"))
    owner = server.create(objects.custom("kubeflow.org/v1", "PyTorchJob", "llama", "ml", spec={}))
    for name in ("llama-master-0", "llama-worker-0", "llama-worker-1"):
        server.create(
            objects.pod(
                name,
                "ml",
                "n-a",
                {"nvidia.com/gpu": "2"},
                started=iso(T0),
                scheduled=iso(T0),
                owners=[objects.owner(owner)],
            )
        )
    daemon = start(server, db, clock)
    try:
        clock.advance(3600)  # three pods x 2 GPUs x $4 = $24/h
        assert job(daemon.tick(), "llama")[0] == pytest.approx(24.0, abs=0.005)

        # The watch is current at 09:00 (a bookmark), then the API server becomes unreachable; ticks go on.
        eventually(lambda: daemon.source.cache.heard_at(PODS, None) == T0 + timedelta(hours=1), what="a bookmark")
        server.set_down(True)
        clock.advance(600)
        done = objects.pod("llama-worker-0", "ml", "n-a", phase="Succeeded", started=iso(T0), finished=iso(clock.now()))
        server.patch("v1", "Pod", "llama-worker-0", {"status": done["status"]}, "ml")  # finished at 09:10
        clock.advance(600)
        server.delete("v1", "Pod", "llama-worker-1", "ml")  # deleted at 09:20: nobody can know when, afterwards
        clock.advance(600)
        during = job(daemon.tick(), "llama")[0]
        assert during == pytest.approx(24.0 + 12.0, abs=0.005)  # the stale view, 09:30
        server.set_down(False)
        sees(daemon, lambda s: all(p.finished is not None for p in s.pods if p.name != "llama-master-0"))
        clock.advance(1800)
        result = daemon.tick()  # 10:00
        master = 8.0 * 2.0
        worker0 = 8.0 * (1 + 10 / 60)  # to its containers' finishedAt
        worker1 = 8.0 * 1.0  # to 09:00, the last time its watch was heard: never beyond what is known
        assert job(result, "llama")[0] == pytest.approx(master + worker0 + worker1, abs=0.005)
        assert job(result, "llama")[1:] == pytest.approx((8.0, 2.0))
        assert job(daemon.tick(), "llama")[0] == pytest.approx(master + worker0 + worker1, abs=0.005)
    finally:
        daemon.stop()

    # The daemon is down 10:00-12:00. The master is deleted at 11:00 (a new daemon cannot know when) after a
    # replacement worker bound at 10:30 and finished at 11:30.
    server.create(
        objects.pod(
            "llama-worker-2",
            "ml",
            "n-a",
            {"nvidia.com/gpu": "2"},
            phase="Succeeded",
            started=iso(T0 + timedelta(hours=2, minutes=30)),
            scheduled=iso(T0 + timedelta(hours=2, minutes=30)),
            finished=iso(T0 + timedelta(hours=3, minutes=30)),
            owners=[objects.owner(owner)],
        )
    )
    server.delete("v1", "Pod", "llama-master-0", "ml")
    clock.advance(7200)
    daemon = start(server, db, clock)
    try:
        total = 16.0 + 8.0 * (1 + 10 / 60) + 8.0 + 8.0 * 1.0  # master to 10:00 (the last tick), worker-2 1 h
        assert job(daemon.tick(), "llama")[0] == pytest.approx(total, abs=0.005)
        clock.advance(3600)
        assert job(daemon.tick(), "llama")[0] == pytest.approx(total, abs=0.005)
    finally:
        daemon.stop()
