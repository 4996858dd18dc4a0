"""Real boto3 `pricing` client → a local endpoint serving GetProducts in its documented shape (moto lacks Pricing)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from monitor.adapters.pricing.aws import AwsPricingFetcher
from monitor.adapters.pricing.aws_clients import AwsClients
from monitor.adapters.pricing.cache import CachedSource
from monitor.config.settings import PricingSettings
from monitor.core.domain.model import NodeIdentity
from tests.integration.pricing.servers import Reply, Request, serve
from tests.unit.pricing.fakes import FakeClock, must

pytestmark = pytest.mark.integration

NODE = NodeIdentity(node="n", provider="aws", region="us-east-1", instance_type="p5.48xlarge")
JSON_11 = {"Content-Type": "application/x-amz-json-1.1"}


def _product(sku: str, usd: str, effective: str = "2026-07-01T00:00:00Z") -> str:
    """One PriceList entry as the API returns it: a JSON *string* (docs: GetProducts, PriceList)."""
    term = f"{sku}.JRTCKXETXF"
    return json.dumps(
        {
            "product": {
                "productFamily": "Compute Instance",
                "attributes": {"instanceType": "p5.48xlarge", "regionCode": "us-east-1", "operatingSystem": "Linux"},
                "sku": sku,
            },
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    term: {
                        "offerTermCode": "JRTCKXETXF",
                        "sku": sku,
                        "effectiveDate": effective,
                        "priceDimensions": {
                            f"{term}.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "endRange": "Inf",
                                "description": "$55.04 per On Demand Linux p5.48xlarge Instance Hour",
                                "appliesTo": [],
                                "rateCode": f"{term}.6YS6EN2CT7",
                                "beginRange": "0",
                                "pricePerUnit": {"USD": usd},
                            }
                        },
                        "termAttributes": {},
                    }
                }
            },
            "version": "20260701000000",
            "publicationDate": "2026-07-01T00:00:00Z",
        }
    )


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _fetcher(url: str, clock: FakeClock) -> AwsPricingFetcher:
    clients = AwsClients(PricingSettings(aws_pricing_endpoint_url=url, request_timeout_seconds=0.5))
    return AwsPricingFetcher(clients.pricing, clients.ec2, clock)


@pytest.mark.usefixtures("aws_env")
def test_get_products_filters_pagination_and_parse() -> None:
    pages = {
        "": {"FormatVersion": "aws_v1", "PriceList": [_product("AAA", "0.0000000000")], "NextToken": "page-2"},
        "page-2": {"FormatVersion": "aws_v1", "PriceList": [_product("BBB", "55.0400000000")]},
    }

    def handler(request: Request) -> Reply:
        body = request.json()
        return Reply(body=pages[body.get("NextToken", "")], headers=JSON_11)

    clock = FakeClock()
    with serve(handler) as server:
        price = _fetcher(server.url, clock).fetch(NODE)
    assert price is not None
    assert (price.usd_per_hour, price.source, price.as_of) == (55.04, "aws-pricing-api", date(2026, 7, 1))
    first = server.requests[0]
    assert first.headers["x-amz-target"] == "AWSPriceListService.GetProducts"
    body = first.json()
    assert body["ServiceCode"] == "AmazonEC2"
    filters = {f["Field"]: f["Value"] for f in body["Filters"]}
    assert filters == {
        "instanceType": "p5.48xlarge",
        "regionCode": "us-east-1",
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "marketoption": "OnDemand",
    }
    assert {f["Type"] for f in body["Filters"]} == {"TERM_MATCH"}
    assert len(server.requests) == 2  # followed NextToken


@pytest.mark.usefixtures("aws_env")
def test_unknown_instance_type_is_no_answer() -> None:
    with serve(lambda _: Reply(body={"FormatVersion": "aws_v1", "PriceList": []}, headers=JSON_11)) as server:
        assert _fetcher(server.url, FakeClock()).fetch(NODE) is None


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize(
    ("fault", "why"),
    [
        (Reply(400, {"__type": "ThrottlingException", "message": "Rate exceeded"}, JSON_11), "throttled"),
        (Reply(500, "internal error"), "AWS"),
        (Reply(200, {"FormatVersion": "aws_v1", "PriceList": ["{not json"]}, JSON_11), "malformed"),
        (Reply(200, "<html>proxy error</html>", JSON_11), "malformed"),
        (Reply(200, {"PriceList": []}, JSON_11, delay_seconds=1.0), "AWS request failed"),
    ],
)
def test_faults_keep_the_last_good_price_flagged_stale(fault: Reply, why: str) -> None:
    script = [Reply(body={"FormatVersion": "aws_v1", "PriceList": [_product("S", "55.04")]}, headers=JSON_11), fault]
    clock = FakeClock()
    with serve(lambda _: script.pop(0) if len(script) > 1 else script[0]) as server:
        source = CachedSource(_fetcher(server.url, clock), clock, ttl_seconds=60, stale_after_seconds=600)
        assert must(source.price(NODE)).usd_per_hour == 55.04
        clock.advance(61)
        stale = source.price(NODE)
    assert stale is not None
    assert (stale.usd_per_hour, stale.stale) == (55.04, True)
    assert why in source.last_error


def test_pricing_endpoint_region_follows_the_node_region() -> None:
    from monitor.adapters.pricing.aws import pricing_api_region

    assert pricing_api_region("us-west-2") == "us-east-1"
    assert pricing_api_region("ap-northeast-1") == "ap-south-1"
    assert pricing_api_region("eu-west-1") == "eu-central-1"
    assert pricing_api_region("cn-north-1") == "cn-northwest-1"
