"""GCP prices from the Cloud Billing Catalog API (API key): a machine is billed by component SKUs.

usd/h = vCPUs · core SKU + memory GiB · RAM SKU + GPUs · GPU SKU + bundled local SSD GiB · SSD SKU / 730 h
(cloud.google.com/compute/vm-instance-pricing: accelerator-optimized VMs are billed per vCPU, per GiB and per GPU;
local SSD is priced per GiB-month, 730 h a month). Spot VMs use the "Spot Preemptible …" SKUs (usageType Preemptible).
SKU list: GET {base}/services/6F81-5844-456A/skus (Compute Engine), paginated by nextPageToken.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from monitor.adapters.pricing.errors import PricingApiError
from monitor.adapters.pricing.gcp_machines import MachineShape, machine_shape
from monitor.adapters.pricing.http import get_json
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price
from monitor.core.ports import Clock

COMPUTE_ENGINE_SERVICE = "6F81-5844-456A"
HOURS_PER_MONTH = 730.0  # GCP's monthly-to-hourly convention for per-month SKUs
MAX_PAGES = 200

# How each GPU id appears in SKU descriptions ("Nvidia Tesla T4 GPU running in Americas", "Nvidia H100 80GB GPU ...").
_GPU_SKU_NAMES = {
    "T4": "t4",
    "V100-SXM2-16GB": "v100",
    "P100": "p100",
    "P4": "p4",
    "A100-SXM-40GB": "a100",
    "A100-SXM-80GB": "a100 80gb",
    "H100-SXM": "h100 80gb",
    "L4": "l4",
}


def sku_unit_usd(sku: dict[str, Any]) -> tuple[float, date | None]:
    """(USD per usage unit, effective date) of a SKU's latest pricingInfo: the first tier's units + nanos·1e-9,
    converted to per hour when the unit is per month (GiBy.mo)."""
    try:
        info = sku["pricingInfo"][-1]
        expression = info["pricingExpression"]
        rate = expression["tieredRates"][-1]["unitPrice"]
        usd = int(rate.get("units") or 0) + int(rate.get("nanos") or 0) / 1e9
        unit = str(expression.get("usageUnit", "h"))
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise PricingApiError(f"malformed Cloud Billing SKU {sku.get('skuId', '?')}: {error}") from error
    if unit.endswith(".mo"):
        usd /= HOURS_PER_MONTH
    effective = str(info.get("effectiveTime", ""))[:10]
    try:
        return usd, date.fromisoformat(effective)
    except ValueError:
        return usd, None


class GcpBillingFetcher:
    """A `LiveFetcher` for GKE nodes. Holds the downloaded SKU list for `catalog_ttl_seconds`."""

    name = "gcp"

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        api_key: str,
        clock: Clock,
        catalog_ttl_seconds: float = 3600.0,
    ) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._clock = clock
        self._catalog_ttl = timedelta(seconds=catalog_ttl_seconds)
        self._skus: list[dict[str, Any]] = []
        self._skus_at: datetime | None = None

    def applies_to(self, node: NodeIdentity) -> bool:
        return (
            node.provider == "gcp"
            and bool(node.region)
            and node.instance_type is not None
            and machine_shape(node.instance_type) is not None
        )

    def fetch(self, node: NodeIdentity) -> Price | None:
        shape = machine_shape(node.instance_type or "")
        if shape is None or not node.region:
            return None
        spot = node.capacity_type == NodeCapacityType.SPOT
        skus = [s for s in self._catalog() if node.region in s.get("serviceRegions", [])]
        gpus = shape.gpus or node.gpu_count
        parts: list[tuple[str, float, str]] = [
            ("core", shape.vcpus, rf"{_family(shape)} instance core running in"),
            ("ram", shape.memory_gib, rf"{_family(shape)} instance ram running in"),
        ]
        if gpus:
            gpu_name = _GPU_SKU_NAMES.get(node.gpu_model or "")
            if gpu_name is None:
                return None  # a GPU we cannot find in the SKU list: let the catalog price this node
            parts.append(("gpu", gpus, rf"nvidia (tesla )?{re.escape(gpu_name)} gpu running in"))
        if shape.local_ssd_gib:
            parts.append(("local ssd", shape.local_ssd_gib, r"ssd backed local storage"))
        total_usd = 0.0
        dates: list[date] = []
        for _label, quantity, pattern in parts:
            found = _find_sku(skus, pattern, spot)
            if found is None:
                return None  # an incomplete sum would under-price the node
            unit_usd, effective = sku_unit_usd(found)
            total_usd += quantity * unit_usd
            if effective is not None:
                dates.append(effective)
        now = self._clock.now()
        return Price(
            usd_per_hour=total_usd,
            source="gcp-billing",
            as_of=max(dates) if dates else now.date(),
            fetched_at=now,
            detail=f"{node.instance_type} {node.region} {'spot' if spot else 'on-demand'}: "
            + " + ".join(f"{q:g} {label}" for label, q, _ in parts),
        )

    def _catalog(self) -> list[dict[str, Any]]:
        now = self._clock.now()
        if self._skus_at is not None and now - self._skus_at < self._catalog_ttl:
            return self._skus
        url = f"{self._base_url}/services/{COMPUTE_ENGINE_SERVICE}/skus"
        skus: list[dict[str, Any]] = []
        token = ""
        for _ in range(MAX_PAGES):
            params = {"key": self._api_key, "currencyCode": "USD", "pageSize": "5000"}
            if token:
                params["pageToken"] = token
            body = get_json(self._client, url, params)
            page = body.get("skus", [])
            if not isinstance(page, list):
                raise PricingApiError("malformed Cloud Billing page: skus is not a list")
            skus.extend(s for s in page if isinstance(s, dict))
            token = str(body.get("nextPageToken") or "")
            if not token:
                self._skus, self._skus_at = skus, now
                return skus
        raise PricingApiError(f"Cloud Billing SKU list paginated past {MAX_PAGES} pages")


def _family(shape: MachineShape) -> str:
    return re.escape(shape.family.lower())


def _find_sku(skus: list[dict[str, Any]], pattern: str, spot: bool) -> dict[str, Any] | None:
    """The SKU whose description is `[Spot Preemptible ]<pattern>` with the wanted usage type (commitments excluded).
    "Ssd backed local storage attached to Spot Preemptible VMs" is the spot form of local SSD."""
    usage = "Preemptible" if spot else "OnDemand"
    prefix = r"^(spot preemptible )?" if spot else r"^"
    regex = re.compile(prefix + pattern)
    for sku in skus:
        description = str(sku.get("description", "")).lower()
        category = sku.get("category") or {}
        if category.get("usageType") != usage or not regex.search(description):
            continue
        if spot != ("preemptible" in description):
            continue
        return sku
    return None
