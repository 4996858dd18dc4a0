"""Published attention-kernel throughput by sequence length (TFLOP/s, causal FLOPs only), as typed rows.

Source: Shah et al. 2024, "FlashAttention-3: Fast and Accurate Attention with Asynchrony and Low-precision",
arXiv:2407.08608 (July 2024), bar charts of H100 SXM5 BF16, head dim 128, batch × seq = 16k tokens, hidden 2048,
as transcribed in trainspend's reference notes (secondary transcription, ±10 %); the FA2 rows are the paper's
FlashAttention-2 bars (what PyTorch SDPA's flash backend ran on H100 in 2024–2025). Ampere's plateau: Dao 2023,
"FlashAttention-2", arXiv:2307.08691, abstract (forward 50–73 % of A100 peak). Collected 2026-11-23.
"""

from __future__ import annotations

from estimator.models import Frozen

SOURCE_FA3_PAPER = (
    "Shah et al. 2024 (FlashAttention-3), arXiv:2407.08608, H100 SXM5 BF16 head dim 128 bar charts (±10 %)"
)
SOURCE_FA2_PAPER = "Dao 2023 (FlashAttention-2), arXiv:2307.08691, abstract: forward 50–73 % of A100 peak"
AS_OF = "2026-11-23"
SEQ_LENS = (512, 1024, 2048, 4096, 8192, 16384)


class KernelCurve(Frozen):
    """One kernel's rate on one GPU at each of SEQ_LENS, for one pass ("forward" causal or "backward")."""

    kernel: str  # fa2 | fa3 | cudnn
    gpu_id: str
    peak_tflops: float  # the GPU's dense bf16 datasheet peak the figures are a fraction of
    direction: str
    tflops: tuple[float, ...]
    source: str


def kernel_curves() -> tuple[KernelCurve, ...]:
    """The published curves (H100 SXM, BF16, head dim 128)."""
    rows = (
        ("fa2", "forward", (191, 260, 298, 319, 333, 335)),
        ("fa2", "backward", (214, 260, 291, 310, 318, 322)),
        ("fa3", "forward", (292, 423, 521, 579, 602, 616)),
        ("fa3", "backward", (316, 424, 501, 542, 559, 561)),
        ("cudnn", "forward", (315, 410, 484, 518, 529, 539)),
        ("cudnn", "backward", (305, 408, 465, 499, 518, 516)),
    )
    return tuple(
        KernelCurve(
            kernel=kernel,
            gpu_id="H100-SXM",
            peak_tflops=989.0,
            direction=direction,
            tflops=tuple(float(v) for v in values),
            source=SOURCE_FA3_PAPER,
        )
        for kernel, direction, values in rows
    )


# FlashAttention-2's forward reaches up to 73 % of an A100's peak at long sequences (the upper end of the paper's
# 50–73 %); on GPUs without Hopper's asynchronous tensor cores the FA2 curve's shape is scaled to that plateau.
AMPERE_FA2_FORWARD_PLATEAU = 0.73
# Catalog id prefixes of Hopper-generation GPUs (wgmma/TMA): the published H100 curves apply as fractions of peak.
HOPPER_ID_PREFIXES = ("H100", "H200", "H800", "H20", "GH200")
