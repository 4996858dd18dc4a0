"""Assembles the price chain from settings: overrides → AWS → Azure → GCP (each cached) → catalog → estimate."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from estimator.models import Offer
from monitor.ports import Clock, LastGoodPrices, PriceSource
from monitor.pricing.aws import AwsPricingFetcher
from monitor.pricing.aws_clients import AwsClients
from monitor.pricing.azure import AzureRetailFetcher
from monitor.pricing.cache import CachedSource, LiveFetcher
from monitor.pricing.chain import PriceChain
from monitor.pricing.embedded import EmbeddedCatalogSource
from monitor.pricing.fallback import FallbackSource
from monitor.pricing.gcp import GcpBillingFetcher
from monitor.pricing.overrides import OverrideSource
from monitor.settings import PricingSettings


def live_fetchers(settings: PricingSettings, clock: Clock, http: httpx.Client) -> list[LiveFetcher]:
    """The cloud APIs that settings enable, in chain order."""
    fetchers: list[LiveFetcher] = []
    if settings.aws_enabled:
        clients = AwsClients(settings)
        fetchers.append(AwsPricingFetcher(clients.pricing, clients.ec2, clock))
    if settings.azure_enabled:
        fetchers.append(AzureRetailFetcher(http, settings.azure_endpoint_url, clock))
    if settings.gcp_enabled and settings.gcp_api_key is not None:
        fetchers.append(
            GcpBillingFetcher(
                http,
                settings.gcp_endpoint_url,
                settings.gcp_api_key.get_secret_value(),
                clock,
                catalog_ttl_seconds=settings.cache_ttl_seconds,
            )
        )
    return fetchers


def build_price_chain(
    settings: PricingSettings,
    clock: Clock,
    offers: Sequence[Offer],
    http: httpx.Client | None = None,
    memory: LastGoodPrices | None = None,
) -> PriceChain:
    """`offers` is the embedded catalog (`estimator.catalog.offers.embedded_offers()` at the composition root).
    `http` is shared by the Azure and GCP fetchers; one with the settings' timeout is made when not given.
    `memory` keeps each live API's last good prices across restarts (the store)."""
    client = http or httpx.Client(timeout=settings.request_timeout_seconds)
    sources: list[PriceSource] = [OverrideSource(settings, clock)]
    for fetcher in live_fetchers(settings, clock, client):
        sources.append(
            CachedSource(
                fetcher,
                clock,
                ttl_seconds=settings.cache_ttl_seconds,
                stale_after_seconds=settings.stale_after_seconds,
                backoff_initial_seconds=min(30.0, settings.cache_ttl_seconds),
                backoff_max_seconds=settings.cache_ttl_seconds,
                memory=memory,
            )
        )
    sources.append(EmbeddedCatalogSource(offers))
    return PriceChain(sources, FallbackSource(offers), discount_percent=settings.discount_percent)
