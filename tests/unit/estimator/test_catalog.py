"""The embedded GPU and offer catalogs: typed, sourced, dated, and consistent with each other."""

from __future__ import annotations

import pytest

from estimator.catalog.gpus import all_gpus, gpu
from estimator.catalog.offers import all_offers, offers_for_gpu
from estimator.errors import UnknownGPUError
from estimator.models import CapacityType

GIB = 1 << 30


def test_every_gpu_has_a_source_and_positive_figures() -> None:
    rows = all_gpus()
    assert len({row.id for row in rows}) == len(rows)
    for row in rows:
        assert row.source
        assert row.memory_bytes > 0
        assert row.memory_bandwidth_bytes_per_second > 0
        assert row.tdp_watts > 0


def test_h100_datasheet_figures() -> None:
    h100 = gpu("H100-SXM")
    assert h100.bf16_tflops == 989.5
    assert h100.memory_bytes == 80 * GIB
    assert h100.memory_bandwidth_bytes_per_second == 3.35e12


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


def test_v100_16gb_variant_is_split_out() -> None:
    assert gpu("V100-SXM2-16GB").memory_bytes == 16 * GIB
    assert gpu("V100-SXM2").memory_bytes == 32 * GIB


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
