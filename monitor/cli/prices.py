"""`trainspend prices`: what the embedded catalog says, or (`--live`) what the price chain answers for one node."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.offers import all_offers
from estimator.errors import UnknownGPUError
from estimator.models import Offer
from monitor.domain.model import CapacityType, NodeIdentity, Price
from monitor.pricing.factory import build_price_chain
from monitor.pricing.gpus import normalise_gpu
from monitor.pricing.instance_gpus import INSTANCE_GPUS
from monitor.settings import Settings

_LIVE_FLAGS = {"aws": "aws_enabled", "azure": "azure_enabled", "gcp": "gcp_enabled"}


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def register(app: typer.Typer) -> None:
    app.command("prices")(prices)


def prices(
    provider: Annotated[str | None, typer.Option(help="aws | gcp | azure | huggingface | lambda | ...")] = None,
    region: Annotated[str | None, typer.Option(help="e.g. us-east-1, us-central1, eastus")] = None,
    instance_type: Annotated[str | None, typer.Option(help="e.g. p5.48xlarge, a3-highgpu-8g")] = None,
    gpu: Annotated[str | None, typer.Option(help="GPU id or alias, e.g. H100-SXM, A100")] = None,
    capacity_type: Annotated[str | None, typer.Option(help="on-demand | spot | reserved")] = None,
    live: Annotated[bool, typer.Option("--live", help="ask the cloud pricing APIs (normal credential chain)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="stable JSON output for scripts")] = False,
) -> None:
    """List the embedded dated price catalog (filtered), or price one instance through the live chain."""
    capacity = _capacity(capacity_type)
    gpu_id = _gpu_id(gpu) if gpu else None
    if live:
        _live(provider, region, instance_type, gpu_id, capacity, as_json)
        return
    offers = [
        o
        for o in all_offers()
        if (provider is None or o.provider == provider.lower())
        and (region is None or o.region == region)
        and (instance_type is None or o.instance.lower() == instance_type.lower())
        and (gpu_id is None or o.gpu_id == gpu_id)
        and (capacity is None or str(o.capacity_type) == str(capacity))
    ]
    if not offers:
        typer.echo("no catalog offer matches these filters; try fewer filters or --live", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps([_offer_json(o) for o in offers], indent=2))
        return
    Console().print(_offers_table(offers))


def _capacity(value: str | None) -> CapacityType | None:
    if value is None:
        return None
    try:
        return CapacityType(value.lower())
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


def _live(
    provider: str | None,
    region: str | None,
    instance_type: str | None,
    gpu_id: str | None,
    capacity: CapacityType | None,
    as_json: bool,
) -> None:
    if not provider or not region or not instance_type:
        raise typer.BadParameter("--live needs --provider, --region and --instance-type", param_hint="--live")
    settings = Settings()
    flag = _LIVE_FLAGS.get(provider.lower())
    pricing = settings.pricing.model_copy(update={flag: True}) if flag else settings.pricing
    table_gpu = INSTANCE_GPUS.get(instance_type)
    identity = NodeIdentity(
        node=f"{provider}/{region}/{instance_type}",
        provider=provider.lower(),
        region=region,
        instance_type=instance_type,
        capacity_type=capacity or CapacityType.ON_DEMAND,
        gpu_model=gpu_id or (table_gpu[0] if table_gpu else None),
        gpu_count=table_gpu[1] if table_gpu else (1 if gpu_id else 0),
    )
    chain = build_price_chain(pricing, _SystemClock(), all_offers())
    price = chain.price(identity)
    if as_json:
        typer.echo(json.dumps({"node": identity.model_dump(mode="json"), "price": _price_json(price)}, indent=2))
        return
    Console().print(_price_table(identity, price))


def _offer_json(offer: Offer) -> dict[str, Any]:
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
    }


def _price_json(price: Price) -> dict[str, Any]:
    return price.model_dump(mode="json")


def _offers_table(offers: list[Offer]) -> Table:
    table = Table(title=f"Embedded price catalog ({len(offers)} offers, USD per hour, list prices)")
    for column in ("provider", "instance", "region", "GPU", "×", "capacity", "$/h", "$/GPU-h", "as of"):
        table.add_column(column, justify="right" if column in ("×", "$/h", "$/GPU-h") else "left")
    for o in offers:
        per_gpu = f"{o.usd_per_hour / o.gpu_count:.3f}" if o.gpu_count else "-"
        mark = " ~" if o.price_is_estimate else ""
        table.add_row(
            o.provider,
            o.instance,
            o.region or "-",
            o.gpu_id or "-",
            str(o.gpu_count),
            str(o.capacity_type),
            f"{o.usd_per_hour:.3f}{mark}",
            per_gpu,
            o.as_of.isoformat() if o.as_of else "undated",
        )
    table.caption = "~ = estimated (e.g. spot from typical savings); prices change: check the date"
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
