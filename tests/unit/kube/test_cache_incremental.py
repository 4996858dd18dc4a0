"""The cache reuses last build's owner resolutions and pod order; the snapshot must equal a fresh build's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.kinds import CRDS, PODS
from monitor.core.domain.model import ClusterSnapshot
from monitor.demo import objects

PYTORCH = next(k for k in CRDS if k.kind == "PyTorchJob")
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _created(obj: dict[str, Any], uid: str) -> dict[str, Any]:
    obj["metadata"]["uid"] = uid
    return obj


def _fresh(jobs: list[dict[str, Any]], pods: list[dict[str, Any]]) -> ClusterSnapshot:
    cache = ClusterCache("c", lambda: NOW, deleted_pod_tombstone_seconds=600)
    cache.replace_all(PYTORCH, None, jobs)
    cache.replace_all(PODS, None, pods)
    return cache.snapshot()


def _view(snap: ClusterSnapshot) -> tuple[object, ...]:
    return (snap.pods, snap.workloads)


def _one_copy(cache: ClusterCache, snap: ClusterSnapshot) -> bool:
    """Every pod of the snapshot is the very object the cache holds (adopted after the build), not a second copy."""
    held = {
        uid: entry.info for store in cache._objects.values() for uid, entry in store.items() if hasattr(entry, "refs")
    }
    return all(held[pod.uid] is pod for pod in snap.pods)


def test_incremental_snapshots_equal_a_fresh_build_after_every_kind_of_change() -> None:
    cache = ClusterCache("c", lambda: NOW, deleted_pod_tombstone_seconds=600)
    bert = _created(objects.custom("kubeflow.org/v1", "PyTorchJob", "bert"), "j1")
    pods = [_created(objects.pod(f"p{i}", node_name="n", owners=[objects.owner(bert)]), f"u{i}") for i in range(3)]
    cache.replace_all(PYTORCH, None, [bert])
    cache.replace_all(PODS, None, pods)
    snap = cache.snapshot()
    assert _view(snap) == _view(_fresh([bert], pods))
    assert _one_copy(cache, snap)

    # A pod changes, a pod arrives whose name sorts first, and a pod of a not-yet-seen owner arrives.
    llama = _created(objects.custom("kubeflow.org/v1", "PyTorchJob", "llama"), "j2")
    pods[1] = _created(objects.pod("p1", node_name="n", phase="Succeeded", owners=[objects.owner(bert)]), "u1")
    first = _created(objects.pod("a-first", node_name="n", owners=[objects.owner(bert)]), "u9")
    orphan = _created(objects.pod("q", node_name="n", owners=[objects.owner(llama)]), "u5")
    for pod in (pods[1], first, orphan):
        cache.apply(PODS, None, "MODIFIED", pod)
    snap = cache.snapshot()
    assert [p.name for p in snap.pods] == ["a-first", "p0", "p1", "p2", "q"]
    assert snap.pods[2].phase == "Succeeded"
    assert _view(snap) == _view(_fresh([bert], [first, *pods, orphan]))
    assert _one_copy(cache, snap)

    # The owner arrives: the pods already resolved must be resolved again against the new owner graph.
    cache.apply(PYTORCH, None, "ADDED", llama)
    snap = cache.snapshot()
    owner = snap.pods[-1].owner
    assert owner is not None
    assert owner.uid == "j2"
    assert _view(snap) == _view(_fresh([bert, llama], [first, *pods, orphan]))
    assert _one_copy(cache, snap)


def test_workload_order_is_sorted_again_when_a_workload_changes_or_arrives() -> None:
    """The reused workload order never serves a stale workload: a changed one is the new object, a new one sorts in."""
    cache = ClusterCache("c", lambda: NOW, deleted_pod_tombstone_seconds=600)
    jobs = [_created(objects.custom("kubeflow.org/v1", "PyTorchJob", name), f"j-{name}") for name in ("m", "c")]
    pods = [
        _created(objects.pod(f"p-{j['metadata']['name']}", owners=[objects.owner(j)]), f"u{i}")
        for i, j in enumerate(jobs)
    ]
    cache.replace_all(PYTORCH, None, jobs)
    cache.replace_all(PODS, None, pods)
    assert [w.ref.name for w in cache.snapshot().workloads] == ["c", "m"]
    changed = _created(objects.custom("kubeflow.org/v1", "PyTorchJob", "m", labels={"team": "x"}), "j-m")
    cache.apply(PYTORCH, None, "MODIFIED", changed)
    snap = cache.snapshot()
    assert snap.workloads == _fresh([jobs[1], changed], pods).workloads
    assert snap.workloads[1].labels == {"team": "x"}
    new = _created(objects.custom("kubeflow.org/v1", "PyTorchJob", "a"), "j-a")
    cache.apply(PYTORCH, None, "ADDED", new)
    assert [w.ref.name for w in cache.snapshot().workloads] == ["a", "c", "m"]


def test_a_tombstone_expires_but_a_pod_that_came_back_stays() -> None:
    now = [NOW]
    cache = ClusterCache("c", lambda: now[0], deleted_pod_tombstone_seconds=60)
    pods = [_created(objects.pod(f"p{i}", node_name="n"), f"u{i}") for i in range(2)]
    cache.replace_all(PODS, None, pods)
    cache.apply(PODS, None, "DELETED", pods[0])
    cache.apply(PODS, None, "DELETED", pods[1])
    cache.replace_all(PODS, None, [pods[1]])  # u1 listed again: live, no longer a tombstone
    assert {p.uid for p in cache.snapshot().pods} == {"u0", "u1"}
    now[0] = NOW.replace(minute=2)
    snap = cache.snapshot()
    assert [(p.uid, p.finished) for p in snap.pods] == [("u1", None)]
