"""DRA ResourceClaims (resource.k8s.io/v1, GA in Kubernetes 1.34): the optional API through which pods hold GPUs
without `nvidia.com/gpu` requests (NVIDIA k8s-dra-driver-gpu, JobSet's DRA example). Watched only where discovery
finds the API served, like a training CRD.

Shape read (kubernetes/api resource/v1/types.go): `status.allocation.devices.results[]` names `driver`, `pool` and
`device` of each allocated device (the NVIDIA driver publishes one pool per node, named after it);
`status.reservedFor[]` lists the consumers (`resource: pods`, `name`, `uid`). A claim generated from a
ResourceClaimTemplate is owned by its pod and reserved for it by the scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.adapters.kube.kinds import WatchedKind
from monitor.core.domain.model import ClaimedDevice, ClaimInfo

RESOURCE_CLAIMS = WatchedKind("resource.k8s.io", "v1", "resourceclaims", "ResourceClaim", "claim")


def to_claim(obj: Mapping[str, Any]) -> ClaimInfo:
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    results = ((status.get("allocation") or {}).get("devices") or {}).get("results") or []
    devices = tuple(
        ClaimedDevice(driver=str(r.get("driver", "")), pool=str(r.get("pool", "")), device=str(r.get("device", "")))
        for r in results
        if isinstance(r, Mapping)
    )
    consumers = tuple(
        str(c.get("uid", ""))
        for c in status.get("reservedFor") or []
        if isinstance(c, Mapping) and c.get("resource") == "pods" and not c.get("apiGroup") and c.get("uid")
    )
    return ClaimInfo(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        devices=devices,
        reserved_for=consumers,
    )
