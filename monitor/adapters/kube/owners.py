"""Resolving a pod (or a child Job) to its top training owner by walking ownerReferences through the cache.

Chains handled: Pod → Job; Pod → Job → JobSet (→ TrainJob); Pod → PyTorchJob/MPIJob/TFJob; Pod → Job → MPIJob
(mpi-operator's launcher); Pod → RayCluster (→ RayJob); Pod → Volcano Job; Pod → Workflow. The topmost training
kind in the chain wins, so a JobSet's child Jobs are not separate workloads. An owner missing from the cache (its CRD
not watched) still counts by its ownerReference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.adapters.kube.kinds import TRAINING_KINDS, api_group
from monitor.core.domain.model import WorkloadRef

_MAX_DEPTH = 8  # ownerReference chains are short; a bound also stops cycles


@dataclass(frozen=True, slots=True)
class OwnerRef:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool


def owner_refs(meta: Mapping[str, Any], text: Callable[[object], str] = str) -> tuple[OwnerRef, ...]:
    """`text` converts each string (the cache interns them: a workload's pods all name the same owner)."""
    return tuple(
        OwnerRef(
            api_version=text(ref.get("apiVersion", "")),
            kind=text(ref.get("kind", "")),
            name=text(ref.get("name", "")),
            uid=text(ref.get("uid", "")),
            controller=bool(ref.get("controller")),
        )
        for ref in meta.get("ownerReferences") or []
    )


def _controller(refs: Sequence[OwnerRef]) -> OwnerRef | None:
    for ref in refs:
        if ref.controller:
            return ref
    return refs[0] if refs else None


def resolve(
    refs: Sequence[OwnerRef], namespace: str, parents: Mapping[str, tuple[OwnerRef, ...]]
) -> WorkloadRef | None:
    """The topmost training owner reachable from `refs`, or None. `parents` maps a cached object's uid to its
    own ownerReferences."""
    best: WorkloadRef | None = None
    current = _controller(refs)
    seen: set[str] = set()
    while current is not None and len(seen) < _MAX_DEPTH and current.uid not in seen:
        seen.add(current.uid)
        domain_kind = TRAINING_KINDS.get((api_group(current.api_version), current.kind))
        if domain_kind:
            best = WorkloadRef(
                kind=domain_kind,
                api_version=current.api_version,
                namespace=namespace,
                name=current.name,
                uid=current.uid,
            )
        above = parents.get(current.uid)
        current = _controller(above) if above else None
    return best
