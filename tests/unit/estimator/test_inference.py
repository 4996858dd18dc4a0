"""Inference memory (weights by quantisation, KV cache) and the roofline throughput."""

from __future__ import annotations

import pytest

from estimator.catalog.gpus import gpu
from estimator.catalog.presets import preset
from estimator.errors import InvalidRunError
from estimator.inference import Quantisation, inference_estimate, kv_cache_bytes_per_token, weight_bytes_per_param
from estimator.models import ModelArch

# OPT-13B (facebook/opt-13b config): hidden 5120, 40 layers, 40 heads, MHA.
OPT_13B = ModelArch(
    name="opt-13b",
    vocab_size=50272,
    hidden_size=5120,
    num_layers=40,
    num_heads=40,
    num_kv_heads=40,
    head_dim=128,
    intermediate_size=20480,
)
# Llama-2-7B: 32 layers x 4096 hidden, MHA.
LLAMA2_7B = ModelArch(
    name="llama-2-7b",
    vocab_size=32000,
    hidden_size=4096,
    num_layers=32,
    num_heads=32,
    num_kv_heads=32,
    head_dim=128,
    intermediate_size=11008,
)
# Llama-3-8B: GQA with 8 KV heads, 128k vocabulary.
LLAMA3_8B = preset("llama-3-8b")


def test_kv_cache_matches_vllm_paper_for_opt_13b() -> None:
    # Kwon et al. 2023 §3: 2 x 5120 x 40 x 2 bytes = 800 KB per token; ~1.6 GB for a 2048-token request.
    assert kv_cache_bytes_per_token(OPT_13B) == 819_200
    assert kv_cache_bytes_per_token(OPT_13B) * 2048 / 1e9 == pytest.approx(1.6, rel=0.06)


def test_kv_cache_llama2_7b_1000_tokens() -> None:
    # gpu_poor README: analytic fp16 KV of Llama-2-7B at 1000 tokens = 524 MB.
    assert kv_cache_bytes_per_token(LLAMA2_7B) * 1000 / 1e6 == pytest.approx(524, rel=0.01)


def test_gqa_shrinks_the_kv_cache_by_the_group_factor() -> None:
    assert kv_cache_bytes_per_token(LLAMA2_7B) == 4 * kv_cache_bytes_per_token(LLAMA3_8B)


@pytest.mark.parametrize(
    ("quant", "expected"),
    [
        (Quantisation.BF16, 2.0),
        (Quantisation.FP16, 2.0),
        (Quantisation.INT8, 1 + 4 / 128),
        (Quantisation.INT4, 0.53125),
    ],
)
def test_weight_bytes_per_param(quant: Quantisation, expected: float) -> None:
    assert weight_bytes_per_param(quant) == pytest.approx(expected)


def test_largest_batch_fills_the_memory_left_by_weights() -> None:
    est = inference_estimate(LLAMA3_8B, gpu("H100-SXM"), context_tokens=4096)
    assert est.fits
    free = est.usable_bytes - est.weights_bytes
    assert est.max_batch == free // est.kv_bytes_per_sequence
    assert est.max_batch * est.kv_bytes_per_sequence <= free < (est.max_batch + 1) * est.kv_bytes_per_sequence


def test_int4_fits_more_sequences_than_bf16() -> None:
    h100 = gpu("H100-SXM")
    bf16 = inference_estimate(LLAMA3_8B, h100)
    int4 = inference_estimate(LLAMA3_8B, h100, quantisation=Quantisation.INT4)
    assert int4.max_batch > bf16.max_batch
    assert int4.weights_bytes < bf16.weights_bytes / 3


def test_model_too_large_does_not_fit() -> None:
    est = inference_estimate(LLAMA3_8B, gpu("T4"), quantisation=Quantisation.FP16)
    assert not est.fits
    assert est.max_batch == 0


def test_batch_one_decode_is_memory_bound_and_reads_the_weights_once_per_token() -> None:
    h100 = gpu("H100-SXM")
    est = inference_estimate(LLAMA3_8B, h100, batch=1, context_tokens=1024)
    assert est.decode_bound == "memory"
    bytes_read = est.weights_bytes + est.kv_bytes_per_sequence
    assert est.decode_step_seconds == pytest.approx(bytes_read / (h100.memory_bandwidth_bytes_per_second * 0.8))


def test_large_batch_short_context_decode_turns_compute_bound() -> None:
    h100 = gpu("H100-SXM")
    # Short contexts: the weights, read once per step, are shared by the whole batch; the KV cache stays small.
    one = inference_estimate(LLAMA3_8B, h100, batch=1, context_tokens=64)
    many = inference_estimate(LLAMA3_8B, h100, batch=512, context_tokens=64)
    assert many.decode_tokens_per_second > 50 * one.decode_tokens_per_second
    assert many.decode_bound == "compute"


def test_prefill_is_compute_bound_for_long_prompts() -> None:
    h100 = gpu("H100-SXM")
    est = inference_estimate(LLAMA3_8B, h100, context_tokens=4096)
    linear_flops = 2 * 7_000_000_000 * 4096  # non-embedding weights of Llama-3-8B, ~7B
    assert est.prefill_seconds > linear_flops / (989.5e12 * 0.75)
    assert est.prefill_tokens_per_second > 1000 * est.decode_tokens_per_second_per_sequence / 10


def test_bf16_on_a_gpu_without_bf16_is_a_clear_error() -> None:
    with pytest.raises(InvalidRunError) as info:
        inference_estimate(LLAMA2_7B, gpu("V100"))
    assert info.value.field == "quantisation"
    assert "fp16" in info.value.fix


def test_sliding_window_caps_the_cache() -> None:
    windowed = LLAMA3_8B.model_copy(update={"sliding_window": 1024})
    est = inference_estimate(windowed, gpu("H100-SXM"), context_tokens=8192)
    assert est.kv_bytes_per_sequence == 1024 * est.kv_bytes_per_token


def test_every_estimate_lists_its_assumptions() -> None:
    est = inference_estimate(LLAMA3_8B, gpu("H100-SXM"))
    names = {a.name for a in est.assumptions}
    assert {"memory_fraction", "compute_efficiency", "bandwidth_efficiency"} <= names


def test_a_gpu_without_any_tensor_figure_is_blamed_on_the_missing_figure_not_the_hardware() -> None:
    # A GPU built by hand without figures (every catalog row has one) may well have bf16: ask for the figure.
    bare = gpu("A10").model_copy(update={"id": "custom", "bf16_tflops": None, "fp16_tflops": None})
    with pytest.raises(InvalidRunError) as info:
        inference_estimate(preset("llama-3-8b"), bare, quantisation=Quantisation.BF16)
    assert "no bf16 tensor cores" not in info.value.fix
    assert "datasheet figure" in info.value.fix
    assert "custom" in info.value.fix
