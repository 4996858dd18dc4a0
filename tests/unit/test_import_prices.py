"""scripts/import_prices.py: reference-format price JSON in, the catalog's data files out (the rules that decide rows).

The input rows are copied from trainspend's reference notes (`gpu-prices.json` aws p5.48xlarge, aws p6-b200.48xlarge,
gcp n1-standard-4; `estimator-cases.json` gpus H100-SXM), trimmed to the fields the import reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estimator.catalog.gpus import GpuRow
from estimator.catalog.tables import parse_table, read_table_text
from estimator.models import CapacityType, Offer
from scripts.import_prices import main, tables

P5 = {
    "provider": "aws",
    "instance": "p5.48xlarge",
    "region": "us-east-1",
    "gpu_model": "H100",
    "gpu_count": 8,
    "gpu_memory_gb": 80,
    "on_demand_usd_per_hour": 55.04,
    "spot_usd_per_hour": None,
    "source": "github.com/aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go @6fc13b5",
    "as_of": "2026-07-20",
    "pricing_model": "per_instance",
    "spot_typical_savings_pct": 52,
    "spot_source": "github.com/alexei-led/spotinfo internal/spot/data/spot-advisor-data.json @5eedf20",
    "spot_as_of": "2025-06-28",
}
P6_B200 = P5 | {"instance": "p6-b200.48xlarge", "gpu_model": "B200", "gpu_memory_gb": 180}
N1 = {
    "provider": "gcp",
    "instance": "n1-standard-4",
    "region": "us-central1",
    "gpu_model": None,
    "gpu_count": 0,
    "on_demand_usd_per_hour": 0.189999,
    "spot_usd_per_hour": 0.06701,
    "source": "github.com/Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml @fd66b26",
    "as_of": "2026-07-30",
}
H100 = {
    "id": "H100-SXM",
    "name": "NVIDIA H100 SXM 80GB",
    "bf16_dense_tflops": 989.5,
    "fp16_dense_tflops": 989.5,
    "fp8_dense_tflops": 1979,
    "memory_gb": 80,
    "memory_bandwidth_gbps": 3350,
    "tdp_w": 700,
    "source": "NVIDIA H100 product page/datasheet spec table (https://www.nvidia.com/en-us/data-center/h100/)",
}


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    cases = {"_about": "GPU datasheet figures. Every row cites its source. Collected 2026-11-23.", "gpus": [H100]}
    (tmp_path / "estimator-cases.json").write_text(json.dumps(cases))
    (tmp_path / "gpu-prices.json").write_text(json.dumps({"_meta": {}, "aws": [P5, P6_B200], "gcp": [N1]}))
    (tmp_path / "china-and-local-prices.json").write_text(json.dumps({"aliyun": [], "tencent": []}))
    return tmp_path


def test_an_instance_with_typical_spot_savings_gets_an_on_demand_and_an_estimated_spot_row(reference: Path) -> None:
    offers = parse_table("offers.json", tables(reference)["offers.json"], Offer)
    by_capacity = {o.capacity_type: o for o in offers}
    assert [(o.instance, o.capacity_type) for o in offers] == [
        ("p5.48xlarge", CapacityType.ON_DEMAND),
        ("p5.48xlarge", CapacityType.SPOT),
    ]
    assert by_capacity[CapacityType.ON_DEMAND].usd_per_hour == 55.04
    spot = by_capacity[CapacityType.SPOT]
    assert spot.usd_per_hour == pytest.approx(55.04 * 0.48)
    assert spot.price_is_estimate
    assert str(spot.as_of) == "2025-06-28"
    assert "spotinfo" in spot.source


def test_rows_without_a_catalog_gpu_are_left_out_and_listed_with_why(reference: Path) -> None:
    meta = json.loads(tables(reference)["offers.json"])["_meta"]
    assert meta["left_out"] == [
        "aws/p6-b200.48xlarge (B200: no datasheet row in the GPU catalog)",
        "gcp/n1-standard-4 (CPU only)",
    ]
    # the table's own description and source are kept from the committed file
    assert meta["source"] == json.loads(read_table_text("offers.json"))["_meta"]["source"]


def test_gpu_rows_take_binary_memory_decimal_bandwidth_and_the_collection_date(reference: Path) -> None:
    row, *curated = parse_table("gpus.json", tables(reference)["gpus.json"], GpuRow)
    assert [r.id for r in curated] == ["H800-SXM"]  # the committed file's hand-added row, after the reference's
    assert (row.id, row.bf16_tflops, row.fp8_tflops) == ("H100-SXM", 989.5, 1979.0)
    assert row.memory_bytes == 80 * 2**30
    assert row.memory_bandwidth_bytes_per_second == 3350e9
    assert str(row.as_of) == "2026-11-23"


def test_check_mode_reports_a_difference_and_writes_nothing(reference: Path) -> None:
    before = {name: read_table_text(name) for name in ("gpus.json", "offers.json", "china_offers.json")}
    assert main(["--reference", str(reference), "--check"]) == 1
    assert {name: read_table_text(name) for name in before} == before


# estimator-cases.json gpus A10G, as the reference has it: no tensor figures, no TDP.
A10G = {
    "id": "A10G",
    "name": "NVIDIA A10G (AWS EC2 G5)",
    "bf16_dense_tflops": None,
    "fp16_dense_tflops": None,
    "fp8_dense_tflops": None,
    "memory_gb": 24,
    "memory_bandwidth_gbps": 600,
    "tdp_w": None,
    "source": "AWS EC2 G5 page ('NVIDIA A10G GPUs with 24 GB GDDR6 600 GB/sec GPU Memory') as quoted in public docs",
}


def test_a_reimport_keeps_the_a10g_on_the_a10_datasheet_figures_and_says_they_are_borrowed(reference: Path) -> None:
    cases = json.loads((reference / "estimator-cases.json").read_text())
    (reference / "estimator-cases.json").write_text(json.dumps(cases | {"gpus": [H100, A10G]}))
    h100, a10g, _ = parse_table("gpus.json", tables(reference)["gpus.json"], GpuRow)
    assert (a10g.bf16_tflops, a10g.fp16_tflops, a10g.tf32_tflops, a10g.int8_tops) == (125.0, 125.0, 62.5, 250.0)
    assert a10g.borrowed_figures is not None
    assert "A10 datasheet" in a10g.source
    assert "150 W assumed" in a10g.source
    assert str(a10g.as_of) == "2026-12-04"
    # A row with its own figures borrows nothing and keeps the collection date.
    assert (h100.borrowed_figures, h100.tf32_tflops, str(h100.as_of)) == (None, None, "2026-11-23")


def test_a_refresh_keeps_the_rows_curated_by_hand_and_drops_other_rows_the_reference_lost(reference: Path) -> None:
    committed = {row.id: row for row in parse_table("gpus.json", read_table_text("gpus.json"), GpuRow)}
    assert "H800-SXM" in json.loads(read_table_text("gpus.json"))["_meta"]["curated"]
    refreshed = {row.id: row for row in parse_table("gpus.json", tables(reference)["gpus.json"], GpuRow)}
    assert refreshed["H800-SXM"] == committed["H800-SXM"]  # NVIDIA publishes no H800 datasheet: kept as written
    assert "A100-SXM-80GB" in committed
    assert "A100-SXM-80GB" not in refreshed  # not curated, not in this reference: a refresh drops it
    cases = json.loads((reference / "estimator-cases.json").read_text())
    h800 = H100 | {"id": "H800-SXM", "name": "NVIDIA H800 SXM 80GB", "source": "a datasheet found again"}
    (reference / "estimator-cases.json").write_text(json.dumps(cases | {"gpus": [H100, h800]}))
    (_, again) = parse_table("gpus.json", tables(reference)["gpus.json"], GpuRow)
    assert again.source == "a datasheet found again"  # once the reference has the row, the reference's row wins
