"""Realistic nodes and pods for domain tests (prices: AWS us-east-1 on-demand list prices, checked 2025)."""

from datetime import UTC, date, datetime

from monitor.core.domain.attribution import PricedNode
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, NodeInfo, PodInfo, Price, WorkloadRef

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
P4D_USD_PER_HOUR = 32.7726  # p4d.24xlarge, 8x A100-SXM4-40GB
G5_USD_PER_HOUR = 1.006  # g5.xlarge, 1x A10G
M5_USD_PER_HOUR = 0.384  # m5.2xlarge, 8 vCPU, 32 GiB


def priced_node(
    name: str,
    usd_per_hour: float,
    *,
    gpus: int = 0,
    gpu_model: str | None = None,
    instance_type: str = "p4d.24xlarge",
    capacity: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> PricedNode:
    caps = capacity if capacity is not None else {"cpu": "96", "memory": "1152Gi", "nvidia.com/gpu": str(gpus)}
    info = NodeInfo(name=name, uid=f"uid-{name}", labels=labels or {}, capacity=caps, allocatable=caps)
    identity = NodeIdentity(
        node=name,
        provider="aws",
        region="us-east-1",
        instance_type=instance_type,
        capacity_type=NodeCapacityType.ON_DEMAND,
        gpu_model=gpu_model,
        gpu_count=gpus,
    )
    price = Price(usd_per_hour=usd_per_hour, source="catalog", as_of=date(2025, 6, 1))
    return PricedNode(info=info, identity=identity, price=price)


def pod(
    name: str,
    node: str | None,
    requests: dict[str, str],
    *,
    phase: str = "Running",
    started: datetime | None = T0,
    finished: datetime | None = None,
    owner: WorkloadRef | None = None,
    bound: datetime | None = None,
) -> PodInfo:
    return PodInfo(
        namespace="ml",
        name=name,
        uid=f"uid-{name}",
        node_name=node,
        phase=phase,
        requests=requests,
        bound=bound,
        started=started,
        finished=finished,
        owner=owner,
    )


def job_ref(name: str = "llama-ft") -> WorkloadRef:
    return WorkloadRef(kind="PyTorchJob", api_version="kubeflow.org/v1", namespace="ml", name=name, uid=f"uid-{name}")
