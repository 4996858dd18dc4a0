"""`trainspend report`: the store's spend in a period per namespace, team, Kueue queue or job, as CSV, JSON or FOCUS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from monitor.cli.inputs import fail
from monitor.core.domain.report import GroupBy, spend_between
from monitor.core.report_format import Format, render


def _moment(flag: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{flag} {value}: not an ISO 8601 time; give e.g. 2026-11-01 or 2026-11-01T00:00:00Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # dates and naive times are UTC, as the store's hours are
    return moment


def report_command(
    since: Annotated[str, typer.Option("--since", help="period start (inclusive), ISO 8601; a date is 00:00 UTC")],
    until: Annotated[str | None, typer.Option("--until", help="period end (exclusive); default: now")] = None,
    group_by: Annotated[GroupBy, typer.Option("--group-by", help="namespace, team, queue or job")] = GroupBy.NAMESPACE,
    fmt: Annotated[Format, typer.Option("--format", help="csv, json or focus (FOCUS column names, CSV)")] = Format.CSV,
    url: Annotated[str | None, typer.Option("--url", help="store URL (default: store.url)")] = None,
) -> None:
    """Spend in [--since, --until) from the store, per group: what finance opens (exits 2 on a bad period)."""
    start = _moment("--since", since)
    end = _moment("--until", until) if until else datetime.now(UTC)
    if end <= start:
        fail(f"--until {end.isoformat()} is not after --since {start.isoformat()}; give a later --until")
    from monitor.adapters.store.engine import create_store_engine, display_url
    from monitor.adapters.store.repository import SqlStore
    from monitor.cli.db import store_url  # the one home of "which store": --url, else the configuration

    target = store_url(url)
    engine = create_store_engine(target)
    try:
        store = SqlStore(engine)
        spend = spend_between(store.workload_spend_since(start), store.workload_spend_since(end))
        jobs = store.jobs()
    except Exception as exc:  # an unmigrated or unreachable store: say which, no traceback
        fail(f"cannot read the store {display_url(target)}: {exc}; run `trainspend db upgrade` or pass --url")
    finally:
        engine.dispose()
    typer.echo(render(spend, jobs, group_by, fmt, start, end), nl=False)


def register(app: typer.Typer) -> None:
    """Adds `trainspend report`."""
    app.command("report")(report_command)
