"""The demo's objects of the kinds added beside the classic ones — a Kubeflow Trainer v2 TrainJob queued in Kueue,
an mpi-operator v2beta1 MPIJob, a standalone KubeRay RayCluster, an Argo Workflow step — and Kueue's queues, shaped
like the upstream examples (each function cites its source), plus the status each kind's controller writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.demo import objects as o

Obj = dict[str, Any]
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
KUEUE = "kueue.x-k8s.io/v1beta2"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def kueue_queues() -> list[Obj]:
    """Two ClusterQueues in one cohort and a LocalQueue on each: the shape of kubernetes-sigs/kueue
    site/static/examples/admin/single-clusterqueue-setup.yaml (ClusterQueue namespaceSelector {} and resourceGroups,
    LocalQueue spec.clusterQueue) with v1beta2's `cohortName` (apis/kueue/v1beta2/clusterqueue_types.go), quotas
    in GPUs."""

    def cluster_queue(name: str, gpus: int) -> Obj:
        quota = [{"name": "nvidia.com/gpu", "nominalQuota": gpus}]
        return {
            "apiVersion": KUEUE,
            "kind": "ClusterQueue",
            "metadata": {"name": name},
            "spec": {
                "namespaceSelector": {},
                "cohortName": "research",
                "resourceGroups": [
                    {
                        "coveredResources": ["nvidia.com/gpu"],
                        "flavors": [{"name": "default-flavor", "resources": quota}],
                    }
                ],
            },
        }

    def local_queue(name: str, namespace: str, cluster: str) -> Obj:
        return {
            "apiVersion": KUEUE,
            "kind": "LocalQueue",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"clusterQueue": cluster},
        }

    return [
        cluster_queue("nlp-cq", 32),
        cluster_queue("hpc-cq", 16),
        local_queue("nlp-queue", "ml-research", "nlp-cq"),
        local_queue("hpc-queue", "hpc", "hpc-cq"),
    ]


def trainjob(name: str, namespace: str, queue: str, created_suspended: bool) -> Obj:
    """kubeflow/trainer examples/yaml/advanced/02-kueue-integration.yaml: runtimeRef torch-distributed, trainer
    numNodes and resourcesPerNode, the queue label; created suspended, as Kueue holds it until admission."""
    return o.custom(
        "trainer.kubeflow.org/v1alpha1",
        "TrainJob",
        name,
        namespace,
        labels={"team": "nlp", QUEUE_LABEL: queue},
        spec={
            "runtimeRef": {
                "apiGroup": "trainer.kubeflow.org",
                "kind": "ClusterTrainingRuntime",
                "name": "torch-distributed",
            },
            "suspend": created_suspended,
            "trainer": {
                "numNodes": 1,
                "image": "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime",
                "resourcesPerNode": {"limits": {"nvidia.com/gpu": "8"}},
            },
        },
        status={"conditions": [{"type": "Suspended", "status": "True", "reason": "Suspended"}]}
        if created_suspended
        else {},
    )


def admitted_status(now: datetime) -> Obj:
    """What a TrainJob's status says once Kueue unsuspends it: Suspended=False, reason Resumed
    (kubeflow/trainer pkg/apis/trainer/v1alpha1/trainjob_types.go)."""
    return {
        "conditions": [{"type": "Suspended", "status": "False", "reason": "Resumed", "lastTransitionTime": _iso(now)}]
    }


def trainer_status(progress: float, remaining_seconds: float, now: datetime) -> Obj:
    """status.trainerStatus as Trainer v2.2's HF KubeflowCallback writes it (progressPercentage 0..100,
    estimatedRemainingSeconds, lastUpdatedTime; kubeflow/trainer pkg/apis/trainer/v1alpha1/trainjob_types.go)."""
    return {
        "trainerStatus": {
            "progressPercentage": int(progress * 100),
            "estimatedRemainingSeconds": int(max(0.0, remaining_seconds)),
            "lastUpdatedTime": _iso(now),
        }
    }


def mpijob(name: str, namespace: str) -> Obj:
    """kubeflow/mpi-operator examples/v2beta1/pi/pi.yaml: slotsPerWorker, runPolicy.cleanPodPolicy, Launcher and
    Worker replica specs (a GPU variant of its Worker)."""
    worker = {"spec": {"containers": [{"name": "mpi-worker", "image": "mpioperator/mpi-pi:openmpi"}]}}
    return o.custom(
        "kubeflow.org/v2beta1",
        "MPIJob",
        name,
        namespace,
        labels={"team": "hpc", QUEUE_LABEL: "hpc-queue"},
        spec={
            "slotsPerWorker": 4,
            "runPolicy": {"cleanPodPolicy": "Running"},
            "mpiReplicaSpecs": {
                "Launcher": {"replicas": 1, "template": worker},
                "Worker": {"replicas": 2, "template": worker},
            },
        },
        status={"conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}]},
    )


def raycluster(name: str, namespace: str) -> Obj:
    """ray-project/kuberay ray-operator/config/samples/ray-cluster.sample.yaml (head group only), status.state
    "ready" as the RayCluster controller sets it."""
    return o.custom(
        "ray.io/v1",
        "RayCluster",
        name,
        namespace,
        labels={"team": "research"},
        spec={
            "rayVersion": "2.46.0",
            "headGroupSpec": {"rayStartParams": {}, "template": {"spec": {"containers": []}}},
        },
        status={"state": "ready"},
    )


def workflow(name: str, namespace: str) -> Obj:
    """argoproj/argo-workflows examples/hello-world.yaml (a Kubeflow Pipelines run is such a Workflow), its phase as
    the workflow controller sets it."""
    return o.custom(
        "argoproj.io/v1alpha1",
        "Workflow",
        name,
        namespace,
        labels={"team": "pipelines", "workflows.argoproj.io/archive-strategy": "false"},
        spec={"entrypoint": "train", "templates": [{"name": "train", "container": {"image": "busybox"}}]},
        status={"phase": "Running"},
    )


def done_status(kind: str, now: datetime) -> Obj | None:
    """The status each kind's controller writes on success; None for a RayCluster, which never completes."""
    done = {"type": "Complete", "status": "True", "lastTransitionTime": _iso(now)}
    statuses: dict[str, Obj] = {
        "TrainJob": {"conditions": [done]},
        "MPIJob": {
            "completionTime": _iso(now),
            "conditions": [{"type": "Succeeded", "status": "True", "lastTransitionTime": _iso(now)}],
        },
        "Workflow": {"phase": "Succeeded", "finishedAt": _iso(now)},
    }
    return statuses.get(kind)
