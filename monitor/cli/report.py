"""`trainspend report`: the store's spend in a period per namespace, team, Kueue queue or job, as CSV, JSON or FOCUS."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from monitor.cli.inputs import fail
from monitor.domain.report import FOCUS_COLUMNS, GroupBy, focus_record, report_rows, spend_between
from monitor.domain.result import JobStatus


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    FOCUS = "focus"


def _moment(flag: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{flag} {value}: not an ISO 8601 time; give e.g. 2026-11-01 or 2026-11-01T00:00:00Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # dates and naive times are UTC, as the store's hours are
    return moment


def render(
    rows_usd: dict[str, float], jobs: list[JobStatus], group_by: GroupBy, fmt: Format, since: datetime, until: datetime
) -> str:
    """The report text in `fmt`."""
    rows = report_rows(rows_usd, jobs, group_by)
    if fmt is Format.JSON:
        payload = {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "group_by": group_by.value,
            "currency": "USD",
            "total_usd": round(sum(r.usd for r in rows), 6),
            "rows": [{"group": r.group, "usd": round(r.usd, 6), "workloads": r.workloads} for r in rows],
        }
        return json.dumps(payload, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if fmt is Format.CSV:
        writer.writerow([group_by.value, "usd", "workloads", "since", "until"])
        for r in rows:
            writer.writerow([r.group, f"{r.usd:.6f}", r.workloads, since.isoformat(), until.isoformat()])
        return out.getvalue()
    writer.writerow(FOCUS_COLUMNS)
    for r in rows:
        record = focus_record(r, group_by, since, until)
        record["Tags"] = json.dumps(record["Tags"], separators=(",", ":"))
        writer.writerow(["" if record[c] is None else record[c] for c in FOCUS_COLUMNS])
    return out.getvalue()


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
    from monitor.cli.db import _store_url  # the one home of "which store": --url, else the configuration
    from monitor.store.engine import create_store_engine, display_url
    from monitor.store.repository import SqlStore

    target = _store_url(url)
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
