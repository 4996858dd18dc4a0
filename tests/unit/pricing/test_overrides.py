from __future__ import annotations

import pytest
from pydantic import ValidationError

from monitor.adapters.pricing.overrides import OverrideSource, on_prem_usd_per_hour
from monitor.config.settings import OnPremNodeClass, PricingSettings, Settings
from monitor.core.domain.model import NodeIdentity
from tests.unit.pricing.fakes import FakeClock, must

DGX = OnPremNodeClass(
    name="dgx",
    selector={"hw": "dgx-h100"},
    purchase_usd=350_000,
    amortisation_years=4,
    watts=10_200,
    usd_per_kwh=0.12,
    pue=1.4,
)


def test_on_prem_tco_is_amortisation_plus_energy() -> None:
    # 350000 / (4 · 8766) = 9.98175; 10.2 kW · 1.4 · 0.12 = 1.7136
    assert on_prem_usd_per_hour(DGX) == pytest.approx(9.98175 + 1.7136, abs=1e-4)


def test_on_prem_class_selected_by_labels_wins() -> None:
    settings = PricingSettings(on_prem=[DGX], gpu_usd_per_hour={"H100-SXM": 2.0})
    source = OverrideSource(settings, FakeClock())
    node = NodeIdentity(node="dgx-1", provider="on-prem", gpu_model="H100-SXM", gpu_count=8, labels={"hw": "dgx-h100"})
    price = source.price(node)
    assert price is not None
    assert price.usd_per_hour == pytest.approx(11.6954, abs=1e-3)
    assert "dgx" in price.detail
    other = node.model_copy(update={"labels": {"hw": "other"}})
    assert must(source.price(other)).usd_per_hour == 16.0  # 8 × 2.0 per GPU-hour


def test_instance_override_and_explicit_zero() -> None:
    source = OverrideSource(PricingSettings(instance_usd_per_hour={"p5.48xlarge": 30.0, "g5.xlarge": 0.0}), FakeClock())
    p5 = NodeIdentity(node="a", provider="aws", instance_type="p5.48xlarge")
    assert must(source.price(p5)).usd_per_hour == 30.0
    assert must(source.price(p5.model_copy(update={"instance_type": "g5.xlarge"}))).usd_per_hour == 0.0
    assert source.price(p5.model_copy(update={"instance_type": "m5.large"})) is None


def test_monthly_looking_gpu_price_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"gpu_usd_per_hour\['H100-SXM'\] = 1800.*monthly"):
        PricingSettings(gpu_usd_per_hour={"H100-SXM": 1800.0})


def test_monthly_looking_instance_price_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"instance_usd_per_hour\['p5.48xlarge'\].*730"):
        PricingSettings(instance_usd_per_hour={"p5.48xlarge": 40_179.0})


def test_negative_price_is_rejected() -> None:
    with pytest.raises(ValidationError, match="cannot be negative"):
        PricingSettings(gpu_usd_per_hour={"T4": -1.0})


def test_field_named_monthly_is_rejected_with_a_fix() -> None:
    with pytest.raises(ValidationError, match=r"pricing.instance_usd_per_month: prices are per hour"):
        Settings(pricing={"instance_usd_per_month": {"p5.48xlarge": 40_000}})
