"""Workload state and trainer status of the upstream kinds (tests/fixtures/upstream), and owner resolution over them
without a server."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from monitor.adapters.kube import convert
from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.kinds import CRDS, PODS, WatchedKind
from monitor.core.domain.model import WorkloadRef
from tests.fixtures import upstream


def _kind(api_version: str, kind: str) -> WatchedKind:
    return next(k for k in CRDS if k.api_version == api_version and k.kind == kind)


def _by_kind(name: str) -> dict[str, dict[str, Any]]:
    return {key.split("/")[0]: obj for key, obj in upstream.with_uids(upstream.load(name)).items()}


def test_trainjob_state_from_its_conditions() -> None:
    train = _by_kind("trainjob-kueue")["TrainJob"]
    assert convert.workload_state("TrainJob", train)[0] == "Running"
    done = copy.deepcopy(train)
    done["status"]["conditions"].append(
        {"type": "Complete", "status": "True", "lastTransitionTime": "2026-01-10T11:00:00Z"}
    )
    state, finished = convert.workload_state("TrainJob", done)
    assert state == "Succeeded"
    assert finished is not None
    assert finished.hour == 11
    suspended = copy.deepcopy(train)
    suspended["spec"]["suspend"] = True  # the example as published: Kueue unsuspends it on admission
    assert convert.workload_state("TrainJob", suspended)[0] == "Suspended"
    idle = copy.deepcopy(train)
    idle["status"]["jobsStatus"][0].update(active=0, ready=0)
    assert convert.workload_state("TrainJob", idle)[0] == "Pending"


@pytest.mark.parametrize(
    ("trainer_status", "expected"),
    [
        ({"progressPercentage": 40, "estimatedRemainingSeconds": 5400}, (0.4, 5400.0)),
        ({"estimatedRemainingSeconds": 60}, (None, 60.0)),
        ({"progressPercentage": 140, "estimatedRemainingSeconds": -5}, (None, None)),  # outside the API's bounds
        ({"progressPercentage": "40"}, (None, None)),  # not a number
        ({}, (None, None)),
    ],
)
def test_trainer_status_fields(trainer_status: dict[str, Any], expected: tuple[float | None, float | None]) -> None:
    progress, remaining, _ = convert.trainer_status({"status": {"trainerStatus": trainer_status}})
    assert (progress, remaining) == expected


def test_mpijob_v2beta1_succeeded_from_its_conditions() -> None:
    mpi = _by_kind("mpijob-pi")["MPIJob"]
    state, finished = convert.workload_state("MPIJob", mpi)
    assert state == "Succeeded"
    assert finished is not None
    assert finished.isoformat() == "2026-01-10T09:00:00+00:00"


def test_raycluster_and_workflow_states() -> None:
    ray = _by_kind("raycluster-standalone")["RayCluster"]
    assert convert.workload_state("RayCluster", ray)[0] == "Running"
    assert convert.workload_state("RayCluster", {"status": {"state": "suspended"}})[0] == "Suspended"
    assert convert.workload_state("RayCluster", {"status": {}})[0] == "Pending"
    wf = _by_kind("workflow-hello")["Workflow"]
    assert convert.workload_state("Workflow", wf)[0] == "Running"
    state, finished = convert.workload_state(
        "Workflow", {"status": {"phase": "Error", "finishedAt": "2026-01-10T10:00:00Z"}}
    )
    assert state == "Failed"
    assert finished is not None


def test_a_raycluster_pod_waits_for_its_cluster_then_books_to_it() -> None:
    objs = _by_kind("raycluster-standalone")
    now = objs["Pod"]["status"]["startTime"]
    cache = ClusterCache("c", lambda: convert.parse_time(now), 60)  # type: ignore[arg-type,return-value]
    ray_kind = _kind("ray.io/v1", "RayCluster")
    cache.expect(ray_kind, None)
    cache.apply(PODS, None, "ADDED", objs["Pod"])
    assert [p.owner for p in cache.snapshot().pods] == [None]  # its RayCluster is watched but not cached yet
    cache.apply(ray_kind, None, "ADDED", objs["RayCluster"])
    snap = cache.snapshot()
    assert [(p.owner.kind, p.owner.name) for p in snap.pods if p.owner] == [("RayCluster", "raycluster-kuberay")]
    assert [w.ref.kind for w in snap.workloads] == ["RayCluster"]


def test_the_trainjob_examples_queue_is_read_from_its_pods() -> None:
    from monitor.core.domain.queues import queue_of

    objs = _by_kind("trainjob-kueue")
    pod = convert.to_pod(objs["Pod"])
    assert queue_of(objs["TrainJob"]["metadata"]["labels"], [pod.labels]) == "training-queue"
    assert queue_of({}, [{}, {"app": "x"}]) == ""


def test_admission_wait_from_the_suspended_condition_of_the_upstream_trainjob() -> None:
    from monitor.core.domain.queues import admission_wait_seconds

    train = copy.deepcopy(_by_kind("trainjob-kueue")["TrainJob"])
    train["metadata"]["creationTimestamp"] = "2026-01-10T07:45:00Z"
    ref = WorkloadRef(
        kind="TrainJob", api_version="trainer.kubeflow.org/v1alpha1", namespace="default", name="k", uid="u"
    )
    info = convert.to_workload(ref, train)
    # Suspended=False reason Resumed at 08:00 (the Trainer controller's condition when Kueue unsuspends it)
    assert admission_wait_seconds(info.created, info.admitted_at) == 15 * 60
    train["status"]["conditions"][0]["status"] = "True"  # still waiting
    assert convert.to_workload(ref, train).admitted_at is None
