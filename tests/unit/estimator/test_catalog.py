"""The embedded GPU and offer catalogs: typed, sourced, dated, and consistent with each other."""

from __future__ import annotations

import pytest

from estimator.catalog.gpus import all_gpus, gpu
from estimator.catalog.offers import all_offers, offers_for_gpu
from estimator.catalog.presets import preset
from estimator.errors import UnknownGPUError
from estimator.memory import training_memory
from estimator.models import CapacityType, Hardware, Method, Precision, TrainingRun
from estimator.params import count_params
from estimator.throughput import training_time


def test_every_gpu_has_a_source_and_positive_figures() -> None:
    rows = all_gpus()
    assert len({row.id for row in rows}) == len(rows)
    for row in rows:
        assert row.source
        assert row.memory_bytes > 0
        assert row.memory_bandwidth_bytes_per_second > 0
        assert row.tdp_watts > 0


def test_no_estimate_on_an_h100_runs_faster_than_its_datasheet_peak() -> None:
    # NVIDIA H100 SXM datasheet: 989.5 dense bf16 TFLOP/s (1,979 with sparsity). Whatever the catalog row says, an
    # estimate's model FLOPs (6 per parameter per token, Kaplan et al. 2020) cannot exceed the GPUs' peak.
    arch = preset("llama-3-8b")
    time = training_time(arch, TrainingRun(tokens=1e9, micro_batch=4), Hardware(gpu=gpu("H100"), count=8))
    model_flops_per_second = 6 * count_params(arch).total * time.tokens_per_second
    assert 0 < time.mfu < 1
    assert model_flops_per_second < 8 * 989.5e12


@pytest.mark.parametrize(
    ("alias", "expected"),
    [("H100", "H100-SXM"), ("a100", "A100-SXM-80GB"), ("A100-40GB", "A100-SXM-40GB"), ("h200", "H200-SXM")],
)
def test_aliases_resolve_to_catalog_ids(alias: str, expected: str) -> None:
    assert gpu(alias).id == expected


def test_unknown_gpu_names_the_closest_ids() -> None:
    with pytest.raises(UnknownGPUError) as info:
        gpu("H10-SXM")
    assert info.value.field == "gpu"
    assert "H100-SXM" in info.value.fix


def test_the_16gb_v100_is_its_own_row_so_what_fits_the_32gb_part_can_fail_on_it() -> None:
    # LoRA on Llama-2-7B in fp16: 6.74 B frozen weights × 2 bytes = 13.5 GB before activations, adapter states and
    # the allocator's rounding, so the run fits the 32 GB part and not the 16 GB one.
    arch = preset("llama-2-7b")
    run = TrainingRun(tokens=1e8, method=Method.LORA, precision=Precision.FP16_AMP, micro_batch=1, seq_len=512)
    assert training_memory(arch, run, gpu("V100-SXM2")).fits
    assert not training_memory(arch, run, gpu("V100-SXM2-16GB")).fits


def test_every_offer_maps_to_a_catalog_gpu_and_keeps_its_source() -> None:
    ids = {row.id for row in all_gpus()}
    for offer in all_offers():
        assert offer.gpu_id in ids
        assert offer.source
        assert offer.gpu_count >= 1


def test_cpu_only_rows_are_left_out() -> None:
    instances = {offer.instance for offer in all_offers()}
    assert "cpu-basic" not in instances
    assert "n1-standard-4" not in instances


def test_aws_spot_is_derived_from_typical_savings_and_flagged() -> None:
    p5 = [o for o in all_offers() if o.instance == "p5.48xlarge"]
    on_demand = next(o for o in p5 if o.capacity_type is CapacityType.ON_DEMAND)
    spot = next(o for o in p5 if o.capacity_type is CapacityType.SPOT)
    assert on_demand.usd_per_hour == 55.04
    assert not on_demand.price_is_estimate
    assert spot.price_is_estimate
    assert spot.usd_per_hour == pytest.approx(55.04 * 0.48)


def test_listed_spot_prices_are_not_flagged() -> None:
    spot = next(o for o in all_offers() if o.instance == "a2-ultragpu-8g" and o.capacity_type is CapacityType.SPOT)
    assert not spot.price_is_estimate
    assert spot.as_of is not None


def test_a100_80gb_offers_span_providers() -> None:
    providers = {offer.provider for offer in offers_for_gpu("A100-SXM-80GB")}
    assert {"aws", "gcp", "azure", "huggingface", "lambda"} <= providers


def test_gpu_memory_decides_the_a100_part() -> None:
    p4d = next(o for o in all_offers() if o.instance == "p4d.24xlarge")
    p4de = next(o for o in all_offers() if o.instance == "p4de.24xlarge")
    assert p4d.gpu_id == "A100-SXM-40GB"
    assert p4de.gpu_id == "A100-SXM-80GB"
