"""Alibaba Cloud ECS and Tencent Cloud CVM GPU offers: the embedded, dated catalog (prices natively in CNY).

Live pricing: neither cloud publishes an unauthenticated price-list API like AWS's Price List or Azure's Retail Prices.
Alibaba Cloud's `DescribePrice` (ECS OpenAPI) and Tencent Cloud's `InquiryPriceRunInstances` (CVM API) quote prices but
need an account's signed credentials, so the embedded catalog is the default path and stays the fallback.
"""

from __future__ import annotations

from functools import cache

from estimator.catalog.gpus import gpu
from estimator.catalog.providers import ALIBABA, TENCENT, provider_alias
from estimator.catalog.tables import load_table
from estimator.errors import EstimatorError
from estimator.models import Offer

CHINA_PROVIDERS = (ALIBABA, TENCENT)


@cache
def china_offers() -> tuple[Offer, ...]:
    """Every embedded Alibaba Cloud and Tencent Cloud GPU offer of data/china_offers.json (read once, on first use)."""
    return load_table("china_offers.json", Offer)


def china_provider(name: str) -> str:
    """The catalog provider id for `name` ("Alibaba Cloud", "qcloud"...); an EstimatorError listing them otherwise."""
    found = provider_alias(name)
    if found is None:
        raise EstimatorError("provider", name, f"China clouds in the catalog: {', '.join(CHINA_PROVIDERS)}")
    return found


def china_offers_for(
    provider: str | None = None, gpu_name: str | None = None, region: str | None = None
) -> tuple[Offer, ...]:
    """The embedded China-cloud offers, narrowed to a provider, a GPU (id or alias) and a region where given."""
    wanted_provider = china_provider(provider) if provider is not None else None
    wanted_gpu = gpu(gpu_name).id if gpu_name is not None else None
    return tuple(
        offer
        for offer in china_offers()
        if (wanted_provider is None or offer.provider == wanted_provider)
        and (wanted_gpu is None or offer.gpu_id == wanted_gpu)
        and (region is None or offer.region == region)
    )


def cheapest_per_gpu_hour(offers: tuple[Offer, ...]) -> Offer:
    """The offer with the lowest price per GPU-hour (native currency when all offers share it, else USD)."""
    if not offers:
        raise EstimatorError("offers", "()", "no offer matched; widen the provider, GPU or region filter")
    currencies = {offer.currency for offer in offers}
    if len(currencies) == 1 and all(offer.native_price_per_hour is not None for offer in offers):
        return min(offers, key=lambda o: (o.native_price_per_hour or 0.0) / o.gpu_count)
    return min(offers, key=lambda o: o.usd_per_hour / o.gpu_count)
