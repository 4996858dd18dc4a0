"""Cost per offer, reserved prices and on-prem TCO."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.cost import (
    HOURS_PER_YEAR,
    break_even_hours,
    cost_for_offer,
    instances_needed,
    onprem_offer,
    onprem_usd_per_hour,
    price_run,
    reserved_offer,
    with_reserved,
)
from estimator.errors import InvalidRunError
from estimator.models import CapacityType, Offer, OnPremTCO


def _offer(usd: float = 32.0, gpus: int = 8, provider: str = "aws", capacity: CapacityType = CapacityType.ON_DEMAND):
    return Offer(
        provider=provider,
        instance=f"{provider}-{gpus}x",
        region="us-east-1",
        gpu_id="A100-SXM-80GB",
        gpu_count=gpus,
        capacity_type=capacity,
        usd_per_hour=usd,
        source="test",
        as_of=date(2026, 1, 1),
    )


@pytest.mark.parametrize(("gpus", "per_instance", "expected"), [(1, 8, 1), (8, 8, 1), (9, 8, 2), (16, 8, 2), (3, 1, 3)])
def test_instances_needed_rounds_up(gpus: int, per_instance: int, expected: int) -> None:
    assert instances_needed(gpus, per_instance) == expected


def test_partly_used_instance_is_billed_whole() -> None:
    line = cost_for_offer(_offer(usd=32.0, gpus=8), gpus=4, hours=10)
    assert line.instances == 1
    assert line.gpus_billed == 8
    assert line.total_usd == pytest.approx(320.0)
    assert line.price_as_of == date(2026, 1, 1)


def test_two_instances_cost_twice() -> None:
    line = cost_for_offer(_offer(usd=32.0, gpus=8), gpus=16, hours=2.5)
    assert line.usd_per_hour == pytest.approx(64.0)
    assert line.total_usd == pytest.approx(160.0)


@given(hours=st.floats(min_value=0.1, max_value=1e5), factor=st.floats(min_value=1.0, max_value=100.0))
def test_cost_is_linear_in_hours(hours: float, factor: float) -> None:
    offer = _offer()
    base = cost_for_offer(offer, 8, hours).total_usd
    assert cost_for_offer(offer, 8, hours * factor).total_usd == pytest.approx(base * factor)


def test_negative_hours_are_rejected_with_the_field_named() -> None:
    with pytest.raises(InvalidRunError) as info:
        cost_for_offer(_offer(), 8, -1)
    assert info.value.field == "hours"


def test_reserved_is_a_labelled_discount_of_on_demand() -> None:
    reserved = reserved_offer(_offer(usd=10.0), discount=0.3)
    assert reserved.capacity_type is CapacityType.RESERVED
    assert reserved.usd_per_hour == pytest.approx(7.0)
    assert reserved.price_is_estimate
    assert "30%" in reserved.notes


def test_reserved_refuses_a_spot_offer() -> None:
    with pytest.raises(InvalidRunError):
        reserved_offer(_offer(capacity=CapacityType.SPOT))


def test_with_reserved_adds_only_for_commitment_providers() -> None:
    offers = (
        _offer(provider="aws"),
        _offer(provider="huggingface"),
        _offer(provider="aws", capacity=CapacityType.SPOT),
    )
    added = with_reserved(offers)[len(offers) :]
    assert [(o.provider, o.capacity_type) for o in added] == [("aws", CapacityType.RESERVED)]


def test_price_run_is_sorted_and_filtered_by_gpu() -> None:
    other = _offer(usd=1.0).model_copy(update={"gpu_id": "H100-SXM"})
    lines = price_run("A100-SXM-80GB", 8, 10, (_offer(usd=40.0), _offer(usd=20.0, provider="gcp"), other))
    assert [line.provider for line in lines] == ["gcp", "aws"]


def test_onprem_hourly_formula() -> None:
    tco = OnPremTCO(purchase_usd=30_000, amortisation_years=3, watts=700, usd_per_kwh=0.2, pue=1.5, utilisation=0.5)
    capital = 30_000 / (3 * HOURS_PER_YEAR * 0.5)
    energy = 0.7 * 1.5 * 0.2
    assert onprem_usd_per_hour(tco) == pytest.approx(capital + energy)
    offer = onprem_offer(tco, "H100-SXM")
    assert offer.capacity_type is CapacityType.ON_PREM
    assert offer.usd_per_hour == pytest.approx(capital + energy)


def test_break_even_hours() -> None:
    tco = OnPremTCO(purchase_usd=10_000, watts=1000, usd_per_kwh=0.1)  # energy 0.10 $/h
    cloud = _offer(usd=8.0 * 2.1, gpus=8)  # 2.10 $/GPU-hour
    assert break_even_hours(tco, 1, cloud) == pytest.approx(10_000 / 2.0)
    # Cheaper-than-electricity cloud: owning never pays off.
    assert break_even_hours(tco, 1, _offer(usd=0.4, gpus=8)) is None
