"""The A100's sustained bf16 GEMM fraction, fitted on published A100 training throughput (trainspend reference data).

No Ampere GEMM was measured, and the H100's measured 8192³ fraction (0.76) overstates every published A100 run by
10–26 %. One number, the share of the bf16 peak the GEMMs sustain, is fitted by least squares of log throughput on four
runs from two stacks (golden-section search, Kiefer 1953), each with its published layout:

- FlashAttention's GPT-3 training on 8×A100 80GB, no checkpointing: 1.3B 169k and 2.7B (head dim 128) 85k tokens/s
  (Dao-AILab/flash-attention `training/README.md`, quoted in the reference notes on attention kernels, 2026-11-23);
  fused layers (FusedDense, fused dropout-add-LayerNorm), micro-batch 8 assumed, ZeRO-1.
- Megatron-LM on A100 (Narayanan et al. 2021, arXiv:2104.04473 Table 1, in the reference training runs): 1T
  (128 layers, h 25600, 160 heads, TP 8 × PP 64, batch 3072) at 163 TFLOP/s on 3,072 GPUs and 529.6B (105 layers,
  h 20480, 128 heads, TP 8 × PP 35, batch 2240) at 171 on 560; the paper's TFLOP/s count the full recompute, so they
  are compared with the modelled hardware FLOP/s; micro-batch 1, plain 1F1B, fused layers.

The LLaMA-1 GPU-hours (A100) are not used: they are the held-out check.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from estimator.catalog.gpus import gpu
from estimator.models import (
    Checkpointing,
    Hardware,
    LayerKernels,
    MlpType,
    ModelArch,
    NormType,
    Parallelism,
    PositionEncoding,
    TrainingRun,
)
from estimator.step_phases import MATMUL_FRACTION
from estimator.throughput import FITTED, TimeEstimate, training_time


@dataclass(frozen=True)
class Anchor:
    name: str
    arch: ModelArch
    run: TrainingRun
    gpus: int
    published: float  # tokens/s (all GPUs) or TFLOP/s per GPU counting recompute
    measure: Callable[[TimeEstimate, int], float]


def _gpt(hidden: int, layers: int, heads: int, vocab: int) -> ModelArch:
    return ModelArch(
        family="gpt2",
        vocab_size=vocab,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=hidden // heads,
        intermediate_size=4 * hidden,
        mlp_type=MlpType.GELU,
        norm_type=NormType.LAYERNORM,
        qkv_bias=True,
        attn_out_bias=True,
        mlp_bias=True,
        fused_qkv=True,
        tie_word_embeddings=True,
        position_encoding=PositionEncoding.LEARNED,
        learned_position_embeddings=2048,
    )


def _tokens_per_second(t: TimeEstimate, gpus: int) -> float:
    return t.tokens_per_second


def _hardware_tflops(t: TimeEstimate, gpus: int) -> float:
    return t.hfu * 312.0


def anchors() -> list[Anchor]:
    fa = TrainingRun(
        tokens=1e9,
        micro_batch=8,
        global_batch=512,
        layer_kernels=LayerKernels.FUSED,
        parallelism=Parallelism(zero_stage=1),
    )
    out = [
        Anchor("FlashAttention GPT-3 1.3B, 8 GPUs", _gpt(2048, 24, 16, 50257), fa, 8, 169e3, _tokens_per_second),
        Anchor("FlashAttention GPT-3 2.7B, 8 GPUs", _gpt(2560, 32, 20, 50257), fa, 8, 85e3, _tokens_per_second),
    ]
    for name, arch, gpus, pp, batch, tflops in (
        ("Megatron-LM 1T, 3072 GPUs", _gpt(25600, 128, 160, 51200), 3072, 64, 3072, 163.0),
        ("Megatron-LM 529.6B, 560 GPUs", _gpt(20480, 105, 128, 51200), 560, 35, 2240, 171.0),
    ):
        run = TrainingRun(
            tokens=3e11,
            global_batch=batch,
            checkpointing=Checkpointing.FULL,
            layer_kernels=LayerKernels.FUSED,
            parallelism=Parallelism(tensor=8, pipeline=pp, zero_stage=1),
        )
        out.append(Anchor(name, arch, run, gpus, tflops, _hardware_tflops))
    return out


def predict(anchor: Anchor, fraction: float) -> float:
    constants = FITTED.model_copy(update={"ampere_matmul_fraction": fraction})
    hw = Hardware(gpu=gpu("A100-SXM-80GB"), count=anchor.gpus)
    return anchor.measure(training_time(anchor.arch, anchor.run, hw, constants), anchor.gpus)


def fit(rows: list[Anchor], lo: float = 0.4, hi: float = 0.95, iters: int = 40) -> float:
    """The fraction minimising Σ log²(predicted / published) over `rows` (golden-section search on [lo, hi])."""

    def loss(f: float) -> float:
        return sum(math.log(predict(a, f) / a.published) ** 2 for a in rows)

    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo, hi
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = loss(c), loss(d)
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = loss(d)
    return (a + b) / 2.0


def report(quick: bool) -> list[tuple[Anchor, float, float]]:
    """Print the fit on all four anchors, each anchor's error, and leave-one-out refits. Returns per anchor its
    step-time error held out (refit without it) and with its family left out: every anchor is GPT-shaped, so
    without them the fraction falls back to the H100's measured one, as for any generation not fitted."""
    rows = anchors()
    out = []
    iters = 20 if quick else 40
    best = fit(rows, iters=iters)
    print(
        f"\nA100 GEMM fraction fitted on {len(rows)} published A100 runs: {best:.3f} of the bf16 peak "
        f"(committed {FITTED.ampere_matmul_fraction:.3f}; H100 measured 0.760)"
    )
    print(f"{'anchor':34s} {'published':>10s} {'fitted':>8s} {'held out':>9s}  (held out: refit without it)")
    for i, row in enumerate(rows):
        rest = rows[:i] + rows[i + 1 :]
        alone = fit(rest, iters=iters)
        held = predict(row, alone)
        print(
            f"{row.name:34s} {row.published:10.4g} {predict(row, best) / row.published - 1:+8.1%} "
            f"{held / row.published - 1:+9.1%}"
        )
        # throughput ∝ 1 / step: a throughput ratio r is a step-time error 1/r − 1
        out.append((row, row.published / held - 1, row.published / predict(row, MATMUL_FRACTION) - 1))
    return out
