"""AWS prices: the Pricing API's `GetProducts` for on-demand list prices, EC2 `DescribeSpotPriceHistory` for spot.

No spot data feed in S3 is needed (OpenCost needs one): the zone's latest Linux/UNIX spot price comes from EC2.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from monitor.adapters.pricing.errors import PricingApiError, PricingThrottledError
from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price
from monitor.core.ports import Clock

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_pricing import PricingClient
    from mypy_boto3_pricing.type_defs import FilterTypeDef

_THROTTLE_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"})


def pricing_api_region(region: str) -> str:
    """The Price List API is served from us-east-1, eu-central-1 and ap-south-1 (AWS docs, "Using the AWS Price List
    Query API": endpoints) and the China partition's from cn-northwest-1; any endpoint answers for every region of its
    partition, so pick the nearest."""
    if region.startswith("cn-"):
        return "cn-northwest-1"
    if region.startswith(("ap-", "me-", "af-", "il-")):
        return "ap-south-1"
    if region.startswith("eu-"):
        return "eu-central-1"
    return "us-east-1"


def on_demand_filters(instance_type: str, region: str) -> list[FilterTypeDef]:
    """TERM_MATCH filters selecting the one Linux, shared-tenancy, no-preinstalled-software, on-demand product."""
    fields = {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "marketoption": "OnDemand",
    }
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in fields.items()]


def parse_on_demand(price_list: Iterable[str]) -> tuple[float, date | None] | None:
    """The hourly USD price from `GetProducts` PriceList entries (each a JSON string): terms.OnDemand.<term>.
    priceDimensions.<dim>.pricePerUnit.USD with unit "Hrs". Zero rows (reservation placeholders) are skipped; with
    several products the highest price is kept, so an ambiguous match never under-prices a node."""
    found: list[tuple[float, date | None]] = []
    for raw in price_list:
        try:
            item = json.loads(raw)
            terms: dict[str, Any] = item["terms"]["OnDemand"]
        except (ValueError, KeyError, TypeError) as error:
            raise PricingApiError(f"malformed GetProducts PriceList entry: {error}") from error
        for term in terms.values():
            effective = _date(str(term.get("effectiveDate", "")))
            for dimension in term.get("priceDimensions", {}).values():
                if dimension.get("unit") != "Hrs":
                    continue
                try:
                    usd = float(dimension["pricePerUnit"]["USD"])
                except (KeyError, TypeError, ValueError) as error:
                    raise PricingApiError(f"malformed pricePerUnit in GetProducts: {error}") from error
                if usd > 0:
                    found.append((usd, effective))
    return max(found, key=lambda pair: pair[0]) if found else None


def latest_spot_price(history: Iterable[dict[str, Any]], zone: str | None) -> tuple[float, datetime, str] | None:
    """(usd/h, timestamp, where) from SpotPriceHistory rows: the latest Linux/UNIX row of the node's zone, or, when the
    zone is unknown or absent, the median of each zone's latest price."""
    latest: dict[str, tuple[datetime, float]] = {}
    for row in history:
        if not str(row.get("ProductDescription", "")).startswith("Linux/UNIX"):
            continue
        az = str(row.get("AvailabilityZone", ""))
        stamp = row.get("Timestamp")
        if not isinstance(stamp, datetime):
            continue
        usd = float(row.get("SpotPrice", "0"))
        if usd > 0 and (az not in latest or stamp > latest[az][0]):
            latest[az] = (stamp, usd)
    if not latest:
        return None
    if zone and zone in latest:
        stamp, usd = latest[zone]
        return usd, stamp, zone
    median = statistics.median(usd for _, usd in latest.values())
    newest = max(stamp for stamp, _ in latest.values())
    return median, newest, f"median of {len(latest)} zones"


class AwsPricingFetcher:
    """A `LiveFetcher` for AWS nodes. `pricing_client_for(api_region)` returns a Pricing client of that endpoint
    region (see `pricing_api_region`); `ec2_client_for(region)` an EC2 client of the node's region."""

    name = "aws"

    def __init__(
        self,
        pricing_client_for: Callable[[str], PricingClient],
        ec2_client_for: Callable[[str], EC2Client],
        clock: Clock,
    ) -> None:
        self._pricing_client_for = pricing_client_for
        self._ec2_client_for = ec2_client_for
        self._clock = clock

    def applies_to(self, node: NodeIdentity) -> bool:
        return node.provider == "aws" and bool(node.instance_type) and bool(node.region)

    def fetch(self, node: NodeIdentity) -> Price | None:
        if not node.instance_type or not node.region:
            return None
        # botocore only once an AWS node is priced: the daemon carries its MiBs only on AWS (aws_clients.py).
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError

        try:
            if node.capacity_type == NodeCapacityType.SPOT:
                return self._spot(node.instance_type, node.region, node.zone)
            return self._on_demand(node.instance_type, node.region)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _THROTTLE_CODES:
                raise PricingThrottledError(f"AWS throttled ({code})") from error
            raise PricingApiError(f"AWS {code or 'error'}: {error}") from error
        except BotoCoreError as error:  # connection errors, timeouts, credentials
            raise PricingApiError(f"AWS request failed: {type(error).__name__}: {error}") from error
        except ResponseParserError as error:  # not a BotoCoreError: a 5xx whose body is not XML/JSON (a proxy's page)
            raise PricingApiError(f"AWS sent an unparsable response: {str(error)[:200]}") from error

    def _on_demand(self, instance_type: str, region: str) -> Price | None:
        entries: list[str] = []
        paginator = self._pricing_client_for(pricing_api_region(region)).get_paginator("get_products")
        pages = paginator.paginate(
            ServiceCode="AmazonEC2", Filters=on_demand_filters(instance_type, region), FormatVersion="aws_v1"
        )
        for page in pages:  # the paginator follows NextToken
            if "PriceList" not in page:  # botocore turns an unparsable body into an empty page: that is a fault
                raise PricingApiError("malformed GetProducts response: no PriceList")
            entries.extend(page["PriceList"])
        parsed = parse_on_demand(entries)
        if parsed is None:
            return None
        usd, effective = parsed
        now = self._clock.now()
        return Price(
            usd_per_hour=usd,
            source="aws-pricing-api",
            as_of=effective or now.date(),
            fetched_at=now,
            detail=f"{instance_type} {region} Linux on-demand",
        )

    def _spot(self, instance_type: str, region: str, zone: str | None) -> Price | None:
        now = self._clock.now()
        client = self._ec2_client_for(region)
        paginator = client.get_paginator("describe_spot_price_history")
        kwargs: dict[str, Any] = {
            "InstanceTypes": [instance_type],
            "ProductDescriptions": ["Linux/UNIX"],
            "StartTime": now,  # with StartTime = now EC2 returns the price in effect now, per zone
        }
        if zone:
            kwargs["AvailabilityZone"] = zone
        rows: list[dict[str, Any]] = []
        for page in paginator.paginate(**kwargs):
            if "SpotPriceHistory" not in page:
                raise PricingApiError("malformed DescribeSpotPriceHistory response: no SpotPriceHistory")
            rows.extend(dict(row) for row in page.get("SpotPriceHistory", []))
        found = latest_spot_price(rows, zone)
        if found is None:
            return None
        usd, stamp, where = found
        return Price(
            usd_per_hour=usd,
            source="aws-spot-history",
            as_of=stamp.date(),
            fetched_at=now,
            detail=f"{instance_type} Linux/UNIX spot, {where}",
        )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
