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

GPU share of a pod (`gpu_share`): what its requests hold of the node's physical GPUs, by the one GPU model of
`monitor.core.domain.gpus` (whole GPUs, time-sliced replicas, MIG profiles, GKE partitions) — the same model that
counts the
node's GPUs for pricing — plus the devices of the DRA ResourceClaims reserved for it (shared by n pods: 1/n each).

Holders are the pods bound to the node (`spec.nodeName` set, Pending/ContainerCreating included) that have not
finished: a pod holds its node from binding until it is Succeeded/Failed or deleted (`PodInfo.finished`), and a
finished pod holds nothing — it neither pays nor dilutes the CPU/memory shares of the pods still there. `since` (the
start of an interval) keeps pods that finished after it. `monitor.core.domain.accrual` calls `attribute` for each
span of
time with one set of holders, which is what makes a node's charges plus its idle cost equal its price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from monitor.core.domain.gpus import LABELS as GPU_LABELS
from monitor.core.domain.gpus import NodeGpus, geometry, node_gpus, to_decimal
from monitor.core.domain.model import ClaimInfo, NodeIdentity, NodeInfo, PodInfo, Price
from monitor.core.domain.quantities import quantity_or_zero
from monitor.core.domain.result import NodeCost


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
    """Physical GPUs of a node (`monitor.core.domain.gpus.node_gpus`, fed the pricing identity's model and count)."""
    return _units(node if isinstance(node, PricedNode) else None, node, identity).physical


_NO_NODE = NodeGpus(0, None, Fraction(1), Fraction(1), geometry(None), "exclusive")


def _units(
    node: PricedNode | None, info: PricedNode | NodeInfo | None = None, ident: NodeIdentity | None = None
) -> NodeGpus:
    if node is not None:
        info, ident = node.info, node.identity
    if not isinstance(info, NodeInfo):
        return _NO_NODE
    return node_gpus(info, ident.gpu_model if ident else None, ident.gpu_count if ident else 0)


def gpu_share(pod: PodInfo, node: PricedNode | None) -> Decimal:
    """GPUs a pod holds on `node`, in physical-GPU units (`NodeGpus.held`)."""
    return _units(node).held(pod.requests)


class Shares:
    """`_units` and `NodeGpus.held` memoised for one `attribute` call: 2,000 nodes are of a few kinds and 20k pods
    request a handful of distinct GPU amounts; parsing every quantity anew was most of the attribution's time."""

    def __init__(self) -> None:
        self._units: dict[tuple[object, ...], NodeGpus] = {}
        self._shares: dict[NodeGpus, dict[tuple[tuple[str, str], ...], Decimal]] = {}

    def units(self, node: PricedNode) -> NodeGpus:
        info, ident = node.info, node.identity
        labels = info.labels
        key = (
            tuple(info.capacity.items()),
            tuple(info.allocatable.items()),
            *(labels.get(label) for label in GPU_LABELS),
            ident.gpu_count,
            ident.gpu_model,
        )
        units = self._units.get(key)
        if units is None:
            units = self._units[key] = _units(node)
        return units

    def on(self, units: NodeGpus) -> dict[tuple[tuple[str, str], ...], Decimal]:
        """The memo of shares for nodes of these `units` (requests items → share); fill it with `of`."""
        return self._shares.setdefault(units, {})

    @staticmethod
    def of(pod: PodInfo, units: NodeGpus, known: dict[tuple[tuple[str, str], ...], Decimal]) -> Decimal:
        key = tuple(pod.requests.items())
        share = known.get(key)
        if share is None:
            share = known[key] = units.held(pod.requests)
        return share


class _Claims:
    """GPUs pods hold through DRA ResourceClaims: each allocated device's fraction (`NodeGpus.dra_fraction`), split
    evenly among the claim's pods that hold their node over the span attributed (one claim shared by a Job's pods is
    one set of devices): devices / holders. A member that finished before the span is no holder, so when a member of a
    shared claim finishes mid-tick the accrual's span that starts at its finish time splits the claim among the rest,
    and the span before it still among all (conservation holds in each span: the claim's devices are charged once)."""

    def __init__(self, claims: Sequence[ClaimInfo], holding: Set[str]) -> None:
        self._by_pod: dict[str, list[tuple[ClaimInfo, int]]] = {}
        for claim in claims:
            users = [uid for uid in claim.reserved_for if uid in holding]
            for uid in users:
                self._by_pod.setdefault(uid, []).append((claim, len(users)))

    def held(self, pod: PodInfo, units: NodeGpus) -> Decimal:
        claims = self._by_pod.get(pod.uid)
        if not claims:
            return Decimal(0)
        total = Fraction(0)
        for claim, users in claims:
            devices = sum((units.dra_fraction(d.driver, d.device) for d in claim.devices), Fraction(0))
            total += devices / users
        return to_decimal(total)


def holds_resources(pod: PodInfo, since: datetime | None) -> bool:
    """Bound and not finished (see the module docstring); with `since`, also pods that finished after it."""
    if pod.node_name is None:
        return False
    if pod.finished is not None:
        return since is not None and pod.finished > since
    return pod.phase not in ("Succeeded", "Failed")


def _cpu_memory_share(pod: PodInfo, info: NodeInfo) -> Decimal:
    resources = info.allocatable or info.capacity
    shares = []
    for resource in ("cpu", "memory"):
        available = quantity_or_zero(resources, resource)
        if available > 0:
            shares.append(min(Decimal(1), quantity_or_zero(pod.requests, resource) / available))
    return max(shares, default=Decimal(0))


def attribute(
    nodes: Sequence[PricedNode],
    pods: Sequence[PodInfo],
    since: datetime | None = None,
    claims: Sequence[ClaimInfo] = (),
    shares: Shares | None = None,
) -> Attribution:
    """Hourly cost and GPUs per holding pod, and `NodeCost` per priced node (formulas in the module docstring).

    `since`: the start of the accrual interval; pods that finished after it still hold resources for this tick.
    `claims`: allocated DRA ResourceClaims; the GPUs they hold count towards their pods' shares.
    `shares`: a memo shared by calls (`NodeAttributionMemo` attributes one node per call); its entries are pure
    functions of their keys, so sharing it changes no result.
    """
    by_name = {node.info.name: node for node in nodes}
    holders: dict[str, list[PodInfo]] = {}
    for pod in pods:
        if holds_resources(pod, since):
            holders.setdefault(pod.node_name or "", []).append(pod)
    costs: dict[str, PodCost] = {}
    node_costs: list[NodeCost] = []
    shares = shares if shares is not None else Shares()
    holding = {pod.uid for group in holders.values() for pod in group} if claims else frozenset[str]()
    claimed = _Claims(claims, holding)
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
                share = shares.of(pod, units, known) + claimed.held(pod, units)
                allocated += share
                pair = floats.get(share)
                if pair is None:
                    pair = floats[share] = (float(per_gpu * share), float(share))
                costs[pod.uid] = PodCost(pod.uid, node.info.name, pair[0], pair[1], node.price)
            if allocated > gpus:
                # More GPUs held than the node has: a view the scheduler cannot produce (a stale or mis-read pod).
                # Scaled down, like CPU shares, so the node is never charged more than its price.
                factor = Decimal(gpus) / allocated
                for pod in node_pods:
                    held = costs[pod.uid]
                    costs[pod.uid] = PodCost(
                        pod.uid, held.node, float(Decimal(repr(held.hourly_usd)) * factor), held.gpus, held.price
                    )
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
