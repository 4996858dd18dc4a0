"""What the cache watches: built-in kinds always, training CRDs when the cluster serves them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["node", "pod", "workload", "intermediate", "claim", "queue", "slice"]


@dataclass(frozen=True)
class WatchedKind:
    group: str  # "" for core
    version: str
    plural: str
    kind: str  # the API kind
    role: Role
    domain_kind: str = ""  # WorkloadRef.kind for workloads, e.g. "VolcanoJob" for batch.volcano.sh Job
    # Usually a child of another training kind (a RayJob's RayCluster): a pod it controls waits for it to be cached
    # before being booked, so it is not booked to it and then to its owner.
    awaited: bool = False
    cluster_scoped: bool = False  # watched cluster-wide even when namespaces are configured (Nodes, ClusterQueues)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def builtin(self) -> bool:
        return self.group in ("", "batch")


NODES = WatchedKind("", "v1", "nodes", "Node", "node", cluster_scoped=True)
PODS = WatchedKind("", "v1", "pods", "Pod", "pod")
JOBS = WatchedKind("batch", "v1", "jobs", "Job", "workload", "Job")
BUILTIN: tuple[WatchedKind, ...] = (NODES, PODS, JOBS)

# Training operators' CRDs (Kubeflow training-operator v1, mpi-operator v2beta1, Kubeflow Trainer v2 v1alpha1,
# JobSet v1alpha2, KubeRay v1, Volcano v1alpha1, Argo Workflows v1alpha1, which Kubeflow Pipelines runs on).
# The topmost training kind owning a pod wins: a TrainJob over its JobSet, a RayJob over its RayCluster; a RayCluster
# or a JobSet nobody owns is a workload itself. mpijobs.kubeflow.org is served by either operator (one CRD, so one
# of the two versions): discovery watches the first listed version the cluster serves.
CRDS: tuple[WatchedKind, ...] = (
    WatchedKind("kubeflow.org", "v1", "pytorchjobs", "PyTorchJob", "workload", "PyTorchJob"),
    WatchedKind("kubeflow.org", "v2beta1", "mpijobs", "MPIJob", "workload", "MPIJob"),
    WatchedKind("kubeflow.org", "v1", "mpijobs", "MPIJob", "workload", "MPIJob"),
    WatchedKind("kubeflow.org", "v1", "tfjobs", "TFJob", "workload", "TFJob"),
    WatchedKind("trainer.kubeflow.org", "v1alpha1", "trainjobs", "TrainJob", "workload", "TrainJob"),
    WatchedKind("jobset.x-k8s.io", "v1alpha2", "jobsets", "JobSet", "workload", "JobSet"),
    WatchedKind("ray.io", "v1", "rayjobs", "RayJob", "workload", "RayJob"),
    WatchedKind("ray.io", "v1", "rayclusters", "RayCluster", "workload", "RayCluster", awaited=True),
    WatchedKind("batch.volcano.sh", "v1alpha1", "jobs", "Job", "workload", "VolcanoJob"),
    WatchedKind("argoproj.io", "v1alpha1", "workflows", "Workflow", "workload", "Workflow"),
)

# (API group, API kind) → WorkloadRef.kind, for every kind that is a training workload (any version).
TRAINING_KINDS: dict[tuple[str, str], str] = {(k.group, k.kind): k.domain_kind for k in (JOBS, *CRDS) if k.domain_kind}


def api_group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""
