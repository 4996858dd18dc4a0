"""Attention time from the kernel's own published throughput at the run's sequence length.

Per layer and micro-batch of b sequences of s tokens, causal (FlashAttention-2 §3; the papers' "causal" TFLOP/s count
only the unmasked half):

    forward FLOPs  = 4·b·s²·h_q·d / 2 = tokens · 2·s̄·h_attn        (s̄ = attended keys, `flops.attended_keys`)
    backward FLOPs = 2.5 × forward                                 (recomputes P from the saved log-sum-exp)
    seconds        = forward / rate_fwd(s) + backward / rate_bwd(s)

rate(s) is the kernel's published TFLOP/s, interpolated linearly in log₂ s between the published lengths (512–16k)
and held flat outside them (the curves are flat above 4k). Hopper GPUs use the H100 curves as a fraction of the
H100's 989 TFLOP/s; other GPUs use FA2's shape scaled to the 73 % forward plateau FA2 reaches on an A100 (Dao 2023).
No constant here is fitted.
"""

from __future__ import annotations

import math
from functools import cache

from estimator.catalog.attention_kernels import (
    AMPERE_FA2_FORWARD_PLATEAU,
    HOPPER_ID_PREFIXES,
    SOURCE_FA2_PAPER,
    KernelCurve,
    kernel_curves,
)
from estimator.errors import InvalidRunError
from estimator.models import GPU, Assumption

BACKWARD_TO_FORWARD_FLOPS = 2.5
KERNELS = ("fa2", "fa3", "cudnn")


@cache
def _curves() -> dict[tuple[str, str], KernelCurve]:
    """(kernel, direction) → curve, validated: rates positive and below peak (one rate per length: KernelCurve)."""
    out: dict[tuple[str, str], KernelCurve] = {}
    for curve in kernel_curves():
        if not all(0 < v < curve.peak_tflops for v in curve.tflops):
            raise ValueError(f"attention kernel curve {curve.kernel}/{curve.direction}: bad rates {curve.tflops}")
        out[(curve.kernel, curve.direction)] = curve
    return out


def is_hopper(gpu: GPU) -> bool:
    return gpu.id.upper().startswith(HOPPER_ID_PREFIXES)


def interpolate(points: tuple[tuple[float, float], ...], seq_len: float) -> float:
    """Piecewise-linear in log₂(seq) through (seq, value) points, flat beyond the first and last."""
    x = math.log2(max(seq_len, 1.0))
    xs = [math.log2(s) for s, _ in points]
    if x <= xs[0]:
        return points[0][1]
    if x >= xs[-1]:
        return points[-1][1]
    for k in range(1, len(points)):
        if x <= xs[k]:
            y0, y1 = points[k - 1][1], points[k][1]
            return y0 + (y1 - y0) * (x - xs[k - 1]) / (xs[k] - xs[k - 1])
    return points[-1][1]  # pragma: no cover - the loop returns for every x inside the range


def kernel_fraction(kernel: str, direction: str, gpu: GPU, seq_len: float) -> float:
    """Fraction of the GPU's dense bf16 peak that `kernel` reaches for `direction` at `seq_len` (module docstring)."""
    if kernel not in KERNELS:
        raise InvalidRunError("attention_kernel", kernel, f"choose one of {', '.join(KERNELS)}")
    if not is_hopper(gpu):
        kernel = "fa2"  # FA3 and the cuDNN Hopper kernels need Hopper's asynchronous tensor cores
    curve = _curves()[(kernel, direction)]
    fractions = tuple((float(s), v / curve.peak_tflops) for s, v in zip(curve.seq_lens, curve.tflops, strict=True))
    fraction = interpolate(fractions, seq_len)
    if is_hopper(gpu):
        return fraction
    forward = _curves()[("fa2", "forward")]
    plateau = forward.tflops[-1] / forward.peak_tflops
    return fraction / plateau * AMPERE_FA2_FORWARD_PLATEAU


def attention_seconds(forward_flops: float, seq_len: float, gpu: GPU, peak_flops: float, kernel: str) -> float:
    """Seconds of one forward + backward of attention doing `forward_flops` causal forward FLOPs (module docstring)."""
    forward = forward_flops / (peak_flops * kernel_fraction(kernel, "forward", gpu, seq_len))
    backward = (
        BACKWARD_TO_FORWARD_FLOPS * forward_flops / (peak_flops * kernel_fraction(kernel, "backward", gpu, seq_len))
    )
    return forward + backward


def attention_forward_seconds(forward_flops: float, seq_len: float, gpu: GPU, peak_flops: float, kernel: str) -> float:
    """Seconds of one forward of attention (a recompute under checkpointing)."""
    return forward_flops / (peak_flops * kernel_fraction(kernel, "forward", gpu, seq_len))


def attention_assumption(kernel: str, gpu: GPU, seq_len: int) -> Assumption:
    used = kernel if is_hopper(gpu) else "fa2"
    fwd = kernel_fraction(kernel, "forward", gpu, seq_len)
    bwd = kernel_fraction(kernel, "backward", gpu, seq_len)
    source = _curves()[(used, "forward")].source + ("" if is_hopper(gpu) else f"; {SOURCE_FA2_PAPER}")
    return Assumption(
        name="attention kernel",
        value=f"{used} at seq {seq_len}: forward {fwd:.0%}, backward {bwd:.0%} of dense bf16 peak",
        why=f"published kernel throughput by sequence length (head dim 128): {source}",
    )
