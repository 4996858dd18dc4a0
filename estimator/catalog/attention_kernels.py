"""Published attention-kernel throughput by sequence length (TFLOP/s, causal FLOPs only): data/attention_kernels.json.

The curves are Shah et al. 2024, "FlashAttention-3", arXiv:2407.08608, bar charts of H100 SXM5 BF16, head dim 128 (the
file's `_meta` and each row's `source` say more). Ampere's plateau: Dao 2023, "FlashAttention-2", arXiv:2307.08691,
abstract (forward 50–73 % of A100 peak).
"""

from __future__ import annotations

from datetime import date
from functools import cache

from pydantic import model_validator

from estimator.catalog.tables import load_table
from estimator.models import Frozen

SOURCE_FA2_PAPER = "Dao 2023 (FlashAttention-2), arXiv:2307.08691, abstract: forward 50–73 % of A100 peak"


class KernelCurve(Frozen):
    """One kernel's rate on one GPU at each of `seq_lens`, for one pass ("forward" causal or "backward")."""

    kernel: str  # fa2 | fa3 | cudnn
    gpu_id: str
    peak_tflops: float  # the GPU's dense bf16 datasheet peak the figures are a fraction of
    direction: str
    seq_lens: tuple[int, ...]
    tflops: tuple[float, ...]
    source: str
    as_of: date

    @model_validator(mode="after")
    def _one_rate_per_length(self) -> KernelCurve:
        if len(self.tflops) != len(self.seq_lens) or list(self.seq_lens) != sorted(set(self.seq_lens)):
            raise ValueError(
                f"tflops has {len(self.tflops)} values for {len(self.seq_lens)} seq_lens {self.seq_lens};"
                " give one rate per sequence length, lengths increasing"
            )
        return self


@cache
def kernel_curves() -> tuple[KernelCurve, ...]:
    """The published curves (H100 SXM, BF16, head dim 128), read once, on first use."""
    return load_table("attention_kernels.json", KernelCurve)


# FlashAttention-2's forward reaches up to 73 % of an A100's peak at long sequences (the upper end of the paper's
# 50–73 %); on GPUs without Hopper's asynchronous tensor cores the FA2 curve's shape is scaled to that plateau.
AMPERE_FA2_FORWARD_PLATEAU = 0.73
# Catalog id prefixes of Hopper-generation GPUs (wgmma/TMA): the published H100 curves apply as fractions of peak.
HOPPER_ID_PREFIXES = ("H100", "H200", "H800", "H20", "GH200")
