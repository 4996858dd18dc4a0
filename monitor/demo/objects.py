"""Builders of complete Kubernetes object dicts (Nodes, Pods, Jobs and training CRDs) for tests and the demo.

"Complete" means what the official client's models need to deserialize them: apiVersion, kind, metadata and the
spec/status fields a real cluster would show for these objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]


def owner(obj: Mapping[str, Any], controller: bool = True) -> Obj:
    """An ownerReference pointing at `obj` (which must have been created, so that it has a uid)."""
    meta = obj["metadata"]
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def _meta(
    name: str,
    namespace: str | None,
    labels: Mapping[str, str] | None,
    annotations: Mapping[str, str] | None,
    owners: list[Obj] | None,
) -> Obj:
    meta: Obj = {"name": name, "labels": dict(labels or {}), "annotations": dict(annotations or {})}
    if namespace is not None:
        meta["namespace"] = namespace
    if owners:
        meta["ownerReferences"] = owners
    return meta


def node(
    name: str,
    labels: Mapping[str, str] | None = None,
    gpus: int = 0,
    cpu: str = "96",
    memory: str = "1152Gi",
    provider_id: str = "",
    ready: bool = True,
) -> Obj:
    capacity = {"cpu": cpu, "memory": memory, "pods": "110"}
    if gpus:
        capacity["nvidia.com/gpu"] = str(gpus)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(name, None, labels, None, None),
        "spec": {"providerID": provider_id} if provider_id else {},
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def pod(
    name: str,
    namespace: str = "default",
    node_name: str | None = None,
    requests: Mapping[str, str] | None = None,
    phase: str = "Running",
    started: str | None = None,
    owners: list[Obj] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    finished: str | None = None,
    scheduled: str | None = None,
) -> Obj:
    """A one-container pod. Extended resources (GPUs) go into limits too, as Kubernetes requires. `scheduled`: the
    time kube-scheduler bound it (its PodScheduled condition, which the scheduler sets True on binding)."""
    reqs = dict(requests or {})
    limits = {k: v for k, v in reqs.items() if "/" in k}
    status: Obj = {"phase": phase}
    if scheduled:
        status["conditions"] = [{"type": "PodScheduled", "status": "True", "lastTransitionTime": scheduled}]
    if started:
        status["startTime"] = started
    if finished:
        status["containerStatuses"] = [
            {
                "name": "main",
                "ready": False,
                "restartCount": 0,
                "image": "trainer:latest",
                "imageID": "",
                "state": {
                    "terminated": {
                        "exitCode": 0 if phase == "Succeeded" else 1,
                        "finishedAt": finished,
                        "startedAt": started,
                    }
                },
            }
        ]
    spec: Obj = {
        "containers": [{"name": "main", "image": "trainer:latest", "resources": {"requests": reqs, "limits": limits}}]
    }
    if node_name:
        spec["nodeName"] = node_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, namespace, labels, annotations, owners),
        "spec": spec,
        "status": status,
    }


def batch_job(
    name: str,
    namespace: str = "default",
    annotations: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    owners: list[Obj] | None = None,
    status: Mapping[str, Any] | None = None,
) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(name, namespace, labels, annotations, owners),
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "main", "image": "trainer:latest"}], "restartPolicy": "Never"}
            }
        },
        "status": dict(status or {"active": 1}),
    }


def custom(
    api_version: str,
    kind: str,
    name: str,
    namespace: str = "default",
    annotations: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    owners: list[Obj] | None = None,
    spec: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
) -> Obj:
    """Any training CRD object (PyTorchJob, JobSet, RayJob, RayCluster, MPIJob, TFJob, Volcano Job)."""
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": _meta(name, namespace, labels, annotations, owners),
        "spec": dict(spec or {}),
        "status": dict(status or {}),
    }
