"""The report's text formats (CSV, JSON, FOCUS CSV), shared by `trainspend report` and `/api/v1/report`."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from enum import StrEnum

from monitor.core.domain.report import FOCUS_COLUMNS, GroupBy, focus_record, report_rows
from monitor.core.domain.result import WorkloadStatus


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    FOCUS = "focus"


def render(
    rows_usd: dict[str, float],
    jobs: list[WorkloadStatus],
    group_by: GroupBy,
    fmt: Format,
    since: datetime,
    until: datetime,
) -> str:
    """The report text in `fmt` of the spend per workload `rows_usd` over [since, until)."""
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
