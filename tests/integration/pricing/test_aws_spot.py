"""EC2 DescribeSpotPriceHistory with real boto3 against the moto server (moto's prices are placeholders: we assert
which row our logic picks and how it is labelled, not the number)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from monitor.adapters.pricing.aws import AwsPricingFetcher
from monitor.adapters.pricing.aws_clients import AwsClients
from monitor.adapters.pricing.cache import CachedSource
from monitor.config.settings import PricingSettings
from monitor.core.domain.model import NodeCapacityType, NodeIdentity
from tests.integration.pricing.servers import Reply, serve
from tests.unit.pricing.fakes import FakeClock

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

pytestmark = pytest.mark.integration

SPOT = NodeIdentity(
    node="n",
    provider="aws",
    region="us-east-1",
    zone="us-east-1b",
    instance_type="g5.xlarge",
    capacity_type=NodeCapacityType.SPOT,
)


def _fetcher(ec2_url: str, clock: FakeClock) -> AwsPricingFetcher:
    clients = AwsClients(PricingSettings(aws_ec2_endpoint_url=ec2_url, request_timeout_seconds=2))
    return AwsPricingFetcher(clients.pricing, clients.ec2, clock)


def test_spot_price_of_the_node_zone(moto_url: str) -> None:
    price = _fetcher(moto_url, FakeClock()).fetch(SPOT)
    assert price is not None
    assert price.source == "aws-spot-history"
    assert price.usd_per_hour > 0
    assert "us-east-1b" in price.detail
    assert price.as_of is not None


def test_spot_price_without_zone_is_the_median_over_zones(moto_url: str) -> None:
    price = _fetcher(moto_url, FakeClock()).fetch(SPOT.model_copy(update={"zone": None}))
    assert price is not None
    assert "median of" in price.detail
    assert "zones" in price.detail


def test_spot_throttling_keeps_last_good_price_stale(moto_url: str) -> None:
    clock = FakeClock()
    endpoint = {"url": moto_url}  # the EC2 endpoint goes from moto to a throttling server mid-test

    def ec2_for(region: str) -> EC2Client:
        return AwsClients(PricingSettings(aws_ec2_endpoint_url=endpoint["url"], request_timeout_seconds=2)).ec2(region)

    fetcher = AwsPricingFetcher(AwsClients(PricingSettings()).pricing, ec2_for, clock)
    source = CachedSource(fetcher, clock, ttl_seconds=60, stale_after_seconds=600)
    first = source.price(SPOT)
    assert first is not None
    throttled_xml = (
        "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
        "</Error></Errors><RequestID>req-1</RequestID></Response>"
    )
    with serve(lambda _: Reply(503, throttled_xml, {"Content-Type": "text/xml"})) as server:
        endpoint["url"] = server.url
        clock.advance(61)
        stale = source.price(SPOT)
    assert stale is not None
    assert (stale.usd_per_hour, stale.stale) == (first.usd_per_hour, True)
    assert "throttled" in source.last_error
