"""Issue 12 item 5: real boto3 against a local endpoint that answers garbage. Every failure class (a 5xx whose body is
not XML, an HTML page with 200, truncated XML, a throttle, a hang past the timeout) keeps the last good price flagged
stale and backs off; none escapes the adapter. The good price comes from moto first."""

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
THROTTLED = (
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
    "</Error></Errors><RequestID>req-1</RequestID></Response>"
)


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        (
            Reply(500, "upstream connect error or disconnect/reset before headers", {"Content-Type": "text/plain"}),
            "AWS",
        ),
        (Reply(503, "<html><body>Service Unavailable</body></html>", {"Content-Type": "text/html"}), "AWS"),
        (Reply(200, "<html><body>captive portal</body></html>", {"Content-Type": "text/html"}), ""),
        (Reply(200, "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet><item>", {}), ""),
        (Reply(200, b"\x00\xff\xfe", {}), ""),
        (Reply(503, THROTTLED, {"Content-Type": "text/xml"}), "throttled"),
        (Reply(200, "", delay_seconds=2.5), "AWS request failed"),
    ],
    ids=["500-text", "503-html", "200-html", "200-truncated", "200-binary", "throttle", "timeout"],
)
def test_ec2_garbage_keeps_last_good_price_stale_and_backs_off(moto_url: str, fault: Reply, why: str) -> None:
    clock = FakeClock()
    endpoint = {"url": moto_url}

    def ec2_for(region: str) -> EC2Client:
        # moto may be slow on a loaded machine; the faulty endpoint gets 1 s so the 2.5 s hang is a timeout
        timeout = 10 if endpoint["url"] == moto_url else 1
        settings = PricingSettings(aws_ec2_endpoint_url=endpoint["url"], request_timeout_seconds=timeout)
        return AwsClients(settings).ec2(region)

    fetcher = AwsPricingFetcher(AwsClients(PricingSettings()).pricing, ec2_for, clock)
    source = CachedSource(fetcher, clock, ttl_seconds=60, stale_after_seconds=600)
    first = source.price(SPOT)
    assert first is not None
    assert not first.stale
    with serve(lambda _: fault) as server:
        endpoint["url"] = server.url
        clock.advance(61)
        stale = source.price(SPOT)
        assert stale is not None
        assert (stale.usd_per_hour, stale.stale) == (first.usd_per_hour, True)
        assert source.api_errors == 1
        assert why in source.last_error
        calls = len(server.requests)
        clock.advance(5)  # backing off: the endpoint is not asked again
        again = source.price(SPOT)
        assert again is not None
        assert again.stale
        assert len(server.requests) == calls
