"""boto3 clients for the AWS pricing fetcher, one per region, made on first use with the normal credential chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.config.settings import PricingSettings

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_pricing import PricingClient


class AwsClients:
    """Caches clients per region. Retries are left to the price cache (one attempt here), so a throttled API is
    backed off by the cache instead of retried inside one tick."""

    def __init__(self, settings: PricingSettings) -> None:
        # boto3 and botocore (~6 MiB of the daemon's RSS) are imported when AWS pricing is on, not at daemon start.
        from botocore.config import Config

        self._settings = settings
        self._config = Config(
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=settings.request_timeout_seconds,
            read_timeout=settings.request_timeout_seconds,
        )
        self._pricing: dict[str, PricingClient] = {}
        self._ec2: dict[str, EC2Client] = {}

    def pricing(self, region: str) -> PricingClient:
        import boto3

        if region not in self._pricing:
            self._pricing[region] = boto3.client(
                "pricing",
                region_name=region,
                endpoint_url=self._settings.aws_pricing_endpoint_url,
                config=self._config,
            )
        return self._pricing[region]

    def ec2(self, region: str) -> EC2Client:
        import boto3

        if region not in self._ec2:
            self._ec2[region] = boto3.client(
                "ec2", region_name=region, endpoint_url=self._settings.aws_ec2_endpoint_url, config=self._config
            )
        return self._ec2[region]
