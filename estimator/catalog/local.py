"""Local hardware (Apple M4 Macs, workstation GPUs): look-up, training speed, owning cost, buy-or-rent.

Training speed uses one of two models, and says which (`training_speed`, `SpeedModel`):
- datacenter GPUs (A100, H100, L4, T4...): the calibrated step-time model `estimator.throughput.training_time`, a
  roofline of every GEMM fitted on H100 measurements and LLaMA-1's A100 GPU-hours;
- Apple silicon and consumer/workstation cards (RTX 4090, RTX 6000 Ada), which that calibration does not cover: the
  share of peak FLOP/s below, labelled as an assumption.
"""

from __future__ import annotations

import difflib
from enum import StrEnum
from functools import cache

from pydantic import Field

from estimator.catalog.gpus import all_gpus
from estimator.catalog.tables import load_table
from estimator.cost import HOURS_PER_YEAR, onprem_energy_usd_per_hour, onprem_usd_per_hour
from estimator.currency import Currency, ExchangeRate, Money, convert, offer_hourly, rate_assumption
from estimator.errors import InvalidRunError, UnknownGPUError
from estimator.estimate import run_for_hardware
from estimator.flops import training_flops
from estimator.memory import training_memory
from estimator.models import (
    GPU,
    Assumption,
    Frozen,
    Hardware,
    LocalMachine,
    ModelArch,
    Offer,
    OnPremTCO,
    TrainingRun,
    figure_assumptions,
)
from estimator.throughput import training_time

# Share of peak FLOP/s a training step sustains. NVIDIA: torchtune's Llama-3.1-8B full fine-tune on one RTX 4090
# (1,650 tokens/s, shared memory_facts) is ~0.45 of 165 TFLOP/s by 6ND; 0.40 is used so that a figure is not optimistic.
NVIDIA_TRAINING_EFFICIENCY = 0.40
# Apple: a measured fp16 GEMM reached 6.08 of ~7.4 TFLOP/s on an M4 Pro (0.83) but PyTorch MPS / MLX training steps
# lose more to non-matmul kernels; 0.5 is a round assumption, checked against the MLX LoRA measurement in the tests.
APPLE_TRAINING_EFFICIENCY = 0.50
# Cards sold for desks, not datacenters: the calibrated step-time model has no measurement on them (GDDR memory,
# consumer clocks and power limits), so they keep the labelled efficiency.
CONSUMER_GPU_IDS = frozenset({"RTX-4090", "RTX-6000-Ada"})


class SpeedModel(StrEnum):
    CALIBRATED = "calibrated"  # estimator.throughput.training_time
    LABELLED_EFFICIENCY = "labelled-efficiency"  # training_tokens_per_second with training_efficiency(gpu)


class TrainingSpeed(Frozen):
    tokens_per_second: float
    model: SpeedModel


@cache
def local_machines() -> tuple[LocalMachine, ...]:
    """Every local machine of the catalog, data/local_machines.json (read once, on first use)."""
    return load_table("local_machines.json", LocalMachine)


def local_machine(name: str) -> LocalMachine:
    """The machine named `name` (case-insensitive id); UnknownGPUError with the closest ids otherwise."""
    by_key = {machine.id.upper(): machine for machine in local_machines()}
    found = by_key.get(name.strip().upper().replace("_", "-").replace(" ", "-"))
    if found is not None:
        return found
    close = difflib.get_close_matches(name.strip().upper(), list(by_key), n=3, cutoff=0.3)
    ids = [by_key[c].id for c in close] or [m.id for m in local_machines()]
    raise UnknownGPUError("hardware", name, f"unknown local machine; closest: {', '.join(ids)}")


def all_hardware() -> tuple[GPU, ...]:
    """The datacenter GPU catalog plus the local machines' GPUs it does not already hold (Macs, RTX 6000 Ada)."""
    known = {row.id for row in all_gpus()}
    extra = tuple(machine.gpu for machine in local_machines() if machine.gpu.id not in known)
    return all_gpus() + extra


def training_efficiency(gpu: GPU) -> float:
    """The labelled share of peak FLOP/s a training step sustains on `gpu` (see the module constants)."""
    return APPLE_TRAINING_EFFICIENCY if gpu.unified_memory else NVIDIA_TRAINING_EFFICIENCY


def training_tokens_per_second(
    arch: ModelArch, run: TrainingRun, gpu: GPU, gpus: int = 1, efficiency: float | None = None
) -> float:
    """tokens/s = gpus x peak bf16 (else fp16) FLOP/s x efficiency / training FLOPs per token.

    Training FLOPs per token are estimator.flops.training_flops (forward x 3 for full training, recompute included);
    efficiency is training_efficiency(gpu) unless given (an MFU-style assumption: PaLM appendix B's definition).
    Data-parallel scaling across `gpus` is taken as ideal.
    """
    peak_tflops = gpu.bf16_tflops or gpu.fp16_tflops
    if peak_tflops is None:
        raise InvalidRunError("gpu", gpu.id, "no bf16/fp16 TFLOP/s for this hardware; give its datasheet figure")
    share = training_efficiency(gpu) if efficiency is None else efficiency
    if not 0 < share <= 1:
        raise InvalidRunError("efficiency", share, "a fraction of peak in (0, 1], e.g. 0.4")
    if gpus <= 0:
        raise InvalidRunError("gpus", gpus, "need at least 1 GPU")
    flops = training_flops(arch, run)
    return gpus * peak_tflops * 1e12 * share / (flops.total_flops / flops.tokens)


def speed_model(gpu: GPU) -> SpeedModel:
    """The labelled efficiency for Apple silicon and the CONSUMER_GPU_IDS cards; the calibrated model otherwise."""
    if gpu.unified_memory or gpu.id in CONSUMER_GPU_IDS:
        return SpeedModel.LABELLED_EFFICIENCY
    return SpeedModel.CALIBRATED


def training_speed(arch: ModelArch, run: TrainingRun, gpu: GPU, gpus: int = 1) -> TrainingSpeed:
    """Tokens/s of `run` (already laid out on `gpus` GPUs) and which model gave it (module docstring).

    Calibrated: training_time(arch, run, gpus x gpu).tokens_per_second (step = max(host, GPU roofline), data-parallel
    communication included). Labelled: training_tokens_per_second (gpus x peak x efficiency / FLOPs per token).
    """
    model = speed_model(gpu)
    if model is SpeedModel.CALIBRATED:
        speed = training_time(arch, run, Hardware(gpu=gpu, count=gpus)).tokens_per_second
    else:
        speed = training_tokens_per_second(arch, run, gpu, gpus)
    return TrainingSpeed(tokens_per_second=speed, model=model)


def speed_assumption(gpus: tuple[GPU, ...]) -> Assumption:
    """Which speed model timed which hardware, for the assumptions of a table."""
    by_model: dict[SpeedModel, list[str]] = {}
    for gpu in gpus:
        by_model.setdefault(speed_model(gpu), []).append(gpu.id)
    parts = [f"{model.value}: {', '.join(sorted(set(ids)))}" for model, ids in sorted(by_model.items())]
    return Assumption(
        name="speed_model",
        value="; ".join(parts),
        why="calibrated = estimator.throughput.training_time (phases of a roofline, fitted on H100 runs); "
        "labelled-efficiency = a share of peak FLOP/s for hardware that calibration does not cover",
    )


def machine_tco(
    machine: LocalMachine,
    *,
    years: float = 3.0,
    usd_per_kwh: float = 0.15,
    utilisation: float = 1.0,
    pue: float = 1.0,
) -> OnPremTCO:
    """The machine as an OnPremTCO: its purchase price and training watts, amortised over `years` of use."""
    return OnPremTCO(
        purchase_usd=machine.purchase_usd,
        amortisation_years=years,
        watts=machine.watts,
        usd_per_kwh=usd_per_kwh,
        pue=pue,
        utilisation=utilisation,
    )


def local_assumptions(tco: OnPremTCO) -> tuple[Assumption, ...]:
    """The owning and speed assumptions behind a buy-or-rent comparison."""
    return (
        Assumption(
            name="training_efficiency",
            value=f"consumer NVIDIA {NVIDIA_TRAINING_EFFICIENCY:g}, Apple {APPLE_TRAINING_EFFICIENCY:g} of peak FLOP/s "
            "(labelled-efficiency model only)",
            why="an assumption, not a measurement of your setup: torchtune on an RTX 4090 reached ~0.45; Apple "
            "publishes no TFLOP/s (third-party figures) and MPS/MLX kernels vary",
        ),
        Assumption(
            name="amortisation",
            value=f"{tco.amortisation_years:g} years, {tco.utilisation:.0%} utilisation, "
            f"{HOURS_PER_YEAR:g} h/year, no resale value",
            why="straight-line depreciation over the hours the machine is used",
        ),
        Assumption(
            name="electricity",
            value=f"${tco.usd_per_kwh:g}/kWh x PUE {tco.pue:g}",
            why="energy is paid only while training; host PC and cooling not included for workstation cards",
        ),
        Assumption(
            name="unified_memory",
            value="75% of a Mac's unified memory for the GPU",
            why="macOS lets the GPU wire about 3/4 of unified memory by default (recommendedMaxWorkingSetSize)",
        ),
    )


class BuyOrRentRow(Frozen):
    hardware: str
    kind: str = Field(description="'own' (bought, TCO) or 'rent' (cheapest cloud offer of that GPU)")
    gpus: int
    provider: str
    fits: bool
    tokens_per_second: float | None
    speed_model: SpeedModel | None = Field(description="which model timed the job; None when it does not fit")
    hours: float | None = Field(description="wall-clock hours for the job")
    job_cost: Money | None
    per_hour: Money
    break_even_jobs: float | None = Field(description="owning: jobs after which buying beats the cheapest rental")
    price_as_of: str | None
    price_is_estimate: bool
    notes: str = ""


class BuyOrRent(Frozen):
    rows: tuple[BuyOrRentRow, ...] = Field(description="cheapest job first; rows that do not fit last")
    cheapest_rental: BuyOrRentRow | None
    assumptions: tuple[Assumption, ...]


def buy_or_rent(
    arch: ModelArch,
    run: TrainingRun,
    machines: tuple[LocalMachine, ...],
    rentals: tuple[Offer, ...],
    gpus: tuple[GPU, ...],
    rate: ExchangeRate,
    currency: Currency = Currency.USD,
    *,
    years: float = 3.0,
    usd_per_kwh: float = 0.15,
    utilisation: float = 1.0,
) -> BuyOrRent:
    """The job on each owned machine and each rental: hours = tokens / tokens_per_second; cost = hours x hourly.

    tokens/s from training_speed (calibrated model for datacenter GPUs, labelled efficiency for Macs and consumer
    cards; each row says which).

    Owning: hourly = purchase / (years x 8766 h x utilisation) + watts x kWh price (estimator.cost.onprem_usd_per_hour).
    Break-even = purchase / (cheapest rental's job cost - the machine's energy cost for the job), in jobs.
    """
    by_id = {g.id: g for g in gpus}
    rows: list[BuyOrRentRow] = []
    for offer in rentals:
        gpu = by_id.get(offer.gpu_id)
        if gpu is not None:
            hourly = offer_hourly(offer, currency, rate)
            rows.append(
                _job_row(arch, run, gpu, offer.gpu_count, hourly, offer.provider, "rent", offer.price_is_estimate)
            )
            rows[-1] = rows[-1].model_copy(
                update={
                    "hardware": f"{offer.instance} ({offer.gpu_count}x {gpu.id})",
                    "notes": offer.notes,
                    "price_as_of": offer.as_of.isoformat() if offer.as_of else None,
                }
            )
    rented = [row for row in rows if row.job_cost is not None]
    cheapest = min(rented, key=lambda r: r.job_cost.amount if r.job_cost else 0.0) if rented else None
    for machine in machines:
        tco = machine_tco(machine, years=years, usd_per_kwh=usd_per_kwh, utilisation=utilisation)
        hourly = convert(Money(amount=onprem_usd_per_hour(tco), currency=Currency.USD), currency, rate)
        row = _job_row(arch, run, machine.gpu, 1, hourly, "own", "own", machine.price_is_estimate)
        note = "; ".join(n for n in (machine.purchase_note, f"bought for ${machine.purchase_usd:,.0f}") if n)
        update: dict[str, object] = {
            "hardware": machine.id,
            "notes": note,
            "price_as_of": machine.purchase_as_of.isoformat() if machine.purchase_as_of else None,
        }
        if cheapest is not None and cheapest.job_cost is not None and row.hours is not None:
            energy = convert(
                Money(amount=onprem_energy_usd_per_hour(tco) * row.hours, currency=Currency.USD), currency, rate
            )
            margin = cheapest.job_cost.amount - energy.amount
            purchase = convert(Money(amount=machine.purchase_usd, currency=Currency.USD), currency, rate)
            update["break_even_jobs"] = purchase.amount / margin if margin > 0 else None
        rows.append(row.model_copy(update=update))
    ranked = sorted(rows, key=lambda r: (r.job_cost is None, r.job_cost.amount if r.job_cost else 0.0))
    tco_defaults = OnPremTCO(
        purchase_usd=1, amortisation_years=years, watts=1, usd_per_kwh=usd_per_kwh, utilisation=utilisation
    )
    timed = tuple(by_id[o.gpu_id] for o in rentals if o.gpu_id in by_id) + tuple(m.gpu for m in machines)
    return BuyOrRent(
        rows=tuple(ranked),
        cheapest_rental=cheapest,
        assumptions=(
            speed_assumption(timed),
            *figure_assumptions(timed),
            *local_assumptions(tco_defaults),
            rate_assumption(rate, currency),
        ),
    )


def _job_row(
    arch: ModelArch, run: TrainingRun, gpu: GPU, count: int, hourly: Money, provider: str, kind: str, estimate: bool
) -> BuyOrRentRow:
    laid_out = run_for_hardware(run, count, zero_stage=3 if count > 1 else 0)
    fits = training_memory(arch, laid_out, gpu).fits
    timed = training_speed(arch, laid_out, gpu, count) if fits else None
    speed = timed.tokens_per_second if timed else None
    hours = run.tokens / speed / 3600 if speed else None
    return BuyOrRentRow(
        hardware=gpu.id,
        kind=kind,
        gpus=count,
        provider=provider,
        fits=fits,
        tokens_per_second=speed,
        speed_model=timed.model if timed else None,
        hours=hours,
        job_cost=hourly.scaled(hours) if hours is not None else None,
        per_hour=hourly,
        break_even_jobs=None,
        price_as_of=None,
        price_is_estimate=estimate,
    )
