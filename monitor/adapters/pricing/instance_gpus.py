"""GPUs of well-known cloud instance types, for nodes whose labels do not name their GPUs (no GPU feature discovery).

Source: the instance specs of `gpu-prices.json` in the project reference data (AWS rows from
github.com/aws/karpenter-provider-aws instance-types.md @692ccdd, 2026-07-11, i.e. EC2 DescribeInstanceTypes; GCP from
the accelerator-optimized/GPU machine type docs, read 2026-07-30; Azure from the VM size docs, read 2026-06-18).
"""

from __future__ import annotations

from types import MappingProxyType

INSTANCE_GPUS: MappingProxyType[str, tuple[str, int]] = MappingProxyType(
    {
        # AWS
        "p5.48xlarge": ("H100-SXM", 8),
        "p5.4xlarge": ("H100-SXM", 1),
        "p5e.48xlarge": ("H200-SXM", 8),
        "p5en.48xlarge": ("H200-SXM", 8),
        "p4d.24xlarge": ("A100-SXM-40GB", 8),
        "p4de.24xlarge": ("A100-SXM-80GB", 8),
        "p3.2xlarge": ("V100-SXM2-16GB", 1),
        "p3.8xlarge": ("V100-SXM2-16GB", 4),
        "p3.16xlarge": ("V100-SXM2-16GB", 8),
        "g5.xlarge": ("A10G", 1),
        "g5.12xlarge": ("A10G", 4),
        "g5.48xlarge": ("A10G", 8),
        "g6.xlarge": ("L4", 1),
        "g6.12xlarge": ("L4", 4),
        "g6e.xlarge": ("L40S", 1),
        "g6e.12xlarge": ("L40S", 4),
        "g4dn.xlarge": ("T4", 1),
        "g4dn.12xlarge": ("T4", 4),
        "trn1.32xlarge": ("Trainium", 16),
        "p6-b200.48xlarge": ("B200", 8),
        # GCP
        "a2-highgpu-1g": ("A100-SXM-40GB", 1),
        "a2-highgpu-2g": ("A100-SXM-40GB", 2),
        "a2-highgpu-4g": ("A100-SXM-40GB", 4),
        "a2-highgpu-8g": ("A100-SXM-40GB", 8),
        "a2-megagpu-16g": ("A100-SXM-40GB", 16),
        "a2-ultragpu-1g": ("A100-SXM-80GB", 1),
        "a2-ultragpu-2g": ("A100-SXM-80GB", 2),
        "a2-ultragpu-4g": ("A100-SXM-80GB", 4),
        "a2-ultragpu-8g": ("A100-SXM-80GB", 8),
        "a3-highgpu-1g": ("H100-SXM", 1),
        "a3-highgpu-2g": ("H100-SXM", 2),
        "a3-highgpu-4g": ("H100-SXM", 4),
        "a3-highgpu-8g": ("H100-SXM", 8),
        "a3-megagpu-8g": ("H100-SXM", 8),
        "g2-standard-4": ("L4", 1),
        "g2-standard-8": ("L4", 1),
        # Azure
        "Standard_NC24ads_A100_v4": ("A100-PCIe-80GB", 1),
        "Standard_NC48ads_A100_v4": ("A100-PCIe-80GB", 2),
        "Standard_NC96ads_A100_v4": ("A100-PCIe-80GB", 4),
        "Standard_ND96asr_v4": ("A100-SXM-40GB", 8),
        "Standard_ND96amsr_A100_v4": ("A100-SXM-80GB", 8),
        "Standard_ND96isr_H100_v5": ("H100-SXM", 8),
        "Standard_NC40ads_H100_v5": ("H100-NVL", 1),
        "Standard_NC4as_T4_v3": ("T4", 1),
        "Standard_NC8as_T4_v3": ("T4", 1),
        "Standard_NC64as_T4_v3": ("T4", 4),
    }
)
