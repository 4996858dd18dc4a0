"""Structural properties of the step-time model, from first principles (attention, pipeline, loss, layer work)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.attention import interpolate, kernel_fraction
from estimator.catalog.attention_kernels import kernel_curves
from estimator.catalog.gpus import gpu
from estimator.flops import attended_keys
from estimator.interconnect import intra_node_bus_bytes_per_second
from estimator.layer_traffic import layer_forward_bytes, loss_bytes
from estimator.models import (
    Hardware,
    LoraConfig,
    Method,
    MlpType,
    ModelArch,
    NormType,
    Parallelism,
    Precision,
    TrainingRun,
)
from estimator.params import q_width
from estimator.step_phases import (
    MATMUL_FRACTION,
    bandwidth,
    gemm_seconds,
    lora_seconds,
    micro_batch_phases,
    peak_flops,
)
from estimator.throughput import FITTED, optimizer_seconds, p2p_seconds, training_time

H100 = gpu("H100-SXM")
ARCH = ModelArch(
    vocab_size=32000,
    hidden_size=4096,
    num_layers=32,
    num_heads=32,
    num_kv_heads=8,
    head_dim=128,
    intermediate_size=14336,
)


def _attention_seconds(seq: int) -> float:
    """Forward + backward attention of one micro-batch as the difference of two runs that differ only there."""
    run = TrainingRun(tokens=1e9, seq_len=seq, micro_batch=1)
    fwd, _, bwd = micro_batch_phases(ARCH, run, Hardware(gpu=H100), FITTED)
    return fwd.gpu_seconds + bwd.gpu_seconds


def test_step_at_32k_versus_2k_grows_by_attention_flops_at_the_kernels_rate() -> None:
    # Same tokens per micro-batch (16 × 2k vs 1 × 32k): everything but attention is identical.
    short = TrainingRun(tokens=1e9, seq_len=2048, micro_batch=16)
    long = TrainingRun(tokens=1e9, seq_len=32768, micro_batch=1)
    hw = Hardware(gpu=H100)
    fs, _, bs = micro_batch_phases(ARCH, short, hw, FITTED)
    fl, _, bl = micro_batch_phases(ARCH, long, hw, FITTED)
    tokens = 32768.0
    peak = peak_flops(H100)
    expected = 0.0
    for seq, weight in ((32768, 1.0), (2048, -1.0)):
        flops = tokens * 2.0 * attended_keys(ARCH, seq) * q_width(ARCH) * ARCH.num_layers
        rate_f = kernel_fraction("fa2", "forward", H100, seq) * peak
        rate_b = kernel_fraction("fa2", "backward", H100, seq) * peak
        expected += weight * (flops / rate_f + 2.5 * flops / rate_b)
    grown = (fl.gpu_seconds + bl.gpu_seconds) - (fs.gpu_seconds + bs.gpu_seconds)
    assert grown == pytest.approx(expected, rel=1e-9)
    # and the published rates are 33.5 % (fwd) of peak at 16k+: 16× the keys cost ~14× more, not 16× / 5 % of peak
    assert kernel_fraction("fa2", "forward", H100, 32768) == pytest.approx(335 / 989)


def test_kernel_rates_interpolate_through_every_published_point_and_are_flat_outside() -> None:
    for curve in kernel_curves():
        points = tuple((float(s), v) for s, v in zip(curve.seq_lens, curve.tflops, strict=True))
        for s, v in points:
            assert interpolate(points, s) == pytest.approx(v)
        assert interpolate(points, 256) == points[0][1]
        assert interpolate(points, 65536) == points[-1][1]


@settings(max_examples=40, deadline=None)
@given(s1=st.integers(256, 65536), s2=st.integers(256, 65536))
def test_attention_rate_never_falls_with_sequence_length_for_fa2_forward(s1: int, s2: int) -> None:
    lo, hi = sorted((s1, s2))
    assert kernel_fraction("fa2", "forward", H100, lo) <= kernel_fraction("fa2", "forward", H100, hi)
    assert 0 < kernel_fraction("fa3", "backward", H100, hi) < 1


def test_ampere_uses_fa2_shape_at_the_published_a100_plateau() -> None:
    a100 = gpu("A100-SXM-80GB")
    assert kernel_fraction("fa3", "forward", a100, 16384) == pytest.approx(0.73)
    assert kernel_fraction("fa2", "forward", a100, 512) < 0.73


@pytest.mark.parametrize("micro", [4, 16, 64])
def test_pipeline_4_versus_1_differs_by_the_bubble_not_by_the_stage_count(micro: int) -> None:
    # One replica of 4 GPUs: PP 4 holds a quarter of the layers per GPU; PP 1 (4-way data parallel on one node with
    # the same global batch) processes a quarter of the micro-batches per GPU. Per-GPU work is the same; PP 4 adds
    # the bubble (p−1)/(m+p−1) and nothing like a 3× slow-down.
    pp = TrainingRun(tokens=1e9, micro_batch=1, global_batch=micro, parallelism=Parallelism(pipeline=4))
    t = training_time(ARCH, pp, Hardware(gpu=H100, count=4))
    assert t.pipeline_bubble_fraction == pytest.approx(3 / (micro + 3))
    fwd, tail, bwd = micro_batch_phases(ARCH, pp, Hardware(gpu=H100, count=4), FITTED)
    stage = fwd.seconds + tail.seconds + bwd.seconds
    optimizer = optimizer_seconds(ARCH, pp, Hardware(gpu=H100, count=4))
    # 1F1B waits for each boundary's activations forward and gradients back: 2 transfers of s·h bf16 over NVLink
    p2p = p2p_seconds(ARCH, pp, Hardware(gpu=H100, count=4))
    assert p2p == pytest.approx(2 * 2048 * 4096 * 2.0 / intra_node_bus_bytes_per_second(Hardware(gpu=H100)))
    assert t.step_seconds == pytest.approx((micro + 3) * (stage + p2p) + optimizer, rel=1e-6)
    one = TrainingRun(tokens=1e9, micro_batch=1, global_batch=micro)
    f1, t1, b1 = micro_batch_phases(ARCH, one, Hardware(gpu=H100), FITTED)
    # per-layer work scales with the layers a stage holds
    assert fwd.gpu_seconds == pytest.approx(f1.gpu_seconds / 4)
    assert bwd.gpu_seconds == pytest.approx(b1.gpu_seconds / 4)
    assert fwd.host_seconds == pytest.approx(f1.host_seconds / 4)
    assert tail == t1  # the last stage carries the whole head and loss
    # against one GPU doing all layers for the same micro-batches: a quarter of the time, stretched by the bubble
    single = training_time(ARCH, one, Hardware(gpu=H100)).step_seconds
    ratio = t.step_seconds / (single / 4) / ((micro + 3) / micro)
    assert 1.0 <= ratio < 1.25  # the undivided tail on the last stage is all that remains


def test_loss_bytes_are_counted_per_vocabulary_entry() -> None:
    big = ARCH.model_copy(update={"vocab_size": 151936})
    assert loss_bytes(big) / loss_bytes(ARCH) == pytest.approx(151936 / 32000)
    assert loss_bytes(ARCH) == 40.0 * 32000


def test_neox_layer_moves_about_half_the_memory_bound_bytes_of_a_llama_layer() -> None:
    llama = ARCH.model_copy(update={"num_kv_heads": 32, "intermediate_size": 11008})
    neox = llama.model_copy(
        update={
            "norm_type": NormType.LAYERNORM,
            "mlp_type": MlpType.GELU,
            "intermediate_size": 4 * 4096,
            "rotary_fraction": 0.25,
            "parallel_attention_mlp": True,
            "qkv_bias": True,
            "attn_out_bias": True,
            "mlp_bias": True,
            "fused_qkv": True,
        }
    )
    run = TrainingRun(tokens=1e9)
    ratio = layer_forward_bytes(neox, run) / layer_forward_bytes(llama, run)
    assert 0.3 < ratio < 0.7


def test_fp8_mfu_is_against_the_fp8_peak_and_stays_below_one() -> None:
    run = TrainingRun(tokens=1e9, micro_batch=8, precision=Precision.FP8)
    t = training_time(ARCH, run, Hardware(gpu=H100))
    assert 0 < t.mfu < 1
    assert any("fp8 peak" in a.value for a in t.assumptions)


def test_lora_adapter_gemms_are_bound_by_reading_the_input_not_by_their_rank() -> None:
    # x·A with A of 2048 × 16 on 8192 tokens: 2·(m·k + k·r + m·r) bytes over the bandwidth, ~0.5 GFLOP of work
    m, k, r = 8192.0, 2048, 16
    seconds, outputs = lora_seconds([(k, k)], r, m, 1, H100, MATMUL_FRACTION)
    a = 2.0 * (m * k + k * r + m * r) / bandwidth(H100)
    b = 2.0 * (m * r + r * k + m * k) / bandwidth(H100)
    assert seconds == pytest.approx(a + b)
    assert outputs == k
    # so a 4× larger rank costs next to nothing in the step
    hw = Hardware(gpu=H100)
    small = TrainingRun(tokens=1e9, micro_batch=4, method=Method.LORA, lora=LoraConfig(rank=16))
    large = small.model_copy(update={"lora": LoraConfig(rank=64)})
    t_small, t_large = training_time(ARCH, small, hw), training_time(ARCH, large, hw)
    assert t_small.step_seconds < t_large.step_seconds < 1.02 * t_small.step_seconds


@settings(max_examples=30, deadline=None)
@given(size=st.sampled_from([4096, 8192, 16384]))
def test_a_large_fp8_gemm_runs_at_fa3s_fp8_share_of_the_fp8_peak(size: int) -> None:
    # compute-bound at these sizes: 2·n³ / (fp8 peak · 1.2/1.979 PFLOP/s) — FlashAttention-3's published fp8 rate
    h100 = gpu("H100-SXM")
    fp8 = gemm_seconds(float(size), size, size, h100, fp8=True)
    assert fp8 == pytest.approx(2.0 * size**3 / (1979e12 * 1200.0 / 1979.0))
    bf16 = gemm_seconds(float(size), size, size, h100)
    # fp8 over bf16: 1200 / (989.5 · 0.760) ≈ 1.6×, not the datasheet's 2×
    assert bf16 / fp8 == pytest.approx(1200.0 / (989.5 * MATMUL_FRACTION))


def test_fp8_estimates_label_the_fp8_gemm_share_and_its_source() -> None:
    run = TrainingRun(tokens=1e9, precision=Precision.FP8)
    t = training_time(ARCH, run, Hardware(gpu=H100))
    (label,) = [a for a in t.assumptions if a.name == "fp8 matmuls"]
    assert "0.606" in label.value
    assert "FlashAttention-3" in label.value
    assert "arXiv:2407.08608" in label.why
