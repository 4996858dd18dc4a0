"""Kueue's LocalQueues and ClusterQueues (kueue.x-k8s.io), watched read-only where the cluster serves them: which
ClusterQueue (and cohort) a Job's LocalQueue feeds. An absent CRD means the feature is off, never an error.

Kueue serves v1beta1 and, from v0.15, v1beta2 (the storage version; kubernetes-sigs/kueue apis/kueue/v1beta2,
`+kubebuilder:storageversion`), and newest releases also v1: discovery watches the first of v1, v1beta2, v1beta1
the cluster serves. Shapes read (kubernetes-sigs/kueue apis/kueue/<version>/localqueue_types.go,
clusterqueue_types.go): LocalQueue `spec.clusterQueue`, `spec.stopPolicy` (None | Hold | HoldAndDrain); ClusterQueue
`spec.cohort` in v1beta1, renamed `spec.cohortName` in v1beta2 and v1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.adapters.kube.kinds import WatchedKind
from monitor.core.domain.model import QueueInfo

GROUP = "kueue.x-k8s.io"
VERSIONS = ("v1", "v1beta2", "v1beta1")  # newest first: discovery takes the first one served
LOCAL_QUEUES = tuple(WatchedKind(GROUP, v, "localqueues", "LocalQueue", "queue") for v in VERSIONS)
CLUSTER_QUEUES = tuple(
    WatchedKind(GROUP, v, "clusterqueues", "ClusterQueue", "queue", cluster_scoped=True) for v in VERSIONS
)
LOCAL_QUEUES_KEY = LOCAL_QUEUES[0].key  # "localqueues.kueue.x-k8s.io"
KUEUE_KINDS: tuple[WatchedKind, ...] = (*LOCAL_QUEUES, *CLUSTER_QUEUES)


def to_queue(kind: WatchedKind, obj: Mapping[str, Any]) -> QueueInfo:
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    stop = str(spec.get("stopPolicy") or "")
    return QueueInfo(
        kind=kind.kind,
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")) if kind.kind == "LocalQueue" else "",
        uid=str(meta.get("uid", "")),
        api_version=kind.api_version,
        cluster_queue=str(spec.get("clusterQueue") or "") if kind.kind == "LocalQueue" else "",
        cohort=str(spec.get("cohortName") or spec.get("cohort") or "") if kind.kind == "ClusterQueue" else "",
        stop_policy="" if stop == "None" else stop,
    )
