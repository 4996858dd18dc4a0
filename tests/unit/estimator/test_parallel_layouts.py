"""Context parallelism, interleaved pipeline stages and pipeline point-to-point traffic, from first principles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.catalog.gpus import gpu
from estimator.errors import InvalidRunError
from estimator.estimate import run_for_hardware
from estimator.interconnect import point_to_point_bytes_per_second
from estimator.memory import training_memory
from estimator.models import Hardware, ModelArch, Parallelism, TrainingRun
from estimator.step_phases import cp_ring_seconds_per_layer, micro_batch_phases
from estimator.throughput import FITTED, _dp_seconds, optimizer_seconds, p2p_seconds, training_time

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


def _run(seq: int = 2048, batch: int | None = None, **layout: int) -> TrainingRun:
    return TrainingRun(tokens=1e9, seq_len=seq, micro_batch=1, global_batch=batch, parallelism=Parallelism(**layout))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 16), st.sampled_from([2, 4, 8]))
def test_interleaving_divides_the_bubble_by_the_chunks_per_stage(groups: int, chunks: int) -> None:
    # Narayanan et al. 2021 §2.2.2: bubble = (p−1)/(v·m) of the ideal time. One node of 4 stages, m a multiple of p.
    micro, hw = 4 * groups, Hardware(gpu=H100, count=4)
    plain = _run(batch=micro, pipeline=4)
    mixed = _run(batch=micro, pipeline=4, virtual_stages=chunks)
    fwd, tail, bwd = micro_batch_phases(ARCH, plain, hw, FITTED)
    stage = fwd.seconds + tail.seconds + bwd.seconds
    optimizer = optimizer_seconds(ARCH, plain, hw)
    t_plain, t_mixed = training_time(ARCH, plain, hw), training_time(ARCH, mixed, hw)
    # interleaving moves v× the point-to-point bytes but overlaps them with compute (here they fit under it)
    assert p2p_seconds(ARCH, mixed, hw) == pytest.approx(chunks * p2p_seconds(ARCH, plain, hw))
    assert p2p_seconds(ARCH, mixed, hw) < stage
    assert t_mixed.step_seconds == pytest.approx((micro + 3 / chunks) * stage + optimizer, rel=1e-9)
    assert t_plain.step_seconds == pytest.approx((micro + 3) * (stage + p2p_seconds(ARCH, plain, hw)) + optimizer)
    bubble = 3 / (chunks * micro)
    assert t_mixed.pipeline_bubble_fraction == pytest.approx(bubble / (1 + bubble))
    assert t_mixed.step_seconds < t_plain.step_seconds


def test_pipeline_point_to_point_crosses_the_network_once_a_stage_fills_a_node() -> None:
    # 16 GPUs, TP 8 × PP 2: each stage is one 8-GPU node, so the boundary is the GPU's share of the node's network.
    run = _run(tensor=8, pipeline=2, batch=8)
    hw = Hardware(gpu=H100, count=16)
    bytes_per_transfer = 2048 * 4096 * 2.0 / 8  # b·s·h bf16, scattered over the 8 tensor-parallel ranks
    network = point_to_point_bytes_per_second(hw, within_node=False)
    assert network < point_to_point_bytes_per_second(hw, within_node=True)
    assert p2p_seconds(ARCH, run, hw) == pytest.approx(2 * bytes_per_transfer / network)


def test_context_parallel_keeps_per_gpu_work_and_halves_activations_at_long_sequences() -> None:
    # 32k tokens: on 1 GPU, or split over 2 GPUs (CP 2) — each does half of every term that scales with tokens, and
    # attention at 16k runs at the same (flat) kernel rate, so throughput per GPU barely moves.
    one = _run(seq=32768)
    two = _run(seq=32768, context=2)
    t1 = training_time(ARCH, one, Hardware(gpu=H100, count=1))
    t2 = training_time(ARCH, two, Hardware(gpu=H100, count=2))
    per_gpu = t2.tokens_per_second / 2 / t1.tokens_per_second
    assert 0.9 < per_gpu <= 1.0  # launch time per micro-batch and the embedding gradient do not shrink with c
    f1, _, b1 = micro_batch_phases(ARCH, one, Hardware(gpu=H100), FITTED)
    f2, _, b2 = micro_batch_phases(ARCH, two, Hardware(gpu=H100, count=2), FITTED)
    assert f2.gpu_seconds == pytest.approx(f1.gpu_seconds / 2, rel=0.02)
    assert b2.gpu_seconds == pytest.approx(b1.gpu_seconds / 2, rel=0.02)
    m1 = training_memory(ARCH, one, H100)
    m2 = training_memory(ARCH, two.model_copy(update={"parallelism": Parallelism(context=2)}), H100)
    assert m2.activations_bytes == pytest.approx(m1.activations_bytes / 2, rel=0.01)


def test_context_parallel_ring_moves_keys_and_values_and_hides_under_attention_when_it_can() -> None:
    hw = Hardware(gpu=H100, count=8)
    run = _run(seq=32768, context=8)
    kv = 8 * 128
    expected = 7 * (32768 / 8) * 2 * kv * 2.0 / point_to_point_bytes_per_second(hw, within_node=True)
    assert cp_ring_seconds_per_layer(ARCH, run, hw) == pytest.approx(expected)
    # at 32k the ring (7 × 4k tokens of K and V) is far shorter than the attention it overlaps: no exposed time
    with_ring = micro_batch_phases(ARCH, run, hw, FITTED)[0].gpu_seconds
    assert cp_ring_seconds_per_layer(ARCH, run, hw) * ARCH.num_layers < with_ring / 4


def test_gradients_are_reduced_over_data_and_context_ranks() -> None:
    hw = Hardware(gpu=H100, count=2)
    once, _ = _dp_seconds(ARCH, _run(context=2), hw)
    same, _ = _dp_seconds(ARCH, _run(data=2), hw)
    assert once == pytest.approx(same)
    assert once > 0


def test_gpus_fill_data_parallel_after_tensor_pipeline_and_context() -> None:
    run = run_for_hardware(_run(tensor=2, pipeline=2, context=2), 64)
    assert run.parallelism.data == 8
    with pytest.raises(InvalidRunError, match="tensor x pipeline x context"):
        run_for_hardware(_run(tensor=2, pipeline=2, context=3), 64)


@pytest.mark.parametrize(
    ("layout", "field"),
    [({"virtual_stages": 2}, "virtual_stages"), ({"pipeline": 8, "virtual_stages": 8}, "virtual_stages")],
)
def test_impossible_interleaving_is_refused_naming_the_field(layout: dict[str, int], field: str) -> None:
    with pytest.raises(InvalidRunError) as err:
        training_time(ARCH, _run(**layout), Hardware(gpu=H100, count=8))
    assert err.value.field == field
