"""fp8 as Transformer Engine runs it, and precisions a GPU cannot run (fp8 before Hopper/Ada, bf16 on Turing/Volta)."""

from __future__ import annotations

import pytest

from estimator.activations import layer_bytes_per_token
from estimator.budget_tiers import budget_tiers
from estimator.catalog.gpus import all_gpus, gpu
from estimator.catalog.offers import embedded_offers
from estimator.catalog.presets import preset
from estimator.currency import Currency, Money, cfets_rate
from estimator.errors import EstimatorError
from estimator.estimate import estimate
from estimator.memory import training_memory
from estimator.models import Hardware, Parallelism, Precision, TrainingRun
from estimator.params import q_width
from estimator.plan import PlanConstraints, plan
from estimator.precision import precision_for_gpu, state_recipe
from estimator.throughput import training_time

H100 = gpu("H100-SXM")
ARCH = preset("llama-3-8b")


def _run(precision: Precision, **kw: object) -> TrainingRun:
    return TrainingRun(tokens=2e9, precision=precision, parallelism=Parallelism(data=8), **kw)


def test_fp8_keeps_bf16_state_plus_fp8_weight_copies() -> None:
    rec = state_recipe(Precision.FP8, TrainingRun(tokens=1).optimizer)
    assert (rec.master_bytes, rec.grad_bytes, rec.optimizer_bytes, rec.copy_bytes) == (2, 2, 4, 2)
    bf16 = training_memory(ARCH, _run(Precision.BF16), H100)
    fp8 = training_memory(ARCH, _run(Precision.FP8), H100)
    fp32 = training_memory(ARCH, _run(Precision.FP32_AMP), H100)
    assert fp8.optimizer_bytes == bf16.optimizer_bytes
    assert fp8.peak_bytes < fp32.peak_bytes  # no longer the doubled fp32-master figure
    assert fp8.fits  # 8B on 8x H100 without ZeRO, as in bf16


def test_fp8_saves_linear_inputs_in_one_byte() -> None:
    h = ARCH.hidden_size
    saving = layer_bytes_per_token(ARCH, _run(Precision.BF16)) - layer_bytes_per_token(ARCH, _run(Precision.FP8))
    assert saving == 2 * h + q_width(ARCH) + ARCH.intermediate_size


def test_fp8_gemms_run_at_the_fp8_rate() -> None:
    big = {"micro_batch": 8}
    bf16 = training_time(ARCH, _run(Precision.BF16, **big), Hardware(gpu=H100, count=8))
    fp8 = training_time(ARCH, _run(Precision.FP8, **big), Hardware(gpu=H100, count=8))
    assert fp8.step_seconds < 0.85 * bf16.step_seconds
    # MFU is against the peak of the precision used: the same model FLOPs in less time, over a 2x larger peak.
    assert H100.fp8_tflops is not None
    assert H100.bf16_tflops is not None
    assert fp8.mfu * H100.fp8_tflops > bf16.mfu * H100.bf16_tflops
    assert fp8.mfu == pytest.approx(
        bf16.mfu * bf16.step_seconds / fp8.step_seconds * H100.bf16_tflops / H100.fp8_tflops
    )
    assert fp8.mfu < 1.0
    label = next(a for a in fp8.assumptions if a.name == "fp8 matmuls")
    assert "assumed" in label.value


@pytest.mark.parametrize("name", ["A100-SXM-80GB", "V100-SXM2", "T4", "A10"])
def test_fp8_is_rejected_on_gpus_without_fp8(name: str) -> None:
    with pytest.raises(EstimatorError) as info:
        estimate(ARCH, _run(Precision.FP8), Hardware(gpu=gpu(name), count=8), ())
    assert info.value.field == "precision"
    assert gpu(name).id in info.value.fix
    assert "--precision bf16" in info.value.fix


@pytest.mark.parametrize("name", ["T4", "V100-SXM2"])
@pytest.mark.parametrize("precision", [Precision.BF16, Precision.FP32_AMP])
def test_bf16_is_rejected_on_turing_and_volta(name: str, precision: Precision) -> None:
    with pytest.raises(EstimatorError) as info:
        training_time(ARCH, _run(precision), Hardware(gpu=gpu(name), count=8))
    assert info.value.field == "precision"
    assert "--precision fp16-amp" in info.value.fix
    assert training_time(ARCH, _run(Precision.FP16_AMP), Hardware(gpu=gpu(name), count=8)).step_seconds > 0


def test_planner_uses_fp16_amp_where_there_is_no_bf16_and_says_so() -> None:
    assert precision_for_gpu(_run(Precision.BF16), gpu("T4")).precision is Precision.FP16_AMP
    assert precision_for_gpu(_run(Precision.BF16), H100).precision is Precision.BF16
    small = preset("smollm-360m")
    run = TrainingRun(tokens=1e8)
    result = plan(small, run, all_gpus(), embedded_offers(), PlanConstraints(gpu_ids=("T4",), gpu_counts=(1,)))
    assert result.accepted
    note = next(a for a in result.assumptions if a.name == "precision")
    assert "fp16-amp" in note.value
    assert "T4" in note.value


def test_budget_tiers_time_t4_with_fp16_amp() -> None:
    t4_offers = tuple(o for o in embedded_offers() if o.gpu_id == "T4" and o.gpu_count == 1)
    tiers = budget_tiers(
        Money(amount=50, currency=Currency.USD),
        (preset("smollm-360m"),),
        all_gpus(),
        t4_offers,
        TrainingRun(tokens=1.0),
        cfets_rate(),
    )
    assert tiers.tiers
    assert tiers.tiers[0].gpu_id == "T4"
    assert any(a.name == "precision" and "fp16-amp" in a.value for a in tiers.assumptions)
