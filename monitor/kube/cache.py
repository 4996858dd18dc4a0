"""The watch-fed object cache and the immutable snapshots built from it.

Watchers feed raw objects in (`apply` for one watch event, `replace_all` after a list); `snapshot()` resolves owners
and returns a `ClusterSnapshot` without touching the network. Deleted pods stay (with `finished` set to their
deletion time) for a grace period, so the agent can accrue their final interval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.domain.model import ClusterSnapshot, NodeInfo, PodInfo, WorkloadInfo, WorkloadRef
from monitor.kube import convert
from monitor.kube.kinds import CRDS, WatchedKind, api_group
from monitor.kube.owners import OwnerRef, owner_refs, resolve


@dataclass(frozen=True)
class _PodEntry:
    info: PodInfo  # owner not yet resolved
    refs: tuple[OwnerRef, ...]
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class _OwnerEntry:
    """A workload or an intermediate owner (RayCluster)."""

    kind: WatchedKind
    uid: str
    obj_refs: tuple[OwnerRef, ...]
    ref: WorkloadRef | None  # None for intermediates
    info: WorkloadInfo | None


Entry = NodeInfo | _PodEntry | _OwnerEntry


class ClusterCache:
    def __init__(self, cluster: str, clock: Callable[[], datetime], deleted_pod_grace_seconds: float) -> None:
        self._cluster = cluster
        self._clock = clock
        self._grace = timedelta(seconds=deleted_pod_grace_seconds)
        self._lock = threading.Lock()
        self._objects: dict[str, dict[str, Entry]] = {}  # kind key → uid → entry
        self._synced: dict[str, bool] = {}
        self._version = 0
        self._built: tuple[int, ClusterSnapshot] | None = None

    # --- bookkeeping -------------------------------------------------------------------------------------------
    def expect(self, kind: WatchedKind, namespace: str | None) -> None:
        """Registers a kind (in one namespace, or all) to be watched: the cache is not synced until its first list
        has arrived."""
        scope = _scope(kind, namespace)
        with self._lock:
            self._objects.setdefault(scope, {})
            self._synced.setdefault(scope, False)
            self._version += 1

    def forget(self, kind: WatchedKind) -> None:
        """Drops a kind that is no longer served (its CRD was removed), in every namespace."""
        prefix = _scope(kind, None).removesuffix("*")
        with self._lock:
            for scope in [s for s in self._objects if s.startswith(prefix)]:
                self._objects.pop(scope, None)
                self._synced.pop(scope, None)
            self._version += 1

    @property
    def synced(self) -> bool:
        with self._lock:
            return bool(self._synced) and all(self._synced.values())

    # --- writes -------------------------------------------------------------------------------------------------
    def _entry(self, kind: WatchedKind, obj: Mapping[str, Any]) -> Entry:
        meta = obj.get("metadata") or {}
        if kind.role == "node":
            return convert.to_node(obj)
        refs = owner_refs(meta)
        if kind.role == "pod":
            return _PodEntry(convert.to_pod(obj), refs)
        if kind.role == "intermediate":
            return _OwnerEntry(kind, str(meta.get("uid", "")), refs, None, None)
        ref = WorkloadRef(
            kind=kind.domain_kind,
            api_version=kind.api_version,
            namespace=str(meta.get("namespace", "")),
            name=str(meta.get("name", "")),
            uid=str(meta.get("uid", "")),
        )
        return _OwnerEntry(kind, ref.uid, refs, ref, convert.to_workload(ref, obj))

    def _remove(self, store: dict[str, Entry], uid: str) -> None:
        """Deletes an entry; a pod is kept, finished at its deletion time, for the grace period. Under lock."""
        entry = store.get(uid)
        if isinstance(entry, _PodEntry):
            if entry.deleted_at is None:
                now = self._clock()
                info = entry.info.model_copy(update={"finished": entry.info.finished or now})
                store[uid] = _PodEntry(info, entry.refs, now)
        else:
            store.pop(uid, None)

    def apply(self, kind: WatchedKind, namespace: str | None, event_type: str, obj: Mapping[str, Any]) -> None:
        uid = str((obj.get("metadata") or {}).get("uid", ""))
        entry = None if event_type == "DELETED" else self._entry(kind, obj)
        with self._lock:
            store = self._objects.setdefault(_scope(kind, namespace), {})
            if entry is None:
                self._remove(store, uid)
            else:
                store[uid] = entry
            self._version += 1

    def replace_all(self, kind: WatchedKind, namespace: str | None, objs: Iterable[Mapping[str, Any]]) -> None:
        """A fresh list: its objects replace the kind's entries; entries missing from it were deleted meanwhile."""
        fresh = {str((o.get("metadata") or {}).get("uid", "")): self._entry(kind, o) for o in objs}
        scope = _scope(kind, namespace)
        with self._lock:
            store = self._objects.setdefault(scope, {})
            for uid in [uid for uid in store if uid not in fresh]:
                self._remove(store, uid)
            store.update(fresh)
            self._synced[scope] = True
            self._version += 1

    # --- snapshot -----------------------------------------------------------------------------------------------
    def _purge_expired(self, now: datetime) -> None:
        """Drops deleted pods past their grace period. Under lock."""
        for store in self._objects.values():
            expired = [
                uid
                for uid, e in store.items()
                if isinstance(e, _PodEntry) and e.deleted_at is not None and now - e.deleted_at > self._grace
            ]
            for uid in expired:
                del store[uid]
            if expired:
                self._version += 1

    def snapshot(self) -> ClusterSnapshot:
        now = self._clock()
        with self._lock:
            self._purge_expired(now)
            if self._built is not None and self._built[0] == self._version:
                return self._built[1].model_copy(update={"taken_at": now})
            version = self._version
            synced = bool(self._synced) and all(self._synced.values())
            entries = [e for store in self._objects.values() for e in store.values()]
            intermediates = frozenset(
                (k.group, k.kind)
                for k in CRDS
                if k.role == "intermediate" and any(s.startswith(k.key + "@") for s in self._objects)
            )
        snap = _build(self._cluster, now, entries, synced, intermediates)
        with self._lock:
            self._built = (version, snap)
        return snap


def _scope(kind: WatchedKind, namespace: str | None) -> str:
    return f"{kind.key}@{namespace or '*'}"


def _awaits_owner(
    refs: Sequence[OwnerRef], parents: Mapping[str, object], intermediates: frozenset[tuple[str, str]]
) -> bool:
    """A pod whose controller is a watched intermediate owner (a RayCluster) that the cache has not seen yet: its
    top owner is unknown for now, so it must not be booked to itself (it is, once the owner arrives)."""
    controller = next((r for r in refs if r.controller), refs[0] if refs else None)
    return (
        controller is not None
        and (api_group(controller.api_version), controller.kind) in intermediates
        and controller.uid not in parents
    )


def _build(
    cluster: str,
    now: datetime,
    entries: list[Entry],
    synced: bool,
    intermediates: frozenset[tuple[str, str]] = frozenset(),
) -> ClusterSnapshot:
    nodes = [e for e in entries if isinstance(e, NodeInfo)]
    owners = [e for e in entries if isinstance(e, _OwnerEntry)]
    parents = {e.uid: e.obj_refs for e in owners}
    pods = [e for e in entries if isinstance(e, _PodEntry)]
    workloads: dict[str, WorkloadInfo] = {}
    for e in owners:
        if e.info is not None and e.ref is not None and resolve(e.obj_refs, e.ref.namespace, parents) is None:
            workloads[e.ref.uid] = e.info
    resolved: list[PodInfo] = []
    for p in pods:
        found = resolve(p.refs, p.info.namespace, parents)
        if found is None and _awaits_owner(p.refs, parents, intermediates):
            resolved.append(p.info.model_copy(update={"owner": None}))
            continue
        ref = found or WorkloadRef(
            kind="Pod", api_version="v1", namespace=p.info.namespace, name=p.info.name, uid=p.info.uid
        )
        resolved.append(p.info.model_copy(update={"owner": ref}))
        if ref.uid not in workloads:
            workloads[ref.uid] = _implied_workload(ref, p.info)
    return ClusterSnapshot(
        cluster=cluster,
        taken_at=now,
        nodes=tuple(sorted(nodes, key=lambda n: n.name)),
        pods=tuple(sorted(resolved, key=lambda p: (p.namespace, p.name, p.uid))),
        workloads=tuple(sorted(workloads.values(), key=lambda w: w.ref.key)),
        synced=synced,
    )


def _implied_workload(ref: WorkloadRef, pod: PodInfo) -> WorkloadInfo:
    """A workload known only through a pod: a bare pod, or an owner whose CRD is not watched."""
    if ref.kind != "Pod":
        return WorkloadInfo(ref=ref)
    done = pod.phase in ("Succeeded", "Failed")
    return WorkloadInfo(
        ref=ref,
        labels=pod.labels,
        annotations=pod.annotations,
        created=pod.started,
        finished=pod.finished if done else None,
        state=pod.phase if done or pod.phase == "Running" else "Pending",
    )
