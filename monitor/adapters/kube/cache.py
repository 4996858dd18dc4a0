"""The watch-fed object cache and the immutable snapshots built from it.

Watchers feed raw objects in (`apply` for one watch event, `replace_all` after a list); `snapshot()` resolves owners
and returns a `ClusterSnapshot` without touching the network.

A deleted pod stays for a while as a tombstone: `finished` set to the time it stopped holding its node (its DELETED
event's containers / deletionTimestamp / the event's arrival, `convert.deletion_time`), so the accrual closes its
interval there. A tombstone holds nothing: it is finished. A pod that vanished from a relist (deleted while the watch
was down) is finished at the last moment its watch was known to be current (the last event or bookmark heard), the
latest time it is known to have existed; so is a pod whose DELETED event a resumed watch replays after a failure
(it arrives late: its arrival time is not its deletion time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.adapters.kube import convert
from monitor.adapters.kube.claims import ClaimEntry, pod_claim_refs, to_claim_entry
from monitor.adapters.kube.kinds import CRDS, WatchedKind, api_group
from monitor.adapters.kube.kueue import to_queue
from monitor.adapters.kube.owners import OwnerRef, owner_refs, resolve
from monitor.adapters.kube.sharing import Canon
from monitor.adapters.kube.slices import SliceEntry, gpus_by_node, to_slice
from monitor.core.domain.model import (
    ClaimInfo,
    ClusterSnapshot,
    NodeInfo,
    PodInfo,
    QueueInfo,
    WorkloadInfo,
    WorkloadRef,
)


@dataclass(frozen=True, slots=True)
class _PodEntry:
    info: PodInfo  # owner as last resolved (None until the first snapshot); resolved again while building
    refs: tuple[OwnerRef, ...]
    deleted_at: datetime | None = None
    claim_names: tuple[str, ...] = ()  # DRA claims it names (monitor.adapters.kube.claims.pod_claim_refs)
    pod_group: str | None = None  # its PodGroup (spec.schedulingGroup.podGroupName)


@dataclass(frozen=True)
class _OwnerEntry:
    """A workload or an intermediate owner (RayCluster)."""

    kind: WatchedKind
    uid: str
    obj_refs: tuple[OwnerRef, ...]
    ref: WorkloadRef | None  # None for intermediates
    info: WorkloadInfo | None


Entry = NodeInfo | _PodEntry | _OwnerEntry | ClaimEntry | QueueInfo | SliceEntry


class ClusterCache:
    def __init__(self, cluster: str, clock: Callable[[], datetime], deleted_pod_tombstone_seconds: float) -> None:
        self._cluster = cluster
        self._clock = clock
        self._grace = timedelta(seconds=deleted_pod_tombstone_seconds)
        self._heard: dict[str, datetime] = {}  # scope → when its watch last delivered a line (event or bookmark)
        # Scopes whose watch resumed after a failure: the events it replays happened while nobody listened, so their
        # arrival time says nothing of when they happened (until a bookmark says the stream is current again).
        self._catching_up: set[str] = set()
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()  # serialises builds, which share `_resolutions`
        self._objects: dict[str, dict[str, Entry]] = {}  # kind key → uid → entry
        self._synced: dict[str, bool] = {}
        self._tombstones: dict[tuple[str, str], datetime] = {}  # (scope, pod uid) → when it became a tombstone
        self._version = 0
        self._built: tuple[int, ClusterSnapshot] | None = None
        self._resolutions = _Resolutions()  # used by snapshot() only, which builds one at a time
        self._canon = Canon()  # equal strings, labels, requests and ownerReferences shared between entries

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

    def heard(self, kind: WatchedKind, namespace: str | None) -> None:
        """The watch of this scope is current now (it delivered a bookmark)."""
        now = self._clock()
        with self._lock:
            scope = _scope(kind, namespace)
            self._heard[scope] = now
            self._catching_up.discard(scope)

    def heard_at(self, kind: WatchedKind, namespace: str | None) -> datetime | None:
        """When the watch of this scope was last known current (None: never, or catching up after a failure)."""
        with self._lock:
            scope = _scope(kind, namespace)
            return None if scope in self._catching_up else self._heard.get(scope)

    def catch_up(self, kind: WatchedKind, namespace: str | None) -> None:
        """The watch of this scope resumes after a failure: the events it delivers next may have happened long ago."""
        with self._lock:
            self._catching_up.add(_scope(kind, namespace))

    @property
    def synced(self) -> bool:
        with self._lock:
            return bool(self._synced) and all(self._synced.values())

    # --- writes -------------------------------------------------------------------------------------------------
    def _entry(self, kind: WatchedKind, obj: Mapping[str, Any]) -> Entry:
        meta = obj.get("metadata") or {}
        if kind.role == "node":
            return convert.to_node(obj, self._canon)
        if kind.role == "claim":
            return to_claim_entry(obj)
        if kind.role == "queue":
            return to_queue(kind, obj)
        if kind.role == "slice":
            return to_slice(obj)
        refs = self._canon.value(owner_refs(meta, self._canon.text))
        if kind.role == "pod":
            names, group = pod_claim_refs(obj)
            text = self._canon.text
            return _PodEntry(
                convert.to_pod(obj, canon=self._canon), refs, None, tuple(map(text, names)), group and text(group)
            )
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

    def _remove(self, scope: str, store: dict[str, Entry], uid: str, ended: datetime, now: datetime) -> None:
        """Deletes an entry; a pod becomes a tombstone, finished at `ended` (or its own earlier finish). Under lock."""
        entry = store.get(uid)
        if isinstance(entry, _PodEntry):
            if entry.deleted_at is None:
                finished = min(entry.info.finished or ended, ended)
                store[uid] = _PodEntry(
                    convert.pod_with(entry.info, finished=finished), entry.refs, now, entry.claim_names, entry.pod_group
                )
                self._tombstones[(scope, uid)] = now
        else:
            store.pop(uid, None)

    def apply(self, kind: WatchedKind, namespace: str | None, event_type: str, obj: Mapping[str, Any]) -> None:
        uid = str((obj.get("metadata") or {}).get("uid", ""))
        now = self._clock()
        deleted = event_type == "DELETED"
        entry = None if deleted else self._entry(kind, obj)
        with self._lock:
            scope = _scope(kind, namespace)
            if scope in self._catching_up:  # replayed: it happened after the watch was last heard, when unknown
                observed = min(self._heard.get(scope, now), now)
            else:
                observed = self._heard[scope] = now
            ended = convert.deletion_time(obj, observed) if deleted and kind.role == "pod" else now
            store = self._objects.setdefault(scope, {})
            if entry is None:
                self._remove(scope, store, uid, ended, now)
            else:
                store[uid] = entry
            self._version += 1

    def replace_all(self, kind: WatchedKind, namespace: str | None, objs: Iterable[Mapping[str, Any]]) -> None:
        """A fresh list: its objects replace the kind's entries; entries missing from it were deleted meanwhile."""
        fresh = {str((o.get("metadata") or {}).get("uid", "")): self._entry(kind, o) for o in objs}
        scope = _scope(kind, namespace)
        now = self._clock()
        with self._lock:
            store = self._objects.setdefault(scope, {})
            # Deleted while the watch was down: last known to exist when the watch was last heard.
            last_heard = min(self._heard.get(scope, now), now)
            for uid in [uid for uid in store if uid not in fresh]:
                self._remove(scope, store, uid, last_heard, now)
            self._heard[scope] = now
            self._catching_up.discard(scope)
            store.update(fresh)
            self._synced[scope] = True
            self._version += 1

    # --- snapshot -----------------------------------------------------------------------------------------------
    def _purge_expired(self, now: datetime) -> None:
        """Drops tombstones older than their retention. Under lock. Only the pods made tombstones are visited
        (`_tombstones`), not every entry at each snapshot."""
        if not self._tombstones:
            return
        purged = False
        for key, deleted_at in list(self._tombstones.items()):
            if now - deleted_at <= self._grace:
                continue
            del self._tombstones[key]
            scope, uid = key
            store = self._objects.get(scope)
            entry = None if store is None else store.get(uid)
            # The uid may hold a live entry again (a relist brought it back): only a tombstone as old is dropped.
            if (
                store is not None
                and isinstance(entry, _PodEntry)
                and entry.deleted_at is not None
                and now - entry.deleted_at > self._grace
            ):
                del store[uid]
                purged = True
        if purged:
            self._version += 1

    def snapshot(self) -> ClusterSnapshot:
        now = self._clock()
        with self._lock:
            self._purge_expired(now)
            if self._built is not None and self._built[0] == self._version:
                return self._built[1]  # immutable: the same view until the cache changes
            version = self._version
            synced = bool(self._synced) and all(self._synced.values())
            entries = [e for store in self._objects.values() for e in store.values()]
            intermediates = frozenset(
                (k.group, k.kind)
                for k in CRDS
                if (k.role == "intermediate" or k.awaited) and any(s.startswith(k.key + "@") for s in self._objects)
            )
        with self._build_lock:
            snap = _build(self._cluster, entries, synced, intermediates, self._resolutions)
            with self._lock:
                self._built = (version, snap)
                self._adopt_resolved()
        return snap

    def _adopt_resolved(self) -> None:
        """Entries take the resolved copy of their pod (the same pod with its owner set), so the cache holds one
        PodInfo per pod instead of two (~25 MB at 20k pods). Only the pods this build resolved afresh can differ from
        their entry (the others were adopted when they were resolved): a tick after a few hundred pod updates visits
        those, not 20k entries. Under both locks."""
        memo = self._resolutions.pods
        stores = list(self._objects.values())
        for uid in self._resolutions.fresh:
            cached = memo.get(uid)
            if cached is None:
                continue
            for store in stores:  # one uid may sit under two watched scopes: each keeps its own entry
                entry = store.get(uid)
                if isinstance(entry, _PodEntry) and cached[0] is entry and cached[1] is not entry.info:
                    adopted = _PodEntry(cached[1], entry.refs, entry.deleted_at, entry.claim_names, entry.pod_group)
                    store[uid] = adopted
                    memo[uid] = cached = (adopted, cached[1], cached[2])


def _scope(kind: WatchedKind, namespace: str | None) -> str:
    return f"{kind.key}@{namespace or '*'}"


def _awaits_owner(
    refs: Sequence[OwnerRef], parents: Mapping[str, object], intermediates: frozenset[tuple[str, str]]
) -> bool:
    """A pod whose controller is a watched intermediate or awaited owner (a RayCluster) that the cache has not seen
    yet: its top owner (the RayCluster, or a RayJob above it) is unknown for now, so it is booked to nobody until the
    owner arrives (never to itself, nor to the RayCluster and then to its RayJob)."""
    controller = next((r for r in refs if r.controller), refs[0] if refs else None)
    return (
        controller is not None
        and (api_group(controller.api_version), controller.kind) in intermediates
        and controller.uid not in parents
    )


@dataclass
class _Resolutions:
    """Per-pod owner resolutions from the last build, reused while the owner graph is unchanged.

    A resolution depends only on the pod's entry (replaced on every watch event) and on the owner graph (uid →
    ownerReferences of every cached owner, and which intermediate kinds are watched); a tick that follows a few hundred
    pod updates so re-resolves those pods only, instead of copying 20k pods.
    """

    parents: dict[str, tuple[OwnerRef, ...]] = field(default_factory=dict)
    intermediates: frozenset[tuple[str, str]] = frozenset()
    # pod uid → (the entry it was resolved from, the resolved pod, its bare-pod workload or None)
    pods: dict[str, tuple[_PodEntry, PodInfo, WorkloadInfo | None]] = field(default_factory=dict)
    owners: dict[WorkloadRef, WorkloadRef] = field(default_factory=dict)  # one instance per owner, for all its pods
    order: list[str] = field(default_factory=list)  # pod uids of the last build, sorted (`in_order`)
    fresh: list[str] = field(default_factory=list)  # pod uids the current build resolved anew (`_adopt_resolved`)
    workload_refs: list[WorkloadRef] = field(default_factory=list)  # the last build's workload refs, as inserted
    workload_order: list[str] = field(default_factory=list)  # their uids, sorted (`workloads_in_order`)

    def start(self, parents: dict[str, tuple[OwnerRef, ...]], intermediates: frozenset[tuple[str, str]]) -> None:
        if parents != self.parents or intermediates != self.intermediates:
            self.parents, self.intermediates, self.pods, self.owners = parents, intermediates, {}, {}
        self.fresh = []

    def in_order(self, pods: dict[str, PodInfo]) -> tuple[PodInfo, ...]:
        """`pods` sorted by (namespace, name, uid). A uid's namespace and name never change, so the order of the last
        build is reused while the set of uids is the same (sorting 20k pods was a tenth of the build)."""
        if len(self.order) != len(pods) or any(uid not in pods for uid in self.order):
            self.order = sorted(pods, key=lambda uid: _pod_order(pods[uid]))
        return tuple(pods[uid] for uid in self.order)

    def workloads_in_order(self, workloads: dict[str, WorkloadInfo]) -> tuple[WorkloadInfo, ...]:
        """`workloads` sorted by `ref.key` (stable). The sorted order of the last build is reused when the same uids
        arrive in the same order with equal refs: the same input to a stable sort gives the same output (computing
        9k keys and sorting them was a tenth of the build)."""
        refs = [w.ref for w in workloads.values()]
        last = self.workload_refs
        if len(last) != len(refs) or any(a is not b and a != b for a, b in zip(last, refs, strict=True)):
            self.workload_refs = refs
            self.workload_order = sorted(workloads, key=lambda uid: workloads[uid].ref.key)
        return tuple(workloads[uid] for uid in self.workload_order)

    def resolve(self, entry: _PodEntry) -> tuple[PodInfo, WorkloadInfo | None]:
        """The pod with its owner set, and the bare-pod workload it implies (None unless it is its own owner)."""
        info = entry.info
        cached = self.pods.get(info.uid)
        if cached is not None and cached[0] is entry:
            return cached[1], cached[2]
        implied: WorkloadInfo | None = None
        awaits = _awaits_owner(entry.refs, self.parents, self.intermediates)
        found = None if awaits else resolve(entry.refs, info.namespace, self.parents)
        if awaits:
            resolved = _with_owner(info, None)
        elif found is None:
            ref = convert.workload_ref("Pod", "v1", info.namespace, info.name, info.uid)
            resolved = _with_owner(info, ref)
            implied = _implied_workload(ref, info)
        else:
            resolved = _with_owner(info, self.owners.setdefault(found, found))
        self.pods[info.uid] = (entry, resolved, implied)
        self.fresh.append(info.uid)
        return resolved, implied


def _pod_order(pod: PodInfo) -> tuple[str, str, str]:
    return (pod.namespace, pod.name, pod.uid)


def _with_owner(info: PodInfo, owner: WorkloadRef | None) -> PodInfo:
    """A copy of a pod with its owner set (without validation: both values are already validated)."""
    return info if info.owner == owner else convert.pod_with(info, owner=owner)


def _build(
    cluster: str,
    entries: list[Entry],
    synced: bool,
    intermediates: frozenset[tuple[str, str]] = frozenset(),
    resolutions: _Resolutions | None = None,
) -> ClusterSnapshot:
    kinds = _by_kind(entries)
    nodes = _with_dra_gpus(kinds[NodeInfo], kinds[SliceEntry])
    pods = kinds[_PodEntry]
    claims = _claims(kinds[ClaimEntry], pods)
    owners = kinds[_OwnerEntry]
    queues = kinds[QueueInfo]
    memo = resolutions if resolutions is not None else _Resolutions()
    memo.start({e.uid: e.obj_refs for e in owners}, intermediates)
    workloads: dict[str, WorkloadInfo] = {}
    for e in owners:
        if e.info is not None and e.ref is not None and resolve(e.obj_refs, e.ref.namespace, memo.parents) is None:
            workloads[e.ref.uid] = e.info
    by_uid: dict[str, PodInfo] = {}
    duplicates: list[PodInfo] = []  # one uid under two watched scopes: kept, as it always was
    known = memo.pods
    for p in pods:
        cached = known.get(p.info.uid)  # the memo's hit path inlined: 20k calls were a fifth of the build
        info, implied = (cached[1], cached[2]) if cached is not None and cached[0] is p else memo.resolve(p)
        if info.uid in by_uid:
            duplicates.append(info)
        else:
            by_uid[info.uid] = info
        owner = info.owner
        if owner is not None and owner.uid not in workloads:
            workloads[owner.uid] = implied if implied is not None else _implied_workload(owner, info)
    for uid in [uid for uid in memo.pods if uid not in by_uid]:
        del memo.pods[uid]  # pods gone from the cache: forget them, or the memo grows forever
    ordered = memo.in_order(by_uid)
    if duplicates:
        ordered = tuple(sorted((*ordered, *duplicates), key=_pod_order))
    return ClusterSnapshot(
        cluster=cluster,
        nodes=tuple(sorted(nodes, key=lambda n: n.name)),
        pods=ordered,
        workloads=memo.workloads_in_order(workloads),
        synced=synced,
        claims=tuple(sorted(claims, key=lambda c: (c.namespace, c.name, c.uid))),
        queues=tuple(sorted(queues, key=lambda q: (q.kind, q.namespace, q.name))),
    )


def _by_kind(entries: list[Entry]) -> dict[type, list[Any]]:
    """Entries by their class, in one pass (five filtering passes over 23k entries were a tenth of the build)."""
    kinds: dict[type, list[Any]] = {
        t: [] for t in (NodeInfo, _PodEntry, _OwnerEntry, ClaimEntry, QueueInfo, SliceEntry)
    }
    for e in entries:
        found = kinds.get(type(e))
        if found is None:  # a subclass: file it under its base
            found = kinds[next(t for t in kinds if isinstance(e, t))]
        found.append(e)
    return kinds


def _with_dra_gpus(nodes: list[NodeInfo], slices: list[SliceEntry]) -> list[NodeInfo]:
    """Nodes with the GPUs their NVIDIA DRA driver publishes in ResourceSlices (`NodeInfo.dra_gpus`; slices.py)."""
    gpus = gpus_by_node(slices) if slices else {}
    found = [(n, gpus.get(n.name, 0)) for n in nodes]
    return [n if n.dra_gpus == count else convert.node_with(n, dra_gpus=count) for n, count in found]


def _claims(claims: list[ClaimEntry], entries: list[_PodEntry]) -> list[ClaimInfo]:
    """The allocated claims in use, each reserved for its pods: its pod consumers, plus for a claim reserved for a
    PodGroup the group's pods that name it (claims.py docstring) — finished and deleted ones too, while the snapshot
    still has them: attribution splits a claim among the members that hold their node over the span it prices, so a
    member that finished mid-tick keeps its part of the claim until its finish time, not until the tick before."""
    members: dict[tuple[str, str, str], list[str]] = {}  # (namespace, PodGroup, claim name) → pod uids
    if any(c.pod_groups for c in claims):
        for e in entries:
            if isinstance(e, _PodEntry) and e.pod_group:
                for name in e.claim_names:
                    members.setdefault((e.info.namespace, e.pod_group, name), []).append(e.info.uid)
    found = []
    for entry in claims:
        info = entry.info
        if entry.pod_groups:
            extra = [uid for g in entry.pod_groups for uid in members.get((info.namespace, g, info.name), ())]
            uids = tuple(dict.fromkeys((*info.reserved_for, *sorted(extra))))
            info = info if uids == info.reserved_for else info.model_copy(update={"reserved_for": uids})
        if info.devices and info.reserved_for:
            found.append(info)
    return found


def _implied_workload(ref: WorkloadRef, pod: PodInfo) -> WorkloadInfo:
    """A workload known only through a pod: a bare pod, or an owner whose CRD is not watched."""
    if ref.kind != "Pod":
        return WorkloadInfo(ref=ref)
    return convert.bare_workload(ref, pod)
