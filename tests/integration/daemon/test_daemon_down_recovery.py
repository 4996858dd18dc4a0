"""Issue 12 item 8 against the real daemon: pods deleted while the daemon was down. What the cluster still says is
used, nothing more (docs/reliability.md):

- a batch Job that completed meanwhile (status.completionTime and the Complete condition, as the Job controller
  writes them: kubernetes/kubernetes pkg/controller/job/job_controller.go) bounds its deleted pod's end: the pod is
  charged up to the completion, not just to the last tick before the outage;
- a Job still running whose pod is gone, or one whose completion is not known, is charged to the last tick only.

Node: p4d.24xlarge at an overridden $32/h, 8 GPUs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.core.clock import ManualClock
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from tests.integration.daemon.helpers import P4D, T0, gpu_node, iso, start


def _cost(result: object, name: str) -> float:
    return next(j.cost_usd for j in result.jobs if j.ref.name == name)  # type: ignore[attr-defined]


def test_a_job_that_completed_while_the_daemon_was_down_charges_its_deleted_pod_to_the_completion(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path
) -> None:
    db = tmp_path / "ts.db"
    server.create(gpu_node("n-a", "p4d.24xlarge"))
    server.create(gpu_node("n-b", "p4d.24xlarge"))
    jobs = {name: server.create(objects.batch_job(name, "ml")) for name in ("completed", "still-running")}
    for name, node in (("completed", "n-a"), ("still-running", "n-b")):
        server.create(
            objects.pod(
                f"{name}-0",
                "ml",
                node,
                {"nvidia.com/gpu": "8"},
                started=iso(T0),
                scheduled=iso(T0),
                owners=[objects.owner(jobs[name])],
            )
        )
    daemon = start(server, db, clock)
    try:
        clock.advance(3600)
        first = daemon.tick()  # 09:00: the last tick before the outage
        assert _cost(first, "completed") == pytest.approx(P4D, abs=0.005)
    finally:
        daemon.stop()

    # Down 09:00-11:00. At 09:45 the Job completes; its pod is then deleted (a TTL or a user), and so is the other
    # Job's pod, whose Job goes on (status.active still 1).
    completed_at = T0 + timedelta(hours=1, minutes=45)
    status = {
        "succeeded": 1,
        "startTime": iso(T0),
        "completionTime": iso(completed_at),
        "conditions": [
            {"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": iso(completed_at)},
            {"type": "Complete", "status": "True", "lastTransitionTime": iso(completed_at)},
        ],
    }
    server.patch("batch/v1", "Job", "completed", {"status": status}, "ml")
    server.delete("v1", "Pod", "completed-0", "ml")
    server.delete("v1", "Pod", "still-running-0", "ml")
    clock.advance(7200)

    daemon = start(server, db, clock)
    try:
        after = daemon.tick()  # 11:00
        assert _cost(after, "completed") == pytest.approx(P4D * 1.75, abs=0.005)  # to 09:45, its completion
        assert _cost(after, "still-running") == pytest.approx(P4D * 1.0, abs=0.005)  # to 09:00: nothing known after
        clock.advance(3600)
        again = daemon.tick()
        assert _cost(again, "completed") == pytest.approx(P4D * 1.75, abs=0.005)  # closed: nothing more
        assert _cost(again, "still-running") == pytest.approx(P4D * 1.0, abs=0.005)
    finally:
        daemon.stop()
