"""Topology of a multi-GPU run: NVLink/PCIe inside a node, the instance's network across nodes."""

from __future__ import annotations

import pytest

from estimator.catalog.gpus import all_gpus, gpu
from estimator.catalog.offers import embedded_offers
from estimator.catalog.presets import preset
from estimator.cost import with_reserved
from estimator.estimate import estimate
from estimator.interconnect import (
    NCCL_EFFICIENCY,
    UNKNOWN_INSTANCE_GBPS,
    all_reduce_bus_bytes_per_second,
    hardware_for_offer,
    intra_node_link,
    nodes,
)
from estimator.models import CapacityType, Hardware, Offer, Parallelism, TrainingRun
from estimator.plan import PlanConstraints, plan
from estimator.throughput import training_time

L40S = gpu("L40S")
RUN = TrainingRun(tokens=2e9)


def _offer(instance: str, gpus: int, provider: str = "aws") -> Offer:
    return next(
        o for o in embedded_offers() if o.provider == provider and o.instance == instance and o.gpu_count == gpus
    )


def test_intra_node_link_by_gpu_class() -> None:
    assert intra_node_link(gpu("H100-SXM")).name == "NVLink 4"
    assert intra_node_link(gpu("H100-SXM")).bytes_per_second == 450e9  # 900 GB/s both directions
    assert intra_node_link(gpu("A100-SXM-80GB")).bytes_per_second == 300e9
    for pcie4 in ("L40S", "L4", "A10", "A100-PCIe-80GB", "RTX-4090"):
        assert intra_node_link(gpu(pcie4)).bytes_per_second == 32e9, pcie4
    assert intra_node_link(gpu("T4")).bytes_per_second == 16e9
    assert intra_node_link(gpu("H100-PCIe")).bytes_per_second == 64e9


def test_one_a100_node_keeps_the_measured_nvlink_bus_bandwidth() -> None:
    # nccl-tests: ~230 GB/s all-reduce bus bandwidth on 8x A100-SXM, the calibration point of NCCL_EFFICIENCY.
    bus = all_reduce_bus_bytes_per_second(Hardware(gpu=gpu("A100-SXM-80GB"), count=8))
    assert bus == pytest.approx(230e9)


def test_offer_topology_and_network() -> None:
    xl = hardware_for_offer(L40S, 8, _offer("g6e.xlarge", 1))
    assert (xl.gpus_per_node, xl.inter_node_gbps, nodes(xl)) == (1, 20.0, 8)
    assert all_reduce_bus_bytes_per_second(xl) == pytest.approx(NCCL_EFFICIENCY * 20e9 / 8)
    big = hardware_for_offer(L40S, 8, _offer("g6e.12xlarge", 4))
    assert (big.gpus_per_node, big.inter_node_gbps, nodes(big)) == (4, 100.0, 2)
    # 100 Gbps = 12.5 GB/s is below the PCIe link, so the network bounds the ring.
    assert all_reduce_bus_bytes_per_second(big) == pytest.approx(NCCL_EFFICIENCY * 12.5e9)
    p4d = hardware_for_offer(gpu("A100-SXM-40GB"), 16, _offer("p4d.24xlarge", 8))
    assert "EFA" in p4d.network
    assert p4d.inter_node_gbps == 400.0
    unknown = hardware_for_offer(L40S, 8, _offer("l40sx1", 1, provider="huggingface"))
    assert unknown.inter_node_gbps == UNKNOWN_INSTANCE_GBPS
    assert "assumed" in unknown.network


def test_eight_one_gpu_vms_are_slower_than_one_node() -> None:
    arch = preset("llama-3-8b")
    run = RUN.model_copy(update={"parallelism": RUN.parallelism.model_copy(update={"zero_stage": 1})})
    one_node = training_time(arch, run, Hardware(gpu=L40S, count=8)).total_hours
    two_nodes = training_time(arch, run, hardware_for_offer(L40S, 8, _offer("g6e.12xlarge", 4))).total_hours
    eight_vms = training_time(arch, run, hardware_for_offer(L40S, 8, _offer("g6e.xlarge", 1))).total_hours
    assert one_node < two_nodes < eight_vms
    assert eight_vms > 3 * one_node  # 20 Gbps Ethernet vs PCIe Gen4: the all-reduce dominates the step


def test_plan_no_longer_ranks_eight_small_vms_as_fast_as_one_node() -> None:
    # The QA case: `plan --model llama-3-8b --tokens 2e9 --deadline-hours 24 --budget-usd 500`.
    constraints = PlanConstraints(deadline_hours=24, budget_usd=500)
    result = plan(preset("llama-3-8b"), RUN, all_gpus(), with_reserved(embedded_offers()), constraints)
    best = result.accepted[0]
    assert not (best.gpu_id == "L40S" and best.instance == "g6e.xlarge")
    every = (*result.accepted, *result.rejected)
    small = [c for c in every if c.instance == "g6e.xlarge" and c.gpus == 8 and c.zero_stage == 1]
    large = [c for c in every if c.instance == "g6e.12xlarge" and c.gpus == 8 and c.zero_stage == 1]
    assert small
    assert large
    assert small[0].nodes == 8
    assert large[0].nodes == 2
    assert (small[0].hours or 0) > (large[0].hours or 0)
    assert any(a.name == "interconnect" for a in result.assumptions)


def test_estimate_prices_each_offer_on_its_own_topology_and_says_so() -> None:
    arch = preset("llama-3-8b")
    offers = (_offer("g6e.xlarge", 1), _offer("g6e.12xlarge", 4))
    spot = tuple(o for o in embedded_offers() if o.instance in ("g6e.xlarge", "g6e.12xlarge"))
    run = RUN.model_copy(update={"parallelism": RUN.parallelism.model_copy(update={"zero_stage": 1})})
    result = estimate(arch, run, Hardware(gpu=L40S, count=8), offers + spot)
    by_instance = {line.instance: line for line in result.cost if line.capacity_type is CapacityType.ON_DEMAND}
    assert by_instance["g6e.xlarge"].hours > by_instance["g6e.12xlarge"].hours > result.time.total_hours
    assert "8 nodes over ENA, up to 20 Gbps" in by_instance["g6e.xlarge"].notes
    assert any(a.name == "interconnect" and "bus" in a.value for a in result.assumptions)


def test_h800_computes_like_an_h100_but_its_cut_nvlink_slows_tensor_parallel_steps() -> None:
    h800, h100 = gpu("H800"), gpu("H100-SXM")
    assert h800.id == "H800-SXM"
    assert (h800.bf16_tflops, h800.fp8_tflops, h800.memory_bandwidth_bytes_per_second) == (
        h100.bf16_tflops,
        h100.fp8_tflops,
        h100.memory_bandwidth_bytes_per_second,
    )
    assert intra_node_link(h800).bytes_per_second * 9 == intra_node_link(h100).bytes_per_second * 4  # 400 vs 900
    run = TrainingRun(tokens=1e9, seq_len=4096, parallelism=Parallelism(tensor=8))
    arch = preset("llama-3-70b")
    on_h800 = training_time(arch, run, Hardware(gpu=h800, count=8))
    on_h100 = training_time(arch, run, Hardware(gpu=h100, count=8))
    assert on_h800.step_seconds > on_h100.step_seconds
    single = run.model_copy(update={"parallelism": Parallelism()})
    one = training_time(preset("llama-3-8b"), single, Hardware(gpu=h800))
    assert one.step_seconds == training_time(preset("llama-3-8b"), single, Hardware(gpu=h100)).step_seconds
