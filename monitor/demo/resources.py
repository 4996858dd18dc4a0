"""The resource types the local API server serves: built-in ones always, training CRD groups (and the optional DRA
API, resource.k8s.io) when configured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """A unique id such as "pods" or "jobs.batch"."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


BUILTIN_TYPES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "nodes", "Node", namespaced=False),
    ResourceType("", "v1", "pods", "Pod", namespaced=True),
    ResourceType("", "v1", "events", "Event", namespaced=True),
    ResourceType("", "v1", "namespaces", "Namespace", namespaced=False),
    ResourceType("batch", "v1", "jobs", "Job", namespaced=True),
    ResourceType("coordination.k8s.io", "v1", "leases", "Lease", namespaced=True),
    # dcgm-exporter's pods behind its Service (dcgm.service): read, never watched
    ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", namespaced=True),
)

# Training CRDs by API group, with the versions their operators serve today (Kubeflow training-operator v1,
# Kubeflow Trainer v2 v1alpha1, JobSet v1alpha2, KubeRay v1, Volcano v1alpha1, Argo Workflows v1alpha1).
# "mpi-operator" is the mpi-operator's install: mpijobs.kubeflow.org at v2beta1. It is the same CRD as the
# training-operator's MPIJob, so beside "kubeflow.org" it replaces that one (the training-operator installed with
# its MPI controller off, as the mpi-operator's docs ask); it is not served by default.
MPI_OPERATOR = "mpi-operator"
# Kueue's queues (read-only to trainspend, patched only by a budget's suspend action): v1beta2, the storage version
# since Kueue v0.15; "kueue-v1beta1" serves them at v1beta1 only, as older Kueue releases do (not served by default).
KUEUE_V1BETA1 = "kueue-v1beta1"
CRD_TYPES: dict[str, tuple[ResourceType, ...]] = {
    "kubeflow.org": (
        ResourceType("kubeflow.org", "v1", "pytorchjobs", "PyTorchJob", namespaced=True),
        ResourceType("kubeflow.org", "v1", "mpijobs", "MPIJob", namespaced=True),
        ResourceType("kubeflow.org", "v1", "tfjobs", "TFJob", namespaced=True),
    ),
    "jobset.x-k8s.io": (ResourceType("jobset.x-k8s.io", "v1alpha2", "jobsets", "JobSet", namespaced=True),),
    "ray.io": (
        ResourceType("ray.io", "v1", "rayjobs", "RayJob", namespaced=True),
        ResourceType("ray.io", "v1", "rayclusters", "RayCluster", namespaced=True),
    ),
    "batch.volcano.sh": (ResourceType("batch.volcano.sh", "v1alpha1", "jobs", "Job", namespaced=True),),
    "trainer.kubeflow.org": (
        ResourceType("trainer.kubeflow.org", "v1alpha1", "trainjobs", "TrainJob", namespaced=True),
    ),
    "argoproj.io": (ResourceType("argoproj.io", "v1alpha1", "workflows", "Workflow", namespaced=True),),
    MPI_OPERATOR: (ResourceType("kubeflow.org", "v2beta1", "mpijobs", "MPIJob", namespaced=True),),
    "kueue.x-k8s.io": (
        ResourceType("kueue.x-k8s.io", "v1beta2", "localqueues", "LocalQueue", namespaced=True),
        ResourceType("kueue.x-k8s.io", "v1beta2", "clusterqueues", "ClusterQueue", namespaced=False),
        ResourceType("kueue.x-k8s.io", "v1beta2", "workloads", "Workload", namespaced=True),
    ),
    KUEUE_V1BETA1: (
        ResourceType("kueue.x-k8s.io", "v1beta1", "localqueues", "LocalQueue", namespaced=True),
        ResourceType("kueue.x-k8s.io", "v1beta1", "clusterqueues", "ClusterQueue", namespaced=False),
        ResourceType("kueue.x-k8s.io", "v1beta1", "workloads", "Workload", namespaced=True),
    ),
    # Not a CRD but an optional built-in API (DRA, GA in Kubernetes 1.34): served, like the CRDs, only when chosen.
    "resource.k8s.io": (
        ResourceType("resource.k8s.io", "v1", "resourceclaims", "ResourceClaim", namespaced=True),
        ResourceType("resource.k8s.io", "v1", "resourceclaimtemplates", "ResourceClaimTemplate", namespaced=True),
        ResourceType("resource.k8s.io", "v1", "resourceslices", "ResourceSlice", namespaced=False),
    ),
}
DEFAULT_CRD_GROUPS = frozenset(CRD_TYPES) - {MPI_OPERATOR, KUEUE_V1BETA1}


def served_types(crd_groups: frozenset[str]) -> tuple[ResourceType, ...]:
    """Built-in types plus the CRD types of the given groups. Unknown group names are an error naming the fix."""
    unknown = sorted(crd_groups - CRD_TYPES.keys())
    if unknown:
        raise ValueError(f"crd_groups: unknown group(s) {unknown}; choose from {sorted(CRD_TYPES)}")
    types = list(BUILTIN_TYPES)
    for group in sorted(crd_groups):
        types.extend(CRD_TYPES[group])
    if MPI_OPERATOR in crd_groups:  # one mpijobs.kubeflow.org CRD: the mpi-operator's
        types = [t for t in types if not (t.key == "mpijobs.kubeflow.org" and t.version == "v1")]
    if KUEUE_V1BETA1 in crd_groups:  # one Kueue install: the older one's
        types = [t for t in types if not (t.group == "kueue.x-k8s.io" and t.version != "v1beta1")]
    return tuple(types)
