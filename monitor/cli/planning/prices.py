"""`trainspend prices`: what the embedded catalog says, or (`--live`) what the price chain answers for one node.

The catalog listed is the daemon's (`embedded_offers()`: US and GPU clouds plus Alibaba Cloud and Tencent Cloud).
`--currency CNY` shows every price in yuan: CNY-native prices exactly, the others converted at the dated rate shown.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.offers import embedded_offers
from estimator.currency import (
    Currency,
    ExchangeRate,
    cfets_rate,
    custom_rate,
    offer_hourly,
    parse_currency,
    rate_assumption,
)
from estimator.errors import EstimatorError, UnknownGPUError
from estimator.models import Offer
from monitor.adapters.pricing.embedded import EmbeddedCatalogSource
from monitor.adapters.pricing.factory import build_price_chain
from monitor.adapters.pricing.fallback import PriceGuessSource
from monitor.adapters.pricing.instance_gpus import INSTANCE_GPUS
from monitor.cli.inputs import checked_providers, fail
from monitor.cli.planning.cost_table import money_table
from monitor.config.settings import Settings
from monitor.core.domain.gpu_names import normalise_gpu
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price

_PER_GPU_MIN_WIDTH = 100
_LIVE_FLAGS = {"aws": "aws_enabled", "azure": "azure_enabled", "gcp": "gcp_enabled"}
# Where the chain answers from when no live API did: the embedded catalog, then the GPU-count estimate.
_FALLBACK_SOURCES = (EmbeddedCatalogSource.name, PriceGuessSource.name)


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def register(app: typer.Typer) -> None:
    app.command("prices")(prices)


def prices(
    provider: Annotated[
        str | None, typer.Option(help="aws | gcp | azure | aliyun | tencent | huggingface | lambda | ...")
    ] = None,
    region: Annotated[str | None, typer.Option(help="e.g. us-east-1, us-central1, eastus")] = None,
    instance_type: Annotated[str | None, typer.Option(help="e.g. p5.48xlarge, a3-highgpu-8g")] = None,
    gpu: Annotated[str | None, typer.Option(help="GPU id or alias, e.g. H100-SXM, A100")] = None,
    capacity_type: Annotated[str | None, typer.Option(help="on-demand | spot | reserved")] = None,
    live: Annotated[bool, typer.Option("--live", help="ask the cloud pricing APIs (normal credential chain)")] = False,
    currency: Annotated[str, typer.Option("--currency", help="USD or CNY (CNY-native prices shown exactly)")] = "USD",
    cny_per_usd: Annotated[
        float | None, typer.Option("--cny-per-usd", help="exchange rate instead of the dated CFETS default")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="stable JSON output for scripts")] = False,
) -> None:
    """List the embedded dated price catalog (filtered), or price one instance through the live chain."""
    capacity = _capacity(capacity_type)
    gpu_id = _gpu_id(gpu) if gpu else None
    known = [o.provider for o in embedded_offers()]
    wanted_provider = None
    if provider is not None:
        wanted_provider = (checked_providers([provider], known) or [provider])[0]
    if live:
        _live(wanted_provider, region, instance_type, gpu_id, capacity, as_json)
        return
    shown, rate = _currency(currency, cny_per_usd)
    offers = [
        o
        for o in embedded_offers()
        if (wanted_provider is None or o.provider == wanted_provider)
        and (region is None or o.region == region)
        and (instance_type is None or o.instance.lower() == instance_type.lower())
        and (gpu_id is None or o.gpu_id == gpu_id)
        and (capacity is None or str(o.capacity_type) == str(capacity))
    ]
    if not offers:
        typer.echo("no catalog offer matches these filters; try fewer filters or --live", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps([_offer_json(o, shown, rate) for o in offers], indent=2))
        return
    console = Console()
    console.print(_offers_table(offers, shown, rate, console.width))


def _currency(currency: str, cny_per_usd: float | None) -> tuple[Currency, ExchangeRate]:
    try:
        return parse_currency(currency), custom_rate(cny_per_usd) if cny_per_usd is not None else cfets_rate()
    except EstimatorError as error:
        raise typer.BadParameter(str(error), param_hint="--currency / --cny-per-usd") from None


def _capacity(value: str | None) -> NodeCapacityType | None:
    if value is None:
        return None
    try:
        return NodeCapacityType(value.lower())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a capacity type; use on-demand, spot or reserved", param_hint="--capacity-type"
        ) from None


def _gpu_id(name: str) -> str:
    try:
        return catalog_gpu(name).id
    except UnknownGPUError as error:
        normalised = normalise_gpu(name)
        if normalised is None:
            raise typer.BadParameter(f"{error}; e.g. H100-SXM, A100-SXM-80GB, L4", param_hint="--gpu") from None
        return normalised


def _catalog_region(provider: str, instance_type: str) -> str:
    """The region the embedded catalog prices `instance_type` in (the first, when it lists several)."""
    regions = sorted(
        o.region
        for o in embedded_offers()
        if o.region and o.provider == provider and o.instance.lower() == instance_type.lower()
    )
    if not regions:
        fail(f"--live --instance-type {instance_type}: not in the {provider} catalog, no default region; give --region")
    return regions[0]


def _live(
    provider: str | None,
    region: str | None,
    instance_type: str | None,
    gpu_id: str | None,
    capacity: NodeCapacityType | None,
    as_json: bool,
) -> None:
    if not provider or not instance_type:
        fail("--live prices one node: give --provider and --instance-type (and --region, else the catalog's)")
    if not region:
        region = _catalog_region(provider, instance_type)
        typer.echo(f"note: no --region: pricing {instance_type} in {region}, the catalog's region for it", err=True)
    settings = Settings()
    flag = _LIVE_FLAGS.get(provider.lower())
    pricing = settings.pricing.model_copy(update={flag: True}) if flag else settings.pricing
    table_gpu = INSTANCE_GPUS.get(instance_type)
    identity = NodeIdentity(
        node=f"{provider}/{region}/{instance_type}",
        provider=provider.lower(),
        region=region,
        instance_type=instance_type,
        capacity_type=capacity or NodeCapacityType.ON_DEMAND,
        gpu_model=gpu_id or (table_gpu[0] if table_gpu else None),
        gpu_count=table_gpu[1] if table_gpu else (1 if gpu_id else 0),
    )
    no_gcp_key = provider.lower() == "gcp" and pricing.gcp_api_key is None
    if no_gcp_key:
        typer.echo(
            "note: no GCP API key (pricing.gcp_api_key / TRAINSPEND_PRICING__GCP_API_KEY): the Cloud Billing Catalog"
            " is not consulted; the answer comes from the embedded catalog",
            err=True,
        )
    chain = build_price_chain(pricing, _SystemClock(), embedded_offers())
    # The chain logs an API failure as a warning and moves on; here the note below says it in one line instead.
    pricing_log = logging.getLogger("monitor.adapters.pricing")
    level = pricing_log.level
    pricing_log.setLevel(logging.ERROR)
    try:
        price = chain.price(identity)
    finally:
        pricing_log.setLevel(level)
    if flag and not no_gcp_key and price.source in _FALLBACK_SOURCES:  # (without a key the note above said it)
        why = "; ".join(f"{name}: {error}" for name, error in chain.last_errors().items()) or "it had no price for it"
        as_of = price.as_of.isoformat() if price.as_of else "undated"
        typer.echo(f"note: --live: the {provider} pricing API gave no answer ({why}); this is the fallback, the "
                   f"{price.source} price (as of {as_of})", err=True)  # fmt: skip
    if as_json:
        typer.echo(json.dumps({"node": identity.model_dump(mode="json"), "price": _price_json(price)}, indent=2))
        return
    Console().print(_price_table(identity, price))


def _offer_json(offer: Offer, shown: Currency, rate: ExchangeRate) -> dict[str, Any]:
    """Stable keys: the USD figures, then the price in the chosen `currency` and the seller's native quote."""
    hourly = offer_hourly(offer, shown, rate)
    return {
        "provider": offer.provider,
        "instance": offer.instance,
        "region": offer.region,
        "gpu": offer.gpu_id,
        "gpu_count": offer.gpu_count,
        "capacity_type": str(offer.capacity_type),
        "usd_per_hour": offer.usd_per_hour,
        "usd_per_gpu_hour": offer.usd_per_hour / offer.gpu_count if offer.gpu_count else None,
        "estimated": offer.price_is_estimate,
        "as_of": offer.as_of.isoformat() if offer.as_of else None,
        "source": offer.source,
        "currency": shown.value,
        "price_per_hour": hourly.amount,
        "price_per_gpu_hour": hourly.amount / offer.gpu_count if offer.gpu_count else None,
        "native_currency": offer.currency,
        "native_price_per_hour": offer.native_price_per_hour,
        "exchange_rate": _rate_json(rate) if offer.currency != shown.value else None,
    }


def _rate_json(rate: ExchangeRate) -> dict[str, Any]:
    return {
        "quote_per_base": rate.quote_per_base,
        "pair": f"{rate.base.value}/{rate.quote.value}",
        "as_of": rate.as_of.isoformat() if rate.as_of else None,
        "source": rate.source,
    }


def _price_json(price: Price) -> dict[str, Any]:
    return price.model_dump(mode="json")


def _offers_table(offers: list[Offer], shown: Currency, rate: ExchangeRate, width: int) -> Table:
    """Readable at 80 columns: names fold onto a second line, numbers and dates never do, and below 100 columns the
    per-GPU price (in --json too) gives its room to the names."""
    per_gpu_column = width >= _PER_GPU_MIN_WIDTH
    symbol = "$" if shown is Currency.USD else "¥"
    table = money_table(f"Embedded price catalog ({len(offers)} offers, {shown.value} per hour, list prices)")
    table.add_column("offer", overflow="fold", ratio=2)
    table.add_column("region", overflow="fold", ratio=1)
    table.add_column("GPUs", no_wrap=True)
    table.add_column(f"{symbol}/h", justify="right", no_wrap=True)
    if per_gpu_column:
        table.add_column(f"{symbol}/GPU-h", justify="right", no_wrap=True)
    table.add_column("as of", no_wrap=True)
    converted = False
    for o in offers:
        hourly = offer_hourly(o, shown, rate).amount
        native = o.currency == shown.value and o.native_price_per_hour is not None
        converted = converted or (o.currency != shown.value)
        per_gpu = f"{hourly / o.gpu_count:.{4 if native else 3}f}" if o.gpu_count else "-"
        mark = "~" if o.price_is_estimate else " "
        table.add_row(
            f"{o.provider} {o.instance} {o.capacity_type}",
            o.region or "-",
            f"{o.gpu_count}x {o.gpu_id or '?'}",
            (f"{hourly}" if native else f"{hourly:.3f}") + mark,  # a native quote exactly as the seller publishes it
            *([per_gpu] if per_gpu_column else []),
            o.as_of.isoformat() if o.as_of else "undated",
        )
    caption = "~ = estimated (e.g. spot from typical savings); prices change: check the date"
    if not per_gpu_column:
        caption += f"; per-GPU prices at {_PER_GPU_MIN_WIDTH}+ columns or in --json"
    if converted:
        assumption = rate_assumption(rate, Currency.CNY)
        caption += f"; prices not quoted in {shown.value} converted at {assumption.value}"
    table.caption = caption
    table.caption_justify = "left"
    return table


def _price_table(identity: NodeIdentity, price: Price) -> Table:
    table = Table(title=f"{identity.provider} {identity.instance_type} in {identity.region} ({identity.capacity_type})")
    table.add_column("field")
    table.add_column("value")
    rows = {
        "USD per hour": f"{price.usd_per_hour:.4f}",
        "source": price.source,
        "as of": price.as_of.isoformat() if price.as_of else "undated",
        "fetched at": price.fetched_at.isoformat() if price.fetched_at else "-",
        "estimated": "yes" if price.estimated else "no",
        "stale": "yes" if price.stale else "no",
        "detail": price.detail,
    }
    for key, value in rows.items():
        table.add_row(key, value)
    return table
