"""`trainspend alarms sync [--dry-run]`: reconcile the CloudWatch budget alarms once, now."""

from __future__ import annotations

from typing import Annotated

import boto3
import typer
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from monitor.cli.config import load_settings
from monitor.cloudwatch.alarms import BudgetThresholds, billing_alarm, desired_alarms
from monitor.cloudwatch.reconciler import AlarmReconciler
from monitor.cloudwatch.retry import client_config
from monitor.settings import Settings


def build_reconciler(settings: Settings) -> AlarmReconciler:
    """The reconciler the daemon's alarm-sync job and this command share, built from settings."""
    cw_settings = settings.cloudwatch
    budgets = [BudgetThresholds(b.name, b.limit_usd, tuple(b.thresholds)) for b in settings.budgets]
    desired = desired_alarms(
        settings.cluster, budgets, namespace=cw_settings.namespace, actions=cw_settings.alarm_actions
    )
    client = boto3.client(
        "cloudwatch", region_name=cw_settings.region, endpoint_url=cw_settings.endpoint_url, config=client_config()
    )
    # EstimatedCharges exists only in us-east-1; with a custom endpoint (tests, moto) the same endpoint serves it.
    billing_client = client
    if cw_settings.region != "us-east-1":
        billing_client = boto3.client(
            "cloudwatch", region_name="us-east-1", endpoint_url=cw_settings.endpoint_url, config=client_config()
        )
    billing = None
    if cw_settings.billing_alarm_usd is not None:
        billing = billing_alarm(settings.cluster, cw_settings.billing_alarm_usd, cw_settings.alarm_actions)
    return AlarmReconciler(client, settings.cluster, desired, billing_client=billing_client, billing=billing)


def sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the create/update/delete plan, change nothing")
    ] = False,
) -> None:
    """Reconcile CloudWatch alarms with the configured budgets (create, update, delete orphans)."""
    settings = load_settings()
    if not settings.cloudwatch.enabled:
        typer.echo(
            "cloudwatch.enabled is false: set TRAINSPEND_CLOUDWATCH__ENABLED=true (or cloudwatch.enabled in the "
            "config file) to manage alarms",
            err=True,
        )
        raise typer.Exit(code=2)
    endpoint = settings.cloudwatch.endpoint_url or f"CloudWatch in {settings.cloudwatch.region}"
    try:
        reconciler = build_reconciler(settings)
        plan = reconciler.plan()
        for line in plan.lines():
            typer.echo(("would " if dry_run and not plan.in_sync else "") + line)
        if not dry_run:
            reconciler.apply(plan)
    except NoCredentialsError as exc:
        typer.echo(
            f"error: {endpoint}: no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or use an IAM role (IRSA in the cluster)",
            err=True,
        )
        raise typer.Exit(1) from exc
    except (BotoCoreError, ClientError) as exc:
        typer.echo(
            f"error: {endpoint}: {exc}: check cloudwatch.endpoint_url (TRAINSPEND_CLOUDWATCH__ENDPOINT_URL), "
            "cloudwatch.region, the network and the IAM permissions (deploy/iam/)",
            err=True,
        )
        raise typer.Exit(1) from exc


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="CloudWatch budget alarms.", no_args_is_help=True)
    group.command("sync")(sync)
    app.add_typer(group, name="alarms")
