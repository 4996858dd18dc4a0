"""Azure prices from the public Retail Prices API (no auth): `$filter` on region, ARM SKU and Consumption rows,
following `NextPageLink`. Docs: learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import httpx

from monitor.adapters.pricing.errors import PricingApiError
from monitor.adapters.pricing.http import get_json
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price
from monitor.core.ports import Clock

API_VERSION = "2023-01-01-preview"
MAX_PAGES = 20  # one SKU in one region is a handful of rows; a longer chain means a loop or a filter ignored


def retail_filter(region: str, arm_sku: str) -> str:
    return (
        f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' and armSkuName eq '{arm_sku}' "
        "and priceType eq 'Consumption'"
    )


def _kind(item: dict[str, Any]) -> str:
    """ "spot" | "low-priority" | "regular" by the meter's suffix: spot meters end " Spot" (skuName "DS14 Spot",
    meterName "D14/DS14 Spot" in the docs' response example; karpenter-provider-azure pkg/providers/pricing/pricing.go
    categorizes by the " Spot" suffix), Azure Batch / legacy scale-set meters " Low Priority" (AKS spot pools are
    billed as Spot)."""
    names = (str(item.get("skuName", "")).strip(), str(item.get("meterName", "")).strip())
    if any(name.endswith(" Low Priority") for name in names):
        return "low-priority"
    return "spot" if any(name.endswith(" Spot") for name in names) else "regular"


def choose_row(items: Iterable[dict[str, Any]], spot: bool) -> dict[str, Any] | None:
    """The Linux hourly row of the wanted kind (`_kind`); Windows rows carry "Windows" in `productName`.
    Primary-meter-region rows win; zero prices are skipped."""
    wanted: list[dict[str, Any]] = []
    for item in items:
        kind = _kind(item)
        if "Windows" in str(item.get("productName", "")) or kind == "low-priority":
            continue
        if (kind == "spot") != spot or item.get("unitOfMeasure") != "1 Hour" or item.get("type") != "Consumption":
            continue
        if float(item.get("unitPrice") or item.get("retailPrice") or 0) <= 0:
            continue
        wanted.append(item)
    if not wanted:
        return None
    primary = [row for row in wanted if row.get("isPrimaryMeterRegion", False)] or wanted
    return max(primary, key=lambda row: str(row.get("effectiveStartDate", "")))  # the newest price in effect


class AzureRetailFetcher:
    """A `LiveFetcher` for AKS nodes (instance type = ARM SKU name, e.g. Standard_ND96isr_H100_v5)."""

    name = "azure"

    def __init__(self, client: httpx.Client, endpoint_url: str, clock: Clock) -> None:
        self._client = client
        self._url = endpoint_url
        self._clock = clock

    def applies_to(self, node: NodeIdentity) -> bool:
        return node.provider == "azure" and bool(node.instance_type) and bool(node.region)

    def fetch(self, node: NodeIdentity) -> Price | None:
        if not node.instance_type or not node.region:
            return None
        items = self._items(node.region, node.instance_type)
        spot = node.capacity_type == NodeCapacityType.SPOT
        try:
            row = choose_row(items, spot)
            if row is None:
                return None
            usd = float(row.get("unitPrice") or row.get("retailPrice") or 0)
        except (TypeError, ValueError, AttributeError) as error:
            raise PricingApiError(f"malformed Azure Retail Prices item: {error}") from error
        if str(row.get("currencyCode", "USD")) != "USD":
            raise PricingApiError(f"Azure Retail Prices answered in {row.get('currencyCode')}, expected USD")
        now = self._clock.now()
        return Price(
            usd_per_hour=usd,
            source="azure-retail",
            as_of=_date(str(row.get("effectiveStartDate", ""))) or now.date(),
            fetched_at=now,
            detail=f"{node.instance_type} {node.region} {row.get('skuName', '')} ({row.get('productName', '')})",
        )

    def _items(self, region: str, arm_sku: str) -> list[dict[str, Any]]:
        params: dict[str, str] | None = {"api-version": API_VERSION, "$filter": retail_filter(region, arm_sku)}
        url: str | None = self._url
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if not url:
                return items
            body = get_json(self._client, url, params)
            page = body.get("Items", [])
            if not isinstance(page, list):
                raise PricingApiError("malformed Azure Retail Prices page: Items is not a list")
            items.extend(row for row in page if isinstance(row, dict))
            url = body.get("NextPageLink") or None
            params = None  # NextPageLink already carries the filter and $skip
        raise PricingApiError(f"Azure Retail Prices paginated past {MAX_PAGES} pages for {arm_sku} in {region}")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
