"""Issue 12 item 3's shutdown half against the real daemon: the Events its last tick queued (one per Job with a bad
annotation, more than the recorder's burst of 25, so most still wait on the rate limit when stop() is called) are on
the API server when `Daemon.stop()` returns, not lost with the worker thread."""

from __future__ import annotations

from pathlib import Path

from monitor.core.clock import ManualClock
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon
from tests.integration.daemon.helpers import T0, gpu_node, iso, settings_for

JOBS = 35  # burst 25, then 5/s: the last 10 need ~2 s, inside the daemon's 5 s flush bound


def test_stop_posts_the_events_the_last_tick_queued(server: LocalApiServer, clock: ManualClock, tmp_path: Path) -> None:
    server.create(gpu_node("n-p4d", "p4d.24xlarge"))
    for i in range(JOBS):
        name = f"bad-{i}"
        job = server.create(
            objects.custom("kubeflow.org/v1", "PyTorchJob", name, "ml", annotations={"trainspend.io/tokens": "lots"})
        )
        server.create(
            objects.pod(
                f"{name}-0", "ml", "n-p4d", {"nvidia.com/gpu": "1"}, started=iso(T0), owners=[objects.owner(job)]
            )
        )
    daemon = build_daemon(settings_for(server, tmp_path / "ts.db"), clock)
    daemon.source.start()
    try:
        assert daemon.source.wait_synced(10)
        daemon.tick()
    finally:
        daemon.stop()
    events = server.objects("v1", "Event", "ml")
    assert len(events) == JOBS
    assert {e["involvedObject"]["name"] for e in events} == {f"bad-{i}" for i in range(JOBS)}
    assert all("trainspend.io/tokens" in e["message"] for e in events)
