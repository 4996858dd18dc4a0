"""Azure Retail Prices and GCP Cloud Billing Catalog against local servers in the documented response shapes."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from monitor.adapters.pricing.azure import AzureRetailFetcher
from monitor.adapters.pricing.cache import CachedSource
from monitor.adapters.pricing.gcp import GcpBillingFetcher
from monitor.core.domain.model import NodeCapacityType, NodeIdentity
from tests.integration.pricing.servers import Reply, Request, serve
from tests.unit.pricing.fakes import FakeClock, must

pytestmark = pytest.mark.integration

AKS = NodeIdentity(node="a", provider="azure", region="eastus", instance_type="Standard_ND96isr_H100_v5", gpu_count=8)


def _azure_item(sku_name: str, product: str, usd: float, primary: bool = True) -> dict[str, object]:
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": usd,
        "unitPrice": usd,
        "armRegionName": "eastus",
        "location": "US East",
        "effectiveStartDate": "2026-06-01T00:00:00Z",
        "meterName": sku_name,
        "productName": product,
        "skuName": sku_name,
        "serviceName": "Virtual Machines",
        "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour",
        "type": "Consumption",
        "isPrimaryMeterRegion": primary,
        "armSkuName": "Standard_ND96isr_H100_v5",
    }


def _azure_pages(base: str) -> dict[str, dict[str, object]]:
    linux, windows = "Virtual Machines NDsr H100 v5 Series", "Virtual Machines NDsr H100 v5 Series Windows"
    return {
        "0": {
            "BillingCurrency": "USD",
            "Items": [
                _azure_item("ND96isr H100 v5", windows, 102.0),
                _azure_item("ND96isr H100 v5 Low Priority", linux, 19.0),
            ],
            "NextPageLink": f"{base}/api/retail/prices?$skip=100",
            "Count": 2,
        },
        "100": {
            "BillingCurrency": "USD",
            "Items": [
                _azure_item("ND96isr H100 v5", linux, 98.32),
                _azure_item("ND96isr H100 v5 Spot", linux, 24.1),
                _azure_item("ND96isr H100 v5 Spot", windows, 28.0),
            ],
            "NextPageLink": None,
            "Count": 3,
        },
    }


def _azure_handler(base: list[str]):
    def handler(request: Request) -> Reply:
        return Reply(body=_azure_pages(base[0])[request.query.get("$skip", "0")])

    return handler


@pytest.mark.parametrize(("capacity", "usd"), [(NodeCapacityType.ON_DEMAND, 98.32), (NodeCapacityType.SPOT, 24.1)])
def test_azure_picks_linux_row_of_the_capacity_type_across_pages(capacity: NodeCapacityType, usd: float) -> None:
    base: list[str] = []
    with serve(_azure_handler(base)) as server, httpx.Client(timeout=2) as client:
        base.append(server.url)
        price = AzureRetailFetcher(client, f"{server.url}/api/retail/prices", FakeClock()).fetch(
            AKS.model_copy(update={"capacity_type": capacity})
        )
    assert price is not None
    assert (price.usd_per_hour, price.source, price.as_of) == (usd, "azure-retail", date(2026, 6, 1))
    query = server.requests[0].query
    assert query["$filter"] == (
        "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and armSkuName eq 'Standard_ND96isr_H100_v5' "
        "and priceType eq 'Consumption'"
    )
    assert server.requests[1].query == {"$skip": "100"}


A3 = NodeIdentity(
    node="g", provider="gcp", region="us-central1", instance_type="a3-highgpu-8g", gpu_model="H100-SXM", gpu_count=8
)
N1_T4 = NodeIdentity(
    node="t",
    provider="gcp",
    region="us-central1",
    instance_type="n1-standard-8",
    gpu_model="T4",
    gpu_count=2,
    capacity_type=NodeCapacityType.SPOT,
)


def _sku(description: str, group: str, usage: str, units: int, nanos: int, unit: str = "h") -> dict[str, object]:
    return {
        "name": f"services/6F81-5844-456A/skus/{abs(hash(description)) % 10**8}",
        "skuId": f"{abs(hash(description)) % 10**8}",
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": "Compute" if group != "LocalSSD" else "Storage",
            "resourceGroup": group,
            "usageType": usage,
        },
        "serviceRegions": ["us-central1"],
        "pricingInfo": [
            {
                "summary": "",
                "pricingExpression": {
                    "usageUnit": unit,
                    "displayQuantity": 1,
                    "tieredRates": [
                        {
                            "startUsageAmount": 0,
                            "unitPrice": {"currencyCode": "USD", "units": str(units), "nanos": nanos},
                        }
                    ],
                    "usageUnitDescription": "hour",
                    "baseUnit": "s",
                    "baseUnitConversionFactor": 3600,
                },
                "currencyConversionRate": 1,
                "effectiveTime": "2026-07-30T00:00:00Z",
            }
        ],
        "serviceProviderName": "Google",
    }


GCP_PAGES = {
    "": {
        "skus": [
            _sku("A3 Instance Core running in Americas", "CPU", "OnDemand", 0, 35_000_000),
            _sku("A3 Instance Ram running in Americas", "RAM", "OnDemand", 0, 3_000_000),
            _sku("A3 Instance Core running in Americas", "CPU", "Commit1Yr", 0, 20_000_000),
            _sku("N1 Predefined Instance Core running in Americas", "N1Standard", "OnDemand", 0, 31_611_000),
            _sku(
                "Spot Preemptible N1 Predefined Instance Core running in Americas",
                "N1Standard",
                "Preemptible",
                0,
                6_655_000,
            ),
        ],
        "nextPageToken": "p2",
    },
    "p2": {
        "skus": [
            _sku(
                "Spot Preemptible N1 Predefined Instance Ram running in Americas",
                "N1Standard",
                "Preemptible",
                0,
                892_000,
            ),
            _sku("Nvidia H100 80GB GPU running in Americas", "GPU", "OnDemand", 9, 800_000_000),
            _sku("Spot Preemptible Nvidia Tesla T4 GPU running in Americas", "GPU", "Preemptible", 0, 140_000_000),
            _sku("SSD backed Local Storage", "LocalSSD", "OnDemand", 0, 80_000_000, unit="GiBy.mo"),
        ],
        "nextPageToken": "",
    },
}


def test_gcp_machine_price_is_the_sum_of_its_component_skus() -> None:
    with serve(lambda r: Reply(body=GCP_PAGES[r.query.get("pageToken", "")])) as server, httpx.Client(timeout=2) as c:
        fetcher = GcpBillingFetcher(c, f"{server.url}/v1", "test-key", FakeClock())
        a3 = fetcher.fetch(A3)
        t4 = fetcher.fetch(N1_T4)
    # a3-highgpu-8g: 208 vCPU · 0.035 + 1872 GiB · 0.003 + 8 · 9.8 + 6000 GiB · 0.08 / 730
    assert a3 is not None
    assert a3.usd_per_hour == pytest.approx(208 * 0.035 + 1872 * 0.003 + 8 * 9.8 + 6000 * 0.08 / 730)
    assert (a3.source, a3.as_of) == ("gcp-billing", date(2026, 7, 30))
    # n1-standard-8 spot + 2 T4: 8 · 0.006655 + 30 GiB · 0.000892 + 2 · 0.14
    assert t4 is not None
    assert t4.usd_per_hour == pytest.approx(8 * 0.006655 + 30 * 0.000892 + 2 * 0.14)
    assert server.requests[0].path == "/v1/services/6F81-5844-456A/skus"
    assert server.requests[0].query["key"] == "test-key"
    assert server.requests[1].query["pageToken"] == "p2"
    assert len(server.requests) == 2  # the SKU list is downloaded once for both machines


def test_gcp_missing_component_sku_gives_no_answer_rather_than_an_underprice() -> None:
    skus: list[dict[str, object]] = GCP_PAGES[""]["skus"]  # type: ignore[assignment]
    partial = {"skus": [s for s in skus if "Ram" not in str(s["description"])], "nextPageToken": ""}
    with serve(lambda _: Reply(body=partial)) as server, httpx.Client(timeout=2) as client:
        assert GcpBillingFetcher(client, server.url, "k", FakeClock()).fetch(A3) is None


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        (Reply(500, "oops"), "HTTP 500"),
        (Reply(429, "slow down", {"Retry-After": "120"}), "throttled"),
        (Reply(200, "{not json"), "malformed JSON"),
        (Reply(200, {"Items": "nope"}), "malformed"),
        (Reply(200, {"Items": []}, delay_seconds=1.0), "timeout"),
        (Reply(200, "[" * 100_000 + "]" * 100_000), "malformed JSON"),  # RecursionError in the decoder
        (Reply(200, b"\xff\xfe garbage"), "malformed JSON"),
        (Reply(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"}), "HTTP 502"),
    ],
)
def test_azure_faults_keep_last_good_price_flagged_stale(fault: Reply, why: str) -> None:
    good = {"Items": [_azure_item("ND96isr H100 v5", "Virtual Machines NDsr H100 v5 Series", 98.32)]}
    replies = [Reply(body=good), fault]
    clock = FakeClock()
    with serve(lambda _: replies.pop(0) if len(replies) > 1 else replies[0]) as server, httpx.Client(timeout=0.3) as c:
        source = CachedSource(AzureRetailFetcher(c, server.url, clock), clock, ttl_seconds=60, stale_after_seconds=600)
        assert must(source.price(AKS)).usd_per_hour == 98.32
        clock.advance(61)
        stale = source.price(AKS)
        assert stale is not None
        assert (stale.usd_per_hour, stale.stale) == (98.32, True)
        assert why in source.last_error
        calls = len(server.requests)
        clock.advance(10)  # still backing off: no new call
        assert must(source.price(AKS)).stale
        assert len(server.requests) == calls


def test_gcp_fault_without_last_good_price_falls_through() -> None:
    with serve(lambda _: Reply(503, "unavailable")) as server, httpx.Client(timeout=2) as client:
        clock = FakeClock()
        source = CachedSource(GcpBillingFetcher(client, server.url, "k", clock), clock, 60, 600)
        assert source.price(A3) is None
        assert "HTTP 503" in source.last_error
