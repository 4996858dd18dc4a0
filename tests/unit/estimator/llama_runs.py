"""Published LLaMA-1 pre-training GPU-hours (A100-80GB) with the configs the paper states.

Source: Touvron et al. 2023, LLaMA, arXiv:2302.13971, Table 2 (shapes, tokens; 2048-token context, 4M-token batches),
Table 15 (GPU-hours) and §2.4 (2048 A100s, model and sequence parallelism, activation checkpointing).
Tensor-parallel degrees for 7B–33B are not published: ours are the smallest that keep GEMMs large.
"""

from __future__ import annotations

from estimator.models import Checkpointing, ModelArch, Parallelism, TrainingRun

# (name, hidden, layers, heads, intermediate, tokens, published GPU-hours, GPUs, tensor parallel)
LLAMA1 = (
    ("llama1-7b", 4096, 32, 32, 11008, 1.0e12, 82432, 256, 1),
    ("llama1-13b", 5120, 40, 40, 13824, 1.0e12, 135168, 512, 1),
    ("llama1-33b", 6656, 60, 52, 17920, 1.4e12, 530432, 1024, 4),
    ("llama1-65b", 8192, 80, 64, 22016, 1.4e12, 1022362, 2048, 8),
)


def llama_run(
    hidden: int, layers: int, heads: int, inter: int, tokens: float, gpus: int, tp: int
) -> tuple[ModelArch, TrainingRun]:
    arch = ModelArch(
        vocab_size=32000,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=hidden // heads,
        intermediate_size=inter,
    )
    run = TrainingRun(
        tokens=tokens,
        seq_len=2048,
        micro_batch=1,
        global_batch=2048,
        checkpointing=Checkpointing.SELECTIVE,
        parallelism=Parallelism(tensor=tp, data=gpus // tp, zero_stage=1),
    )
    return arch, run
