"""Pure conversion, owner resolution, selectors and the cache (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.adapters.kube import convert
from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.kinds import CRDS, JOBS, PODS
from monitor.adapters.kube.owners import owner_refs, resolve
from monitor.demo import objects
from monitor.demo.objectstore import merge_patch
from monitor.demo.selectors import field_matcher, label_matcher


def _created(obj: dict[str, Any], uid: str) -> dict[str, Any]:
    obj["metadata"]["uid"] = uid
    return obj


def test_pod_requests_sum_containers_take_init_peak_and_fall_back_to_limits() -> None:
    spec = {
        "containers": [
            {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"nvidia.com/gpu": "2"}}},
            {"resources": {"requests": {"cpu": "1500m", "nvidia.com/mig-1g.10gb": "1"}}},
        ],
        "initContainers": [
            {"resources": {"requests": {"cpu": "4"}}},  # runs alone before: only its peak counts
            {"restartPolicy": "Always", "resources": {"requests": {"memory": "512Mi"}}},  # sidecar: adds
        ],
    }
    assert convert.pod_requests(spec) == {
        "cpu": "4",
        "memory": str(1024**3 + 512 * 1024**2),
        "nvidia.com/gpu": "2",
        "nvidia.com/mig-1g.10gb": "1",
    }


def test_finished_pod_uses_latest_container_termination() -> None:
    pod = objects.pod("p", phase="Succeeded", started="2025-01-01T00:00:00Z", finished="2025-01-01T02:30:00Z")
    info = convert.to_pod(pod)
    assert info.finished == datetime(2025, 1, 1, 2, 30, tzinfo=UTC)
    assert convert.to_pod(objects.pod("q", phase="Running")).finished is None


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("Job", {"conditions": [{"type": "Failed", "status": "True"}]}, "Failed"),
        ("Job", {"conditions": [{"type": "Complete", "status": "False"}], "active": 0}, "Pending"),
        ("PyTorchJob", {"conditions": [{"type": "Succeeded", "status": "True"}]}, "Succeeded"),
        ("JobSet", {"conditions": [{"type": "Completed", "status": "True"}]}, "Succeeded"),
        ("RayJob", {"jobDeploymentStatus": "Failed"}, "Failed"),
        ("VolcanoJob", {"state": {"phase": "Aborted"}}, "Failed"),
        ("VolcanoJob", {"state": {"phase": "Running"}}, "Running"),
    ],
)
def test_workload_state_per_kind(kind: str, status: dict[str, Any], expected: str) -> None:
    assert convert.workload_state(kind, {"status": status})[0] == expected


def test_resolve_walks_to_the_topmost_training_owner_even_if_uncached() -> None:
    js = _created(objects.custom("jobset.x-k8s.io/v1alpha2", "JobSet", "llm"), "js")
    job = _created(objects.batch_job("llm-0", owners=[objects.owner(js)]), "job")
    pod = objects.pod("llm-0-0", owners=[objects.owner(job)])
    parents = {"job": owner_refs(job["metadata"])}
    ref = resolve(owner_refs(pod["metadata"]), "default", parents)
    assert ref is not None
    assert (ref.kind, ref.name, ref.uid) == ("JobSet", "llm", "js")  # JobSet itself not in the cache
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs", "controller": True}
    assert resolve(owner_refs({"ownerReferences": [rs]}), "default", {}) is None


def test_selectors() -> None:
    match = label_matcher("team in (nlp, cv),!debug,tier!=infra")
    assert match is not None
    assert match({"metadata": {"labels": {"team": "cv", "tier": "train"}}})
    assert not match({"metadata": {"labels": {"team": "cv", "debug": "1"}}})
    assert not match({"metadata": {"labels": {"team": "ops"}}})
    field = field_matcher("spec.nodeName=n1,metadata.name!=x")
    assert field is not None
    assert field({"spec": {"nodeName": "n1"}, "metadata": {"name": "y"}})
    assert not field({"spec": {"nodeName": "n1"}, "metadata": {"name": "x"}})
    with pytest.raises(ValueError, match="labelSelector"):
        label_matcher("a b c")


def test_merge_patch_is_rfc7386() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": None, "e": 3}, "d": [2]}) == {
        "a": {"c": 2, "e": 3},
        "d": [2],
    }


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_deleted_pod_is_a_tombstone_finished_at_its_deletion_then_dropped() -> None:
    clock = _Clock()
    cache = ClusterCache("c", clock, deleted_pod_tombstone_seconds=60)
    cache.expect(PODS, None)
    assert not cache.snapshot().synced
    pod = _created(objects.pod("p", node_name="n", started="2025-01-01T00:00:00Z"), "u1")
    cache.replace_all(PODS, None, [pod])
    assert cache.snapshot().synced
    clock.now += timedelta(seconds=30)
    cache.apply(PODS, None, "DELETED", pod)
    [gone] = cache.snapshot().pods
    assert gone.finished == clock.now
    clock.now += timedelta(seconds=61)
    assert cache.snapshot().pods == ()


def _terminating(pod: dict[str, Any], requested: str, grace_seconds: int, finished: str | None) -> dict[str, Any]:
    """The pod as its DELETED watch event carries it. The API server sets metadata.deletionTimestamp to the request
    time plus the grace period (k8s.io/apiserver pkg/registry/rest/delete.go, BeforeDelete); the kubelet reports the
    containers terminated, then deletes with grace 0 (kubernetes/kubernetes pkg/kubelet/status/status_manager.go)."""
    stamp = datetime.fromisoformat(requested.replace("Z", "+00:00")) + timedelta(seconds=grace_seconds)
    meta = {**pod["metadata"], "deletionTimestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ")}
    meta["deletionGracePeriodSeconds"] = 0 if finished else grace_seconds
    status = dict(pod["status"])
    if finished:
        status["containerStatuses"] = [
            {
                "name": "main",
                "ready": False,
                "restartCount": 0,
                "image": "trainer:latest",
                "imageID": "",
                "state": {"terminated": {"exitCode": 143, "reason": "Error", "finishedAt": finished}},
            }
        ]
    return {**pod, "metadata": meta, "status": status}


def test_a_deleted_pod_ends_when_its_containers_stopped_not_after_a_grace_period() -> None:
    """Deleted at 00:10:00 with the default 30 s grace: the trainer exits on SIGTERM at 00:10:04 and the DELETED
    event arrives at 00:10:05. It held its GPUs until 00:10:04."""
    clock = _Clock()
    cache = ClusterCache("c", clock, deleted_pod_tombstone_seconds=600)
    pod = _created(objects.pod("p", node_name="n", started="2025-01-01T00:00:00Z"), "u1")
    cache.replace_all(PODS, None, [pod])
    clock.now = datetime(2025, 1, 1, 0, 10, 5, tzinfo=UTC)
    cache.apply(PODS, None, "DELETED", _terminating(pod, "2025-01-01T00:10:00Z", 30, "2025-01-01T00:10:04Z"))
    [gone] = cache.snapshot().pods
    assert gone.finished == datetime(2025, 1, 1, 0, 10, 4, tzinfo=UTC)


def test_a_force_deleted_pod_ends_at_its_deletion_timestamp() -> None:
    """`kubectl delete --force --grace-period=0` at 00:10:00, the event seen at 00:10:02: no container status."""
    clock = _Clock()
    cache = ClusterCache("c", clock, deleted_pod_tombstone_seconds=600)
    pod = _created(objects.pod("p", node_name="n", started="2025-01-01T00:00:00Z"), "u1")
    cache.replace_all(PODS, None, [pod])
    clock.now = datetime(2025, 1, 1, 0, 10, 2, tzinfo=UTC)
    cache.apply(PODS, None, "DELETED", _terminating(pod, "2025-01-01T00:10:00Z", 0, None))
    [gone] = cache.snapshot().pods
    assert gone.finished == datetime(2025, 1, 1, 0, 10, 0, tzinfo=UTC)


def test_a_pod_gone_from_a_relist_ended_when_its_watch_was_last_heard() -> None:
    clock = _Clock()
    cache = ClusterCache("c", clock, deleted_pod_tombstone_seconds=600)
    pod = _created(objects.pod("p", node_name="n", started="2025-01-01T00:00:00Z"), "u1")
    cache.replace_all(PODS, None, [pod])
    clock.now += timedelta(minutes=5)
    cache.heard(PODS, None)  # a bookmark at 00:05, then the API server is unreachable
    last_heard = clock.now
    clock.now += timedelta(hours=2)
    cache.replace_all(PODS, None, [])
    [gone] = cache.snapshot().pods
    assert gone.finished == last_heard


def test_a_bound_pod_holds_from_its_podscheduled_condition() -> None:
    creating = objects.pod(
        "p",
        node_name="n",
        phase="Pending",
        started="2025-01-01T00:00:40Z",  # the kubelet's acknowledgement, while the image is pulled
        scheduled="2025-01-01T00:00:38Z",
    )
    info = convert.to_pod(_created(creating, "u1"))
    assert info.bound == datetime(2025, 1, 1, 0, 0, 38, tzinfo=UTC)
    assert convert.to_pod(_created(objects.pod("q", phase="Pending", scheduled="x"), "u2")).bound is None


def test_relist_marks_vanished_pods_deleted_and_hides_child_jobs() -> None:
    clock = _Clock()
    cache = ClusterCache("c", clock, deleted_pod_tombstone_seconds=600)
    pytorch = next(k for k in CRDS if k.kind == "PyTorchJob")
    pt = _created(objects.custom("kubeflow.org/v1", "PyTorchJob", "bert"), "pt")
    cache.replace_all(pytorch, None, [pt])
    cache.replace_all(JOBS, None, [])
    a = _created(objects.pod("a", owners=[objects.owner(pt)]), "a")
    b = _created(objects.pod("b", owners=[objects.owner(pt)]), "b")
    cache.replace_all(PODS, None, [a, b])
    cache.replace_all(PODS, None, [a])  # b vanished while we were not watching
    snap = cache.snapshot()
    assert [(p.name, p.finished is not None) for p in snap.pods] == [("a", False), ("b", True)]
    assert [w.ref.kind for w in snap.workloads] == ["PyTorchJob"]


def test_a_pod_waits_for_its_raycluster_instead_of_being_booked_to_itself() -> None:
    cache = ClusterCache("c", _Clock(), deleted_pod_tombstone_seconds=600)
    rayjob_kind = next(k for k in CRDS if k.kind == "RayJob")
    raycluster_kind = next(k for k in CRDS if k.kind == "RayCluster")
    rayjob = _created(objects.custom("ray.io/v1", "RayJob", "rl"), "rj")
    raycluster = _created(objects.custom("ray.io/v1", "RayCluster", "rl-rc", owners=[objects.owner(rayjob)]), "rc")
    head = _created(objects.pod("rl-head", node_name="n", owners=[objects.owner(raycluster)]), "h")
    cache.replace_all(rayjob_kind, None, [rayjob])
    cache.replace_all(raycluster_kind, None, [])
    cache.replace_all(PODS, None, [head])  # the pod's watch event arrives before its RayCluster's
    [waiting] = cache.snapshot().pods
    assert waiting.owner is None
    assert [w.ref.kind for w in cache.snapshot().workloads] == ["RayJob"]
    cache.apply(raycluster_kind, None, "ADDED", raycluster)
    [resolved] = cache.snapshot().pods
    assert resolved.owner is not None
    assert (resolved.owner.kind, resolved.owner.uid) == ("RayJob", "rj")


def test_a_pod_of_an_unwatched_controller_counts_as_a_bare_pod() -> None:
    cache = ClusterCache("c", _Clock(), deleted_pod_tombstone_seconds=600)
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "uid": "rs"}}
    pod = _created(objects.pod("web-1", node_name="n", owners=[objects.owner(rs)]), "w")
    cache.replace_all(PODS, None, [pod])
    [bare] = cache.snapshot().pods
    assert bare.owner is not None
    assert bare.owner.kind == "Pod"
