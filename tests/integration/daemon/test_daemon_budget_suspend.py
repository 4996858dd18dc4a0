"""Issue 14 item 7 against the real daemon (official kubernetes client over HTTP to the local API server, SQLite):
a budget with `action: suspend` patches a breaching Job's spec.suspend once — not every tick, not again after a
restart, not again after a person resumes it within the period — posts an Event saying why and how to resume; in a
dry run it posts the Event and patches nothing; `suspend_via: local_queue` holds the Kueue LocalQueue instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.config.settings import BudgetSettings, Settings
from monitor.core.clock import ManualClock
from monitor.core.domain.enforcement import MARK_ANNOTATION
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon
from monitor.runtime.daemon import Daemon
from tests.fixtures import upstream
from tests.fixtures.apiserver import eventually
from tests.integration.daemon.helpers import T0, gpu_node, iso, settings_for

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


def _cluster(server: LocalApiServer, queue: str = "") -> None:
    server.create(gpu_node("n-p4d", "p4d.24xlarge"))
    labels = {"team": "nlp", **({QUEUE_LABEL: queue} if queue else {})}
    job = server.create(objects.batch_job("sweep", "default", labels=labels))
    server.create(objects.custom("kubeflow.org/v1", "PyTorchJob", "other-team", "default", labels={"team": "cv"}))
    pod = objects.pod(
        "sweep-0", "default", "n-p4d", {"nvidia.com/gpu": "8"}, started=iso(T0), owners=[objects.owner(job)]
    )
    server.create(pod)


def _settings(server: LocalApiServer, db: Path, **budget: Any) -> Settings:
    base = settings_for(server, db)
    spec = BudgetSettings(name="nlp-cap", limit_usd=20.0, period="monthly", team="nlp", action="suspend", **budget)
    return base.model_copy(update={"budgets": [spec]})


def _run(server: LocalApiServer, settings: Settings, clock: ManualClock, ticks: int) -> Daemon:
    daemon = build_daemon(settings, clock)
    daemon.source.start()
    try:
        assert daemon.source.wait_synced(10)
        for _ in range(ticks):
            clock.advance(600)
            daemon.tick()
    finally:
        daemon.stop()
    return daemon


def _events(server: LocalApiServer, reason: str) -> list[dict[str, Any]]:
    items, _ = server.store.list_objects(server.store.type_of("v1", "Event"), "default", None)
    return [e for e in items if e.get("reason") == reason]


def test_a_breaching_job_is_suspended_once_with_an_event(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path
) -> None:
    _cluster(server)
    settings = _settings(server, tmp_path / "ts.db")
    clock.advance(1800)  # 8 GPUs at $32/h: $16 after 30 min, under the $20 cap; the first tick (+10 min) crosses it
    daemon = _run(server, settings, clock, ticks=4)
    job = server.get("batch/v1", "Job", "sweep", "default")
    assert job["spec"]["suspend"] is True
    assert job["metadata"]["annotations"][MARK_ANNOTATION].startswith("nlp-cap@2026-11-01T00:00:00")
    assert server.requests["patch jobs.batch"] == 1  # once, not every tick
    assert server.get("kubeflow.org/v1", "PyTorchJob", "other-team", "default")["spec"] == {}  # not its budget
    assert server.requests["patch pytorchjobs.kubeflow.org"] == 0
    assert daemon.enforcer is not None
    assert daemon.enforcer.outcomes["suspended"] == 1
    # The Event is posted off the tick by the recorder's worker; it says why and how to resume.
    eventually(lambda: _events(server, "BudgetSuspended"), what="the BudgetSuspended Event")
    message = _events(server, "BudgetSuspended")[0]["message"]
    assert "nlp-cap" in message
    assert "$20.00" in message
    assert '"suspend":false' in message

    # A person resumes it (within the period, budget still spent); the daemon restarts: nothing is patched again.
    server.patch("batch/v1", "Job", "sweep", {"spec": {"suspend": False}}, namespace="default")  # not over HTTP
    again = _run(server, settings, clock, ticks=3)
    assert server.requests["patch jobs.batch"] == 1
    assert server.get("batch/v1", "Job", "sweep", "default")["spec"]["suspend"] is False
    assert again.enforcer is not None
    assert again.enforcer.outcomes == {"already": 1}


def test_dry_run_posts_the_event_and_patches_nothing(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path
) -> None:
    _cluster(server)
    clock.advance(3600)
    daemon = _run(server, _settings(server, tmp_path / "ts.db", dry_run=True), clock, ticks=3)
    assert server.requests["patch jobs.batch"] == 0
    assert "suspend" not in server.get("batch/v1", "Job", "sweep", "default")["spec"]
    assert daemon.enforcer is not None
    assert daemon.enforcer.outcomes == {"dry-run": 1}

    eventually(lambda: _events(server, "BudgetSuspendDryRun"), what="the dry-run Event")
    assert "nothing patched" in _events(server, "BudgetSuspendDryRun")[0]["message"]


def test_local_queue_mode_holds_the_kueue_local_queue_once(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path
) -> None:
    docs = [d for d in upstream.load("kueue-queues-v1beta2") if d["kind"] == "ClusterQueue"]
    upstream.create_all(server, docs)  # kubernetes-sigs/kueue shared-quota-setup.yaml's ClusterQueue
    server.create(
        {
            "apiVersion": "kueue.x-k8s.io/v1beta2",
            "kind": "LocalQueue",
            "metadata": {"name": "team-queue", "namespace": "default"},
            "spec": {"clusterQueue": "team-cluster-queue"},  # as in shared-quota-setup.yaml, not held
        }
    )
    _cluster(server, queue="team-queue")
    clock.advance(3600)
    _run(server, _settings(server, tmp_path / "ts.db", suspend_via="local_queue"), clock, ticks=3)
    queue = server.get("kueue.x-k8s.io/v1beta2", "LocalQueue", "team-queue", "default")
    assert queue["spec"]["stopPolicy"] == "Hold"
    assert server.requests["patch localqueues.kueue.x-k8s.io"] == 1
    assert server.requests["patch jobs.batch"] == 0  # the Job runs to completion; nothing new is admitted


def test_a_job_kueue_manages_is_stopped_by_deactivating_its_workload(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path
) -> None:
    """Kueue starts a suspended Job again while its Workload is admitted, so its suspend field is left alone: the
    Workload gets spec.active: false, once."""
    upstream.create_all(server, upstream.load("kueue-queues-v1beta2"))  # team-cluster-queue, team-queue (held)
    server.patch("kueue.x-k8s.io/v1beta2", "LocalQueue", "team-queue", {"spec": {"stopPolicy": "None"}}, "default")
    _cluster(server, queue="team-queue")
    job = server.get("batch/v1", "Job", "sweep", "default")
    workload = upstream.load("kueue-workload-v1beta2")[0]
    workload["metadata"]["labels"]["kueue.x-k8s.io/job-uid"] = job["metadata"]["uid"]
    workload["metadata"]["ownerReferences"][0]["uid"] = job["metadata"]["uid"]
    server.create(workload)
    clock.advance(3600)
    settings = _settings(server, tmp_path / "ts.db")
    first = _run(server, settings, clock, ticks=3)
    stored = server.get("kueue.x-k8s.io/v1beta2", "Workload", "job-sweep-3b2f1", "default")
    assert stored["spec"]["active"] is False
    assert stored["metadata"]["annotations"][MARK_ANNOTATION].startswith("nlp-cap@")
    assert server.requests["patch workloads.kueue.x-k8s.io"] == 1
    assert server.requests["patch jobs.batch"] == 0  # its suspend field is Kueue's
    assert first.enforcer is not None
    assert first.enforcer.outcomes == {"deactivated": 1}
    eventually(lambda: _events(server, "BudgetSuspended"), what="the BudgetSuspended Event")
    assert '"active":true' in _events(server, "BudgetSuspended")[0]["message"]
    again = _run(server, settings, clock, ticks=2)  # a restart: the Workload's mark is read, nothing patched
    assert server.requests["patch workloads.kueue.x-k8s.io"] == 1
    assert again.enforcer is not None
    assert again.enforcer.outcomes == {"already": 1}
