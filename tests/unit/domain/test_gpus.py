"""Properties of the one GPU model (`monitor.core.domain.gpus`): over random nodes of every kind the scheduler can hand
out, (1) the node's physical count is recovered from its labels and capacity, (2) whatever the scheduler can place on
it never holds more than its physical GPUs, and (3) pricing and attribution see the same physical count."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.adapters.pricing.identity import node_identity
from monitor.core.domain.attribution import PricedNode, attribute, physical_gpus
from monitor.core.domain.gpus import MigProfile, geometry, node_gpus
from monitor.core.domain.model import ClaimedDevice, ClaimInfo, NodeInfo, PodInfo, Price

# Profiles per GPU product label, from the NVIDIA MIG User Guide "Supported MIG Profiles".
PROFILES = {
    "NVIDIA-A100-SXM4-40GB": ("1g.5gb", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"),
    "NVIDIA-A100-SXM4-80GB": ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"),
    "NVIDIA-H100-80GB-HBM3": ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"),
    "NVIDIA-H200": ("1g.18gb", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb", "7g.141gb"),
    "NVIDIA-A30": ("1g.6gb", "2g.12gb", "4g.24gb"),
}
MODELS = {"NVIDIA-A100-SXM4-40GB": "A100-SXM-40GB", "NVIDIA-A100-SXM4-80GB": "A100-SXM-80GB",
          "NVIDIA-H100-80GB-HBM3": "H100-SXM", "NVIDIA-H200": "H200-SXM", "NVIDIA-A30": "A30"}  # fmt: skip
# GKE names the GPU in cloud.google.com/gke-accelerator instead (GKE GPU docs; no A30 on GKE: GFD's label stays).
GKE = {"NVIDIA-A100-SXM4-40GB": "nvidia-tesla-a100", "NVIDIA-A100-SXM4-80GB": "nvidia-a100-80gb",
       "NVIDIA-H100-80GB-HBM3": "nvidia-h100-80gb", "NVIDIA-H200": "nvidia-h200-141gb"}  # fmt: skip


def _gke(product: str) -> dict[str, str]:
    return {"cloud.google.com/gke-accelerator": GKE[product]} if product in GKE else {"nvidia.com/gpu.product": product}


def _info(labels: dict[str, str], capacity: dict[str, str]) -> NodeInfo:
    return NodeInfo(name="n", uid="u", labels=labels, capacity=capacity, allocatable=capacity)


@st.composite
def nodes(draw: st.DrawFn) -> tuple[NodeInfo, int, list[dict[str, str]], bool]:
    """(node, true physical GPUs, pods the scheduler could place on it, whether the count must be exact)."""
    product = draw(st.sampled_from(sorted(PROFILES)))
    gpus = draw(st.integers(1, 16))
    kind = draw(st.sampled_from(["exclusive", "gfd-timeslice", "gke-timeslice", "single", "gke-partition", "mixed"]))
    labels = {"nvidia.com/gpu.product": product}
    geo = geometry(MODELS[product])
    exact = True
    if kind in ("exclusive", "gfd-timeslice", "gke-timeslice"):
        replicas = 1 if kind == "exclusive" else draw(st.integers(2, 8))
        if kind == "gfd-timeslice":
            labels |= {"nvidia.com/gpu.replicas": str(replicas), "nvidia.com/gpu.count": str(gpus)}
        if kind == "gke-timeslice":
            labels = _gke(product) | {"cloud.google.com/gke-max-shared-clients-per-gpu": str(replicas),
                      "cloud.google.com/gke-gpu-sharing-strategy": "time-sharing"}  # fmt: skip
        units, resource = gpus * replicas, "nvidia.com/gpu"
        capacity = {resource: str(units)}
    elif kind in ("single", "gke-partition"):
        name = draw(st.sampled_from(PROFILES[product]))
        profile = MigProfile.parse(name)
        assert profile is not None
        clients = draw(st.integers(1, 4)) if kind == "gke-partition" else 1
        units, resource = gpus * profile.instances(geo) * clients, "nvidia.com/gpu"
        if kind == "single":
            labels = {"nvidia.com/mig.strategy": "single", "nvidia.com/gpu.product": f"{product}-MIG-{name}",
                      "nvidia.com/gpu.count": str(units)}  # fmt: skip
        else:
            labels = _gke(product) | {"cloud.google.com/gke-gpu-partition-size": name,
                      "cloud.google.com/gke-max-shared-clients-per-gpu": str(clients)}  # fmt: skip
        capacity = {resource: str(units)}
    else:  # mixed: every GPU filled at random within its compute and memory slices
        labels["nvidia.com/mig.strategy"] = "mixed"
        exact = draw(st.booleans())
        if exact:
            labels["nvidia.com/gpu.count"] = str(gpus)
        counts: dict[str, int] = {}
        for _ in range(gpus):
            compute, memory = geo.compute_slices, geo.memory_slices
            for name in draw(st.lists(st.sampled_from(PROFILES[product]), max_size=7)):
                p = MigProfile.parse(name)
                assert p is not None
                if p.compute <= compute and p.memory_slices(geo) <= memory:
                    compute, memory = compute - p.compute, memory - p.memory_slices(geo)
                    counts[name] = counts.get(name, 0) + 1
        capacity = {f"nvidia.com/mig-{n}": str(c) for n, c in counts.items()}
        pods = [{f"nvidia.com/mig-{n}": "1"} for n, c in counts.items() for _ in range(c)]
        return _info(labels, capacity), gpus, draw(st.permutations(pods)), exact
    sizes = draw(st.lists(st.integers(1, 8), max_size=12))
    pods, left = [], units
    for size in sizes:  # the scheduler never hands out more units than the node advertises
        if size <= left:
            pods.append({resource: str(size)})
            left -= size
    return _info(labels, capacity), gpus, pods, exact


@settings(max_examples=400, deadline=None)
@given(nodes())
def test_fractions_held_never_exceed_physical_gpus(case: tuple[NodeInfo, int, list[dict[str, str]], bool]) -> None:
    info, true_gpus, pods, exact = case
    identity = node_identity(info)
    model = node_gpus(info, identity.gpu_model, identity.gpu_count)
    if exact:
        assert model.physical == true_gpus
    else:  # mixed MIG without GFD's count: a lower bound that the placed devices fit in
        assert (1 if pods else 0) <= model.physical <= true_gpus
    held = sum((model.held_exact(requests) for requests in pods), Fraction(0))
    assert held <= model.physical
    priced = PricedNode(info, identity, Price(usd_per_hour=1.0, source="override", as_of=date(2026, 12, 1)))
    assert identity.gpu_count == physical_gpus(priced) == model.physical


def test_profiles_that_do_not_divide_seven_count_whole_gpus() -> None:
    a100_40, a100_80, a30 = geometry("A100-SXM-40GB"), geometry("A100-SXM-80GB"), geometry("A30")
    instances = {name: MigProfile.parse(name).instances(a100_40) for name in PROFILES["NVIDIA-A100-SXM4-40GB"]}  # type: ignore[union-attr]
    assert instances == {"1g.5gb": 7, "1g.10gb": 4, "2g.10gb": 3, "3g.20gb": 2, "4g.20gb": 1, "7g.40gb": 1}
    assert MigProfile.parse("1g.20gb").instances(a100_80) == 4  # type: ignore[union-attr]
    assert {n: MigProfile.parse(n).instances(a30) for n in PROFILES["NVIDIA-A30"]} == {  # type: ignore[union-attr]
        "1g.6gb": 4, "2g.12gb": 2, "4g.24gb": 1}  # fmt: skip


def test_dra_devices_of_the_nvidia_driver() -> None:
    """Device names as NVIDIA/k8s-dra-driver-gpu cmd/gpu-kubelet-plugin/deviceinfo.go names them."""
    model = node_gpus(_info({"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"}, {}), "A100-SXM-40GB")
    assert model.dra_fraction("gpu.nvidia.com", "gpu-3") == 1
    assert model.dra_fraction("gpu.nvidia.com", "gpu-0-mig-9-4-4") == Fraction(3, 7)  # 3g.20gb, as under "mixed"
    assert model.dra_fraction("gpu.nvidia.com", "gpu-0-mig-19-6-1") == Fraction(1, 7)  # 1g.5gb
    assert model.dra_fraction("gpu.nvidia.com", "gpu-0-mig-99-0-2") == Fraction(2, 8)  # unknown id: memory slices
    a30 = node_gpus(_info({}, {}), "A30")
    assert a30.dra_fraction("gpu.nvidia.com", "gpu-1-mig-5-2-2") == Fraction(1, 2)  # A30 2g.12gb: 2 of 4 slices
    assert model.dra_fraction("compute-domain.nvidia.com", "channel-0") == 0


# A100-40GB GPU instance profiles as `nvidia-smi mig -lgip` lists them (NVIDIA MIG User Guide): id → (g, memory slices).
A100_40GB_PROFILE_IDS = {19: (1, 1), 15: (1, 2), 14: (2, 2), 9: (3, 4), 5: (4, 4), 0: (7, 8)}


@st.composite
def dra_nodes(draw: st.DrawFn) -> tuple[int, list[ClaimInfo], list[PodInfo]]:
    """An A100-40GB node whose GPUs are handed out through DRA claims: each GPU whole, or MIG devices that fit its
    7 compute and 8 memory slices; claims reserved for one or several pods."""
    gpus = draw(st.integers(1, 8))
    devices: list[str] = []
    for minor in range(gpus):
        if draw(st.booleans()):
            devices.append(f"gpu-{minor}")
            continue
        compute, memory, start = 7, 8, 0
        for pid in draw(st.lists(st.sampled_from(sorted(A100_40GB_PROFILE_IDS)), max_size=7)):
            g, m = A100_40GB_PROFILE_IDS[pid]
            if g <= compute and m <= memory:
                devices.append(f"gpu-{minor}-mig-{pid}-{start}-{m}")
                compute, memory, start = compute - g, memory - m, start + m
    devices = draw(st.permutations(devices))
    claims, pods = [], []
    while devices:
        take = draw(st.integers(1, len(devices)))
        users = [f"pod-{len(pods) + i}" for i in range(draw(st.integers(1, 3)))]
        claims.append(
            ClaimInfo(namespace="ml", name=f"c{len(claims)}", uid=f"c{len(claims)}", reserved_for=tuple(users),
                      devices=tuple(ClaimedDevice(driver="gpu.nvidia.com", pool="n", device=d) for d in devices[:take]))
        )  # fmt: skip
        pods += [PodInfo(namespace="ml", name=u, uid=u, node_name="n", phase="Running") for u in users]
        devices = devices[take:]
    return gpus, claims, pods


@settings(max_examples=200, deadline=None)
@given(dra_nodes())
def test_dra_claims_never_hold_more_than_the_node_and_conserve_its_price(
    case: tuple[int, list[ClaimInfo], list[PodInfo]],
) -> None:
    gpus, claims, pods = case
    labels = {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB", "nvidia.com/gpu.count": str(gpus)}
    info = _info(labels, {"cpu": "96", "memory": "1152Gi"})
    identity = node_identity(info)
    node = PricedNode(info, identity, Price(usd_per_hour=3.5 * gpus, source="override", as_of=date(2026, 12, 1)))
    result = attribute([node], pods, claims=claims)
    (cost,) = result.nodes
    assert cost.gpus_allocated <= gpus + 1e-9
    charged = sum(c.hourly_usd for c in result.pods.values())
    assert charged + cost.idle_gpu_hourly_cost_usd == pytest.approx(3.5 * gpus)
