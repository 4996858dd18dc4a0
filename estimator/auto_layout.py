"""The first memory layout that fits: raise the ZeRO stage, then the activation checkpointing, in order of cost.

Order (cheapest in step time first): ZeRO 1 and 2 shard optimizer states and gradients at no extra communication
over data parallelism's all-reduce (Rajbhandari et al. 2019 §5); ZeRO 3 adds parameter gathers every micro-batch;
checkpointing recomputes activations (selective: attention only, Korthikanti et al. 2022; full: the whole forward,
Chen et al. 2016). Only stages above and checkpointing at least as strong as the run's own are tried.
"""

from __future__ import annotations

from estimator.memory import training_memory
from estimator.models import Assumption, Checkpointing, Hardware, ModelArch, TrainingRun

_CHECKPOINTING = (Checkpointing.NONE, Checkpointing.SELECTIVE, Checkpointing.FULL)


def layouts(run: TrainingRun) -> list[TrainingRun]:
    """The runs tried, in order: the run itself, then each (checkpointing, ZeRO stage) at least as strong."""
    par = run.parallelism
    start = _CHECKPOINTING.index(run.checkpointing)
    out = []
    for ckpt in _CHECKPOINTING[start:]:
        for stage in range(par.zero_stage, 4):
            layout = par.model_copy(update={"zero_stage": stage})
            out.append(run.model_copy(update={"checkpointing": ckpt, "parallelism": layout}))
    return out


def first_fitting_layout(arch: ModelArch, run: TrainingRun, hardware: Hardware) -> tuple[TrainingRun, Assumption]:
    """The first of `layouts(run)` whose peak memory fits `hardware.gpu`, or the last (strongest) one if none does."""
    data = max(run.parallelism.data, hardware.count // run.parallelism.model_parallel)
    run = run.model_copy(update={"parallelism": run.parallelism.model_copy(update={"data": data})})
    tried = layouts(run)
    chosen = next((r for r in tried if training_memory(arch, r, hardware.gpu).fits), None)
    found = chosen is not None
    chosen = chosen or tried[-1]
    return chosen, Assumption(
        name="layout",
        value=f"ZeRO stage {chosen.parallelism.zero_stage}, checkpointing {chosen.checkpointing.value}"
        + ("" if found else " (nothing tried fits)"),
        why="--auto-layout: the first that fits of ZeRO 0→3, then checkpointing none→selective→full",
    )
