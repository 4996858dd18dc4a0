"""Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`) for the served resource types."""

from __future__ import annotations

from typing import Any

from monitor.demo.resources import ResourceType

_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def api_versions() -> dict[str, Any]:
    return {"kind": "APIVersions", "apiVersion": "v1", "versions": ["v1"], "serverAddressByClientCIDRs": []}


def group_list(types: tuple[ResourceType, ...]) -> dict[str, Any]:
    versions: dict[str, list[str]] = {}
    for rt in types:
        if rt.group and rt.version not in versions.setdefault(rt.group, []):
            versions[rt.group].append(rt.version)
    groups = [
        {
            "name": group,
            "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in served],
            "preferredVersion": {"groupVersion": f"{group}/{served[0]}", "version": served[0]},
        }
        for group, served in sorted(versions.items())
    ]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(types: tuple[ResourceType, ...], group: str, version: str) -> dict[str, Any] | None:
    """None when the group/version is not served (the caller answers 404)."""
    chosen = [rt for rt in types if rt.group == group and rt.version == version]
    if not chosen:
        return None
    resources = [
        {
            "name": rt.plural,
            "singularName": rt.kind.lower(),
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": _VERBS,
        }
        for rt in chosen
    ]
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}
