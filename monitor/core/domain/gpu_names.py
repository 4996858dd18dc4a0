"""GPU name normalisation: the many spellings of one accelerator → the estimator catalog's GPU id.

Spellings seen on nodes: NVIDIA GPU feature discovery's `nvidia.com/gpu.product` ("NVIDIA-H100-80GB-HBM3",
"NVIDIA-A100-SXM4-40GB", "Tesla-T4", "NVIDIA-A100-SXM4-40GB-MIG-1g.5gb"), GKE's `cloud.google.com/gke-accelerator`
("nvidia-tesla-a100", "nvidia-h100-mega-80gb") and Karpenter's `karpenter.k8s.aws/instance-gpu-name` ("h100", "a10g").
Ids follow the estimator's GPU catalog ("H100-SXM", "A100-SXM-80GB", ...).
"""

from __future__ import annotations

import re

# GKE accelerator names (cloud.google.com/gke-accelerator), from the GKE GPU docs' accelerator list.
_GKE_ACCELERATORS: dict[str, str] = {
    "nvidia-tesla-k80": "K80",
    "nvidia-tesla-p4": "P4",
    "nvidia-tesla-p100": "P100",
    "nvidia-tesla-t4": "T4",
    "nvidia-tesla-v100": "V100-SXM2-16GB",
    "nvidia-tesla-a100": "A100-SXM-40GB",
    "nvidia-a100-80gb": "A100-SXM-80GB",
    "nvidia-l4": "L4",
    "nvidia-h100-80gb": "H100-SXM",
    "nvidia-h100-mega-80gb": "H100-SXM",
    "nvidia-h200-141gb": "H200-SXM",
    "nvidia-b200": "B200",
    "nvidia-gb200": "GB200",
}

# Ordered (pattern, id) rules over an upper-cased, dash-joined product name with vendor prefixes removed.
# Order matters: the more specific variant (NVL, PCIe, 80GB) must win over the family default.
_PRODUCT_RULES: tuple[tuple[str, str], ...] = (
    (r"^GB200", "GB200"),
    (r"^B200", "B200"),
    (r"^H200.*NVL", "H200-NVL"),
    (r"^H200", "H200-SXM"),
    (r"^H100.*NVL", "H100-NVL"),
    (r"^H100.*PCIE", "H100-PCIe"),
    (r"^H100", "H100-SXM"),
    (r"^H800.*PCIE", "H800-PCIe"),
    (r"^H800", "H800-SXM"),
    (r"^H20\b", "H20"),
    (r"^A100.*(PCIE.*80|80.*PCIE)", "A100-PCIe-80GB"),
    (r"^A100.*PCIE", "A100-PCIe-40GB"),
    (r"^A100.*80", "A100-SXM-80GB"),
    (r"^A100", "A100-SXM-40GB"),
    (r"^A800", "A800"),
    (r"^A10G", "A10G"),
    (r"^A10\b", "A10"),
    (r"^A30\b", "A30"),
    (r"^L40S", "L40S"),
    (r"^L40\b", "L40"),
    (r"^L4\b", "L4"),
    (r"^T4\b", "T4"),
    (r"^V100.*PCIE", "V100-PCIe"),
    (r"^V100.*16GB", "V100-SXM2-16GB"),
    (r"^V100", "V100-SXM2"),
    (r"^P100", "P100"),
    (r"^RTX-?4090", "RTX-4090"),
    (r"^RTX-?PRO-?6000", "RTX-PRO-6000"),
)

_VENDOR_PREFIX = re.compile(r"^(NVIDIA-)?(TESLA-)?(GEFORCE-)?")
_MIG_SUFFIX = re.compile(r"-MIG-\d+G\.\d+GB(\+ME)?$", re.IGNORECASE)
_SHARED_SUFFIX = re.compile(r"-SHARED$", re.IGNORECASE)  # GFD marks time-sliced GPUs' product "...-SHARED"


def normalise_gpu(raw: str | None, memory_mib: int | None = None) -> str | None:
    """Maps any node-label spelling of a GPU to the catalog id; None when it is empty or unrecognised.

    `memory_mib` (e.g. Karpenter's `karpenter.k8s.aws/instance-gpu-memory`) tells an A100 40GB from 80GB when the
    name alone does not.
    """
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    gke = _GKE_ACCELERATORS.get(text.lower())
    if gke is not None:
        return gke
    name = re.sub(r"[\s_]+", "-", text).upper()
    name = _SHARED_SUFFIX.sub("", _MIG_SUFFIX.sub("", name))
    name = _VENDOR_PREFIX.sub("", name)
    if name.startswith("A100") and "80" not in name and memory_mib is not None and memory_mib >= 70_000:
        name += "-80GB"
    for pattern, gpu_id in _PRODUCT_RULES:
        if re.search(pattern, name):
            return gpu_id
    return None
