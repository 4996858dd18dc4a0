"""Attribution (DESIGN §3 step 3): a node's hourly price becomes an hourly cost per pod, plus the node's idle GPU cost.

How a node's price is split (the rule, and why):

* **GPU node** (one or more physical GPUs): the whole price belongs to the GPUs, because the GPUs are what the
  instance is bought for and are most of its price (a p5.48xlarge is ~$98/h; the same vCPU/RAM without GPUs ~$10/h).
  Splitting by a CPU/RAM ratio is what makes OpenCost under-price GPU pods. Per-GPU hourly cost =
  price / physical GPUs; a pod pays per-GPU cost x its GPU share; GPUs nobody holds are the node's idle GPU cost.
  CPU-only pods on a GPU node pay nothing (their CPU/RAM is the GPU holders' by-product) — the idle GPU cost shows
  when the node is held by such pods only.
* **CPU-only node**: a pod pays price x max(CPU share, memory share) of allocatable (DESIGN §3), the larger share
  being the one that blocks the node for others. When the shares of the pods on one node sum above 1 (one CPU-heavy
  and one memory-heavy pod) they are scaled down so that the node is never charged more than its price.

GPU share of a pod (`gpu_share`):

* `nvidia.com/gpu`: whole GPUs; with time-slicing (the device plugin advertises `replicas` per physical GPU, GPU
  feature discovery labels the node `nvidia.com/gpu.replicas`) or MIG single strategy (more `nvidia.com/gpu` than
  physical GPUs), each advertised unit is physical / advertised of a GPU.
* `nvidia.com/gpu.shared` (time-slicing with renameByDefault): 1 / replicas of a GPU.
* `nvidia.com/mig-<g>g.<mem>gb` (MIG mixed strategy): g / 7 of a GPU on A100/H100/H200/B200 (7 compute slices), g / 4
  on A30 (4 slices). Source: NVIDIA MIG User Guide, "Supported MIG Profiles".

Holders are the pods bound to the node that run now or ran during the accrual interval: phase Running, or
Succeeded/Failed with a finish time after `since`. A pod's hourly cost never depends on the GPU pods beside it, so a
finished pod and its successor on the same GPU each accrue only over their own wall time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from monitor.domain.model import NodeIdentity, NodeInfo, PodInfo, Price
from monitor.domain.quantities import quantity_or_zero
from monitor.domain.result import NodeCost

GPU = "nvidia.com/gpu"
GPU_SHARED = "nvidia.com/gpu.shared"
GPU_COUNT_LABEL = "nvidia.com/gpu.count"
GPU_REPLICAS_LABEL = "nvidia.com/gpu.replicas"
_MIG = re.compile(r"^nvidia\.com/mig-(\d+)g\.(\d+)gb$")
_FOUR_SLICE_GPUS = ("A30",)


@dataclass(frozen=True)
class PricedNode:
    info: NodeInfo
    identity: NodeIdentity
    price: Price


@dataclass(frozen=True, slots=True)
class PodCost:
    """One pod's share of its node: hourly USD and GPUs held (fractional for MIG / time-sliced)."""

    pod_uid: str
    node: str
    hourly_usd: float
    gpus: float
    price: Price | None  # None: the pod's node has no price (cost 0 until it has one)


@dataclass(frozen=True)
class Attribution:
    pods: Mapping[str, PodCost]  # by pod uid
    nodes: tuple[NodeCost, ...]


def physical_gpus(node: PricedNode | NodeInfo, identity: NodeIdentity | None = None) -> int:
    """Physical GPUs: the pricing identity's count, else GPU feature discovery's `nvidia.com/gpu.count` label, else
    the advertised `nvidia.com/gpu` capacity divided by the time-slicing replicas."""
    info = node.info if isinstance(node, PricedNode) else node
    ident = node.identity if isinstance(node, PricedNode) else identity
    if ident is not None and ident.gpu_count > 0:
        return ident.gpu_count
    label = info.labels.get(GPU_COUNT_LABEL, "")
    if label.isdigit() and int(label) > 0:
        return int(label)
    advertised = quantity_or_zero(info.capacity, GPU)
    return int(advertised // _replicas(info))


def _replicas(info: NodeInfo) -> int:
    label = info.labels.get(GPU_REPLICAS_LABEL, "")
    return int(label) if label.isdigit() and int(label) > 1 else 1


def _mig_slices(gpu_model: str | None, info: NodeInfo) -> int:
    product = (gpu_model or "") + " " + info.labels.get("nvidia.com/gpu.product", "")
    return 4 if any(name in product.upper() for name in _FOUR_SLICE_GPUS) else 7


@dataclass(frozen=True)
class _GpuUnits:
    """How one node's advertised GPU resources map to physical GPUs (see the module docstring)."""

    unit: Decimal  # physical GPUs per advertised `nvidia.com/gpu`
    replicas: int  # time-slicing replicas per physical GPU
    slices: int  # MIG compute slices per physical GPU
    physical: int  # physical GPUs on the node (`physical_gpus`)


_NO_NODE = _GpuUnits(Decimal(1), 1, 7, 0)


def _units(node: PricedNode | None) -> _GpuUnits:
    if node is None:
        return _NO_NODE
    replicas = _replicas(node.info)
    physical = physical_gpus(node)
    advertised = quantity_or_zero(node.info.capacity, GPU) or quantity_or_zero(node.info.allocatable, GPU)
    unit = Decimal(1)
    if replicas > 1:
        unit = Decimal(1) / replicas
    elif physical > 0 and advertised > physical:
        unit = Decimal(physical) / advertised
    return _GpuUnits(unit, replicas, _mig_slices(node.identity.gpu_model, node.info), physical)


def gpu_share(pod: PodInfo, node: PricedNode | None) -> Decimal:
    """GPUs a pod holds on `node`, in physical-GPU units (see the module docstring for each resource)."""
    return _share(pod.requests, _units(node))


def _share(requests: Mapping[str, str], units: _GpuUnits) -> Decimal:
    """whole x unit + shared / replicas + sum over MIG profiles of count x g / slices."""
    share = quantity_or_zero(requests, GPU) * units.unit + quantity_or_zero(requests, GPU_SHARED) / units.replicas
    for resource in requests:
        match = _MIG.match(resource)
        if match is not None:
            share += quantity_or_zero(requests, resource) * int(match.group(1)) / units.slices
    return share


class _Shares:
    """`_units` and `_share` memoised for one `attribute` call: 2,000 nodes are of a few kinds and 20k pods request a
    handful of distinct GPU amounts; parsing every quantity anew was most of the attribution's time."""

    def __init__(self) -> None:
        self._units: dict[tuple[object, ...], _GpuUnits] = {}
        self._shares: dict[_GpuUnits, dict[tuple[tuple[str, str], ...], Decimal]] = {}

    def units(self, node: PricedNode) -> _GpuUnits:
        info, ident = node.info, node.identity
        labels = info.labels
        key = (
            tuple(info.capacity.items()),
            tuple(info.allocatable.items()),
            labels.get(GPU_COUNT_LABEL),
            labels.get(GPU_REPLICAS_LABEL),
            labels.get("nvidia.com/gpu.product"),
            ident.gpu_count,
            ident.gpu_model,
        )
        units = self._units.get(key)
        if units is None:
            units = self._units[key] = _units(node)
        return units

    def on(self, units: _GpuUnits) -> dict[tuple[tuple[str, str], ...], Decimal]:
        """The memo of shares for nodes of these `units` (requests items → share); fill it with `of`."""
        return self._shares.setdefault(units, {})

    @staticmethod
    def of(pod: PodInfo, units: _GpuUnits, known: dict[tuple[tuple[str, str], ...], Decimal]) -> Decimal:
        key = tuple(pod.requests.items())
        share = known.get(key)
        if share is None:
            share = known[key] = _share(pod.requests, units)
        return share


def holds_resources(pod: PodInfo, since: datetime | None) -> bool:
    """Running pods hold their node's resources; finished ones did until their finish time (if after `since`)."""
    if pod.node_name is None:
        return False
    if pod.phase == "Running":
        return True
    if pod.phase in ("Succeeded", "Failed") and pod.finished is not None and since is not None:
        return pod.finished > since
    return False


def _cpu_memory_share(pod: PodInfo, info: NodeInfo) -> Decimal:
    resources = info.allocatable or info.capacity
    shares = []
    for resource in ("cpu", "memory"):
        available = quantity_or_zero(resources, resource)
        if available > 0:
            shares.append(min(Decimal(1), quantity_or_zero(pod.requests, resource) / available))
    return max(shares, default=Decimal(0))


def attribute(nodes: Sequence[PricedNode], pods: Sequence[PodInfo], since: datetime | None = None) -> Attribution:
    """Hourly cost and GPUs per holding pod, and `NodeCost` per priced node (formulas in the module docstring).

    `since`: the start of the accrual interval; pods that finished after it still hold resources for this tick.
    """
    by_name = {node.info.name: node for node in nodes}
    holders: dict[str, list[PodInfo]] = {}
    for pod in pods:
        if holds_resources(pod, since):
            holders.setdefault(pod.node_name or "", []).append(pod)
    costs: dict[str, PodCost] = {}
    node_costs: list[NodeCost] = []
    shares = _Shares()
    for node_name, node_pods in holders.items():
        node = by_name.get(node_name)
        if node is None:
            for pod in node_pods:
                costs[pod.uid] = PodCost(
                    pod.uid, node_name, 0.0, float(shares.of(pod, _NO_NODE, shares.on(_NO_NODE))), None
                )
    for node in nodes:
        node_pods = holders.get(node.info.name, [])
        price = Decimal(repr(node.price.usd_per_hour))
        units = shares.units(node)
        gpus = units.physical
        if gpus > 0:
            per_gpu = price / gpus
            allocated = Decimal(0)
            known = shares.on(units)
            floats: dict[Decimal, tuple[float, float]] = {}  # share → (hourly USD, GPUs): pods on a node repeat
            for pod in node_pods:
                share = shares.of(pod, units, known)
                if pod.phase == "Running":
                    allocated += share
                pair = floats.get(share)
                if pair is None:
                    pair = floats[share] = (float(per_gpu * share), float(share))
                costs[pod.uid] = PodCost(pod.uid, node.info.name, pair[0], pair[1], node.price)
            idle = max(Decimal(0), gpus - allocated)
            node_costs.append(
                NodeCost(
                    identity=node.identity,
                    price=node.price,
                    gpu_hourly_cost_usd=float(per_gpu),
                    idle_gpu_hourly_cost_usd=float(idle * per_gpu),
                    gpus_allocated=float(allocated),
                )
            )
            continue
        cpu_shares = {pod.uid: _cpu_memory_share(pod, node.info) for pod in node_pods}
        total = sum(cpu_shares.values(), Decimal(0))
        scale = Decimal(1) / total if total > 1 else Decimal(1)
        for pod in node_pods:
            hourly = float(price * cpu_shares[pod.uid] * scale)
            costs[pod.uid] = PodCost(pod.uid, node.info.name, hourly, 0.0, node.price)
        node_costs.append(
            NodeCost(identity=node.identity, price=node.price, gpu_hourly_cost_usd=0.0, idle_gpu_hourly_cost_usd=0.0)
        )
    return Attribution(pods=costs, nodes=tuple(node_costs))
