"""The whole daemon (real `kubernetes` client over HTTP, SQLite store, pricing chain) against the local API server:
the accrued dollars equal the integral of the hourly price over the pods' wall time, to the cent, through updates,
deletes, dropped watches, a 410 relist, an API outage and daemon restarts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.adapters.kube.kinds import PODS
from monitor.core.clock import ManualClock
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from tests.fixtures.apiserver import eventually
from tests.integration.daemon.helpers import T0, cost, gpu_node, iso, sees, start


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
        clock.advance(1)
        # Back and current (a bookmark after the reconnect): the deletion below is seen live, at its time.
        eventually(lambda: (daemon.source.cache.heard_at(PODS, None) or T0) > T0 + timedelta(hours=1), what="resume")
        clock.advance(1799)
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
