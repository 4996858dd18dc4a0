"""What a run costs on each offer: cloud on-demand, spot and reserved, and owning the hardware (on-prem TCO)."""

from __future__ import annotations

import math
from datetime import date

from pydantic import Field

from estimator.errors import InvalidRunError
from estimator.models import Assumption, CapacityType, Frozen, Offer, OnPremTCO

HOURS_PER_YEAR = 8766.0  # 365.25 days x 24 h
# A 1-year commitment (AWS Savings Plans / EC2 RIs, GCP committed use, Azure reservations) typically saves 30-40% on
# GPU instances; the low end is used so a reserved figure is never optimistic. It is an assumption, not a quote.
RESERVED_1YR_DISCOUNT = 0.30
RESERVED_PROVIDERS = ("aws", "gcp", "azure")


class CostLine(Frozen):
    """The price of one run on one offer."""

    provider: str
    instance: str
    region: str | None
    gpu_id: str
    capacity_type: CapacityType
    instances: int = Field(description="instances rented: ceil(gpus / gpus per instance)")
    gpus_billed: int
    usd_per_hour: float = Field(description="for all instances together")
    hours: float
    total_usd: float
    currency: str = Field(default="USD", description="the seller's currency; native_* are exact in it")
    native_per_hour: float | None = Field(default=None, description="usd_per_hour in `currency`, when not USD")
    native_total: float | None = None
    price_as_of: date | None
    fits: bool = Field(default=True, description="the run's peak memory fits this offer's GPU")
    price_is_estimate: bool
    source: str
    notes: str = ""


def instances_needed(gpus: int, gpus_per_instance: int) -> int:
    """Instances to rent for `gpus` GPUs: ceil(gpus / gpus_per_instance)."""
    if gpus <= 0:
        raise InvalidRunError("gpus", gpus, "need at least 1 GPU")
    if gpus_per_instance <= 0:
        raise InvalidRunError("gpu_count", gpus_per_instance, "an offer must hold at least 1 GPU")
    return math.ceil(gpus / gpus_per_instance)


def cost_for_offer(offer: Offer, gpus: int, hours: float) -> CostLine:
    """total_usd = hours x instances x usd_per_hour, with instances = ceil(gpus / offer.gpu_count).

    A partly used instance is billed whole: 4 GPUs on an 8-GPU instance pay for 8.
    """
    if hours < 0 or not math.isfinite(hours):
        raise InvalidRunError("hours", hours, "run time must be a finite, non-negative number of hours")
    instances = instances_needed(gpus, offer.gpu_count)
    hourly_usd = instances * offer.usd_per_hour
    native = None if offer.native_price_per_hour is None else instances * offer.native_price_per_hour
    return CostLine(
        provider=offer.provider,
        instance=offer.instance,
        region=offer.region,
        gpu_id=offer.gpu_id,
        capacity_type=offer.capacity_type,
        instances=instances,
        gpus_billed=instances * offer.gpu_count,
        usd_per_hour=hourly_usd,
        hours=hours,
        total_usd=hourly_usd * hours,
        currency=offer.currency if native is not None else "USD",
        native_per_hour=native,
        native_total=None if native is None else native * hours,
        price_as_of=offer.as_of,
        price_is_estimate=offer.price_is_estimate,
        source=offer.source,
        notes=offer.notes,
    )


def reserved_offer(offer: Offer, discount: float = RESERVED_1YR_DISCOUNT) -> Offer:
    """A 1-year-commitment price derived from an on-demand offer: usd_per_hour x (1 - discount), flagged an estimate."""
    if offer.capacity_type is not CapacityType.ON_DEMAND:
        raise InvalidRunError(
            "capacity_type", offer.capacity_type.value, "reserved prices derive from on-demand offers"
        )
    if not 0 <= discount < 1:
        raise InvalidRunError("discount", discount, "a discount is a fraction in [0, 1)")
    return offer.model_copy(
        update={
            "capacity_type": CapacityType.RESERVED,
            "usd_per_hour": offer.usd_per_hour * (1 - discount),
            "price_is_estimate": True,
            "notes": f"assumed {discount:.0%} 1-year commitment discount off on-demand (not a quoted price)",
        }
    )


def with_reserved(offers: tuple[Offer, ...], discount: float = RESERVED_1YR_DISCOUNT) -> tuple[Offer, ...]:
    """The offers plus a derived reserved offer per on-demand offer of a provider selling 1-year commitments."""
    derived = tuple(
        reserved_offer(offer, discount)
        for offer in offers
        if offer.capacity_type is CapacityType.ON_DEMAND and offer.provider in RESERVED_PROVIDERS
    )
    return offers + derived


def price_run(gpu_id: str, gpus: int, hours: float, offers: tuple[Offer, ...]) -> tuple[CostLine, ...]:
    """The run priced on every offer of `gpu_id`, cheapest first."""
    lines = (cost_for_offer(offer, gpus, hours) for offer in offers if offer.gpu_id == gpu_id)
    return tuple(sorted(lines, key=lambda line: (line.total_usd, line.provider, line.instance)))


def onprem_energy_usd_per_hour(tco: OnPremTCO) -> float:
    """Energy while running: watts / 1000 x PUE x usd_per_kwh."""
    return tco.watts / 1000 * tco.pue * tco.usd_per_kwh


def onprem_usd_per_hour(tco: OnPremTCO) -> float:
    """Owning cost per hour of use: purchase / (years x 8766 h x utilisation) + watts / 1000 x PUE x usd_per_kwh.

    Capital is spread over the hours the machine is actually used during its amortisation period (straight-line
    depreciation, no resale value, no cost of capital); energy is paid only while it runs.
    """
    capital = tco.purchase_usd / (tco.amortisation_years * HOURS_PER_YEAR * tco.utilisation)
    return capital + onprem_energy_usd_per_hour(tco)


def onprem_offer(tco: OnPremTCO, gpu_id: str, gpu_count: int = 1, name: str = "owned") -> Offer:
    """An offer for owned hardware (`gpu_count` GPUs bought for `tco.purchase_usd`), priced by `onprem_usd_per_hour`."""
    return Offer(
        provider="on-prem",
        instance=f"{name} ({gpu_count}x {gpu_id})",
        region=None,
        gpu_id=gpu_id,
        gpu_count=gpu_count,
        capacity_type=CapacityType.ON_PREM,
        usd_per_hour=onprem_usd_per_hour(tco),
        price_is_estimate=True,
        source="user-supplied TCO inputs",
        as_of=None,
        notes=(
            f"${tco.purchase_usd:,.0f} over {tco.amortisation_years:g} y at {tco.utilisation:.0%} utilisation"
            f" + {tco.watts:g} W x PUE {tco.pue:g} at ${tco.usd_per_kwh:g}/kWh"
        ),
    )


def break_even_hours(tco: OnPremTCO, gpu_count: int, offer: Offer) -> float | None:
    """Hours of use after which owning `gpu_count` GPUs costs less than renting the same GPUs on `offer`.

    purchase / (gpu_count x offer.usd_per_hour / offer.gpu_count - energy per hour); None when the cloud price per hour
    is at or below the energy cost alone (owning never pays off).
    """
    return break_even_hours_at(tco, gpu_count, offer.usd_per_hour / offer.gpu_count)


def break_even_hours_at(tco: OnPremTCO, gpu_count: int, cloud_usd_per_gpu_hour: float) -> float | None:
    """purchase / (gpu_count x cloud_usd_per_gpu_hour - energy per hour); None when owning never pays off."""
    margin = gpu_count * cloud_usd_per_gpu_hour - onprem_energy_usd_per_hour(tco)
    if margin <= 0:
        return None
    return tco.purchase_usd / margin


def cost_assumptions(discount: float = RESERVED_1YR_DISCOUNT) -> tuple[Assumption, ...]:
    """The defaults that shaped the cost lines."""
    return (
        Assumption(
            name="billing",
            value="whole instances, per hour of run time",
            why="GPUs are rented by the instance; 4 GPUs on an 8-GPU instance pay for 8. Per-minute billing and "
            "start-up, storage and egress are not included.",
        ),
        Assumption(
            name="reserved_discount",
            value=f"{discount:.0%}",
            why="1-year commitments typically save 30-40% on GPU instances; the low end is used. Not a quoted price.",
        ),
        Assumption(
            name="spot_prices",
            value="listed spot price, or on-demand less the AWS Spot Instance Advisor typical savings",
            why="spot prices move hourly; derived ones are flagged price_is_estimate and may predate price cuts. "
            "Interruptions (and the re-done work they cause) are not priced.",
        ),
    )
