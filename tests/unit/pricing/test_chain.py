from __future__ import annotations

from datetime import date

import pytest

from estimator.models import CapacityType, Offer
from monitor.adapters.pricing.cache import CachedSource
from monitor.adapters.pricing.chain import PriceChain
from monitor.adapters.pricing.embedded import EmbeddedCatalogSource
from monitor.adapters.pricing.errors import PricingApiError
from monitor.adapters.pricing.fallback import TYPICAL_USD_PER_VCPU_HOUR, PriceGuessSource, median_usd_per_gpu_hour
from monitor.adapters.pricing.overrides import OverrideSource
from monitor.config.settings import PricingSettings
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price
from tests.unit.pricing.fakes import FakeClock, ScriptedFetcher


def _offer(instance: str, usd: float, gpu: str = "H100-SXM", count: int = 8, **kw: object) -> Offer:
    fields: dict[str, object] = {
        "provider": "aws",
        "instance": instance,
        "region": "us-east-1",
        "gpu_id": gpu,
        "gpu_count": count,
        "capacity_type": CapacityType.ON_DEMAND,
        "usd_per_hour": usd,
        "source": "test catalog",
        "as_of": date(2026, 7, 20),
    }
    fields.update(kw)
    return Offer.model_validate(fields)


OFFERS = (
    _offer("p5.48xlarge", 56.0),
    _offer("p5.48xlarge", 24.0, capacity_type=CapacityType.SPOT, price_is_estimate=True),
    _offer("p5.4xlarge", 7.0, count=1),
    _offer("h100x8", 36.0, provider="huggingface", region=None),
)
P5 = NodeIdentity(
    node="n1", provider="aws", region="us-east-1", instance_type="p5.48xlarge", gpu_model="H100-SXM", gpu_count=8
)


class _Broken:
    name = "broken"

    def price(self, node: NodeIdentity) -> Price | None:
        raise RuntimeError("bug in a source")


class _Zero:
    name = "zero-api"

    def price(self, node: NodeIdentity) -> Price | None:
        return Price(usd_per_hour=0.0, source=self.name, as_of=None)


def _chain(*sources: object, discount: float = 0.0) -> PriceChain:
    return PriceChain([*sources], PriceGuessSource(OFFERS), discount_percent=discount)  # type: ignore[list-item]


def test_catalog_answers_with_its_date_and_source() -> None:
    price = _chain(EmbeddedCatalogSource(OFFERS)).price(P5)
    assert (price.usd_per_hour, price.source, price.as_of, price.estimated) == (
        56.0,
        "catalog",
        date(2026, 7, 20),
        False,
    )


def test_catalog_spot_offer_for_spot_node_keeps_its_estimate_flag() -> None:
    spot = P5.model_copy(update={"capacity_type": NodeCapacityType.SPOT})
    price = _chain(EmbeddedCatalogSource(OFFERS)).price(spot)
    assert (price.usd_per_hour, price.estimated) == (24.0, True)


def test_catalog_price_of_another_region_is_flagged_estimated() -> None:
    price = _chain(EmbeddedCatalogSource(OFFERS)).price(P5.model_copy(update={"region": "eu-west-1"}))
    assert (price.usd_per_hour, price.estimated) == (56.0, True)
    assert "us-east-1, not eu-west-1" in price.detail


def test_override_wins_over_live_and_catalog() -> None:
    clock = FakeClock()
    overrides = OverrideSource(PricingSettings(instance_usd_per_hour={"p5.48xlarge": 40.0}), clock)
    live = CachedSource(ScriptedFetcher(clock, [50.0]), clock, ttl_seconds=60, stale_after_seconds=600)
    price = _chain(overrides, live, EmbeddedCatalogSource(OFFERS)).price(P5)
    assert (price.usd_per_hour, price.source) == (40.0, "override")


def test_live_answer_comes_before_catalog_and_falls_through_on_error() -> None:
    clock = FakeClock()
    live = CachedSource(ScriptedFetcher(clock, [PricingApiError("HTTP 503")]), clock, 60, 600)
    price = _chain(live, EmbeddedCatalogSource(OFFERS)).price(P5)
    assert price.source == "catalog"


def test_broken_and_zero_sources_are_skipped_not_fatal() -> None:
    price = _chain(_Broken(), _Zero(), EmbeddedCatalogSource(OFFERS)).price(P5)
    assert (price.usd_per_hour, price.source) == (56.0, "catalog")


def test_discount_applies_to_list_prices_not_to_spot_or_overrides() -> None:
    chain = _chain(
        OverrideSource(PricingSettings(instance_usd_per_hour={"p5.4xlarge": 5.0}), FakeClock()),
        EmbeddedCatalogSource(OFFERS),
        discount=25,
    )
    assert chain.price(P5).usd_per_hour == pytest.approx(42.0)
    assert chain.price(P5.model_copy(update={"capacity_type": NodeCapacityType.SPOT})).usd_per_hour == 24.0
    assert chain.price(P5.model_copy(update={"instance_type": "p5.4xlarge"})).usd_per_hour == 5.0


def test_fallback_uses_median_per_gpu_price_of_the_model() -> None:
    # per-GPU on-demand: 56/8 = 7.0, 7/1 = 7.0, 36/8 = 4.5 → median 7.0
    assert median_usd_per_gpu_hour(OFFERS, "H100-SXM") == pytest.approx(7.0)
    node = NodeIdentity(node="x", provider="on-prem", gpu_model="H100-SXM", gpu_count=2)
    price = _chain(EmbeddedCatalogSource(OFFERS)).price(node)
    assert (price.usd_per_hour, price.source, price.estimated) == (14.0, "estimate", True)


def test_cpu_only_unknown_node_is_priced_per_vcpu_and_empty_node_is_visibly_unpriced() -> None:
    chain = _chain(EmbeddedCatalogSource(OFFERS))
    cpu = chain.price(NodeIdentity(node="c", provider="aws", instance_type="m5.xlarge", cpu_cores=4))
    assert cpu.usd_per_hour == pytest.approx(4 * TYPICAL_USD_PER_VCPU_HOUR)
    assert cpu.estimated
    empty = chain.price(NodeIdentity(node="v", provider="unknown"))
    assert (empty.usd_per_hour, empty.source, empty.estimated) == (0.0, "unpriced", True)
