"""Assembles the price chain from settings: overrides → AWS → Azure → GCP (each cached) → catalog → price guess."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from estimator.models import Offer
from monitor.adapters.pricing.aws import AwsPricingFetcher
from monitor.adapters.pricing.aws_clients import AwsClients
from monitor.adapters.pricing.azure import AzureRetailFetcher
from monitor.adapters.pricing.cache import CachedSource, LiveFetcher
from monitor.adapters.pricing.chain import PriceChain
from monitor.adapters.pricing.embedded import EmbeddedCatalogSource
from monitor.adapters.pricing.fallback import PriceGuessSource
from monitor.adapters.pricing.gcp import GcpBillingFetcher
from monitor.adapters.pricing.overrides import OverrideSource
from monitor.config.settings import PricingSettings
from monitor.core.ports import Clock, LastGoodPrices, PriceSource


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
    return PriceChain(sources, PriceGuessSource(offers), discount_percent=settings.discount_percent)
