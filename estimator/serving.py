"""Serving plan: replicas, GPUs and monthly cost to serve a model at a target load and latency, per offer.

Per replica (one GPU model at a tensor-parallel degree): memory = weights (by quantisation) + batch x KV cache of a full
context (prompt + output) <= vLLM's gpu_memory_utilization x GPU memory; decode and prefill times from the roofline of
estimator.inference (prefill compute-bound, decode bandwidth-bound at small batch). Decode throughput assumes a
batching server (vLLM/TGI-class continuous batching): every decode step advances the whole batch at once. A naive
`generate()` loop serves one sequence at a time and reaches only decode_tokens_per_second_per_sequence.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import Field

from estimator.currency import Currency, ExchangeRate, Money, convert, offer_hourly, rate_assumption
from estimator.errors import EstimatorError, InvalidRunError
from estimator.inference import InferenceEstimate, Quantisation, inference_estimate
from estimator.models import GPU, Assumption, CapacityType, Frozen, ModelArch, Offer, figure_assumptions

HOURS_PER_MONTH = 730.0  # the cloud billing convention (8,760 h / 12)
# Replicas are sized to run at 80% of their modelled capacity: queueing delay grows without bound as load nears
# capacity (M/M/c), and the roofline is an upper bound.
DEFAULT_TARGET_UTILISATION = 0.8
DEFAULT_TENSOR_PARALLEL = (1, 2, 4, 8)


class ServingLoad(Frozen):
    prompt_tokens: int = Field(gt=0)
    output_tokens: int = Field(gt=0)
    requests_per_second: float = Field(gt=0)
    ttft_ms: float | None = Field(default=None, gt=0, description="time-to-first-token target")
    tpot_ms: float | None = Field(default=None, gt=0, description="time-per-output-token target")


def load_from_tokens_per_second(
    prompt_tokens: int,
    output_tokens: int,
    output_tokens_per_second: float,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
) -> ServingLoad:
    """A load given as generated tokens per second: requests/s = output tokens/s / output tokens per request."""
    if output_tokens <= 0:
        raise InvalidRunError("output_tokens", output_tokens, "a request generates at least 1 token")
    if not output_tokens_per_second > 0:
        raise InvalidRunError("tokens_per_second", output_tokens_per_second, "a positive rate, e.g. 2000")
    return ServingLoad(
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        requests_per_second=output_tokens_per_second / output_tokens,
        ttft_ms=ttft_ms,
        tpot_ms=tpot_ms,
    )


class ReplicaSizing(Frozen):
    """One replica of the model on `tensor_parallel` x `gpu_id`, at the largest batch meeting the latency targets."""

    gpu_id: str
    tensor_parallel: int
    weights_bytes: int
    kv_bytes_per_token: int
    kv_bytes_per_sequence: int = Field(description="a full context: prompt + output tokens")
    usable_bytes: int
    max_batch: int = Field(description="sequences whose full-context KV cache fits beside the weights")
    batch: int = Field(description="concurrent sequences used: max_batch, or fewer to meet tpot_ms")
    ttft_seconds: float = Field(description="one prompt's prefill + one running decode step")
    tpot_seconds: float = Field(description="decode step time at `batch`, mean context")
    decode_tokens_per_second: float = Field(description="all sequences together, batching server")
    requests_per_second: float = Field(description="capacity: 1 / (prefill + output x step / batch)")
    decode_bound: str
    rejected_because: tuple[str, ...] = ()


class ServingOption(Frozen):
    gpu_id: str
    tensor_parallel: int
    replicas: int
    gpus: int
    provider: str
    instance: str
    region: str | None
    capacity_type: CapacityType
    instances: int
    per_hour: Money = Field(description="all instances together")
    monthly: Money
    per_1k_requests: Money
    per_million_tokens: Money = Field(description="prompt + output tokens")
    price_as_of: str | None
    price_is_estimate: bool
    source: str
    notes: str = ""


class HostedComparison(Frozen):
    hosted_monthly: Money
    self_hosted_monthly: Money = Field(description="the cheapest option")
    monthly_savings: Money
    upfront: Money | None = Field(description="e.g. the fine-tune that makes the small model good enough")
    payback_months: float | None = Field(description="None when self-hosting saves nothing")


class ServingPlan(Frozen):
    model: str
    quantisation: Quantisation
    load: ServingLoad
    replicas: tuple[ReplicaSizing, ...] = Field(description="every (GPU, tensor parallel) tried, rejected ones too")
    options: tuple[ServingOption, ...] = Field(description="cheapest per month first")
    hosted: HostedComparison | None
    currency: Currency
    assumptions: tuple[Assumption, ...]


def size_replica(
    arch: ModelArch,
    gpu: GPU,
    load: ServingLoad,
    *,
    quantisation: Quantisation = Quantisation.BF16,
    tensor_parallel: int = 1,
) -> ReplicaSizing:
    """Memory, batch, latency and capacity of one replica.

    Batch: the largest B <= max_batch whose decode step (at mean context prompt + output/2) meets tpot_ms.
    TTFT = prefill(prompt) + step(B). Capacity: requests/s = 1 / (prefill(prompt) + output x step(B) / B): a replica
    spends each request's prefill alone and shares each decode step among B sequences (Kwon et al. 2023; Yu et al.
    2022 Orca's iteration-level scheduling).
    """
    full_context = load.prompt_tokens + load.output_tokens
    mean_context = load.prompt_tokens + max(1, load.output_tokens // 2)

    def at(batch: int | None, context: int) -> InferenceEstimate:
        return inference_estimate(
            arch,
            gpu,
            quantisation=quantisation,
            context_tokens=context,
            prompt_tokens=load.prompt_tokens,
            batch=batch,
            gpus=tensor_parallel,
        )

    full = at(None, full_context)
    base: dict[str, int | str] = {
        "gpu_id": gpu.id,
        "tensor_parallel": tensor_parallel,
        "weights_bytes": full.weights_bytes,
        "kv_bytes_per_token": full.kv_bytes_per_token,
        "kv_bytes_per_sequence": full.kv_bytes_per_sequence,
        "usable_bytes": full.usable_bytes,
        "max_batch": full.max_batch,
    }
    if full.max_batch < 1:
        need = (full.weights_bytes + full.kv_bytes_per_sequence) / 2**30
        why = f"weights + one {full_context}-token sequence need {need:.1f} GiB; {full.usable_bytes / 2**30:.1f} usable"
        return _rejected(base, why)

    def step(batch: int) -> InferenceEstimate:
        return at(batch, mean_context)

    batch = _largest_batch(step, full.max_batch, load.tpot_ms)
    if batch == 0:
        one = step(1)
        return _rejected(base, f"TPOT {one.decode_step_seconds * 1e3:.1f} ms at batch 1 > {load.tpot_ms:g} ms target")
    chosen = step(batch)
    ttft = chosen.prefill_seconds + chosen.decode_step_seconds
    reasons: tuple[str, ...] = ()
    if load.ttft_ms is not None and ttft * 1e3 > load.ttft_ms:
        reasons = (f"TTFT {ttft * 1e3:.0f} ms > {load.ttft_ms:g} ms target",)
    per_request = chosen.prefill_seconds + load.output_tokens * chosen.decode_step_seconds / batch
    return ReplicaSizing(
        **base,
        batch=batch,
        ttft_seconds=ttft,
        tpot_seconds=chosen.decode_step_seconds,
        decode_tokens_per_second=chosen.decode_tokens_per_second,
        requests_per_second=1 / per_request,
        decode_bound=chosen.decode_bound,
        rejected_because=reasons,
    )


def _rejected(base: dict[str, int | str], why: str) -> ReplicaSizing:
    return ReplicaSizing.model_validate(
        {
            **base,
            "batch": 0,
            "ttft_seconds": 0.0,
            "tpot_seconds": 0.0,
            "decode_tokens_per_second": 0.0,
            "requests_per_second": 0.0,
            "decode_bound": "n/a",
            "rejected_because": (why,),
        }
    )


def _largest_batch(step: Callable[[int], InferenceEstimate], max_batch: int, tpot_ms: float | None) -> int:
    """Binary search of the largest batch whose decode step meets `tpot_ms` (step time grows with batch)."""
    if tpot_ms is None:
        return max_batch
    limit_seconds = tpot_ms / 1e3
    low, high = 0, max_batch
    while low < high:
        middle = (low + high + 1) // 2
        if step(middle).decode_step_seconds <= limit_seconds:
            low = middle
        else:
            high = middle - 1
    return low


def replicas_needed(load: ServingLoad, replica: ReplicaSizing, utilisation: float) -> int:
    """ceil(requests_per_second / (replica capacity x target utilisation))."""
    return math.ceil(load.requests_per_second / (replica.requests_per_second * utilisation) - 1e-9)


def price_option(
    replica: ReplicaSizing, replicas: int, offer: Offer, load: ServingLoad, currency: Currency, rate: ExchangeRate
) -> ServingOption | None:
    """`replicas` on `offer`: whole instances, replicas packed per instance (tensor parallel stays in one instance).

    monthly = instances x hourly x 730; per 1k requests = hourly / (rps x 3600) x 1000;
    per million tokens = hourly / (rps x 3600 x (prompt + output)) x 1e6. None when one replica needs more GPUs than
    an instance has (tensor parallel across instances is not modelled).
    """
    per_instance = offer.gpu_count // replica.tensor_parallel
    if per_instance < 1:
        return None
    instances = math.ceil(replicas / per_instance)
    hourly = offer_hourly(offer, currency, rate).scaled(instances)
    requests_per_hour = load.requests_per_second * 3600
    return ServingOption(
        gpu_id=replica.gpu_id,
        tensor_parallel=replica.tensor_parallel,
        replicas=replicas,
        gpus=replicas * replica.tensor_parallel,
        provider=offer.provider,
        instance=offer.instance,
        region=offer.region,
        capacity_type=offer.capacity_type,
        instances=instances,
        per_hour=hourly,
        monthly=hourly.scaled(HOURS_PER_MONTH),
        per_1k_requests=hourly.scaled(1000 / requests_per_hour),
        per_million_tokens=hourly.scaled(1e6 / (requests_per_hour * (load.prompt_tokens + load.output_tokens))),
        price_as_of=offer.as_of.isoformat() if offer.as_of else None,
        price_is_estimate=offer.price_is_estimate,
        source=offer.source,
        notes=offer.notes,
    )


def hosted_comparison(
    load: ServingLoad,
    cheapest: ServingOption,
    hosted_usd_per_million_tokens: float,
    rate: ExchangeRate,
    upfront_usd: float | None = None,
) -> HostedComparison:
    """hosted monthly = rps x 3600 x 730 x (prompt + output) / 1e6 x price; payback = upfront / monthly savings."""
    if not hosted_usd_per_million_tokens > 0:
        raise InvalidRunError(
            "hosted_usd_per_mtok", hosted_usd_per_million_tokens, "a positive USD price per 1M tokens"
        )
    currency = cheapest.monthly.currency
    tokens_per_month = load.requests_per_second * 3600 * HOURS_PER_MONTH * (load.prompt_tokens + load.output_tokens)
    hosted_usd = Money(amount=tokens_per_month / 1e6 * hosted_usd_per_million_tokens, currency=Currency.USD)
    hosted = convert(hosted_usd, currency, rate)
    savings = hosted + cheapest.monthly.scaled(-1)
    upfront = convert(Money(amount=upfront_usd, currency=Currency.USD), currency, rate) if upfront_usd else None
    payback = None
    if savings.amount > 0:
        payback = (upfront.amount if upfront else 0.0) / savings.amount
    return HostedComparison(
        hosted_monthly=hosted,
        self_hosted_monthly=cheapest.monthly,
        monthly_savings=savings,
        upfront=upfront,
        payback_months=payback,
    )


def serving_plan(
    arch: ModelArch,
    load: ServingLoad,
    gpus: tuple[GPU, ...],
    offers: tuple[Offer, ...],
    *,
    quantisation: Quantisation = Quantisation.BF16,
    tensor_parallel: tuple[int, ...] = DEFAULT_TENSOR_PARALLEL,
    utilisation: float = DEFAULT_TARGET_UTILISATION,
    currency: Currency = Currency.USD,
    rate: ExchangeRate,
    hosted_usd_per_million_tokens: float | None = None,
    upfront_usd: float | None = None,
) -> ServingPlan:
    """Sizes a replica per (GPU with an offer, tensor-parallel degree), the replicas for the load, and prices each
    offer; options are ranked by monthly cost. Rejected sizings say why."""
    if not 0 < utilisation <= 1:
        raise InvalidRunError("utilisation", utilisation, "a fraction in (0, 1], e.g. 0.8")
    priced = {offer.gpu_id for offer in offers}
    sized = tuple(g for g in gpus if g.id in priced)
    sizings: list[ReplicaSizing] = []
    options: list[ServingOption] = []
    for gpu in sized:
        for tp in tensor_parallel:
            try:
                replica = size_replica(
                    arch,
                    gpu,
                    load,
                    quantisation=quantisation,
                    tensor_parallel=tp,
                )
            except EstimatorError as error:
                # The GPU cannot run this quantisation at all (bf16 on a T4 or V100): no other degree would help.
                base = {"gpu_id": gpu.id, "tensor_parallel": tp, **_no_memory()}
                sizings.append(_rejected(base, str(error)))
                break
            sizings.append(replica)
            if replica.rejected_because:
                continue
            count = replicas_needed(load, replica, utilisation)
            for offer in (o for o in offers if o.gpu_id == gpu.id):
                option = price_option(replica, count, offer, load, currency, rate)
                if option is not None:
                    options.append(option)
            # A larger tensor-parallel degree only helps when this one misses a target or does not fit.
            break
    ranked = tuple(sorted(options, key=lambda o: (o.monthly.amount, o.gpus, o.provider, o.instance)))
    hosted = None
    if hosted_usd_per_million_tokens is not None and ranked:
        hosted = hosted_comparison(load, ranked[0], hosted_usd_per_million_tokens, rate, upfront_usd)
    return ServingPlan(
        model=arch.name,
        quantisation=quantisation,
        load=load,
        replicas=tuple(sizings),
        options=ranked,
        hosted=hosted,
        currency=currency,
        assumptions=(*_assumptions(utilisation, currency, rate), *figure_assumptions(sized)),
    )


def _no_memory() -> dict[str, int | str]:
    """Memory fields of a sizing rejected before its memory was computed."""
    names = ("weights_bytes", "kv_bytes_per_token", "kv_bytes_per_sequence", "usable_bytes", "max_batch")
    return dict.fromkeys(names, 0)


def _assumptions(utilisation: float, currency: Currency, rate: ExchangeRate) -> tuple[Assumption, ...]:
    items = [
        Assumption(
            name="server",
            value="batching server (vLLM/TGI-class continuous batching, paged KV cache)",
            why="decode throughput counts every sequence of the batch per step; a naive generate() loop serves one "
            "sequence at a time and is many times slower",
        ),
        Assumption(
            name="kv_cache_reservation",
            value="full context (prompt + output) per concurrent sequence",
            why="a sequence's cache grows to its full length before it finishes; decode time uses the mean context",
        ),
        Assumption(
            name="target_utilisation",
            value=f"{utilisation:.0%}",
            why="headroom: queueing delay (and TTFT) grows without bound as a replica nears its capacity",
        ),
        Assumption(
            name="tensor_parallel",
            value="smallest degree that fits and meets the targets; within one instance",
            why="more tensor parallelism adds all-reduce traffic that the roofline does not model",
        ),
        Assumption(name="hours_per_month", value=f"{HOURS_PER_MONTH:g}", why="cloud billing convention (8,760 / 12)"),
    ]
    items.append(rate_assumption(rate, currency))  # CNY-native offers are converted even for USD output
    return tuple(items)
