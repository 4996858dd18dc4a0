"""The catalog's data files (estimator/catalog/data/*.json): same facts as before, real-world look-ups, clear errors.

The figures in the look-up tests are copied from trainspend's reference notes (the files named in each test), which
cite the providers' and vendors' own sources; they are written here, not read from the data files under test.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from estimator.catalog.attention_kernels import KernelCurve, kernel_curves
from estimator.catalog.china import china_offers, china_offers_for
from estimator.catalog.gpus import GpuRow, all_gpus, gpu
from estimator.catalog.local import local_machine, local_machines
from estimator.catalog.offers import all_offers, embedded_offers, offers_for_gpu
from estimator.catalog.tables import CatalogDataError, parse_table, read_table_text
from estimator.models import CapacityType, LocalMachine, Offer

GIB = 1 << 30


def _fingerprint(
    rows: tuple[BaseModel, ...], count: int, exclude: set[str] | dict[str, set[str]] | None = None
) -> tuple[int, str]:
    dumped = [row.model_dump(mode="json", exclude=exclude) for row in rows[:count]]
    text = json.dumps(dumped, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return len(dumped), hashlib.sha256(text.encode()).hexdigest()


def test_the_tables_hold_exactly_the_rows_the_generated_python_modules_held() -> None:
    # Row counts and sha256 of the canonical JSON (model_dump(mode="json"), sorted keys) of every row, computed from
    # the generated modules estimator/catalog/{gpus,offers,china,local,attention_kernels}_data.py the data files
    # replaced, before they were deleted. The kernel curves gained `seq_lens` and `as_of`, left out of the comparison.
    # Rows added later go after these (the figures cover the converted rows); a changed old row changes a figure.
    # The A10 and A10G rows gained the A10 datasheet's figures on 2026-12-04 (test_borrowed_figures checks them); the
    # other 15 converted rows are as they were, without the fields added since (equal on the commit before).
    unchanged = tuple(g for g in all_gpus()[:17] if g.id not in ("A10", "A10G"))
    assert _fingerprint(unchanged, 15, {"tf32_tflops", "borrowed_figures"}) == (
        15,
        "c0213242875d8d47aca932d7adcd69566bb5a43c1ca9c76beedafa23d9613b58",
    )
    assert _fingerprint(all_offers(), 88) == (88, "4fde835903fff6eaa557b37dd2848345ad4e25bc53488aa3a613a50afdc675b2")
    assert _fingerprint(china_offers(), 51) == (
        51,
        "a2e02e346c37a92443a0b9091fa82b0700b75ff4808353756f76cfa4e3c86272",
    )
    assert _fingerprint(local_machines(), 7, {"gpu": {"tf32_tflops", "borrowed_figures"}}) == (
        7,
        "8dfa40dd8ce9e7cce0a05b5292a28a9758a652cf154308f44aa2981d8a2e186c",
    )
    assert _fingerprint(kernel_curves(), 6, {"seq_lens", "as_of"}) == (
        6,
        "2bfe237699b188ba9abb41f1d6553a4d5689f64cc4210d111c3a149f649cc79d",
    )


def test_p5_48xlarge_in_us_east_1_costs_its_listed_price_and_spot_is_the_advisor_estimate() -> None:
    # gpu-prices.json, aws p5.48xlarge: on_demand_usd_per_hour 55.04 (Karpenter's Price List table generated
    # 2026-07-20 for us-east-1), 8 × H100 80 GB, spot_typical_savings_pct 52 (Spot Instance Advisor, 2025-06-28).
    rows = {o.capacity_type: o for o in offers_for_gpu("H100") if o.instance == "p5.48xlarge"}
    on_demand, spot = rows[CapacityType.ON_DEMAND], rows[CapacityType.SPOT]
    assert (on_demand.provider, on_demand.region, on_demand.gpu_count) == ("aws", "us-east-1", 8)
    assert on_demand.usd_per_hour == 55.04
    assert on_demand.as_of == date(2026, 7, 20)
    assert not on_demand.price_is_estimate
    assert spot.usd_per_hour == pytest.approx(55.04 * (1 - 0.52))
    assert spot.price_is_estimate
    assert spot.as_of == date(2025, 6, 28)


def test_h100_sxm_datasheet_figures_resolve_through_the_alias() -> None:
    # estimator-cases.json gpus H100-SXM (NVIDIA H100 datasheet): bf16 dense 989.5 TFLOP/s, fp8 dense 1979,
    # 80 GB HBM3 at 3350 GB/s, TDP 700 W.
    h100 = gpu("h100")
    assert h100.id == "H100-SXM"
    assert (h100.bf16_tflops, h100.fp8_tflops, h100.tdp_watts) == (989.5, 1979.0, 700.0)
    assert h100.memory_bytes == 80 * GIB
    assert h100.memory_bandwidth_bytes_per_second == 3350e9


def test_china_cloud_rows_keep_the_native_cny_figures() -> None:
    # china-and-local-prices.json seed_checks: Alibaba gn7 A100 40 GB list 31.5833 CNY/h in cn-beijing (2024-12-30),
    # cn-wulanchabu 28.425; Tencent GT4 subscription 12,948 CNY per GPU-month.
    beijing = china_offers_for(provider="Alibaba Cloud", gpu_name="A100-40GB", region="cn-beijing")
    one_gpu = next(o for o in beijing if o.gpu_count == 1)
    assert (one_gpu.currency, one_gpu.native_price_per_hour, one_gpu.as_of) == ("CNY", 31.5833, date(2024, 12, 30))
    wulanchabu = china_offers_for(provider="aliyun", gpu_name="A100-40GB", region="cn-wulanchabu")
    assert [o.native_price_per_hour for o in wulanchabu] == [28.425]
    gt4 = next(o for o in china_offers_for(provider="qcloud") if o.instance == "GT4.4XLARGE96")
    assert gt4.capacity_type is CapacityType.RESERVED
    assert gt4.native_price_per_hour == pytest.approx(12948 / 730, abs=1e-6)


def test_local_hardware_and_attention_curves_resolve_to_their_published_figures() -> None:
    # china-and-local-prices.json workstation: RTX 4090 dealer listing $1,417.20 (2025-03-03), board power 450 W.
    rtx = local_machine("rtx 4090")
    assert (rtx.purchase_usd, rtx.purchase_as_of, rtx.watts) == (1417.2, date(2025, 3, 3), 450.0)
    # attention-kernels.md: FA3 forward, causal, H100 SXM BF16 hd 128 at seq 512…16k: 292/423/521/579/602/616 TFLOP/s.
    fa3 = next(c for c in kernel_curves() if (c.kernel, c.direction) == ("fa3", "forward"))
    assert fa3.seq_lens == (512, 1024, 2048, 4096, 8192, 16384)
    assert fa3.tflops == (292.0, 423.0, 521.0, 579.0, 602.0, 616.0)


def test_every_row_cites_a_source_and_a_date() -> None:
    for offer in embedded_offers():
        assert offer.source.strip(), offer
        assert offer.as_of is not None, offer
    for machine in local_machines():
        assert machine.purchase_source.strip()
        assert machine.purchase_as_of is not None
        assert machine.gpu.source.strip()
    for curve in kernel_curves():
        assert curve.source.strip()
    for name in (
        "gpus.json",
        "offers.json",
        "azure_spot_offers.json",
        "china_offers.json",
        "local_machines.json",
        "attention_kernels.json",
    ):
        document = json.loads(read_table_text(name))
        assert document["_meta"]["source"].strip()
        assert document["_meta"]["description"].strip()
    assert all(row.source.strip() for row in parse_table("gpus.json", read_table_text("gpus.json"), GpuRow))


def _offers_with(change: dict[str, object], index: int = 0) -> str:
    document = json.loads(read_table_text("offers.json"))
    document["rows"][index] = {**document["rows"][index], **change}
    return json.dumps(document)


def test_a_malformed_price_names_the_file_the_row_the_field_and_the_value() -> None:
    with pytest.raises(CatalogDataError) as caught:
        parse_table("offers.json", _offers_with({"usd_per_hour": -55.04}), Offer)
    message = str(caught.value)
    assert message.startswith("offers.json rows[0] (aws/p5.48xlarge, us-east-1, on-demand) field usd_per_hour=-55.04")
    assert "greater than 0" in message
    assert "estimator/catalog/data/offers.json" in message


def test_a_missing_field_a_bad_date_and_an_unknown_field_are_each_named() -> None:
    document = json.loads(read_table_text("offers.json"))
    del document["rows"][3]["source"]
    with pytest.raises(CatalogDataError, match=r"offers\.json rows\[3\] .* field source=.*Field required"):
        parse_table("offers.json", json.dumps(document), Offer)
    with pytest.raises(CatalogDataError, match=r"rows\[5\] .* field as_of='20-07-2026'"):
        parse_table("offers.json", _offers_with({"as_of": "20-07-2026"}, 5), Offer)
    with pytest.raises(CatalogDataError, match=r"rows\[0\] .* field usd_per_hr=1.0: Extra inputs are not permitted"):
        parse_table("offers.json", _offers_with({"usd_per_hr": 1.0}), Offer)


def test_broken_json_and_a_wrong_shape_say_where_and_what_is_expected() -> None:
    text = read_table_text("gpus.json")
    broken = text.replace('"T4",', '"T4"', 1)
    with pytest.raises(CatalogDataError, match=r"gpus\.json='line \d+ column \d+': not valid JSON"):
        parse_table("gpus.json", broken, GpuRow)
    with pytest.raises(CatalogDataError, match='exactly "_meta" and a "rows" list'):
        parse_table("gpus.json", json.dumps({"rows": []}), GpuRow)
    meta_less = json.loads(text)
    del meta_less["_meta"]["source"]
    with pytest.raises(CatalogDataError, match=r"gpus\.json _meta field source"):
        parse_table("gpus.json", json.dumps({**meta_less}), GpuRow)


def test_a_kernel_curve_with_a_rate_missing_is_refused() -> None:
    document = json.loads(read_table_text("attention_kernels.json"))
    document["rows"][2]["tflops"] = document["rows"][2]["tflops"][:-1]
    with pytest.raises(CatalogDataError, match=r"rows\[2\] \(fa3/forward\).*one rate per sequence length"):
        parse_table("attention_kernels.json", json.dumps(document), KernelCurve)


@settings(max_examples=30, deadline=None)
@given(index=st.integers(0, 6), watts=st.floats(max_value=0, allow_nan=False))
def test_any_row_with_a_non_positive_value_is_refused_with_its_index_and_id(index: int, watts: float) -> None:
    document = json.loads(read_table_text("local_machines.json"))
    row_id = document["rows"][index]["id"]
    document["rows"][index]["watts"] = watts
    with pytest.raises(CatalogDataError) as caught:
        parse_table("local_machines.json", json.dumps(document), LocalMachine)
    assert str(caught.value).startswith(f"local_machines.json rows[{index}] ({row_id}) field watts={watts!r}")


def test_the_tables_load_from_a_zipped_package_as_from_an_installed_wheel(tmp_path) -> None:
    # importlib.resources, not a path next to the module: the catalog loads from wherever the package was imported.
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    import estimator

    root = Path(estimator.__file__).parent
    archive = tmp_path / "estimator.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in root.rglob("*"):
            if path.is_file() and path.suffix in (".py", ".json"):
                zipped.write(path, Path("estimator") / path.relative_to(root))
    code = (
        "import estimator, sys; assert estimator.__file__.startswith(sys.argv[1]), estimator.__file__;"
        "from estimator.catalog.offers import embedded_offers; from estimator.catalog.gpus import gpu;"
        "print(len(embedded_offers()), gpu('H100').bf16_tflops)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(archive)!r}); exec({code!r})", str(archive)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["147", "989.5"]  # 88 + 8 Azure spot + 51 China offers
