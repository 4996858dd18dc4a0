"""The spend report finance opens: USD accrued in [since, until) per namespace, team, Kueue queue or job.

Pure: the caller brings the store's spend since each bound and the Jobs it remembers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from monitor.core.domain.result import WorkloadStatus

UNKNOWN = "(unknown)"  # a workload the store has cost for but no Job snapshot (its snapshot was pruned)
UNSET = "(none)"  # a Job without the grouping label (no team label, not queued by Kueue)


class GroupBy(StrEnum):
    NAMESPACE = "namespace"
    TEAM = "team"
    QUEUE = "queue"
    JOB = "job"


@dataclass(frozen=True, slots=True)
class ReportRow:
    group: str
    usd: float
    workloads: int


def spend_between(since_spend: Mapping[str, float], until_spend: Mapping[str, float]) -> dict[str, float]:
    """USD per workload in [since, until): spend(≥ since) − spend(≥ until), both as the store reports them; a
    difference below zero (float noise) counts as 0."""
    return {uid: max(0.0, usd - until_spend.get(uid, 0.0)) for uid, usd in since_spend.items()}


def _group_of(job: WorkloadStatus | None, group_by: GroupBy) -> str:
    if job is None:
        return UNKNOWN
    if group_by is GroupBy.NAMESPACE:
        return job.ref.namespace
    if group_by is GroupBy.TEAM:
        return job.team or UNSET
    if group_by is GroupBy.QUEUE:
        return job.queue or UNSET
    return f"{job.ref.namespace}/{job.ref.name}"


def report_rows(spend: Mapping[str, float], jobs: Iterable[WorkloadStatus], group_by: GroupBy) -> list[ReportRow]:
    """Σ spend per group, dearest first then by name; workloads with no spend in the period are left out.

    Invariant: Σ row.usd = Σ spend (every workload lands in exactly one group)."""
    by_uid = {job.ref.uid: job for job in jobs}
    usd: dict[str, float] = {}
    count: dict[str, int] = {}
    for uid, amount in spend.items():
        if amount <= 0:
            continue
        group = _group_of(by_uid.get(uid), group_by)
        usd[group] = usd.get(group, 0.0) + amount
        count[group] = count.get(group, 0) + 1
    rows = [ReportRow(group=g, usd=usd[g], workloads=count[g]) for g in usd]
    return sorted(rows, key=lambda r: (-r.usd, r.group))


# FOCUS (FinOps Open Cost and Usage Specification) 1.2 columns that apply to a per-group spend line; names and
# meanings from the FOCUS 1.2 column dictionary as AWS and Microsoft publish it (docs.aws.amazon.com/cur/latest/
# userguide/table-dictionary-focus-1-2-aws-columns, learn.microsoft.com/cloud-computing/finops/focus/metadata,
# read 2026-12-04). BilledCost = EffectiveCost here: trainspend prices list/spot rates, with no amortised commitments.
FOCUS_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeDescription",
    "SubAccountName",
    "Tags",
)


def focus_record(row: ReportRow, group_by: GroupBy, since: datetime, until: datetime) -> dict[str, object]:
    """One FOCUS line: the group's spend as Usage in USD over the period; the group in Tags (and SubAccountName
    when grouped by namespace, the closest FOCUS notion of a sub-account in a cluster)."""
    return {
        "BilledCost": round(row.usd, 6),
        "EffectiveCost": round(row.usd, 6),
        "BillingCurrency": "USD",
        "ChargePeriodStart": since.isoformat(),
        "ChargePeriodEnd": until.isoformat(),
        "ChargeCategory": "Usage",
        "ChargeDescription": f"GPU training spend of {group_by.value} {row.group} ({row.workloads} workloads)",
        "SubAccountName": row.group if group_by is GroupBy.NAMESPACE else None,
        "Tags": {f"trainspend/{group_by.value}": row.group},
    }
