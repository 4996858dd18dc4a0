"""The cheapest hardware and offer for a run: fits in memory, finishes by the deadline, stays within the budget.

Candidates are (GPU model, GPU count, ZeRO stage, offer). Memory depends only on (GPU, count, stage) and is computed
once per layout; time also depends on the offer's topology (GPUs per instance and the instance's network,
`estimator.interconnect`: eight 1-GPU VMs all-reduce over Ethernet, one 8-GPU node over NVLink/PCIe), so it is
computed once per (layout, topology) and reused for every offer sharing it. Every rejected candidate says why.
GPUs without bf16 (T4, V100) are planned with fp16-amp instead of a bf16 recipe, and say so in the assumptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pydantic import Field

from estimator.cost import cost_for_offer
from estimator.estimate import run_for_hardware
from estimator.interconnect import hardware_for_offer, nodes
from estimator.memory import training_memory
from estimator.models import GPU, Assumption, CapacityType, Frozen, ModelArch, Offer, TrainingRun, figure_assumptions
from estimator.precision import precision_assumptions, precision_for_gpu
from estimator.throughput import check_layout, training_time

DEFAULT_GPU_COUNTS = (1, 2, 4, 8, 16, 32, 64)
DEFAULT_ZERO_STAGES = (0, 1, 2, 3)


class PlanConstraints(Frozen):
    deadline_hours: float | None = Field(default=None, gt=0, description="wall-clock hours the run may take")
    budget_usd: float | None = Field(default=None, gt=0)
    gpu_counts: tuple[int, ...] = DEFAULT_GPU_COUNTS
    zero_stages: tuple[int, ...] = DEFAULT_ZERO_STAGES
    gpu_ids: tuple[str, ...] | None = Field(default=None, description="only these GPUs (catalog ids); None = all")
    capacity_types: tuple[CapacityType, ...] | None = None
    providers: tuple[str, ...] | None = None


class Candidate(Frozen):
    gpu_id: str
    gpus: int
    zero_stage: int
    provider: str | None = None
    instance: str | None = None
    region: str | None = None  # the offer's (Alibaba Cloud prices the same instance differently per region)
    capacity_type: CapacityType | None = None
    usd_per_hour: float | None = None
    total_usd: float | None = None
    currency: str = "USD"  # the seller's currency; native_total is exact in it
    native_total: float | None = None
    hours: float | None = None
    nodes: int | None = None
    per_gpu_peak_bytes: int | None = None
    price_as_of: date | None = None
    price_is_estimate: bool = False
    rejected_because: tuple[str, ...] = Field(default=(), description="empty when the candidate is acceptable")


class Plan(Frozen):
    accepted: tuple[Candidate, ...] = Field(description="cheapest first")
    rejected: tuple[Candidate, ...]
    layouts_considered: int
    assumptions: tuple[Assumption, ...]


@dataclass(frozen=True, slots=True)
class _Layout:
    """Memory of one (GPU, count, ZeRO stage): shared by every offer of that GPU."""

    gpu: GPU
    gpus: int
    zero_stage: int
    run: TrainingRun | None = None
    peak_bytes: int | None = None
    usable_bytes: int | None = None
    fits: bool = False
    problem: str | None = None


def _layouts(arch: ModelArch, run: TrainingRun, gpus: tuple[GPU, ...], c: PlanConstraints) -> Iterator[_Layout]:
    for gpu in gpus:
        for count in c.gpu_counts:
            # ZeRO partitions over data-parallel ranks: with one rank every stage is stage 0.
            stages = sorted({s if count > 1 else 0 for s in c.zero_stages})
            for stage in stages:
                yield _evaluate(arch, run, gpu, count, stage)


def _evaluate(arch: ModelArch, run: TrainingRun, gpu: GPU, count: int, stage: int) -> _Layout:
    try:
        candidate_run = run_for_hardware(precision_for_gpu(run, gpu), count, zero_stage=stage)
        memory = training_memory(arch, candidate_run, gpu)
    except ValueError as error:  # EstimatorError and a GPU that cannot run the recipe (e.g. bf16 on a T4)
        return _Layout(gpu, count, stage, problem=str(error))
    return _Layout(gpu, count, stage, candidate_run, memory.peak_bytes, memory.usable_bytes, memory.fits)


def _hours(arch: ModelArch, layout: _Layout, offer: Offer, memo: dict[tuple[object, ...], float | str]) -> float | str:
    """Wall hours of `layout` on `offer`'s topology (memoised per topology), or why it cannot be timed."""
    hw = hardware_for_offer(layout.gpu, layout.gpus, offer)
    key = (layout.gpu.id, layout.gpus, layout.zero_stage, hw.gpus_per_node, hw.inter_node_gbps)
    if key not in memo:
        assert layout.run is not None
        try:
            memo[key] = training_time(arch, layout.run, hw).total_hours
        except ValueError as error:  # e.g. fp8 on a GPU without fp8, no TFLOP/s figure
            memo[key] = str(error)
    return memo[key]


def _offer_allowed(offer: Offer, c: PlanConstraints) -> bool:
    if c.capacity_types is not None and offer.capacity_type not in c.capacity_types:
        return False
    return c.providers is None or offer.provider in c.providers


def rank_usd(total_usd: float) -> float:
    """The total rounded to 3 significant digits: what ranking compares (cent-level differences are noise)."""
    return float(f"{total_usd:.3g}")


def _best_per_offer(accepted: list[Candidate]) -> tuple[Candidate, ...]:
    """Cheapest first; of the ZeRO stages that work for one (GPU, count, offer), only the cheapest, lowest one.

    Totals equal to 3 significant digits count as a tie, broken by fewer GPUs (fewer failures, less communication).
    """
    ranked = sorted(
        accepted,
        key=lambda x: (rank_usd(x.total_usd or 0.0), x.gpus, x.zero_stage, x.provider or "", x.instance or ""),
    )
    best: dict[tuple[object, ...], Candidate] = {}
    for candidate in ranked:
        key = (candidate.gpu_id, candidate.gpus, candidate.provider, candidate.instance, candidate.capacity_type)
        best.setdefault(key, candidate)
    return tuple(best.values())


def plan(
    arch: ModelArch,
    run: TrainingRun,
    gpus: tuple[GPU, ...],
    offers: tuple[Offer, ...],
    constraints: PlanConstraints | None = None,
) -> Plan:
    """Enumerates (GPU, count, ZeRO stage, offer), keeps what fits, meets deadline and budget.

    Rank: total_usd, then fewer GPUs, then the lower ZeRO stage (less communication for the same price).
    """
    check_layout(arch, run.parallelism)  # a layout no GPU count can run is the user's to fix, not a rejection
    c = constraints or PlanConstraints()
    wanted = set(c.gpu_ids) if c.gpu_ids is not None else None
    pool = tuple(g for g in gpus if wanted is None or g.id in wanted)
    by_gpu: dict[str, list[Offer]] = {}
    for offer in offers:
        if _offer_allowed(offer, c):
            by_gpu.setdefault(offer.gpu_id, []).append(offer)
    pool = tuple(g for g in pool if g.id in by_gpu)
    accepted: list[Candidate] = []
    rejected: list[Candidate] = []
    considered = 0
    memo: dict[tuple[object, ...], float | str] = {}
    for layout in _layouts(arch, run, pool, c):
        considered += 1
        base = Candidate(
            gpu_id=layout.gpu.id, gpus=layout.gpus, zero_stage=layout.zero_stage, per_gpu_peak_bytes=layout.peak_bytes
        )
        if layout.problem is not None:
            rejected.append(base.model_copy(update={"rejected_because": (layout.problem,)}))
            continue
        if not layout.fits:
            peak_gib = (layout.peak_bytes or 0) / 2**30
            usable_gib = (layout.usable_bytes or layout.gpu.memory_bytes) / 2**30
            why = f"does not fit: peak {peak_gib:.1f} GiB per GPU, {usable_gib:.1f} GiB usable on {layout.gpu.id}"
            rejected.append(base.model_copy(update={"rejected_because": (why,)}))
            continue
        for offer in by_gpu[layout.gpu.id]:
            hours = _hours(arch, layout, offer, memo)
            if isinstance(hours, str):
                rejected.append(base.model_copy(update={"rejected_because": (hours,)}))
                break  # the same reason for every offer of this GPU
            rejected_or_accepted = _priced(base, layout, offer, hours, c)
            (rejected if rejected_or_accepted.rejected_because else accepted).append(rejected_or_accepted)
    return Plan(
        accepted=_best_per_offer(accepted),
        rejected=tuple(rejected),
        layouts_considered=considered,
        assumptions=(
            Assumption(
                name="layouts",
                value=f"GPU counts {list(c.gpu_counts)}, ZeRO stages {list(c.zero_stages)}, pure data parallel "
                "(the run's tensor, pipeline, context, virtual-stage and expert degrees and kernels kept)",
                why="the usual ways to spread a fine-tune or a mid-size pre-training run",
            ),
            Assumption(
                name="pricing",
                value="whole instances for the run's wall time",
                why="queueing, start-up and interruptions are not priced",
            ),
            Assumption(
                name="interconnect",
                value="GPUs per node = the offer's GPUs per instance; inter-node bandwidth from the instance's network "
                "(EFA/InfiniBand where the catalog knows it, else assumed 25 Gbps Ethernet)",
                why="a run spread over many small VMs all-reduces its gradients over the network, not NVLink/PCIe",
            ),
            *precision_assumptions(run, pool),
            *figure_assumptions(pool),
        ),
    )


def _priced(base: Candidate, layout: _Layout, offer: Offer, hours: float, c: PlanConstraints) -> Candidate:
    """`base` on `offer` for `hours`, with why it misses the deadline or the budget (empty when it does not)."""
    line = cost_for_offer(offer, layout.gpus, hours)
    reasons: list[str] = []
    if c.deadline_hours is not None and hours > c.deadline_hours:
        reasons.append(f"takes {hours:.1f} h, past the {c.deadline_hours:g} h deadline")
    if c.budget_usd is not None and line.total_usd > c.budget_usd:
        reasons.append(f"costs ${line.total_usd:,.0f}, over the ${c.budget_usd:,.0f} budget")
    return base.model_copy(
        update={
            "provider": offer.provider,
            "instance": offer.instance,
            "region": offer.region,
            "capacity_type": offer.capacity_type,
            "usd_per_hour": line.usd_per_hour,
            "total_usd": line.total_usd,
            "currency": line.currency,
            "native_total": line.native_total,
            "hours": hours,
            "nodes": nodes(hardware_for_offer(layout.gpu, layout.gpus, offer)),
            "price_as_of": offer.as_of,
            "price_is_estimate": offer.price_is_estimate,
            "rejected_because": tuple(reasons),
        }
    )


def top_rejections(result: Plan, limit: int = 3) -> tuple[tuple[str, int], ...]:
    """The most common rejection reasons (numbers stripped so that alike reasons group), most frequent first."""
    counts: dict[str, int] = {}
    example: dict[str, str] = {}
    for candidate in result.rejected:
        for reason in candidate.rejected_because:
            key = re.sub(r"[\d.,]+", "#", reason)
            counts[key] = counts.get(key, 0) + 1
            example.setdefault(key, reason)
    ranked = sorted(counts, key=lambda k: -counts[k])[:limit]
    return tuple((example[k], counts[k]) for k in ranked)
