"""How fast GPUs exchange gradients: the link inside a node by GPU class, and the network between nodes by instance.

Ring all-reduce of S bytes over n ranks moves 2·(n−1)/n·S bytes through every rank (Patarasuk & Yuan 2009); its
time is that volume over the ring's *bus bandwidth*. Inside one node the ring runs over the GPUs' own link (NVLink on
SXM parts, PCIe on PCIe and consumer cards); across nodes every node's share of the ring leaves through the node's
network, so (with NCCL's several rings spread over the node's NICs)

    bus = NCCL_EFFICIENCY · min(intra-node link, inter-node network per node)    one direction, bytes/s

and a single node uses the intra-node link only. NCCL_EFFICIENCY = 230 / 300: nccl-tests all-reduce reaches
~230 GB/s bus bandwidth on an 8×A100-SXM node whose NVLink 3 carries 300 GB/s each way; the same fraction is assumed
for PCIe and for the network (an assumption, shown with every estimate).

Link figures are per direction (datasheets quote both directions added: NVLink 4 "900 GB/s" = 450 each way, PCIe
Gen4 x16 "64 GB/s" = 32 each way). Network figures are the provider's per-instance bandwidth in Gbit/s; small AWS
instances list an "up to" (burst) figure, used as is, which flatters them.
"""

from __future__ import annotations

from estimator.models import GPU, Assumption, Frozen, Hardware, Offer

NCCL_EFFICIENCY = 230.0 / 300.0
GB = 1e9
# Without an instance: a GPU training cluster with one 200 Gb/s InfiniBand/RoCE NIC per GPU (NVIDIA DGX A100
# SuperPOD reference architecture: 8 HDR 200 Gb/s compute NICs per node).
CLUSTER_GBPS_PER_GPU = 200.0
# A cloud instance whose network the catalog does not know: plain 25 Gbit/s Ethernet (ENA-class).
UNKNOWN_INSTANCE_GBPS = 25.0

_NVIDIA = "https://www.nvidia.com/en-us/data-center/"


class Link(Frozen):
    name: str
    bytes_per_second: float  # one direction, as the datasheet gives it (before NCCL_EFFICIENCY)
    source: str


def _pcie(gen: int, source: str) -> Link:
    """PCIe x16 per direction: Gen3 16 GB/s, Gen4 32 GB/s, Gen5 64 GB/s (PCI-SIG; datasheets quote twice that)."""
    return Link(name=f"PCIe Gen{gen} x16", bytes_per_second=16e9 * 2 ** (gen - 3), source=source)


def intra_node_link(gpu: GPU) -> Link:
    """The link a ring all-reduce uses between GPUs of one node, by GPU class (module docstring)."""
    key = gpu.id.upper()
    if key.startswith(("H100-SXM", "H200-SXM")):
        return Link(name="NVLink 4", bytes_per_second=450e9, source=_NVIDIA + "h100/ datasheet: NVLink 900 GB/s")
    if key.startswith("H800-SXM"):
        # the export part: NVLink 4 cut to 400 GB/s (both directions); DeepSeek measured ~160 GB/s of it in use
        return Link(
            name="NVLink 4 (H800)",
            bytes_per_second=200e9,
            source="H800: NVLink 400 GB/s (catalog row's source); arXiv:2412.19437 §3.2.2",
        )
    if key.startswith("A100-SXM"):
        return Link(name="NVLink 3", bytes_per_second=300e9, source=_NVIDIA + "a100/ datasheet: NVLink 600 GB/s")
    if key.startswith("V100-SXM"):
        return Link(name="NVLink 2", bytes_per_second=150e9, source=_NVIDIA + "v100/ datasheet: NVLink 300 GB/s")
    if key.startswith(("H100-PCIE", "H100-NVL", "H200-NVL")):
        # NVL parts bridge only pairs with NVLink; a ring over more GPUs crosses PCIe.
        return _pcie(5, _NVIDIA + "h100/ and h200/ datasheets: PCIe Gen5 128 GB/s (NVLink bridge pairs only)")
    if key.startswith(("T4", "V100-PCIE")):
        return _pcie(3, _NVIDIA + "tesla-t4/ and v100/ datasheets: PCIe Gen3 x16 32 GB/s")
    if key.startswith(("A100-PCIE", "L40S", "L4", "A10", "RTX-4090", "RTX-6000")):
        return _pcie(4, _NVIDIA + "a100/, l40s/, l4/, products/a10-gpu/ datasheets: PCIe Gen4 x16 64 GB/s")
    return _pcie(4, "assumed: an unknown GPU on a PCIe Gen4 x16 slot")


_AWS = "https://aws.amazon.com/ec2/instance-types/"
_AZURE = "https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/"
_GCP = "https://cloud.google.com/compute/docs/gpus#a3-series and #a100-gpus (network bandwidth per machine type)"
# (provider, instance) -> (Gbit/s per instance, fabric, source); per the providers' instance-type pages (2025).
_NETWORKS: dict[tuple[str, str], tuple[float, str, str]] = {
    ("aws", "p5.48xlarge"): (3200.0, "EFA", _AWS + "p5/"),
    ("aws", "p5e.48xlarge"): (3200.0, "EFA", _AWS + "p5/"),
    ("aws", "p5en.48xlarge"): (3200.0, "EFA", _AWS + "p5/"),
    ("aws", "p4d.24xlarge"): (400.0, "EFA", _AWS + "p4/"),
    ("aws", "p4de.24xlarge"): (400.0, "EFA", _AWS + "p4/"),
    ("aws", "p3dn.24xlarge"): (100.0, "EFA", _AWS + "p3/"),
    ("aws", "p3.2xlarge"): (10.0, "ENA, up to", _AWS + "p3/"),
    ("aws", "p3.8xlarge"): (10.0, "ENA", _AWS + "p3/"),
    ("aws", "p3.16xlarge"): (25.0, "ENA", _AWS + "p3/"),
    ("aws", "g6e.xlarge"): (20.0, "ENA, up to", _AWS + "g6e/"),
    ("aws", "g6e.2xlarge"): (20.0, "ENA, up to", _AWS + "g6e/"),
    ("aws", "g6e.12xlarge"): (100.0, "ENA", _AWS + "g6e/"),
    ("aws", "g6e.24xlarge"): (200.0, "ENA", _AWS + "g6e/"),
    ("aws", "g6e.48xlarge"): (400.0, "EFA", _AWS + "g6e/"),
    ("aws", "g6.xlarge"): (10.0, "ENA, up to", _AWS + "g6/"),
    ("aws", "g6.12xlarge"): (40.0, "ENA", _AWS + "g6/"),
    ("aws", "g6.48xlarge"): (100.0, "ENA", _AWS + "g6/"),
    ("aws", "g5.xlarge"): (10.0, "ENA, up to", _AWS + "g5/"),
    ("aws", "g5.12xlarge"): (40.0, "ENA", _AWS + "g5/"),
    ("aws", "g5.48xlarge"): (100.0, "ENA", _AWS + "g5/"),
    ("aws", "g4dn.xlarge"): (25.0, "ENA, up to", _AWS + "g4/"),
    ("aws", "g4dn.12xlarge"): (50.0, "ENA", _AWS + "g4/"),
    ("azure", "Standard_ND96isr_H100_v5"): (3200.0, "InfiniBand", _AZURE + "nd-family/ndh100v5-series"),
    ("azure", "Standard_ND96amsr_A100_v4"): (1600.0, "InfiniBand", _AZURE + "nd-family/ndm-a100-v4-series"),
    ("azure", "Standard_ND96asr_v4"): (1600.0, "InfiniBand", _AZURE + "nd-family/nda100-v4-series"),
    ("gcp", "a3-highgpu-8g"): (800.0, "GPUDirect-TCPX", _GCP),
    ("gcp", "a2-highgpu-8g"): (100.0, "VPC", _GCP),
    ("gcp", "a2-ultragpu-8g"): (100.0, "VPC", _GCP),
    ("coreweave", "NVIDIA HGX H100 (8x)"): (3200.0, "InfiniBand", "https://docs.coreweave.com (HGX H100 nodes)"),
}


class NodeNetwork(Frozen):
    gbps: float
    name: str
    source: str


def node_network(provider: str, instance: str) -> NodeNetwork | None:
    """The per-instance network bandwidth the catalog knows for `instance` of `provider`, else None."""
    row = _NETWORKS.get((provider.lower(), instance))
    if row is None:
        return None
    gbps, fabric, source = row
    return NodeNetwork(gbps=gbps, name=f"{fabric} {gbps:g} Gbps", source=source)


def hardware_for_offer(gpu: GPU, count: int, offer: Offer) -> Hardware:
    """`count` GPUs rented as `offer` instances: nodes of `offer.gpu_count` GPUs joined by the instance's network
    (UNKNOWN_INSTANCE_GBPS of plain Ethernet when the catalog does not know it)."""
    net = node_network(offer.provider, offer.instance)
    if net is None:
        net = NodeNetwork(
            gbps=UNKNOWN_INSTANCE_GBPS,
            name=f"assumed {UNKNOWN_INSTANCE_GBPS:g} Gbps Ethernet",
            source="assumption: the catalog does not know this instance's network",
        )
    return Hardware(gpu=gpu, count=count, gpus_per_node=offer.gpu_count, inter_node_gbps=net.gbps, network=net.name)


def nodes(hw: Hardware) -> int:
    """Machines the GPUs span: ceil(count / gpus_per_node)."""
    return -(-hw.count // hw.gpus_per_node)


def inter_node_gbps(hw: Hardware) -> float:
    """The node's network, or a training cluster's CLUSTER_GBPS_PER_GPU × GPUs per node when none is named."""
    return hw.inter_node_gbps if hw.inter_node_gbps is not None else CLUSTER_GBPS_PER_GPU * hw.gpus_per_node


def intra_node_bus_bytes_per_second(hw: Hardware) -> float:
    """NCCL_EFFICIENCY × the GPU's intra-node link, one direction."""
    return NCCL_EFFICIENCY * intra_node_link(hw.gpu).bytes_per_second


def all_reduce_bus_bytes_per_second(hw: Hardware) -> float:
    """bus = NCCL_EFFICIENCY · min(intra-node link, inter-node network) once the GPUs span nodes (module docstring)."""
    intra = intra_node_bus_bytes_per_second(hw)
    if nodes(hw) <= 1:
        return intra
    network = NCCL_EFFICIENCY * inter_node_gbps(hw) * GB / 8.0
    return min(intra, network) if hw.gpus_per_node > 1 else network


def point_to_point_bytes_per_second(hw: Hardware, within_node: bool) -> float:
    """One GPU sending to one other: NCCL_EFFICIENCY × its link inside a node, or its share of the node's network
    (inter-node network / GPUs per node, one NIC per GPU on HGX/DGX servers) between nodes."""
    if within_node or nodes(hw) <= 1:
        return intra_node_bus_bytes_per_second(hw)
    return NCCL_EFFICIENCY * inter_node_gbps(hw) * GB / 8.0 / hw.gpus_per_node


def network_label(hw: Hardware) -> str:
    if hw.network:
        return hw.network
    return (
        f"assumed training cluster, {CLUSTER_GBPS_PER_GPU:g} Gbps InfiniBand per GPU "
        f"({inter_node_gbps(hw):g} Gbps per {hw.gpus_per_node}-GPU node)"
    )


def interconnect_assumption(hw: Hardware) -> Assumption:
    """The topology and bandwidth behind the all-reduce time, to show beside every multi-GPU estimate."""
    link = intra_node_link(hw.gpu)
    where = f"{hw.count} GPUs on {nodes(hw)} node(s) of {hw.gpus_per_node}"
    value = f"{where}; bus {all_reduce_bus_bytes_per_second(hw) / GB:.1f} GB/s"
    why = f"intra-node {link.name} {link.bytes_per_second / GB:g} GB/s each way ({link.source})"
    if nodes(hw) > 1:
        why += f"; inter-node {network_label(hw)}"
    why += f"; NCCL reaches {NCCL_EFFICIENCY:.0%} of a link (nccl-tests, A100 NVLink)"
    return Assumption(name="interconnect", value=value, why=why)
