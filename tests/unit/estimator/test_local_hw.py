"""Local hardware: Apple M4 / workstation rows from the shared reference, speed against measurements, owning cost."""

from __future__ import annotations

import pytest

from estimator.catalog.gpus import gpu
from estimator.catalog.local import (
    SpeedModel,
    all_hardware,
    buy_or_rent,
    local_assumptions,
    local_machine,
    machine_tco,
    training_tokens_per_second,
)
from estimator.catalog.offers import offers_for_gpu
from estimator.catalog.presets import preset
from estimator.cost import break_even_hours, onprem_usd_per_hour
from estimator.currency import cfets_rate
from estimator.errors import InvalidRunError, UnknownGPUError
from estimator.memory import training_memory
from estimator.models import Hardware, Method, TrainingRun
from estimator.throughput import training_time


def test_m4_max_128gb_row_matches_the_reference() -> None:
    mac = local_machine("m4-max-40c-128gb")
    assert mac.gpu.unified_memory
    assert mac.gpu.memory_bytes == 128 * 2**30
    assert mac.gpu.memory_bandwidth_bytes_per_second == 546e9
    assert mac.gpu.fp32_tflops == 18.4 == mac.gpu.bf16_tflops
    assert (mac.purchase_usd, mac.watts) == (5000, 100)


def test_workstation_rows_agree_with_the_datacenter_catalog() -> None:
    assert local_machine("RTX-4090").gpu.bf16_tflops == gpu("RTX-4090").bf16_tflops
    ids = [row.id for row in all_hardware()]
    assert len(ids) == len(set(ids))
    assert {"RTX-6000-Ada", "M4-Pro-16c-24GB"} <= set(ids)
    with pytest.raises(UnknownGPUError, match="M4-Max"):
        local_machine("M4 Ultra")


def test_unified_memory_check_uses_three_quarters() -> None:
    # Llama-3-8B LoRA in bf16 needs well over 24 GiB x 0.75 = 18 GiB but fits in 128 GiB x 0.75 = 96 GiB.
    run = TrainingRun(tokens=1e6, method=Method.LORA, seq_len=1024)
    small = training_memory(preset("llama-3-8b"), run, local_machine("M4-Pro-16c-24GB").gpu)
    large = training_memory(preset("llama-3-8b"), run, local_machine("M4-Max-40c-128GB").gpu)
    assert small.usable_bytes == int(24 * 2**30 * 0.75)
    assert not small.fits
    assert large.fits


@pytest.mark.parametrize(
    ("hardware", "model", "method", "seq_len", "measured_tokens_per_second"),
    [
        # mac-ml-benchmark: MLX LoRA, Mistral-7B 4-bit, M4 Pro 16-core GPU: 210 tokens/s.
        ("M4-Pro-16c-24GB", "mistral-7b-v0.1", Method.LORA, 512, 210.0),
        # torchtune README (memory_facts): Llama-3.1-8B on one RTX 4090, full 1,650 and LoRA 3,083 tokens/s.
        ("RTX-4090", "llama-3.1-8b", Method.FULL, 2048, 1650.0),
        ("RTX-4090", "llama-3.1-8b", Method.LORA, 2048, 3083.0),
    ],
)
def test_speed_with_the_labelled_efficiency_is_within_2x_of_measurements(
    hardware: str, model: str, method: Method, seq_len: int, measured_tokens_per_second: float
) -> None:
    run = TrainingRun(tokens=1e6, method=method, seq_len=seq_len)
    predicted = training_tokens_per_second(preset(model), run, local_machine(hardware).gpu)
    assert 0.5 < predicted / measured_tokens_per_second < 2.0


def test_efficiency_override_scales_speed_linearly() -> None:
    run = TrainingRun(tokens=1e6)
    mac = local_machine("M4-Max-40c-48GB").gpu
    base = training_tokens_per_second(preset("qwen2.5-0.5b"), run, mac, efficiency=0.25)
    assert training_tokens_per_second(preset("qwen2.5-0.5b"), run, mac, efficiency=0.5) == pytest.approx(2 * base)
    with pytest.raises(InvalidRunError, match="efficiency"):
        training_tokens_per_second(preset("qwen2.5-0.5b"), run, mac, efficiency=1.5)


def test_mac_tco_and_break_even_by_hand() -> None:
    # $5,000 over 3 years of 8,766 h at 50% use + 100 W at $0.15/kWh:
    # 5000 / (3 x 8766 x 0.5) + 0.1 x 0.15 = 0.380163 + 0.015 = 0.395163 $/h.
    tco = machine_tco(local_machine("M4-Max-40c-128GB"), utilisation=0.5)
    assert onprem_usd_per_hour(tco) == pytest.approx(5000 / (3 * 8766 * 0.5) + 0.015)
    # Against Lambda's A100 40GB rental: purchase / (rent per GPU-hour - energy per hour).
    offer = next(o for o in offers_for_gpu("A100-40GB") if o.provider == "lambda")
    hours = break_even_hours(tco, 1, offer)
    assert hours == pytest.approx(5000 / (offer.usd_per_hour / offer.gpu_count - 0.015))
    assert any(a.name == "training_efficiency" for a in local_assumptions(tco))


def test_buy_or_rent_times_rentals_with_the_calibrated_model_and_macs_with_the_labelled_one() -> None:
    arch = preset("qwen2.5-1.5b")
    run = TrainingRun(tokens=1e8, method=Method.LORA, seq_len=2048)
    a100 = next(o for o in offers_for_gpu("A100-80GB") if o.instance == "a2-ultragpu-1g")
    mac = local_machine("M4-Max-40c-128GB")
    result = buy_or_rent(arch, run, (mac,), (a100,), all_hardware(), cfets_rate(), utilisation=0.5)
    rented = next(r for r in result.rows if r.kind == "rent")
    owned = next(r for r in result.rows if r.kind == "own")
    assert rented.speed_model is SpeedModel.CALIBRATED
    calibrated = training_time(arch, run, Hardware(gpu=gpu("A100-SXM-80GB"))).tokens_per_second
    assert rented.tokens_per_second == pytest.approx(calibrated)
    assert rented.hours == pytest.approx(1e8 / calibrated / 3600)
    assert rented.job_cost is not None
    assert rented.job_cost.amount == pytest.approx(1e8 / calibrated / 3600 * a100.usd_per_hour)
    assert owned.speed_model is SpeedModel.LABELLED_EFFICIENCY
    assert owned.tokens_per_second == pytest.approx(training_tokens_per_second(arch, run, mac.gpu))
    (speed,) = [a for a in result.assumptions if a.name == "speed_model"]
    assert speed.value == "calibrated: A100-SXM-80GB; labelled-efficiency: M4-Max-40c-128GB"
