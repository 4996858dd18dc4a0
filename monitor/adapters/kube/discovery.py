"""Which training CRDs (and optional APIs: DRA ResourceClaims and ResourceSlices, Kueue queues) the cluster serves,
from the discovery endpoints (`/apis`, `/apis/<group>/<version>`)."""

from __future__ import annotations

from kubernetes import client

from monitor.adapters.kube.claims import RESOURCE_CLAIMS
from monitor.adapters.kube.kinds import CRDS, WatchedKind
from monitor.adapters.kube.kueue import KUEUE_KINDS
from monitor.adapters.kube.slices import RESOURCE_SLICES

OPTIONAL_APIS: tuple[WatchedKind, ...] = (RESOURCE_CLAIMS, RESOURCE_SLICES, *KUEUE_KINDS)


def served_crds(api: client.ApiClient, request_timeout_seconds: float) -> tuple[WatchedKind, ...]:
    """The known training CRDs and optional APIs present in the cluster. Raises the client's exception when discovery
    fails, so the caller can keep what it knew."""
    groups = client.ApisApi(api).get_api_versions(_request_timeout=request_timeout_seconds)
    served = {v.group_version for g in groups.groups or [] for v in g.versions or []}
    found: list[WatchedKind] = []
    plurals: dict[str, set[str]] = {}
    for kind in (*CRDS, *OPTIONAL_APIS):
        if kind.api_version not in served:
            continue
        if kind.api_version not in plurals:
            resources = client.CustomObjectsApi(api).get_api_resources(
                kind.group, kind.version, _request_timeout=request_timeout_seconds
            )
            plurals[kind.api_version] = {r.name for r in resources.resources or []}
        if kind.plural in plurals[kind.api_version] and all(k.key != kind.key for k in found):
            found.append(kind)
    return tuple(found)
