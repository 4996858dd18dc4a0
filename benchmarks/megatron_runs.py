"""Published Megatron-LM A100 runs nothing is fitted on: GPU-hours for 300B tokens (trainspend reference data).

Narayanan et al. 2021, arXiv:2104.04473, Table 2 (in the reference training runs, collected 2026-11-23): GPT models
of 174.6B (96 layers, h 12288, 96 heads) and 529.6B (105 layers, h 20480, 128 heads), vocab 51200, seq 2048, on
Selene (DGX A100 80GB, 8 HDR InfiniBand links a node), full activation recomputation, trained at a fixed global
batch (1536 and 2240) on more and more GPUs:

- PTD-P (Megatron-LM): tensor 8 inside a node, pipeline 12 (174.6B, model-parallel size 96) or 35 (529.6B, 280),
  micro-batch 1, data parallel over the rest: 153 / 149 / 141 TFLOP/s per GPU on 384 / 768 / 1536 GPUs (174.6B)
  and 167 / 159 on 1120 / 2240 (529.6B; its 560-GPU run calibrates the A100 GEMM fraction, benchmarks.ampere_fit,
  so it is not repeated here);
- ZeRO-3 without model parallelism (DeepSpeed), 174.6B: 144 / 88 / 44 TFLOP/s on 384 / 768 / 1536 GPUs at
  micro-batch 4 / 2 / 1.

The paper's TFLOP/s count the recompute (its eq. 3, F = 96·B·s·l·h²·(1 + s/6h + V/16lh) per iteration), so the
published GPU-hours for T tokens are T·96·l·h²·(1 + s/6h + V/16lh) / X: the time its measured throughput takes.
(Its own "days" column uses the approximation 8·T·P / (n·X) of eq. 4, 2–3 % shorter.)
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.ampere_fit import _gpt
from estimator.catalog.gpus import gpu
from estimator.models import Checkpointing, Hardware, LayerKernels, ModelArch, Parallelism, TrainingRun
from estimator.step_phases import StepConstants
from estimator.throughput import FITTED, training_time

TOKENS = 3e11
SEQ = 2048
VOCAB = 51200

# model → (hidden, layers, heads, global batch)
_MODELS = {"174.6B": (12288, 96, 96, 1536), "529.6B": (20480, 105, 128, 2240)}

# (model, scheme, GPUs, tensor, pipeline, ZeRO stage, micro-batch, published TFLOP/s per GPU)
_RUNS = (
    ("174.6B", "PTD-P", 384, 8, 12, 1, 1, 153.0),
    ("174.6B", "PTD-P", 768, 8, 12, 1, 1, 149.0),
    ("174.6B", "PTD-P", 1536, 8, 12, 1, 1, 141.0),
    ("529.6B", "PTD-P", 1120, 8, 35, 1, 1, 167.0),
    ("529.6B", "PTD-P", 2240, 8, 35, 1, 1, 159.0),
    ("174.6B", "ZeRO-3", 384, 1, 1, 3, 4, 144.0),
    ("174.6B", "ZeRO-3", 768, 1, 1, 3, 2, 88.0),
    ("174.6B", "ZeRO-3", 1536, 1, 1, 3, 1, 44.0),
)


@dataclass(frozen=True)
class PublishedRun:
    name: str
    scheme: str
    arch: ModelArch
    run: TrainingRun
    gpus: int
    published_gpu_hours: float

    def predicted_gpu_hours(self, constants: StepConstants = FITTED) -> float:
        hw = Hardware(gpu=gpu("A100-SXM-80GB"), count=self.gpus)
        return training_time(self.arch, self.run, hw, constants).gpu_hours

    def error(self, constants: StepConstants = FITTED) -> float:
        """Predicted / published GPU-hours − 1 (with `constants`: a refit's, for the leave-one-group-out checks)."""
        return self.predicted_gpu_hours(constants) / self.published_gpu_hours - 1


def published_gpu_hours(hidden: int, layers: int, tflops: float) -> float:
    """GPU-hours of TOKENS at the published per-GPU throughput X: T·96·l·h²·(1 + s/6h + V/16lh) / X (eq. 3)."""
    flops = TOKENS * 96.0 * layers * hidden**2 * (1.0 + SEQ / (6.0 * hidden) + VOCAB / (16.0 * layers * hidden))
    return flops / (tflops * 1e12) / 3600.0


def runs() -> list[PublishedRun]:
    out = []
    for model, scheme, gpus, tp, pp, zero, micro, tflops in _RUNS:
        hidden, layers, heads, batch = _MODELS[model]
        run = TrainingRun(
            tokens=TOKENS,
            seq_len=SEQ,
            micro_batch=micro,
            global_batch=batch,
            checkpointing=Checkpointing.FULL,
            layer_kernels=LayerKernels.FUSED,
            parallelism=Parallelism(tensor=tp, pipeline=pp, zero_stage=zero),
        )
        name = f"Megatron {model} {scheme}, {gpus} GPUs"
        arch = _gpt(hidden, layers, heads, VOCAB)
        out.append(PublishedRun(name, scheme, arch, run, gpus, published_gpu_hours(hidden, layers, tflops)))
    return out
