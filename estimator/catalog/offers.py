"""The embedded, dated offer catalog: what one hour of a GPU instance costs, per provider and capacity type."""

from __future__ import annotations

from functools import cache

from estimator.catalog.china import china_offers
from estimator.catalog.gpus import gpu
from estimator.catalog.tables import load_table
from estimator.models import Offer


@cache
def all_offers() -> tuple[Offer, ...]:
    """Every embedded offer of data/offers.json (GPU instances only; what was left out is in its `_meta`) followed by
    the Azure spot rows of data/azure_spot_offers.json, each with source and date (read once, on first use).

    The Azure spot rows live in their own file because scripts/import_prices.py rewrites offers.json from a reference
    that carries no Azure spot figures; they come last so the rows of offers.json keep their order."""
    return load_table("offers.json", Offer) + load_table("azure_spot_offers.json", Offer)


@cache
def embedded_offers() -> tuple[Offer, ...]:
    """Everything the daemon's embedded price source and `trainspend prices` know: the US-cloud / GPU-cloud offers of
    `all_offers()` followed by the Alibaba Cloud and Tencent Cloud offers of `china_offers()` (CNY-native where the
    seller quotes CNY, with `usd_per_hour` converted at the dated rate the catalog names)."""
    return all_offers() + china_offers()


def offers_for_gpu(gpu_name: str, offers: tuple[Offer, ...] | None = None) -> tuple[Offer, ...]:
    """The offers (embedded by default) whose GPU is `gpu_name` (an id or alias; raises UnknownGPUError otherwise)."""
    gpu_id = gpu(gpu_name).id
    return tuple(offer for offer in (all_offers() if offers is None else offers) if offer.gpu_id == gpu_id)
