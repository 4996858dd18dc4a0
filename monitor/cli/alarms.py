"""`trainspend alarms sync [--dry-run]`: reconcile the CloudWatch budget alarms once, now."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.adapters.cloudwatch.factory import build_reconciler
from monitor.cli.config import load_settings
from monitor.core.errors import CloudWatchCredentialsError, CloudWatchError, ConfigError


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
    except ConfigError as exc:  # a setting the alarms cannot be built from (cluster or budget name, threshold)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except CloudWatchCredentialsError as exc:
        typer.echo(
            f"error: {endpoint}: no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or use an IAM role (IRSA in the cluster)",
            err=True,
        )
        raise typer.Exit(1) from exc
    except CloudWatchError as exc:
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
