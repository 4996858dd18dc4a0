from __future__ import annotations

import pytest

from monitor.core.domain.gpu_names import normalise_gpu


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NVIDIA-H100-80GB-HBM3", "H100-SXM"),
        ("NVIDIA-H100-PCIe", "H100-PCIe"),
        ("NVIDIA-H100-NVL", "H100-NVL"),
        ("NVIDIA-H200", "H200-SXM"),
        ("NVIDIA-H200-NVL", "H200-NVL"),
        ("NVIDIA-A100-SXM4-80GB", "A100-SXM-80GB"),
        ("NVIDIA-A100-SXM4-40GB", "A100-SXM-40GB"),
        ("NVIDIA-A100-80GB-PCIe", "A100-PCIe-80GB"),
        ("NVIDIA-A100-SXM4-40GB-MIG-3g.20gb", "A100-SXM-40GB"),
        ("Tesla-T4", "T4"),
        ("Tesla-V100-SXM2-16GB", "V100-SXM2-16GB"),
        ("Tesla-V100-SXM2-32GB", "V100-SXM2"),
        ("NVIDIA-A10G", "A10G"),
        ("NVIDIA-A10", "A10"),
        ("NVIDIA-A30", "A30"),
        ("NVIDIA-A30-MIG-1g.6gb+me", "A30"),
        ("NVIDIA-A100-SXM4-40GB-SHARED", "A100-SXM-40GB"),
        ("NVIDIA-L4", "L4"),
        ("NVIDIA-L40S", "L40S"),
        ("NVIDIA-GeForce-RTX-4090", "RTX-4090"),
        ("nvidia-tesla-a100", "A100-SXM-40GB"),
        ("nvidia-h100-mega-80gb", "H100-SXM"),
        ("nvidia-l4", "L4"),
        ("h100", "H100-SXM"),
        ("", None),
        ("Radeon-Mystery", None),
    ],
)
def test_normalise_gpu(raw: str, expected: str | None) -> None:
    assert normalise_gpu(raw) == expected
