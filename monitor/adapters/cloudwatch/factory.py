"""Builds the CloudWatch adapters from settings (the alarm reconciler the daemon and `trainspend alarms sync` share,
and the metric publisher): the one place boto3 CloudWatch clients are made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.adapters.cloudwatch.alarms import BudgetThresholds, billing_alarm, desired_alarms
from monitor.adapters.cloudwatch.publisher import CloudWatchPublisher, CloudWatchSink
from monitor.adapters.cloudwatch.reconciler import AlarmReconciler
from monitor.adapters.cloudwatch.retry import client_config
from monitor.config.settings import CloudWatchSettings, Settings

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient


def _client(settings: CloudWatchSettings, region: str) -> CloudWatchClient:
    """A CloudWatch client in `region` at `cloudwatch.endpoint_url` (when set), with the adapter's retry config."""
    import boto3  # here, not at import: the daemon carries boto3 (~6 MiB more RSS) only when CloudWatch is on

    client: CloudWatchClient = boto3.client(
        "cloudwatch", region_name=region, endpoint_url=settings.endpoint_url, config=client_config()
    )
    return client


def build_reconciler(settings: Settings) -> AlarmReconciler:
    """The reconciler the daemon's alarm-sync job and this command share, built from settings."""
    cw_settings = settings.cloudwatch
    budgets = [BudgetThresholds(b.name, b.limit_usd, tuple(b.thresholds)) for b in settings.budgets]
    desired = desired_alarms(
        settings.cluster, budgets, namespace=cw_settings.namespace, actions=cw_settings.alarm_actions
    )
    client = _client(cw_settings, cw_settings.region)
    # EstimatedCharges exists only in us-east-1; with a custom endpoint (tests, moto) the same endpoint serves it.
    billing_client = client if cw_settings.region == "us-east-1" else _client(cw_settings, "us-east-1")
    billing = None
    if cw_settings.billing_alarm_usd is not None:
        billing = billing_alarm(settings.cluster, cw_settings.billing_alarm_usd, cw_settings.alarm_actions)
    return AlarmReconciler(client, settings.cluster, desired, billing_client=billing_client, billing=billing)


def build_publisher(settings: Settings) -> CloudWatchPublisher:
    """The PutMetricData publisher for `cloudwatch.*` (region, endpoint, namespace, per-job dimensions)."""
    cw_settings = settings.cloudwatch
    client = _client(cw_settings, cw_settings.region)
    return CloudWatchPublisher(CloudWatchSink(client, cw_settings.namespace), cw_settings.per_job_dimensions)
