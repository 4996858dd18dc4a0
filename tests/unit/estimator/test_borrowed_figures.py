"""The A10G's tensor figures are the A10 datasheet's (NVIDIA and AWS publish none for the A10G): every estimate on
it is sized, physically bounded by its 600 GB/s, and says where its TFLOP/s came from."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from estimator.catalog.gpus import all_gpus, gpu
from estimator.catalog.local import all_hardware
from estimator.catalog.offers import all_offers
from estimator.catalog.presets import preset
from estimator.currency import cfets_rate
from estimator.estimate import estimate
from estimator.inference import Quantisation, inference_estimate
from estimator.models import Hardware, Method, TrainingRun, figure_assumptions
from estimator.plan import PlanConstraints, plan
from estimator.serving import ServingLoad, serving_plan

A10G_BANDWIDTH_BYTES_PER_SECOND = 600e9  # AWS EC2 G5 page: "24 GB GDDR6 600 GB/sec"
MODELS = ("llama-3-8b", "qwen2.5-1.5b", "llama-3.2-3b", "qwen2.5-7b")


def _named(assumptions: tuple[object, ...]) -> list[str]:
    return [a.name for a in assumptions]  # type: ignore[attr-defined]


def test_the_a10g_row_takes_the_a10_datasheet_figures_and_says_so() -> None:
    a10, a10g = gpu("A10"), gpu("A10G")
    figures = ("bf16_tflops", "fp16_tflops", "tf32_tflops", "fp32_tflops", "int8_tops")
    assert [getattr(a10g, f) for f in figures] == [125.0, 125.0, 62.5, 31.2, 250.0]
    assert [getattr(a10g, f) for f in figures] == [getattr(a10, f) for f in figures]
    assert a10g.memory_bandwidth_bytes_per_second == A10G_BANDWIDTH_BYTES_PER_SECOND
    assert a10g.borrowed_figures is not None
    assert "publish none" in a10g.borrowed_figures
    assert "70 TFLOP/s" in a10g.borrowed_figures
    assert "A10 datasheet" in a10g.source
    # Only the A10G borrows: the A10's figures are its own datasheet's.
    assert [g.id for g in all_gpus() if g.borrowed_figures] == ["A10G"]


def test_figure_assumptions_name_each_borrowing_gpu_once() -> None:
    (only,) = figure_assumptions((gpu("A10G"), gpu("A10"), gpu("A10G"), gpu("H100-SXM")))
    assert only.name == "A10G tensor figures"
    assert "125" in only.value
    assert only.why == gpu("A10G").borrowed_figures
    assert figure_assumptions((gpu("A10"), gpu("T4"))) == ()


@given(
    model=st.sampled_from(MODELS),
    quantisation=st.sampled_from(list(Quantisation)),
    prompt=st.integers(1, 4000),
    output=st.integers(1, 1000),
)
def test_a10g_decode_is_bounded_by_its_memory_bandwidth(
    model: str, quantisation: Quantisation, prompt: int, output: int
) -> None:
    """Every decode step re-reads all weights: tokens/s per sequence <= bandwidth / weight bytes, whatever the batch."""
    est = inference_estimate(preset(model), gpu("A10G"), quantisation=quantisation, context_tokens=prompt + output,
                             prompt_tokens=prompt)  # fmt: skip
    assert est.decode_tokens_per_second_per_sequence > 0
    assert est.decode_tokens_per_second_per_sequence <= A10G_BANDWIDTH_BYTES_PER_SECOND / est.weights_bytes
    assert est.prefill_tokens_per_second > 0
    assert "A10G tensor figures" in _named(est.assumptions)


def test_serving_on_a10g_is_sized_priced_and_labelled() -> None:
    load = ServingLoad(prompt_tokens=1000, output_tokens=300, requests_per_second=5)
    offers = tuple(o for o in all_offers() if o.gpu_id == "A10G")
    assert offers, "AWS g5 offers carry the A10G"
    result = serving_plan(preset("llama-3-8b"), load, all_hardware(), offers, quantisation=Quantisation.INT4,
                          rate=cfets_rate())  # fmt: skip
    (replica,) = [r for r in result.replicas if r.gpu_id == "A10G" and not r.rejected_because]
    assert replica.weights_bytes > 0
    assert replica.requests_per_second > 0
    # A decode step moves at least the weights once over 600 GB/s.
    assert replica.tpot_seconds >= replica.weights_bytes / A10G_BANDWIDTH_BYTES_PER_SECOND
    assert replica.decode_tokens_per_second <= replica.batch * A10G_BANDWIDTH_BYTES_PER_SECOND / replica.weights_bytes
    assert result.options
    assert all(o.gpu_id == "A10G" for o in result.options)
    assert "A10G tensor figures" in _named(result.assumptions)


def test_training_estimates_and_plans_on_a10g_list_the_borrowed_figures() -> None:
    arch, run = preset("qwen2.5-1.5b"), TrainingRun(tokens=1e8, method=Method.LORA)
    result = estimate(arch, run, Hardware(gpu=gpu("A10G")), offers=())
    assert result.time.step_seconds > 0
    assert "A10G tensor figures" in _named(result.assumptions)
    on_a10 = estimate(arch, run, Hardware(gpu=gpu("A10")), offers=())
    assert "A10G tensor figures" not in _named(on_a10.assumptions)
    planned = plan(arch, run, all_gpus(), all_offers(), PlanConstraints(gpu_ids=("A10G",), gpu_counts=(1,)))
    assert planned.accepted
    assert "A10G tensor figures" in _named(planned.assumptions)
