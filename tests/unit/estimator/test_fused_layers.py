"""Fused (Megatron-Core + Transformer Engine) layers: memory-bound bytes counted kernel by kernel."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.catalog.gpus import gpu
from estimator.catalog.presets import preset
from estimator.layer_traffic import layer_backward_bytes, layer_forward_bytes, layer_ops
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
    # fp8: norm and SwiGLU write their outputs as fp8, o_proj's input is cast (read 2q, write q)
    fp8 = _run(Precision.FP8)
    assert layer_forward_bytes(arch, fp8) == 2 * 3 * h + 4 * (q + k) + 3 * q + 5 * i + 12 * h
    outputs = sum(out for _, out in linears(arch))
    assert layer_backward_bytes(arch, fp8, outputs) == 2 * layer_forward_bytes(arch, fp8) + 3 * outputs


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["llama-3-8b", "qwen2.5-7b", "mixtral-8x7b", "gemma-2-9b", "pythia-1.4b", "phi-2"]))
def test_fused_layers_move_fewer_bytes_and_dispatch_fewer_ops_than_eager_ones(model: str) -> None:
    arch = preset(model)
    for precision in (Precision.BF16, Precision.FP8):
        fused, eager = _run(precision), _run(precision, LayerKernels.EAGER)
        assert layer_forward_bytes(arch, fused) < layer_forward_bytes(arch, eager)
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
