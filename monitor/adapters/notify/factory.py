"""Builds the configured channels and the dispatcher from `NotifySettings` (called by the composition root)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from monitor.adapters.notify.channel import Channel
from monitor.adapters.notify.dispatcher import Dispatcher
from monitor.adapters.notify.pagerduty import PagerDutyChannel
from monitor.adapters.notify.redact import install_redaction
from monitor.adapters.notify.slack import SlackChannel
from monitor.adapters.notify.sns import SnsChannel
from monitor.adapters.notify.webhook import WebhookChannel
from monitor.config.settings import NotifySettings
from monitor.core.ports import Outbox

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

# Seconds: a notification endpoint that takes longer than this is down for our purposes; the outbox retries.
CONNECT_TIMEOUT_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 10.0


def http_client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS))


def secret_values(settings: NotifySettings) -> list[str]:
    found = [settings.slack_webhook_url, settings.pagerduty_routing_key, settings.webhook_url, settings.webhook_secret]
    return [s.get_secret_value() for s in found if s is not None]


def sns_client(settings: NotifySettings, region: str) -> SNSClient:
    """The boto3 SNS client for `notify.sns_topic_arn` (region from `cloudwatch.region`, endpoint from
    `notify.sns_endpoint_url`)."""
    import boto3  # here, not at import: the daemon carries boto3 (~6 MiB more RSS) only when SNS is configured

    client: SNSClient = boto3.client("sns", region_name=region, endpoint_url=settings.sns_endpoint_url)
    return client


def build_channels(settings: NotifySettings, client: httpx.Client, sns: SNSClient | None = None) -> dict[str, Channel]:
    """One channel per configured destination. SNS needs a boto3 client (the caller owns region and endpoint)."""
    channels: dict[str, Channel] = {}
    if settings.slack_webhook_url is not None:
        channels["slack"] = SlackChannel(settings.slack_webhook_url, client)
    if settings.pagerduty_routing_key is not None:
        channels["pagerduty"] = PagerDutyChannel(settings.pagerduty_routing_key, settings.pagerduty_url, client)
    if settings.webhook_url is not None:
        channels["webhook"] = WebhookChannel(settings.webhook_url, settings.webhook_secret, client)
    if settings.sns_topic_arn:
        if sns is None:
            raise ValueError("notify.sns_topic_arn is set but no SNS client was given: pass a boto3 'sns' client")
        channels["sns"] = SnsChannel(sns, settings.sns_topic_arn)
    return channels


def build_dispatcher(settings: NotifySettings, outbox: Outbox, channels: dict[str, Channel]) -> Dispatcher:
    """A dispatcher over the channels, with the secrets masked in its errors and in httpx's request logs."""
    secrets = secret_values(settings)
    install_redaction(secrets)
    return Dispatcher(
        outbox,
        channels,
        max_attempts=settings.max_attempts,
        max_age_seconds=settings.max_age_seconds,
        secrets=secrets,
    )
