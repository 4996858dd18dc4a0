"""In-memory fakes of the cluster view, pricer and event recorder (monitor.core.ports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from monitor.core.domain.model import (
    ClusterSnapshot,
    NodeCapacityType,
    NodeIdentity,
    NodeInfo,
    PodInfo,
    Price,
    QueueInfo,
    WorkloadInfo,
    WorkloadRef,
)


@dataclass
class FakeCluster:
    name: str = "test"
    nodes: list[NodeInfo] = field(default_factory=list)
    pods: list[PodInfo] = field(default_factory=list)
    workloads: list[WorkloadInfo] = field(default_factory=list)
    queues: list[QueueInfo] = field(default_factory=list)

    def snapshot(self) -> ClusterSnapshot:
        return ClusterSnapshot(
            cluster=self.name,
            nodes=tuple(self.nodes),
            pods=tuple(self.pods),
            workloads=tuple(self.workloads),
            queues=tuple(self.queues),
        )

    def replace_pod(self, pod: PodInfo) -> None:
        self.pods = [p for p in self.pods if p.uid != pod.uid] + [pod]


@dataclass
class FixedPricer:
    usd_per_hour: dict[str, float]  # by instance type

    def price(self, node: NodeIdentity) -> Price:
        return Price(
            usd_per_hour=self.usd_per_hour.get(node.instance_type or "", 1.0),
            source="test",
            as_of=date(2026, 11, 1),
        )


def identify(node: NodeInfo) -> NodeIdentity:
    """A fake identity: instance type and GPU facts straight from labels."""
    return NodeIdentity(
        node=node.name,
        provider="aws",
        region="us-east-1",
        instance_type=node.labels.get("node.kubernetes.io/instance-type"),
        capacity_type=NodeCapacityType.ON_DEMAND,
        gpu_model=node.labels.get("gpu-model"),
        gpu_count=int(node.labels.get("gpu-count", "0")),
    )


@dataclass
class RecordingEvents:
    events: list[tuple[str, str, str]] = field(default_factory=list)

    def record(self, ref: WorkloadRef, reason: str, message: str, type_: str = "Warning") -> None:
        self.events.append((ref.key, reason, message))


def gpu_node(name: str, instance_type: str, gpus: int, gpu_model: str = "A100-SXM-40GB") -> NodeInfo:
    return NodeInfo(
        name=name,
        uid=f"uid-{name}",
        labels={"node.kubernetes.io/instance-type": instance_type, "gpu-model": gpu_model, "gpu-count": str(gpus)},
        capacity={"nvidia.com/gpu": str(gpus), "cpu": "96", "memory": "1152Gi"},
        allocatable={"nvidia.com/gpu": str(gpus), "cpu": "95", "memory": "1100Gi"},
    )


def workload(name: str, kind: str = "PyTorchJob", namespace: str = "ml", **annotations: str) -> WorkloadInfo:
    return WorkloadInfo(
        ref=WorkloadRef(kind=kind, api_version="kubeflow.org/v1", namespace=namespace, name=name, uid=f"uid-{name}"),
        labels={"team": "nlp"},
        annotations={f"trainspend.io/{k.replace('_', '-')}": v for k, v in annotations.items()},
        created=datetime(2026, 11, 2, tzinfo=UTC),
    )


def pod(
    name: str,
    owner: WorkloadInfo,
    node: str,
    gpus: int,
    started: datetime,
    phase: str = "Running",
    finished: datetime | None = None,
) -> PodInfo:
    return PodInfo(
        namespace=owner.ref.namespace,
        name=name,
        uid=f"uid-{name}",
        node_name=node,
        phase=phase,
        requests={"nvidia.com/gpu": str(gpus)},
        started=started,
        finished=finished,
        owner=owner.ref,
    )
