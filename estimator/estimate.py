"""One training run, estimated end to end: parameters, FLOPs, memory per GPU, time, and its cost on every offer.

`Estimate.model_dump(mode="json")` is the stable contract of `trainspend estimate --json`: the keys `params.total`,
`params.active`, `params.trainable`, `memory.per_gpu_peak_bytes`, `memory.breakdown`, `memory.fits`, `time.*`, `cost[*]`
and `assumptions` do not change meaning between releases.
"""

from __future__ import annotations

from pydantic import Field

from estimator.auto_layout import first_fitting_layout
from estimator.cost import CostLine, cost_assumptions, cost_for_offer
from estimator.errors import InvalidRunError
from estimator.flops import training_flops
from estimator.interconnect import hardware_for_offer, network_label, nodes
from estimator.memory import training_memory
from estimator.models import Assumption, Frozen, Hardware, ModelArch, Offer, TrainingRun
from estimator.params import count_params
from estimator.precision import check_precision
from estimator.throughput import TimeEstimate, training_time

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
    """The run with its data-parallel degree set to fill `gpus`: data = gpus / (tensor x pipeline x context).

    A run that already names a consistent layout is returned unchanged (apart from `zero_stage` when given).
    """
    par = run.parallelism
    model_parallel = par.model_parallel
    if gpus % model_parallel:
        raise InvalidRunError(
            "gpus",
            gpus,
            f"must be a multiple of tensor x pipeline x context parallel = {model_parallel}; change --gpus",
        )
    stage = par.zero_stage if zero_stage is None else zero_stage
    layout = par.model_copy(update={"data": gpus // model_parallel, "zero_stage": stage})
    if layout == par:
        return run
    return run.model_copy(update={"parallelism": layout})


def estimate(
    arch: ModelArch, run: TrainingRun, hardware: Hardware, offers: tuple[Offer, ...], auto_layout: bool = False
) -> Estimate:
    """Composes the estimator for one run on `hardware`, priced on those `offers` whose GPU is `hardware.gpu`.
    `auto_layout`: use the first ZeRO stage / checkpointing that fits (estimator.auto_layout)."""
    run = run_for_hardware(run, hardware.count)
    layout: tuple[Assumption, ...] = ()
    if auto_layout:
        run, chosen = first_fitting_layout(arch, run, hardware)
        layout = (chosen,)
    check_precision(run.precision, hardware.gpu)
    params = count_params(arch, run.method, run.lora)
    flops = training_flops(arch, run)
    memory = training_memory(arch, run, hardware.gpu)
    time = training_time(arch, run, hardware)
    breakdown = {name: int(getattr(memory, f"{name}_bytes")) for name in _MEMORY_COMPONENTS}
    assumptions = (*layout, *_arch_assumptions(arch), *memory.assumptions, *time.assumptions, *cost_assumptions())
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
        cost=tuple(
            line.model_copy(update={"fits": memory.fits}) for line in price_on_offers(arch, run, hardware, time, offers)
        ),
        assumptions=_unique(assumptions),
    )


def price_on_offers(
    arch: ModelArch, run: TrainingRun, hardware: Hardware, time: TimeEstimate, offers: tuple[Offer, ...]
) -> tuple[CostLine, ...]:
    """The run on every offer of `hardware.gpu`, cheapest first, each timed on the offer's own topology.

    An offer whose instances hold fewer GPUs than the run needs spans several nodes joined by the instance's network
    (`estimator.interconnect.hardware_for_offer`); its hours are re-timed and its note says so. Otherwise the
    hours of `time` (the run on `hardware`) are used.
    """
    memo: dict[tuple[int, float | None], float] = {}
    lines: list[CostLine] = []
    for offer in offers:
        if offer.gpu_id != hardware.gpu.id:
            continue
        hw = hardware_for_offer(hardware.gpu, hardware.count, offer)
        if nodes(hw) <= 1:
            lines.append(cost_for_offer(offer, hardware.count, time.total_hours))
            continue
        key = (hw.gpus_per_node, hw.inter_node_gbps)
        if key not in memo:
            memo[key] = training_time(arch, run, hw).total_hours
        line = cost_for_offer(offer, hardware.count, memo[key])
        note = f"{nodes(hw)} nodes over {network_label(hw)}"
        lines.append(line.model_copy(update={"notes": f"{note}; {line.notes}" if line.notes else note}))
    return tuple(sorted(lines, key=lambda line: (line.total_usd, line.provider, line.instance)))


def _arch_assumptions(arch: ModelArch) -> tuple[Assumption, ...]:
    if not arch.assumed_family:
        return ()
    return (
        Assumption(
            name="model family",
            value=f"{arch.family} read as {arch.assumed_family} (its standard config keys)",
            why="this model_type has no mapping of its own; parameter counts are exact only if its layers are "
            f"{arch.assumed_family} layers",
        ),
    )


def _unique(assumptions: tuple[Assumption, ...]) -> tuple[Assumption, ...]:
    """Assumptions in order, each name once (memory and time may both state e.g. the precision recipe)."""
    seen: dict[str, Assumption] = {}
    for item in assumptions:
        seen.setdefault(item.name, item)
    return tuple(seen.values())
