"""Fused (Megatron-Core + Transformer Engine) layers: memory-bound bytes counted kernel by kernel."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.catalog.gpus import gpu
from estimator.catalog.presets import preset
from estimator.layer_traffic import (
    FP8_QUANTISE_BYTES,
    fp8_quantised_inputs,
    layer_backward_bytes,
    layer_forward_bytes,
    layer_ops,
)
from estimator.models import Hardware, LayerKernels, Precision, TrainingRun
from estimator.step_phases import linears
from estimator.throughput import training_time

H100 = gpu("H100-SXM")


def _run(precision: Precision = Precision.BF16, kernels: LayerKernels = LayerKernels.FUSED) -> TrainingRun:
    return TrainingRun(tokens=1e9, seq_len=8192, precision=precision, layer_kernels=kernels)


def test_fused_llama_layer_bytes_are_the_sum_of_its_kernels() -> None:
    arch = preset("llama-3-8b")  # h 4096, q 4096, k 1024 (8 kv heads × 128), i 14336, bf16 residual
    h, q, k, i = 4096, 4096, 1024, 14336
    # bf16: 2 norms (read 2h, write 2h), RoPE (read + write q, k), SwiGLU (read 2i, write i), 2 adds (3 × 2h)
    assert layer_forward_bytes(arch, _run()) == 2 * 4 * h + 4 * (q + k) + 6 * i + 12 * h
    # fp8, current scaling (Transformer Engine docs: "two tensor reads per quantization", amax then cast) with
    # row- and column-wise fp8 copies (Hopper fp8 GEMMs are TN only): 2·2 + 2 = 6 bytes per quantised element, over
    # the inputs of qkv (h), o_proj (q), gate/up (h) and down (i) in the forward and every Linear's output gradient
    fp8 = _run(Precision.FP8)
    quantised = h + q + h + i
    assert layer_forward_bytes(arch, fp8) == layer_forward_bytes(arch, _run()) + 6 * quantised
    outputs = sum(out for _, out in linears(arch))
    assert outputs == (q + 2 * k) + h + 2 * i + h
    # the backward redoes the bf16 layer's traffic (× 2), not the forward's quantisation (its fp8 inputs are saved)
    assert layer_backward_bytes(arch, fp8, outputs) == 2 * layer_forward_bytes(arch, _run()) + 6 * outputs


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["llama-3-8b", "qwen2.5-7b", "mixtral-8x7b", "gemma-2-9b", "pythia-1.4b", "phi-2"]))
def test_fused_layers_move_fewer_bytes_and_dispatch_fewer_ops_than_eager_ones(model: str) -> None:
    arch = preset(model)
    for precision in (Precision.BF16, Precision.FP8):
        fused, eager = _run(precision), _run(precision, LayerKernels.EAGER)
        # fp8 quantisation is priced on top of either layer (fused: current scaling, counted here; eager: per-Linear
        # casts, in step_phases), so the layers themselves compare without it
        quantisation = FP8_QUANTISE_BYTES * fp8_quantised_inputs(arch) if precision == Precision.FP8 else 0.0
        assert layer_forward_bytes(arch, fused) - quantisation == layer_forward_bytes(arch, _run())
        assert layer_forward_bytes(arch, fused) - quantisation < layer_forward_bytes(arch, eager)
        assert layer_ops(arch, fused)[0] < layer_ops(arch, eager)[0]


def test_fused_layers_shorten_the_step_and_say_so() -> None:
    arch = preset("llama-3-8b")
    hw = Hardware(gpu=H100, count=8)
    fused = training_time(arch, _run(Precision.FP8), hw)
    eager = training_time(arch, _run(Precision.FP8, LayerKernels.EAGER), hw)
    assert fused.step_seconds < eager.step_seconds
    assert fused.mfu == pytest.approx(eager.mfu * eager.step_seconds / fused.step_seconds)
    (kernels,) = [a for a in fused.assumptions if a.name == "layer kernels"]
    assert kernels.value == "fused"


def test_moe_quantises_each_routed_copy_of_the_token() -> None:
    # Mixtral 8x7B (h 4096, q 4096, top-2 of 8 experts of width 14336, no shared expert): the grouped expert GEMMs
    # read the permuted tokens, one quantised copy per routed expert, and each expert's activation output
    arch = preset("mixtral-8x7b")
    assert fp8_quantised_inputs(arch) == 4096 + 4096 + 2 * 4096 + 2 * 14336
