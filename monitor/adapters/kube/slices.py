"""DRA ResourceSlices (resource.k8s.io/v1): the devices a node's DRA driver publishes. Read for one thing: how many
physical GPUs a node has when nothing else says (a node on the NVIDIA DRA driver instead of the device plugin has no
`nvidia.com/gpu` capacity, and without GPU feature discovery no `nvidia.com/gpu.count` label either).

Shape read (kubernetes/api resource/v1/types.go ResourceSliceSpec): `spec.driver`, `spec.pool` {name, generation,
resourceSliceCount}, `spec.nodeName` (cluster-scoped object; set for node-local pools), `spec.devices[]` {name,
attributes: {<name>: {string|int|bool|version}}}. A pool may span several slices; when the driver republishes it,
the slices of the highest generation are current, older ones are being replaced (ResourcePool.Generation).

The NVIDIA driver (NVIDIA/k8s-dra-driver-gpu cmd/gpu-kubelet-plugin/deviceinfo.go, GetDevice) publishes, under driver
`gpu.nvidia.com`, a device per GPU (`type: gpu`, `uuid`), per MIG device (`type: mig`, its own `uuid`, `parentUUID`
the GPU's) and per GPU bound to vfio-pci for passthrough (`type: vfio`, `uuid` the GPU's). A node's physical GPUs are
the distinct GPU UUIDs among them: a GPU's own, a MIG device's parent's, a vfio device's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from monitor.adapters.kube.kinds import WatchedKind
from monitor.core.domain.gpus import NVIDIA_DRA_DRIVER

RESOURCE_SLICES = WatchedKind("resource.k8s.io", "v1", "resourceslices", "ResourceSlice", "slice", cluster_scoped=True)


@dataclass(frozen=True, slots=True)
class SliceEntry:
    """What the cache keeps of a ResourceSlice: where, which pool and generation, and the GPUs its devices are on."""

    node: str
    driver: str
    pool: str
    generation: int
    gpu_uuids: frozenset[str]


def _attribute(device: Mapping[str, Any], name: str) -> str:
    value = (device.get("attributes") or {}).get(name)
    return str(value.get("string") or "") if isinstance(value, Mapping) else ""


def to_slice(obj: Mapping[str, Any]) -> SliceEntry:
    spec = obj.get("spec") or {}
    pool = spec.get("pool") or {}
    gpus: set[str] = set()
    for device in spec.get("devices") or []:
        if not isinstance(device, Mapping):
            continue
        kind = _attribute(device, "type")
        uuid = _attribute(device, "parentUUID" if kind == "mig" else "uuid")
        if kind in ("gpu", "mig", "vfio") and uuid:
            gpus.add(uuid)
    generation = pool.get("generation")
    return SliceEntry(
        node=str(spec.get("nodeName") or ""),
        driver=str(spec.get("driver") or ""),
        pool=str(pool.get("name") or ""),
        generation=generation if isinstance(generation, int) and not isinstance(generation, bool) else 0,
        gpu_uuids=frozenset(gpus),
    )


def gpus_by_node(slices: Iterable[SliceEntry]) -> dict[str, int]:
    """Node name → physical GPUs the NVIDIA DRA driver publishes on it (distinct GPU UUIDs over the current
    generation of each of its pools); nodes without such slices are absent."""
    latest: dict[tuple[str, str], int] = {}
    current = [s for s in slices if s.driver == NVIDIA_DRA_DRIVER and s.node]
    for s in current:
        key = (s.node, s.pool)
        latest[key] = max(latest.get(key, s.generation), s.generation)
    uuids: dict[str, set[str]] = {}
    for s in current:
        if s.generation == latest[(s.node, s.pool)]:
            uuids.setdefault(s.node, set()).update(s.gpu_uuids)
    return {node: len(found) for node, found in uuids.items() if found}
