from __future__ import annotations

import pytest

from monitor.adapters.pricing.identity import node_identity
from monitor.core.domain.model import NodeCapacityType, NodeInfo


def _node(provider_id: str = "", labels: dict[str, str] | None = None, capacity: dict[str, str] | None = None):
    return NodeInfo(name="n1", uid="u1", provider_id=provider_id, labels=labels or {}, capacity=capacity or {})


def test_eks_managed_node_group_on_demand_p5() -> None:
    node = _node(
        "aws:///us-east-1a/i-0abc1234def567890",
        {
            "node.kubernetes.io/instance-type": "p5.48xlarge",
            "topology.kubernetes.io/region": "us-east-1",
            "topology.kubernetes.io/zone": "us-east-1a",
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "eks.amazonaws.com/nodegroup": "gpu-p5",
            "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3",
            "nvidia.com/gpu.count": "8",
        },
        {"cpu": "192", "memory": "2097152Mi", "nvidia.com/gpu": "8"},
    )
    ident = node_identity(node)
    assert (ident.provider, ident.region, ident.zone) == ("aws", "us-east-1", "us-east-1a")
    assert ident.instance_type == "p5.48xlarge"
    assert ident.capacity_type == NodeCapacityType.ON_DEMAND
    assert (ident.gpu_model, ident.gpu_count, ident.cpu_cores) == ("H100-SXM", 8, 192.0)


def test_karpenter_spot_node_without_region_labels_reads_zone_from_provider_id() -> None:
    node = _node(
        "aws:///us-west-2b/i-0aaa",
        {
            "node.kubernetes.io/instance-type": "g5.12xlarge",
            "karpenter.sh/capacity-type": "spot",
            "karpenter.k8s.aws/instance-gpu-name": "a10g",
            "karpenter.k8s.aws/instance-gpu-count": "4",
        },
        {"cpu": "47810m"},
    )
    ident = node_identity(node)
    assert (ident.region, ident.zone) == ("us-west-2", "us-west-2b")
    assert ident.capacity_type == NodeCapacityType.SPOT
    assert (ident.gpu_model, ident.gpu_count) == ("A10G", 4)
    assert ident.cpu_cores == pytest.approx(47.81)


def test_karpenter_a100_memory_label_tells_80gb_from_40gb() -> None:
    labels = {"karpenter.k8s.aws/instance-gpu-name": "a100", "karpenter.k8s.aws/instance-gpu-memory": "81920"}
    assert node_identity(_node("aws:///us-east-1c/i-1", labels)).gpu_model == "A100-SXM-80GB"
    labels["karpenter.k8s.aws/instance-gpu-memory"] = "40960"
    assert node_identity(_node("aws:///us-east-1c/i-1", labels)).gpu_model == "A100-SXM-40GB"


def test_gke_a3_spot_node() -> None:
    node = _node(
        "gce://my-project/us-central1-a/gke-train-a3-pool-1234",
        {
            "node.kubernetes.io/instance-type": "a3-highgpu-8g",
            "topology.kubernetes.io/region": "us-central1",
            "topology.kubernetes.io/zone": "us-central1-a",
            "cloud.google.com/gke-spot": "true",
            "cloud.google.com/gke-accelerator": "nvidia-h100-80gb",
            "cloud.google.com/gke-nodepool": "a3-pool",
        },
        {"nvidia.com/gpu": "8"},
    )
    ident = node_identity(node)
    assert (ident.provider, ident.region, ident.zone) == ("gcp", "us-central1", "us-central1-a")
    assert ident.capacity_type == NodeCapacityType.SPOT
    assert (ident.gpu_model, ident.gpu_count) == ("H100-SXM", 8)


def test_gke_a2_on_demand_without_region_label_derives_it_from_zone() -> None:
    node = _node(
        "gce://p/europe-west4-b/gke-a2",
        {"node.kubernetes.io/instance-type": "a2-ultragpu-8g", "cloud.google.com/gke-accelerator": "nvidia-a100-80gb"},
    )
    ident = node_identity(node)
    assert (ident.region, ident.capacity_type) == ("europe-west4", NodeCapacityType.ON_DEMAND)
    assert (ident.gpu_model, ident.gpu_count) == ("A100-SXM-80GB", 8)  # count from the machine type table


def test_gke_n1_with_attached_t4_preemptible() -> None:
    node = _node(
        "gce://p/us-central1-f/gke-n1",
        {
            "node.kubernetes.io/instance-type": "n1-standard-8",
            "cloud.google.com/gke-preemptible": "true",
            "cloud.google.com/gke-accelerator": "nvidia-tesla-t4",
        },
        {"nvidia.com/gpu": "2", "cpu": "8"},
    )
    ident = node_identity(node)
    assert ident.capacity_type == NodeCapacityType.SPOT
    assert (ident.instance_type, ident.gpu_model, ident.gpu_count) == ("n1-standard-8", "T4", 2)


def test_aks_spot_scale_set() -> None:
    node = _node(
        "azure:///subscriptions/0000/resourceGroups/mc_rg_aks_eastus/providers/Microsoft.Compute/"
        "virtualMachineScaleSets/aks-gpuspot-123-vmss/virtualMachines/0",
        {
            "node.kubernetes.io/instance-type": "Standard_ND96isr_H100_v5",
            "topology.kubernetes.io/region": "eastus",
            "topology.kubernetes.io/zone": "eastus-1",
            "kubernetes.azure.com/scalesetpriority": "spot",
            "kubernetes.azure.com/agentpool": "gpuspot",
        },
        {"nvidia.com/gpu": "8"},
    )
    ident = node_identity(node)
    assert (ident.provider, ident.region, ident.capacity_type) == ("azure", "eastus", NodeCapacityType.SPOT)
    assert (ident.gpu_model, ident.gpu_count) == ("H100-SXM", 8)


def test_on_prem_node_without_provider_id() -> None:
    node = _node(
        "",
        {
            "kubernetes.io/hostname": "dgx-01",
            "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB",
            "nvidia.com/gpu.count": "8",
        },
    )
    ident = node_identity(node)
    assert (ident.provider, ident.capacity_type, ident.region, ident.instance_type) == (
        "on-prem",
        NodeCapacityType.ON_PREM,
        None,
        None,
    )
    assert (ident.gpu_model, ident.gpu_count) == ("A100-SXM-80GB", 8)


def test_mig_single_strategy_counts_physical_gpus() -> None:
    # GPU feature discovery with MIG "single": every GPU split into 7 × 1g.10gb, so 56 devices on 8 GPUs.
    node = _node(
        "aws:///us-east-1a/i-mig",
        {
            "nvidia.com/mig.strategy": "single",
            "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3-MIG-1g.10gb",
            "nvidia.com/gpu.count": "56",
        },
        {"nvidia.com/gpu": "56"},
    )
    ident = node_identity(node)
    assert (ident.gpu_model, ident.gpu_count) == ("H100-SXM", 8)


def test_mig_mixed_strategy_counts_slices_from_capacity() -> None:
    node = _node(
        "",
        {"nvidia.com/mig.strategy": "mixed", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"},
        {"nvidia.com/mig-3g.20gb": "2", "nvidia.com/mig-1g.5gb": "1", "nvidia.com/mig-2g.10gb": "4"},
    )
    ident = node_identity(node)
    # 2·3 + 1·1 + 4·2 = 15 slices → 3 GPUs of 7 slices
    assert (ident.gpu_model, ident.gpu_count) == ("A100-SXM-40GB", 3)


def test_time_sliced_gpus_are_counted_once() -> None:
    node = _node(
        "", {"nvidia.com/gpu.product": "Tesla-T4-SHARED", "nvidia.com/gpu.replicas": "4"}, {"nvidia.com/gpu": "8"}
    )
    assert (node_identity(node).gpu_model, node_identity(node).gpu_count) == ("T4", 2)


def test_alibaba_and_tencent_provider_ids() -> None:
    ali = node_identity(
        _node("cn-hangzhou.i-bp1abcdef123", {"node.kubernetes.io/instance-type": "ecs.gn7i-c8g1.2xlarge"})
    )
    assert (ali.provider, ali.region, ali.capacity_type) == ("aliyun", "cn-hangzhou", NodeCapacityType.ON_DEMAND)
    tke = node_identity(_node("qcloud:///800002/ins-abcd1234", {"topology.kubernetes.io/region": "gz"}))
    assert (tke.provider, tke.region) == ("tencent", "ap-guangzhou")


def test_unknown_is_a_value_not_an_exception() -> None:
    ident = node_identity(_node("openstack:///abc", {"nvidia.com/gpu.product": "Mystery-GPU"}, {"nvidia.com/gpu": "x"}))
    assert (ident.provider, ident.capacity_type, ident.gpu_model, ident.gpu_count) == (
        "unknown",
        NodeCapacityType.UNKNOWN,
        None,
        0,
    )


def test_gpu_count_from_instance_table_when_labels_are_missing() -> None:
    ident = node_identity(_node("aws:///us-east-1d/i-2", {"node.kubernetes.io/instance-type": "p4d.24xlarge"}))
    assert (ident.gpu_model, ident.gpu_count) == ("A100-SXM-40GB", 8)
