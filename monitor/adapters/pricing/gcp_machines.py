"""GCP machine shapes (vCPUs, memory GiB, bundled GPUs, bundled local SSD GiB) for pricing by component SKUs.

Sources: cloud.google.com/compute/docs/accelerator-optimized-machines (A2, A3, G2 tables) and
cloud.google.com/compute/docs/general-purpose-machines (N1 predefined: 3.75 / 6.5 / 0.9 GiB per vCPU), read 2026-07-30.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class MachineShape:
    family: str  # the SKU description's family word(s): "N1 Predefined", "A2", "A3", "G2"
    vcpus: int
    memory_gib: float
    gpus: int = 0  # bundled GPUs; N1 GPUs are attached separately and counted from the node
    local_ssd_gib: float = 0.0  # bundled local SSD that is billed with the machine


_BUNDLED: MappingProxyType[str, MachineShape] = MappingProxyType(
    {
        "a2-highgpu-1g": MachineShape("A2", 12, 85, 1),
        "a2-highgpu-2g": MachineShape("A2", 24, 170, 2),
        "a2-highgpu-4g": MachineShape("A2", 48, 340, 4),
        "a2-highgpu-8g": MachineShape("A2", 96, 680, 8),
        "a2-megagpu-16g": MachineShape("A2", 96, 1360, 16),
        "a2-ultragpu-1g": MachineShape("A2", 12, 170, 1, 375),
        "a2-ultragpu-2g": MachineShape("A2", 24, 340, 2, 750),
        "a2-ultragpu-4g": MachineShape("A2", 48, 680, 4, 1500),
        "a2-ultragpu-8g": MachineShape("A2", 96, 1360, 8, 3000),
        "a3-highgpu-1g": MachineShape("A3", 26, 234, 1, 750),
        "a3-highgpu-2g": MachineShape("A3", 52, 468, 2, 1500),
        "a3-highgpu-4g": MachineShape("A3", 104, 936, 4, 3000),
        "a3-highgpu-8g": MachineShape("A3", 208, 1872, 8, 6000),
        "a3-megagpu-8g": MachineShape("A3 Mega", 208, 1872, 8, 6000),
        "g2-standard-4": MachineShape("G2", 4, 16, 1),
        "g2-standard-8": MachineShape("G2", 8, 32, 1),
        "g2-standard-12": MachineShape("G2", 12, 48, 1),
        "g2-standard-16": MachineShape("G2", 16, 64, 1),
        "g2-standard-24": MachineShape("G2", 24, 96, 2),
        "g2-standard-32": MachineShape("G2", 32, 128, 1),
        "g2-standard-48": MachineShape("G2", 48, 192, 4),
        "g2-standard-96": MachineShape("G2", 96, 384, 8),
    }
)

_N1_GIB_PER_VCPU = MappingProxyType({"standard": 3.75, "highmem": 6.5, "highcpu": 0.9})
_N1 = re.compile(r"^n1-(standard|highmem|highcpu)-(\d+)$")


def machine_shape(machine_type: str) -> MachineShape | None:
    """The shape of a predefined machine type; None for custom or unknown types."""
    bundled = _BUNDLED.get(machine_type)
    if bundled is not None:
        return bundled
    match = _N1.match(machine_type)
    if match is None:
        return None
    vcpus = int(match.group(2))
    return MachineShape("N1 Predefined", vcpus, vcpus * _N1_GIB_PER_VCPU[match.group(1)])
