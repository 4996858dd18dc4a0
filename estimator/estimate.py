"""One training run, estimated end to end: parameters, FLOPs, memory per GPU, time, and its cost on every offer.

`Estimate.model_dump(mode="json")` is the stable contract of `trainspend estimate --json`: the keys `params.total`,
`params.active`, `params.trainable`, `memory.per_gpu_peak_bytes`, `memory.breakdown`, `memory.fits`, `time.*`, `cost[*]`
and `assumptions` do not change meaning between releases.
"""

from __future__ import annotations

from pydantic import Field

from estimator.cost import CostLine, cost_assumptions, price_run
from estimator.errors import InvalidRunError
from estimator.flops import training_flops
from estimator.memory import training_memory
from estimator.models import Assumption, Frozen, Hardware, ModelArch, Offer, Parallelism, TrainingRun
from estimator.params import count_params
from estimator.throughput import training_time

_MEMORY_COMPONENTS = ("weights", "gradients", "optimizer", "activations", "logits", "overhead")


class ParamsSummary(Frozen):
    total: int
    active: int
    trainable: int
    breakdown: dict[str, int] = Field(description="parameters per component")


class FlopsSummary(Frozen):
    total_flops: float = Field(description="executed by the hardware, recomputation included")
    model_flops: float = Field(description="forward + backward without recomputation (the MFU numerator)")
    six_nd_flops: float = Field(description="6 x N x D, shown beside for comparison")


class MemorySummary(Frozen):
    per_gpu_peak_bytes: int
    breakdown: dict[str, int] = Field(description="bytes per component, per GPU")
    fits: bool
    gpu_memory_bytes: int
    usable_bytes: int = Field(description="what the caching allocator can give: capacity less context and headroom")
    peak_phase: str = Field(description="the moment of the step when memory peaks")


class TimeSummary(Frozen):
    step_seconds: float
    tokens_per_second: float
    total_hours: float
    gpu_hours: float
    mfu: float


class Estimate(Frozen):
    model: str
    gpu: str
    gpus: int
    tokens: float
    params: ParamsSummary
    flops: FlopsSummary
    memory: MemorySummary
    time: TimeSummary
    cost: tuple[CostLine, ...] = Field(description="the run on every offer of this GPU, cheapest first")
    assumptions: tuple[Assumption, ...]


def run_for_hardware(run: TrainingRun, gpus: int, zero_stage: int | None = None) -> TrainingRun:
    """The run with its data-parallel degree set to fill `gpus`: data = gpus / (tensor x pipeline).

    A run that already names a consistent layout is returned unchanged (apart from `zero_stage` when given).
    """
    par = run.parallelism
    model_parallel = par.tensor * par.pipeline
    if gpus % model_parallel:
        raise InvalidRunError(
            "gpus", gpus, f"must be a multiple of tensor x pipeline parallel = {model_parallel}; change --gpus"
        )
    stage = par.zero_stage if zero_stage is None else zero_stage
    layout = Parallelism(data=gpus // model_parallel, tensor=par.tensor, pipeline=par.pipeline, zero_stage=stage)
    if layout == par:
        return run
    return run.model_copy(update={"parallelism": layout})


def estimate(arch: ModelArch, run: TrainingRun, hardware: Hardware, offers: tuple[Offer, ...]) -> Estimate:
    """Composes the estimator for one run on `hardware`, priced on those `offers` whose GPU is `hardware.gpu`."""
    run = run_for_hardware(run, hardware.count)
    params = count_params(arch, run.method, run.lora)
    flops = training_flops(arch, run)
    memory = training_memory(arch, run, hardware.gpu)
    time = training_time(arch, run, hardware)
    breakdown = {name: int(getattr(memory, f"{name}_bytes")) for name in _MEMORY_COMPONENTS}
    assumptions = (*memory.assumptions, *time.assumptions, *cost_assumptions())
    return Estimate(
        model=arch.name,
        gpu=hardware.gpu.id,
        gpus=hardware.count,
        tokens=run.tokens,
        params=ParamsSummary(
            total=params.total,
            active=params.active,
            trainable=params.trainable,
            breakdown={
                "embedding": params.embedding,
                "position": params.position,
                "attention": params.attention,
                "mlp": params.mlp,
                "router": params.router,
                "norms": params.norms,
                "head": params.head,
                "lora": params.lora,
            },
        ),
        flops=FlopsSummary(
            total_flops=flops.total_flops, model_flops=flops.model_flops, six_nd_flops=flops.six_nd_flops
        ),
        memory=MemorySummary(
            per_gpu_peak_bytes=int(memory.peak_bytes),
            breakdown=breakdown,
            fits=memory.fits,
            gpu_memory_bytes=hardware.gpu.memory_bytes,
            usable_bytes=memory.usable_bytes,
            peak_phase=memory.peak_phase,
        ),
        time=TimeSummary(
            step_seconds=time.step_seconds,
            tokens_per_second=time.tokens_per_second,
            total_hours=time.total_hours,
            gpu_hours=time.gpu_hours,
            mfu=time.mfu,
        ),
        cost=price_run(hardware.gpu.id, hardware.count, time.total_hours, offers),
        assumptions=_unique(assumptions),
    )


def _unique(assumptions: tuple[Assumption, ...]) -> tuple[Assumption, ...]:
    """Assumptions in order, each name once (memory and time may both state e.g. the precision recipe)."""
    seen: dict[str, Assumption] = {}
    for item in assumptions:
        seen.setdefault(item.name, item)
    return tuple(seen.values())
