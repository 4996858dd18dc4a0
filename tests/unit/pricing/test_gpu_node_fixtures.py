"""Upstream GPU node label sets (tests/data/gpu-nodes/*.yaml, each document citing its source) through the real path:
Node object → `convert.to_node` → `node_identity` → embedded catalog price → `attribute`. Each case is one of issue
11's GPU-counting failures, with the dollars the labels and the catalog's list price imply."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from estimator.catalog.offers import embedded_offers
from monitor.adapters.kube.convert import to_node
from monitor.adapters.pricing.embedded import EmbeddedCatalogSource
from monitor.adapters.pricing.fallback import PriceGuessSource, median_usd_per_gpu_hour
from monitor.adapters.pricing.identity import node_identity
from monitor.core.domain.attribution import PricedNode, attribute, physical_gpus
from monitor.core.domain.model import NodeInfo, PodInfo, Price

_DATA = Path(__file__).parents[2] / "data" / "gpu-nodes"


def _nodes() -> dict[str, NodeInfo]:
    nodes: dict[str, NodeInfo] = {}
    for path in sorted(_DATA.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            node = to_node(doc)
            nodes[node.name] = node
    return nodes


NODES = _nodes()


def _priced(name: str, usd_per_hour: float | None = None) -> PricedNode:
    info = NODES[name]
    identity = node_identity(info)
    if usd_per_hour is None:
        price = EmbeddedCatalogSource(embedded_offers()).price(identity)
        assert price is not None, f"the catalog prices {identity.instance_type}"
    else:
        price = Price(usd_per_hour=usd_per_hour, source="override", as_of=date(2026, 12, 1))
    return PricedNode(info=info, identity=identity, price=price)


def identity_node(info: NodeInfo, labels: dict[str, str]) -> NodeInfo:
    return info.model_copy(update={"labels": labels})


def _pod(name: str, node: str, requests: dict[str, str]) -> PodInfo:
    return PodInfo(namespace="ml", name=name, uid=f"uid-{name}", node_name=node, phase="Running", requests=requests)


# (node, catalog $/h of the instance, physical GPUs, one pod's requests, the pod's $/h)
CASES = [
    # GKE a2-highgpu-1g, partition 1g.5gb: 7 partitions of 1 A100; one partition pays 1/7 of $3.673385/h.
    ("gke-mig-pool-4d1f7a2b-x1c9", 3.673385, 1, {"nvidia.com/gpu": "1"}, 3.673385 / 7),
    # GKE time-sharing, 2 clients on 1 L4: still 1 physical GPU; one client pays half of $0.853624/h.
    ("gke-ts-pool-8a3c11f0-q2mz", 0.853624, 1, {"nvidia.com/gpu": "1"}, 0.853624 / 2),
    # GKE 3g.20gb partitions time-shared by 2: 32 units on 8 GPUs; a unit is 1/4 GPU = $29.38708 / 32.
    ("gke-mixed-share-77d0c4e1-m0v2", 29.38708, 8, {"nvidia.com/gpu": "1"}, 29.38708 / 32),
    # EKS p4d.24xlarge, whole GPUs: 4 of 8 pay half of $21.957642/h.
    ("ip-10-0-1-17.ec2.internal", 21.957642, 8, {"nvidia.com/gpu": "4"}, 21.957642 / 2),
    # MIG single 3g.20gb on 8 x A100-40GB: 16 devices are 8 GPUs (not ceil(16*3/7) = 7); a device is 1/2 GPU.
    ("ip-10-0-1-18.ec2.internal", 21.957642, 8, {"nvidia.com/gpu": "1"}, 21.957642 / 16),
    # MIG single 2g.10gb: 24 devices are 8 GPUs; a device is 1/3 GPU.
    ("ip-10-0-1-19.ec2.internal", 21.957642, 8, {"nvidia.com/gpu": "1"}, 21.957642 / 24),
    # MIG single 1g.20gb on A100-80GB: 4 per GPU, 32 devices are 8 GPUs (not ceil(32/7) = 5).
    ("ip-10-0-1-20.ec2.internal", 27.44705, 8, {"nvidia.com/gpu": "1"}, 27.44705 / 32),
    # Device-plugin time-slicing, 4 replicas of 1 T4: a replica pays 1/4 of $0.526/h.
    ("ip-10-0-2-5.ec2.internal", 0.526, 1, {"nvidia.com/gpu": "1"}, 0.526 / 4),
    # Karpenter p4d without GFD: 8 GPUs from the capacity and Karpenter's labels.
    ("ip-10-0-3-44.ec2.internal", 21.957642, 8, {"nvidia.com/gpu": "1"}, 21.957642 / 8),
    # AKS MIG1g (single): 56 devices on 8 A100s; one device pays 1/56 of $27.197/h.
    ("aks-mignode-21364487-vmss000000", 27.197, 8, {"nvidia.com/gpu": "1"}, 27.197 / 56),
    # AKS mixed all-balanced: a 3g.20gb device is 3/7 of a GPU.
    ("aks-migmixed-21364487-vmss000001", 27.197, 8, {"nvidia.com/mig-3g.20gb": "1"}, 27.197 / 8 * 3 / 7),
]


@pytest.mark.parametrize(("node", "usd_per_hour", "physical", "requests", "pod_usd_per_hour"), CASES)
def test_upstream_gpu_nodes_price_and_charge_what_their_labels_imply(
    node: str, usd_per_hour: float, physical: int, requests: dict[str, str], pod_usd_per_hour: float
) -> None:
    priced = _priced(node)
    assert priced.price.usd_per_hour == pytest.approx(usd_per_hour)
    assert priced.identity.gpu_count == physical  # pricing's count
    assert physical_gpus(priced) == physical  # attribution's count
    result = attribute([priced], [_pod("p", node, requests)])
    assert result.pods["uid-p"].hourly_usd == pytest.approx(pod_usd_per_hour)
    (node_cost,) = result.nodes
    assert node_cost.idle_gpu_hourly_cost_usd + result.pods["uid-p"].hourly_usd == pytest.approx(usd_per_hour)


def test_gke_mig_node_is_priced_as_one_gpu_off_catalog() -> None:
    """Off catalog (unknown machine type) a GKE MIG node was priced as 7 GPUs (7 x $3.861 = $27.03/h); the fallback
    prices its 1 A100 at the catalog's median $3.861/h, and a partition pays $0.552/h."""
    info = NODES["gke-mig-pool-4d1f7a2b-x1c9"]
    labels = {**info.labels, "node.kubernetes.io/instance-type": "a2-custom-unknown"}
    identity = node_identity(info.model_copy(update={"labels": labels}))
    assert (identity.gpu_model, identity.gpu_count) == ("A100-SXM-40GB", 1)
    offers = embedded_offers()
    per_gpu = median_usd_per_gpu_hour(offers, "A100-SXM-40GB")
    assert per_gpu is not None
    price = PriceGuessSource(offers).price(identity)
    assert price.usd_per_hour == pytest.approx(per_gpu)  # one A100's typical $/h, not 7 x (the 7 partitions)
    node = PricedNode(info=identity_node(info, labels), identity=identity, price=price)
    result = attribute([node], [_pod("p", info.name, {"nvidia.com/gpu": "1"})])
    assert result.pods["uid-p"].hourly_usd == pytest.approx(per_gpu / 7)


def test_every_gke_partition_held_leaves_nothing_idle() -> None:
    node = _priced("gke-mig-pool-4d1f7a2b-x1c9")
    pods = [_pod(f"p{i}", node.info.name, {"nvidia.com/gpu": "1"}) for i in range(7)]
    result = attribute([node], pods)
    assert sum(c.hourly_usd for c in result.pods.values()) == pytest.approx(3.673385)
    assert result.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(0)


def test_a30_has_four_slices() -> None:
    """On-prem A30, mixed strategy, 4 x 1g.6gb: 1 GPU; a 1g.6gb device is 1/4 of it (here at $1.20/h)."""
    node = _priced("dgx-a30-01", usd_per_hour=1.20)
    assert (node.identity.gpu_model, node.identity.gpu_count, physical_gpus(node)) == ("A30", 1, 1)
    result = attribute([node], [_pod("p", "dgx-a30-01", {"nvidia.com/mig-1g.6gb": "1"})])
    assert result.pods["uid-p"].hourly_usd == pytest.approx(0.30)
    assert result.pods["uid-p"].gpus == pytest.approx(0.25)
