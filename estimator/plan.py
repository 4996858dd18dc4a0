"""The cheapest hardware and offer for a run: fits in memory, finishes by the deadline, stays within the budget.

Candidates are (GPU model, GPU count, ZeRO stage, offer). Memory and time depend only on (GPU, count, stage), so they
are computed once per layout and reused for every offer of that GPU; the whole embedded catalog plans in well under a
second. Every rejected candidate says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from pydantic import Field

from estimator.cost import cost_for_offer
from estimator.estimate import run_for_hardware
from estimator.memory import training_memory
from estimator.models import GPU, Assumption, CapacityType, Frozen, Hardware, ModelArch, Offer, TrainingRun
from estimator.throughput import training_time

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
    capacity_type: CapacityType | None = None
    usd_per_hour: float | None = None
    total_usd: float | None = None
    hours: float | None = None
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
    """Memory and time of one (GPU, count, ZeRO stage): shared by every offer of that GPU."""

    gpu: GPU
    gpus: int
    zero_stage: int
    peak_bytes: int | None = None
    usable_bytes: int | None = None
    hours: float | None = None  # None: it does not fit, or could not be estimated
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
        candidate_run = run_for_hardware(run, count, zero_stage=stage)
        memory = training_memory(arch, candidate_run, gpu)
        layout = _Layout(gpu, count, stage, memory.peak_bytes, memory.usable_bytes)
        if not memory.fits:
            return layout
        time = training_time(arch, candidate_run, Hardware(gpu=gpu, count=count))
    except ValueError as error:  # EstimatorError and the catalog's missing figures (e.g. no TFLOP/s for A10G)
        return _Layout(gpu, count, stage, problem=str(error))
    return replace(layout, hours=time.total_hours)


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
    for layout in _layouts(arch, run, pool, c):
        considered += 1
        base = Candidate(
            gpu_id=layout.gpu.id, gpus=layout.gpus, zero_stage=layout.zero_stage, per_gpu_peak_bytes=layout.peak_bytes
        )
        if layout.problem is not None:
            rejected.append(base.model_copy(update={"rejected_because": (layout.problem,)}))
            continue
        if layout.hours is None:
            peak_gib = (layout.peak_bytes or 0) / 2**30
            usable_gib = (layout.usable_bytes or layout.gpu.memory_bytes) / 2**30
            why = f"does not fit: peak {peak_gib:.1f} GiB per GPU, {usable_gib:.1f} GiB usable on {layout.gpu.id}"
            rejected.append(base.model_copy(update={"rejected_because": (why,)}))
            continue
        for offer in by_gpu[layout.gpu.id]:
            line = cost_for_offer(offer, layout.gpus, layout.hours)
            reasons: list[str] = []
            if c.deadline_hours is not None and layout.hours > c.deadline_hours:
                reasons.append(f"takes {layout.hours:.1f} h, past the {c.deadline_hours:g} h deadline")
            if c.budget_usd is not None and line.total_usd > c.budget_usd:
                reasons.append(f"costs ${line.total_usd:,.0f}, over the ${c.budget_usd:,.0f} budget")
            candidate = base.model_copy(
                update={
                    "provider": offer.provider,
                    "instance": offer.instance,
                    "capacity_type": offer.capacity_type,
                    "usd_per_hour": line.usd_per_hour,
                    "total_usd": line.total_usd,
                    "hours": layout.hours,
                    "price_as_of": offer.as_of,
                    "price_is_estimate": offer.price_is_estimate,
                    "rejected_because": tuple(reasons),
                }
            )
            (rejected if reasons else accepted).append(candidate)
    return Plan(
        accepted=_best_per_offer(accepted),
        rejected=tuple(rejected),
        layouts_considered=considered,
        assumptions=(
            Assumption(
                name="layouts",
                value=f"GPU counts {list(c.gpu_counts)}, ZeRO stages {list(c.zero_stages)}, pure data parallel "
                "(tensor/pipeline degrees of the run kept)",
                why="the usual ways to spread a fine-tune or a mid-size pre-training run",
            ),
            Assumption(
                name="pricing",
                value="whole instances for the run's wall time",
                why="queueing, start-up and interruptions are not priced",
            ),
        ),
    )
