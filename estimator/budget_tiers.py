"""Budget tiers: for a budget, which models can be trained on how much data, on which hardware, at what cost per token.

The Hugging Face Jobs hardware guide's question ("I have $50: what can I fine-tune, on what?"). For each model of a
size ladder and each offer, the run must fit in memory (estimator.memory); its speed is
estimator.catalog.local.training_speed (the calibrated step-time model estimator.throughput.training_time for
datacenter GPUs, a labelled efficiency for Macs and consumer cards); cost per token = price per hour / tokens per hour.
Each model keeps its cheapest offer; the tiers are ranked by cost per token trained.
"""

from __future__ import annotations

from pydantic import Field

from estimator.catalog.local import SpeedModel, local_assumptions, speed_assumption, speed_model, training_speed
from estimator.currency import Currency, ExchangeRate, Money, offer_hourly, rate_assumption
from estimator.errors import EstimatorError, InvalidRunError
from estimator.estimate import run_for_hardware
from estimator.memory import training_memory
from estimator.models import (
    GPU,
    Assumption,
    CapacityType,
    Frozen,
    ModelArch,
    Offer,
    OnPremTCO,
    TrainingRun,
    figure_assumptions,
)
from estimator.params import count_params
from estimator.precision import precision_assumptions, precision_for_gpu

# A ladder of public models from 360M to 70B parameters (presets), smallest first.
DEFAULT_LADDER = (
    "smollm-360m",
    "qwen2.5-0.5b",
    "qwen2.5-1.5b",
    "llama-3.2-3b",
    "llama-3-8b",
    "qwen2.5-14b",
    "qwen2.5-32b",
    "llama-3-70b",
)


class BudgetTier(Frozen):
    model: str
    params: int
    gpu_id: str
    gpus: int
    provider: str
    instance: str
    capacity_type: CapacityType
    tokens_per_second: float
    speed_model: SpeedModel = Field(description="which model timed the run (calibrated / labelled-efficiency)")
    per_million_tokens: Money = Field(description="cost per million tokens trained")
    affordable_tokens: float = Field(description="tokens the budget buys on this offer")
    epochs: float | None = Field(description="affordable tokens / dataset tokens, when a dataset size is given")
    hours: float = Field(description="wall-clock hours to spend the budget")
    tokens_per_param: float
    price_as_of: str | None
    price_is_estimate: bool


class BudgetTiers(Frozen):
    budget: Money
    tiers: tuple[BudgetTier, ...] = Field(description="one per model that fits and affords min_epochs; cheapest first")
    largest: BudgetTier | None = Field(description="the largest model the budget trains (cheapest offer for it)")
    left_out: tuple[str, ...] = Field(description="models with no tier, and why")
    assumptions: tuple[Assumption, ...]


def _fits(arch: ModelArch, run: TrainingRun, gpu: GPU, gpus: int) -> TrainingRun | None:
    """The run laid out on `gpus` GPUs with the lowest ZeRO stage that fits, or None."""
    for stage in (0, 3) if gpus > 1 else (0,):
        candidate = run_for_hardware(run, gpus, zero_stage=stage)
        if training_memory(arch, candidate, gpu).fits:
            return candidate
    return None


def _tier(
    arch: ModelArch, run: TrainingRun, gpu: GPU, offer: Offer, budget: Money, rate: ExchangeRate, dataset: float | None
) -> BudgetTier | None:
    laid_out = _fits(arch, precision_for_gpu(run, gpu), gpu, offer.gpu_count)
    if laid_out is None:
        return None
    timed = training_speed(arch, laid_out, gpu, offer.gpu_count)
    speed = timed.tokens_per_second
    hourly = offer_hourly(offer, budget.currency, rate)
    per_token = hourly.amount / (speed * 3600)
    affordable = budget.amount / per_token
    params = count_params(arch).total
    return BudgetTier(
        model=arch.name,
        params=params,
        gpu_id=gpu.id,
        gpus=offer.gpu_count,
        provider=offer.provider,
        instance=offer.instance,
        capacity_type=offer.capacity_type,
        tokens_per_second=speed,
        speed_model=timed.model,
        per_million_tokens=Money(amount=per_token * 1e6, currency=budget.currency),
        affordable_tokens=affordable,
        epochs=affordable / dataset if dataset else None,
        hours=affordable / speed / 3600,
        tokens_per_param=affordable / params,
        price_as_of=offer.as_of.isoformat() if offer.as_of else None,
        price_is_estimate=offer.price_is_estimate,
    )


def budget_tiers(
    budget: Money,
    models: tuple[ModelArch, ...],
    gpus: tuple[GPU, ...],
    offers: tuple[Offer, ...],
    run: TrainingRun,
    rate: ExchangeRate,
    *,
    dataset_tokens: float | None = None,
    min_epochs: float = 1.0,
) -> BudgetTiers:
    """For each model: the offer with the lowest cost per token among those that fit; a tier when the budget buys
    at least `min_epochs` x `dataset_tokens` (any amount when no dataset is given).

    cost per token = hourly price / (tokens/s x 3600); affordable tokens = budget / cost per token;
    epochs = affordable / dataset tokens; hours = affordable / tokens/s / 3600. `run` gives method, sequence length
    and recipe; its token count is ignored.
    """
    if not budget.amount > 0:
        raise InvalidRunError("budget", budget.amount, "a positive amount, e.g. 50")
    if dataset_tokens is not None and not dataset_tokens > 0:
        raise InvalidRunError("dataset_tokens", dataset_tokens, "a positive token count, e.g. 5e7")
    by_id = {gpu.id: gpu for gpu in gpus}
    tiers: list[BudgetTier] = []
    left_out: list[str] = []
    timed: dict[str, GPU] = {}  # hardware some model was timed on, for the speed-model assumption
    for arch in models:
        best: BudgetTier | None = None
        for offer in (o for o in offers if o.gpu_id in by_id):
            try:
                tier = _tier(arch, run, by_id[offer.gpu_id], offer, budget, rate, dataset_tokens)
                if tier is not None:
                    timed[tier.gpu_id] = by_id[tier.gpu_id]
            except EstimatorError:
                continue  # hardware without published FLOP/s, or a layout the run cannot use
            if tier is not None and (best is None or tier.per_million_tokens.amount < best.per_million_tokens.amount):
                best = tier
        if best is None:
            left_out.append(f"{arch.name}: fits on no offered hardware")
        elif dataset_tokens and (best.epochs or 0.0) < min_epochs:
            left_out.append(f"{arch.name}: the budget buys {best.epochs:.2f} epochs, under {min_epochs:g}")
        else:
            tiers.append(best)
    ranked = tuple(sorted(tiers, key=lambda t: (t.per_million_tokens.amount, -t.params)))
    largest = max(ranked, key=lambda t: t.params) if ranked else None
    return BudgetTiers(
        budget=budget,
        tiers=ranked,
        largest=largest,
        left_out=tuple(left_out),
        assumptions=_assumptions(run, rate, budget.currency, tuple(timed.values())),
    )


def _assumptions(
    run: TrainingRun, rate: ExchangeRate, currency: Currency, gpus: tuple[GPU, ...]
) -> tuple[Assumption, ...]:
    efficiency = next(
        a for a in local_assumptions(OnPremTCO(purchase_usd=1, watts=1)) if a.name == "training_efficiency"
    )
    labelled = any(speed_model(gpu) is SpeedModel.LABELLED_EFFICIENCY for gpu in gpus)
    return (
        Assumption(
            name="run",
            value=f"{run.method.value}, seq {run.seq_len}, micro-batch {run.micro_batch}, {run.precision.value}",
            why="the same recipe for every model; one whole instance per offer, pure data parallel (ZeRO-3 if needed)",
        ),
        speed_assumption(gpus),
        *precision_assumptions(run, gpus),
        *figure_assumptions(gpus),
        *((efficiency,) if labelled else ()),
        Assumption(
            name="billing",
            value="whole instances for the hours the budget buys",
            why="start-up, data loading, evaluation and failed runs are not priced",
        ),
        rate_assumption(rate, currency),
    )
