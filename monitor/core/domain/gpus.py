"""The one model of a node's GPUs and of what each pod holds of them; pricing and attribution both use it.

A node has `physical` GPUs of one `model`. The scheduler hands out *units* of them, and each unit is a fraction of a
physical GPU:

* `nvidia.com/gpu`, no sharing: one whole GPU per unit.
* Time-slicing: the NVIDIA device plugin advertises `replicas` units per GPU and GPU feature discovery (GFD) labels
  the node `nvidia.com/gpu.replicas` (product suffixed `-SHARED`; with `renameByDefault` the units are
  `nvidia.com/gpu.shared`); GKE labels `cloud.google.com/gke-max-shared-clients-per-gpu` with
  `cloud.google.com/gke-gpu-sharing-strategy` (time-sharing or mps). A unit is 1/replicas of a GPU.
  Sources: NVIDIA/k8s-device-plugin internal/lm/resource.go (replicas and `-SHARED` labels),
  internal/lm/mig-strategy_test.go; cloud.google.com/kubernetes-engine/docs/concepts/timesharing-gpus.
* MIG with one profile on every GPU (uniform geometry): GFD's "single" strategy (`nvidia.com/mig.strategy: single`,
  `nvidia.com/gpu.product: <model>-MIG-<g>g.<mem>gb`, `nvidia.com/gpu.count` = MIG devices, not GPUs) and GKE's
  partitions (`cloud.google.com/gke-gpu-partition-size: 1g.5gb`, `nvidia.com/gpu` = partitions). A GPU holds
  `instances = min(floor(C / g), floor(M / m))` devices of a profile with g compute and m memory slices, of the GPU's
  C compute and M memory slices (A100/H100/H200/B200: C=7, M=8; A30: C=4, M=4), so a unit is 1/instances of a GPU
  and physical = ceil(devices / instances): 16 × 3g.20gb on 8 A100-40GB is 16/2 = 8 GPUs, 24 × 2g.10gb is 24/3 = 8.
  Sources: NVIDIA MIG User Guide "Supported MIG Profiles"; learn.microsoft.com/azure/aks/gpu-multi-instance (1g.5gb:
  1/7 SM, 1/8 memory, 7 instances; 3g.20gb: 3/7, 4/8, 2 instances); cloud.google.com/kubernetes-engine/docs/how-to/
  gpus-multi ("seven compute units and eight memory units").
* MIG "mixed" (`nvidia.com/mig-<g>g.<mem>gb` resources, several profiles per GPU): a device is g/C of a GPU — the
  compute slices, which no two devices share, so the devices on a GPU never sum above it. Physical, when GFD's
  `nvidia.com/gpu.count` (the GPUs, under "mixed") is absent: whole GPUs + the larger of ceil(compute slices / C) and
  ceil(memory slices / M) (one profile only: ceil(devices / instances)).
* DRA (resource.k8s.io ResourceClaims, NVIDIA k8s-dra-driver-gpu): a `gpu-<minor>` device is one GPU; a MIG device
  `gpu-<minor>-mig-<profileId>-<start>-<size>` (NVIDIA/k8s-dra-driver-gpu cmd/gpu-kubelet-plugin/deviceinfo.go,
  CanonicalName; profileId is NVML's GPU instance profile id, placement size in memory slices) is g/C of a GPU as
  under "mixed", g read from the profile id on 7-slice GPUs (`nvidia-smi mig -lgip`: 0 = 7g, 5 = 4g, 9 = 3g, 14 = 2g,
  15/19/20 = 1g; NVIDIA MIG User Guide), else from the placement: size/M.

Where no label explains why more units are advertised than the instance type has GPUs, a unit is
physical / advertised. A node that advertises nothing and has no GPU count label (the NVIDIA DRA driver instead of the
device plugin, no GPU feature discovery) has the GPUs its DRA driver publishes in ResourceSlices (`NodeInfo.dra_gpus`,
monitor.adapters.kube.slices), else those of its instance type.

Invariant (property-tested): what the scheduler can hand out on a node never sums above its physical GPUs, and
pricing (`node_identity().gpu_count`) and attribution see the same physical count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from monitor.core.domain.model import NodeInfo
from monitor.core.domain.quantities import quantity_or_zero

GPU = "nvidia.com/gpu"
GPU_SHARED = "nvidia.com/gpu.shared"
GPU_COUNT_LABEL = "nvidia.com/gpu.count"
GPU_REPLICAS_LABEL = "nvidia.com/gpu.replicas"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
MIG_STRATEGY_LABEL = "nvidia.com/mig.strategy"
GKE_PARTITION_LABEL = "cloud.google.com/gke-gpu-partition-size"
GKE_CLIENTS_LABEL = "cloud.google.com/gke-max-shared-clients-per-gpu"
# The labels `node_gpus` reads: a node's GPU model is a function of these, its capacity and allocatable.
LABELS = (GPU_COUNT_LABEL, GPU_REPLICAS_LABEL, GPU_PRODUCT_LABEL, MIG_STRATEGY_LABEL, GKE_PARTITION_LABEL,
          GKE_CLIENTS_LABEL, "karpenter.k8s.aws/instance-gpu-count")  # fmt: skip
NVIDIA_DRA_DRIVER = "gpu.nvidia.com"

_MIG_RESOURCE = re.compile(r"^nvidia\.com/mig-(\d+g\.\d+gb)$")
_PROFILE = re.compile(r"^(\d+)g\.(\d+)gb(?:\+me)?$", re.IGNORECASE)
_PRODUCT_PROFILE = re.compile(r"-MIG-(\d+g\.\d+gb(?:\+me)?)$", re.IGNORECASE)
_DRA_GPU = re.compile(r"^gpu-\d+$")
_DRA_MIG = re.compile(r"^gpu-\d+-mig-(\d+)-\d+-(\d+)$")
# NVML GPU instance profile id → compute slices on the 7-compute-slice GPUs (A100, H100, H200, B200).
_SEVEN_SLICE_PROFILE_IDS: Mapping[int, int] = {0: 7, 5: 4, 9: 3, 14: 2, 15: 1, 19: 1, 20: 1}


@dataclass(frozen=True, slots=True)
class MigGeometry:
    """A GPU's MIG slices: compute (C), memory (M), and its memory in GB (None: unknown model)."""

    compute_slices: int
    memory_slices: int
    memory_gb: int | None


# Catalog GPU id → MIG geometry. Source: NVIDIA MIG User Guide, "Supported MIG Profiles" (A100 40/80GB, H100 80/94GB,
# H200 141GB, B200 180GB, GB200 186GB: 7 compute / 8 memory slices; A30 24GB: 4 / 4), read 2026-12.
_GEOMETRY: Mapping[str, MigGeometry] = {
    "A100-SXM-40GB": MigGeometry(7, 8, 40),
    "A100-PCIe-40GB": MigGeometry(7, 8, 40),
    "A100-SXM-80GB": MigGeometry(7, 8, 80),
    "A100-PCIe-80GB": MigGeometry(7, 8, 80),
    "A800": MigGeometry(7, 8, 80),
    "H100-SXM": MigGeometry(7, 8, 80),
    "H100-PCIe": MigGeometry(7, 8, 80),
    "H800-SXM": MigGeometry(7, 8, 80),
    "H800-PCIe": MigGeometry(7, 8, 80),
    "H100-NVL": MigGeometry(7, 8, 94),
    "H20": MigGeometry(7, 8, 96),
    "H200-SXM": MigGeometry(7, 8, 141),
    "H200-NVL": MigGeometry(7, 8, 141),
    "B200": MigGeometry(7, 8, 180),
    "GB200": MigGeometry(7, 8, 186),
    "A30": MigGeometry(4, 4, 24),
}
_DEFAULT_GEOMETRY = MigGeometry(7, 8, None)


def geometry(gpu_model: str | None) -> MigGeometry:
    return _GEOMETRY.get(gpu_model or "", _DEFAULT_GEOMETRY)


@dataclass(frozen=True, slots=True)
class MigProfile:
    """A MIG profile `<g>g.<mem>gb`: g compute slices and mem GB (the "+me" media-extension variants alike)."""

    compute: int
    memory_gb: int

    @staticmethod
    def parse(text: str | None) -> MigProfile | None:
        match = _PROFILE.match((text or "").strip())
        if match is None or int(match.group(1)) == 0:
            return None
        return MigProfile(int(match.group(1)), int(match.group(2)))

    def memory_slices(self, geo: MigGeometry) -> int:
        """m = round(mem × M / GPU memory) (3g.71gb on a 141 GB H200: 4 of 8); unknown GPU: m = g."""
        if geo.memory_gb is None:
            return self.compute
        return max(1, round(self.memory_gb * geo.memory_slices / geo.memory_gb))

    def instances(self, geo: MigGeometry) -> int:
        """Devices of this profile one GPU holds: min(floor(C / g), floor(M / m)), at least 1."""
        return max(1, min(geo.compute_slices // self.compute, geo.memory_slices // self.memory_slices(geo)))


@dataclass(frozen=True, slots=True)
class NodeGpus:
    """A node's physical GPUs and the fraction of one that each schedulable unit is (see the module docstring)."""

    physical: int
    model: str | None
    unit: Fraction  # physical GPUs per `nvidia.com/gpu` (exact: 14 units of 1/7 are 2 GPUs, not 2.000…01)
    shared_unit: Fraction  # physical GPUs per `nvidia.com/gpu.shared`
    geometry: MigGeometry
    sharing: str  # "exclusive" | "time-sliced" | "mig-uniform" | "mig-mixed" | "advertised": how units were read

    def mig_fraction(self, resource: str) -> Fraction:
        """`nvidia.com/mig-<g>g.<mem>gb` (mixed strategy) → g / C of a GPU; 0 for any other resource."""
        match = _MIG_RESOURCE.match(resource)
        profile = MigProfile.parse(match.group(1)) if match else None
        return Fraction(profile.compute, self.geometry.compute_slices) if profile else Fraction(0)

    def dra_fraction(self, driver: str, device: str) -> Fraction:
        """A device allocated through a DRA ResourceClaim: `gpu-N` → 1; MIG `gpu-N-mig-P-S-Z` → g(P) / C, else Z / M;
        other devices of the NVIDIA driver → 1 (a whole GPU); devices of other drivers → 0 (not an NVIDIA GPU)."""
        if driver != NVIDIA_DRA_DRIVER:
            return Fraction(0)
        mig = _DRA_MIG.match(device)
        if mig is None:
            return Fraction(1)
        geo = self.geometry
        compute = _SEVEN_SLICE_PROFILE_IDS.get(int(mig.group(1))) if geo.compute_slices == 7 else None
        if compute is not None:
            return Fraction(compute, geo.compute_slices)
        return min(Fraction(1), Fraction(int(mig.group(2)), geo.memory_slices))

    def held_exact(self, requests: Mapping[str, str]) -> Fraction:
        """GPUs a pod's requests hold: gpu × unit + gpu.shared × shared_unit + Σ mig-<p> × g / C."""
        share = Fraction(quantity_or_zero(requests, GPU)) * self.unit
        share += Fraction(quantity_or_zero(requests, GPU_SHARED)) * self.shared_unit
        for resource in requests:
            if resource.startswith("nvidia.com/mig-"):
                share += Fraction(quantity_or_zero(requests, resource)) * self.mig_fraction(resource)
        return share

    def held(self, requests: Mapping[str, str]) -> Decimal:
        """`held_exact` as a Decimal (rounded once, at the end)."""
        return to_decimal(self.held_exact(requests))


def to_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _positive_int(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if text.isdigit() else 0


def _replicas(labels: Mapping[str, str]) -> int:
    """Time-sharing replicas per GPU (GFD `nvidia.com/gpu.replicas`, GKE max shared clients), at least 1."""
    return max(1, _positive_int(labels.get(GPU_REPLICAS_LABEL)), _positive_int(labels.get(GKE_CLIENTS_LABEL)))


def _uniform_profile(labels: Mapping[str, str]) -> MigProfile | None:
    """The one MIG profile of every GPU: GKE's partition size, or GFD's product suffix unless the strategy is mixed."""
    gke = MigProfile.parse(labels.get(GKE_PARTITION_LABEL))
    if gke is not None:
        return gke
    if labels.get(MIG_STRATEGY_LABEL, "single").strip().lower() == "mixed":
        return None
    match = _PRODUCT_PROFILE.search(labels.get(GPU_PRODUCT_LABEL, "").strip())
    return MigProfile.parse(match.group(1)) if match else None


def _mixed_physical(resources: Mapping[str, str], geo: MigGeometry) -> int:
    """GPUs that the mixed-strategy MIG devices of `resources` need at least (module docstring)."""
    devices = {MigProfile.parse(m.group(1)): quantity_or_zero(resources, r)
               for r in resources if (m := _MIG_RESOURCE.match(r))}  # fmt: skip
    devices = {p: n for p, n in devices.items() if p is not None and n > 0}
    if not devices:
        return 0
    if len(devices) == 1:
        ((profile, count),) = devices.items()
        assert profile is not None
        return math.ceil(count / profile.instances(geo))
    compute = sum(n * p.compute for p, n in devices.items() if p is not None)
    memory = sum(n * p.memory_slices(geo) for p, n in devices.items() if p is not None)
    return max(math.ceil(compute / geo.compute_slices), math.ceil(memory / geo.memory_slices))


def node_gpus(node: NodeInfo, gpu_model: str | None = None, instance_gpus: int = 0) -> NodeGpus:
    """The GPU model of `node` (module docstring). `gpu_model`: its catalog GPU id; `instance_gpus`: what its instance
    type has (instance table, Karpenter label), used when its labels and capacity do not say."""
    labels = node.labels
    geo = geometry(gpu_model)
    replicas = _replicas(labels)
    resources = node.capacity or node.allocatable
    advertised = quantity_or_zero(resources, GPU)
    advertised_shared = quantity_or_zero(resources, GPU_SHARED)
    label_count = _positive_int(labels.get(GPU_COUNT_LABEL))
    per_replica = Fraction(1, replicas)
    shared = "time-sliced" if replicas > 1 else "exclusive"
    profile = _uniform_profile(labels)
    if profile is not None and (label_count or advertised):
        per_gpu = profile.instances(geo)
        devices = Decimal(label_count) if label_count else advertised / replicas
        unit = Fraction(1, per_gpu * replicas)
        return NodeGpus(math.ceil(devices / per_gpu), gpu_model, unit, unit, geo, "mig-uniform")
    if label_count:
        return NodeGpus(label_count, gpu_model, per_replica, per_replica, geo, shared)
    whole = int((advertised + advertised_shared) // replicas)
    mixed = _mixed_physical(resources, geo)
    if mixed:
        return NodeGpus(whole + mixed, gpu_model, per_replica, per_replica, geo, "mig-mixed")
    # Nothing advertised or labelled: the GPUs its DRA driver publishes, else what its instance type has.
    fallback = node.dra_gpus or instance_gpus or _positive_int(labels.get("karpenter.k8s.aws/instance-gpu-count"))
    if replicas == 1 and fallback and advertised > fallback:  # more units than GPUs, and no label says why
        unit = Fraction(fallback) / Fraction(advertised)
        return NodeGpus(fallback, gpu_model, unit, unit, geo, "advertised")
    return NodeGpus(whole or fallback, gpu_model, per_replica, per_replica, geo, shared)
