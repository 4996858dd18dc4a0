"""DRA ResourceClaims (resource.k8s.io/v1, GA in Kubernetes 1.34): the optional API through which pods hold GPUs
without `nvidia.com/gpu` requests (NVIDIA k8s-dra-driver-gpu, JobSet's DRA example). Watched only where discovery
finds the API served, like a training CRD.

Shape read (kubernetes/api resource/v1/types.go): `status.allocation.devices.results[]` names `driver`, `pool` and
`device` of each allocated device (the NVIDIA driver publishes one pool per node, named after it);
`status.reservedFor[]` lists the consumers (ResourceClaimConsumerReference: `apiGroup`, `resource`, `name`, `uid`).
A claim generated from a ResourceClaimTemplate is owned by its pod and reserved for it by the scheduler.

A claim may instead be reserved for a PodGroup (`apiGroup: scheduling.k8s.io`, `resource: podgroups`; workload-aware
scheduling with the DRAWorkloadResourceClaims gate, kubernetes/api core/v1/types.go PodResourceClaim and
scheduling/v1alpha3 PodGroupResourceClaim): one claim shared by the group's pods, reserved for the group rather than
for each pod. Its users are the pods of that group (`spec.schedulingGroup.podGroupName`) that name the claim, in
`spec.resourceClaims[].resourceClaimName` or, for a claim generated from a template, in
`status.resourceClaimStatuses[].resourceClaimName`; the cache resolves them (`ClaimEntry.pod_groups`,
`pod_claim_refs`), finished ones included: attribution splits a claim among those holding their node over the span
it prices. Consumers of any other resource are not pods and hold nothing a pod pays for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitor.adapters.kube.kinds import WatchedKind
from monitor.core.domain.model import ClaimedDevice, ClaimInfo

RESOURCE_CLAIMS = WatchedKind("resource.k8s.io", "v1", "resourceclaims", "ResourceClaim", "claim")


PODGROUPS = ("scheduling.k8s.io", "podgroups")  # (apiGroup, resource) of a PodGroup consumer


@dataclass(frozen=True, slots=True)
class ClaimEntry:
    """A claim as cached: its domain value (reserved for its pod consumers) and the PodGroups it is reserved for,
    whose member pods the cache adds to `reserved_for` when it builds a snapshot."""

    info: ClaimInfo
    pod_groups: tuple[str, ...] = ()


def to_claim(obj: Mapping[str, Any]) -> ClaimInfo:
    return to_claim_entry(obj).info


def to_claim_entry(obj: Mapping[str, Any]) -> ClaimEntry:
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    results = ((status.get("allocation") or {}).get("devices") or {}).get("results") or []
    devices = tuple(
        ClaimedDevice(driver=str(r.get("driver", "")), pool=str(r.get("pool", "")), device=str(r.get("device", "")))
        for r in results
        if isinstance(r, Mapping)
    )
    consumers = [c for c in status.get("reservedFor") or [] if isinstance(c, Mapping) and c.get("uid")]
    pods = tuple(str(c["uid"]) for c in consumers if c.get("resource") == "pods" and not c.get("apiGroup"))
    groups = tuple(str(c.get("name", "")) for c in consumers if (c.get("apiGroup"), c.get("resource")) == PODGROUPS)
    info = ClaimInfo(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        devices=devices,
        reserved_for=pods,
    )
    return ClaimEntry(info, groups)


def pod_claim_refs(obj: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """(the names of the claims a pod uses, its PodGroup or None): `spec.resourceClaims[].resourceClaimName` and
    `status.resourceClaimStatuses[].resourceClaimName` (the claim generated from a template for the pod or for its
    PodGroup), and `spec.schedulingGroup.podGroupName`."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    named = [c.get("resourceClaimName") for c in spec.get("resourceClaims") or [] if isinstance(c, Mapping)]
    named += [c.get("resourceClaimName") for c in status.get("resourceClaimStatuses") or [] if isinstance(c, Mapping)]
    names = tuple(sorted({str(n) for n in named if n}))
    group = (spec.get("schedulingGroup") or {}).get("podGroupName")
    return names, (str(group) if group else None)
