"""What a node is, for pricing: provider, region, zone, instance type, capacity type, GPU model and count.

The physical GPU count is `monitor.core.domain.gpus.node_gpus` (the one GPU model attribution uses too).

Pure: reads `NodeInfo.provider_id`, labels and capacity only. Unknown is a value (None / UNKNOWN), never an exception.
Provider ID formats: AWS `aws:///us-east-1a/i-…`, GCE `gce://project/us-central1-a/name`, Azure
`azure:///subscriptions/…/virtualMachineScaleSets/…`, Alibaba ACK `cn-hangzhou.i-…`, Tencent TKE `qcloud:///800002/ins-…`.
Provider names are the offer catalog's ids (`estimator.catalog.providers`: ACK nodes are `aliyun`, TKE nodes `tencent`),
so the embedded catalog prices them without a second alias table.
"""

from __future__ import annotations

import re
from functools import cache
from types import MappingProxyType

from estimator.catalog.offers import embedded_offers
from estimator.catalog.providers import ALIBABA, TENCENT, canonical_provider
from monitor.adapters.pricing.instance_gpus import INSTANCE_GPUS
from monitor.core.domain.gpu_names import normalise_gpu
from monitor.core.domain.gpus import node_gpus
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, NodeInfo
from monitor.core.domain.quantities import parse_quantity_or_zero

_INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
_REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
_ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
_ON_PREM_SCHEMES = ("kind", "k3s", "rke2", "metal3", "baremetal", "kubevirt")
_ALIBABA_ID = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z0-9]+)+)\.i-[a-z0-9]+$")
# TKE labels nodes with Tencent Cloud's short region names (`topology.kubernetes.io/region: gz`, zone `100003`); the
# catalog uses the API region ids. Source: Tencent Cloud "Regions and Availability Zones" (region id / short name
# table), TKE node label examples (`failure-domain.beta.kubernetes.io/region=sh`), read 2026.
_TKE_REGIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "gz": "ap-guangzhou",
        "sh": "ap-shanghai",
        "bj": "ap-beijing",
        "cd": "ap-chengdu",
        "cq": "ap-chongqing",
        "nj": "ap-nanjing",
        "hk": "ap-hongkong",
        "sg": "ap-singapore",
        "szjr": "ap-shenzhen-fsi",
        "shjr": "ap-shanghai-fsi",
        "bjjr": "ap-beijing-fsi",
    }
)


def node_identity(node: NodeInfo) -> NodeIdentity:
    """Reads a node's pricing identity from its providerID, labels and capacity."""
    labels = node.labels
    provider, id_region, id_zone = _parse_provider_id(node.provider_id, labels)
    zone = _first(labels, _ZONE_LABELS) or id_zone
    region = _first(labels, _REGION_LABELS) or id_region or _region_from_zone(provider, zone)
    if provider == TENCENT and region is not None:
        region = _TKE_REGIONS.get(region, region)
    instance_type = _first(labels, _INSTANCE_TYPE_LABELS)
    table_gpu = (INSTANCE_GPUS.get(instance_type) or _catalog_gpus(provider, instance_type)) if instance_type else None
    gpu_model = _gpu_model(labels) or (table_gpu[0] if table_gpu else None)
    gpu_count = node_gpus(node, gpu_model, table_gpu[1] if table_gpu else 0).physical
    return NodeIdentity(
        node=node.name,
        provider=provider,
        region=region,
        zone=zone,
        instance_type=instance_type,
        capacity_type=_capacity_type(provider, labels),
        gpu_model=gpu_model,
        gpu_count=gpu_count,
        cpu_cores=float(parse_quantity_or_zero(node.capacity.get("cpu"), "cpu")),
        provider_id=node.provider_id,
        labels=dict(labels),
    )


def _first(labels: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = labels.get(key, "").strip()
        if value:
            return value
    return None


def _parse_provider_id(provider_id: str, labels: dict[str, str]) -> tuple[str, str | None, str | None]:
    """→ (provider, region, zone) from spec.providerID; labels decide only when there is no providerID."""
    pid = provider_id.strip()
    if not pid:
        return _provider_from_labels(labels), None, None
    scheme, sep, rest = pid.partition("://")
    if not sep:
        match = _ALIBABA_ID.match(pid)
        return (ALIBABA, match.group("region"), None) if match else ("unknown", None, None)
    parts = [p for p in rest.split("/") if p]
    if scheme == "aws":
        zone = parts[0] if len(parts) >= 2 else None  # aws:///<zone>/<instance-id>; Fargate adds a path segment
        return "aws", None, zone
    if scheme == "gce":
        zone = parts[1] if len(parts) >= 3 else None
        return "gcp", None, zone
    if scheme == "azure":
        return "azure", None, None
    if canonical_provider(scheme) in (ALIBABA, TENCENT):  # alicloud://, alibaba://, qcloud://, tencentcloud://
        return canonical_provider(scheme), None, None
    if scheme in _ON_PREM_SCHEMES:
        return "on-prem", None, None
    return "unknown", None, None


@cache
def _catalog_instance_gpus() -> MappingProxyType[tuple[str, str], tuple[str, int]]:
    """(provider, lower-case instance type) → (GPU id, count) from the embedded offers (built once, on first use)."""
    return MappingProxyType({(o.provider, o.instance.lower()): (o.gpu_id, o.gpu_count) for o in embedded_offers()})


def _catalog_gpus(provider: str, instance_type: str) -> tuple[str, int] | None:
    """The GPUs of an instance type the offer catalog sells (ACK `ecs.gn7i-…`, TKE `GN7.…`), when the labels and
    the instance table do not say."""
    return _catalog_instance_gpus().get((provider, instance_type.lower()))


def _provider_from_labels(labels: dict[str, str]) -> str:
    """A node without providerID is on-prem unless a managed platform's labels say otherwise."""
    if any(key.startswith(("eks.amazonaws.com/", "karpenter.k8s.aws/")) for key in labels):
        return "aws"
    if any(key.startswith("cloud.google.com/gke-") for key in labels):
        return "gcp"
    if any(key.startswith("kubernetes.azure.com/") for key in labels):
        return "azure"
    return "on-prem"


def _region_from_zone(provider: str, zone: str | None) -> str | None:
    """AWS zone "us-east-1a" → "us-east-1" (local zones "us-west-2-lax-1a" → "us-west-2"); GCP "us-central1-a" →
    "us-central1"."""
    if not zone:
        return None
    if provider == "aws":
        match = re.match(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d+)", zone)
        return match.group(1) if match else None
    if provider == "gcp":
        return zone.rsplit("-", 1)[0] if zone.count("-") >= 2 else None
    return None


def _capacity_type(provider: str, labels: dict[str, str]) -> NodeCapacityType:
    karpenter = labels.get("karpenter.sh/capacity-type", "").lower()
    if karpenter in ("spot", "on-demand", "reserved"):
        return NodeCapacityType(karpenter)
    eks = labels.get("eks.amazonaws.com/capacityType", "").upper()
    if eks == "SPOT":
        return NodeCapacityType.SPOT
    if eks == "ON_DEMAND":
        return NodeCapacityType.ON_DEMAND
    if eks == "CAPACITY_BLOCK":  # EC2 Capacity Blocks for ML are paid up front: a reservation
        return NodeCapacityType.RESERVED
    if "true" in (labels.get("cloud.google.com/gke-spot"), labels.get("cloud.google.com/gke-preemptible")):
        return NodeCapacityType.SPOT
    azure = labels.get("kubernetes.azure.com/scalesetpriority", "").lower()
    if azure == "spot":
        return NodeCapacityType.SPOT
    if labels.get("node.kubernetes.io/lifecycle", "").lower() == "spot":  # kops / self-managed groups
        return NodeCapacityType.SPOT
    if provider == "on-prem":
        return NodeCapacityType.ON_PREM
    if provider == "unknown":
        return NodeCapacityType.UNKNOWN
    return NodeCapacityType.ON_DEMAND  # a cloud node with no spot/reservation marker is billed on demand


def _gpu_model(labels: dict[str, str]) -> str | None:
    memory = labels.get("karpenter.k8s.aws/instance-gpu-memory", "")
    memory_mib = int(memory) if memory.isdigit() else None
    for key in (
        "nvidia.com/gpu.product",
        "cloud.google.com/gke-accelerator",
        "karpenter.k8s.aws/instance-gpu-name",
        "aliyun.accelerator/nvidia_name",  # ACK GPU nodes, e.g. "NVIDIA-A10"
    ):
        gpu = normalise_gpu(labels.get(key), memory_mib)
        if gpu is not None:
            return gpu
    return None
