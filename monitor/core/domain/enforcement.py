"""`budgets[].action: suspend` (opt-in): which workloads, or which Kueue LocalQueues, a breached budget stops.

The rule: a budget with `action: suspend` acts once its period-to-date spend reaches its limit
(`spend_usd >= limit_usd`) — the spend, not the projection, which drives notifications: a projection can be wrong,
and a suspended Job pays a restart. It then stops every matching workload that is not finished nor already
suspended, either through the workload's own suspend field (`suspend_via: workload`; for a Job Kueue manages, by
deactivating its Kueue Workload instead — the adapter's concern) or by holding the Kueue
LocalQueue it was submitted to (`suspend_via: local_queue`, `spec.stopPolicy: Hold`: admitted Jobs run to completion,
nothing new is admitted; Kueue's LocalQueue API). A workload not queued by Kueue is left alone in that mode.

Each order carries a `mark` — `<budget>@<period start>` — that the adapter writes on the object it patches (an
annotation) and reads before acting: an object already marked for this budget period is never patched again, so
the action is idempotent across ticks and restarts, and a Job a person resumed stays resumed until the next period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from monitor.core.domain.budgets import BudgetSpec, BudgetWorkload
from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import BudgetStatus, TickResult, WorkloadStatus

# Written by trainspend, not read as a user annotation (the trainspend.io/ prefix is for those): a subdomain of it.
MARK_ANNOTATION = "budget.trainspend.io/suspended-for"
# Not running any more, or already stopped: nothing to suspend.
_INACTIVE = frozenset({"Succeeded", "Failed", "Suspended", "Deleted"})


@dataclass(frozen=True)
class SuspendOrder:
    """Suspend one workload (`via == "workload"`), or hold the LocalQueue `queue` in `ref.namespace`."""

    budget: str
    mark: str  # "<budget>@<period start, ISO 8601>"
    via: Literal["workload", "local_queue"]
    ref: WorkloadRef  # the workload (for local_queue: the first one of the queue that matched, the Event's subject)
    queue: str  # the workload's Kueue LocalQueue ("" when not queued)
    dry_run: bool
    reason: str  # the Event's message: why, and how to resume
    summary: str = ""  # why alone: "budget 'x' (monthly) has spent $a of $b"

    @property
    def key(self) -> tuple[str, str, str]:
        """What the order acts on, with its mark: one action per target and budget period."""
        target = self.ref.uid if self.via == "workload" else f"{self.ref.namespace}/{self.queue}"
        return (self.via, target, self.mark)


def _as_budget_workload(job: WorkloadStatus) -> BudgetWorkload:
    return BudgetWorkload(
        uid=job.ref.uid,
        namespace=job.ref.namespace,
        spend_usd=0.0,
        team=job.team,
        queue=job.queue,
        cluster_queue=job.cluster_queue,
        cohort=job.cohort,
        labels=job.labels,
    )


def is_breached(status: BudgetStatus) -> bool:
    """The suspend rule (module docstring): period-to-date spend at or over the limit."""
    return status.spend_usd >= status.limit_usd


def mark_of(status: BudgetStatus) -> str:
    return f"{status.name}@{status.period_start.isoformat()}"


def _summary(status: BudgetStatus) -> str:
    return f"budget {status.name!r} ({status.period}) has spent ${status.spend_usd:,.2f} of ${status.limit_usd:,.2f}"


def _reason(spec: BudgetSpec, status: BudgetStatus, job: WorkloadStatus) -> str:
    spent = _summary(status)
    if spec.suspend_via == "local_queue":
        return (
            f"{spent}: trainspend holds Kueue LocalQueue {job.queue!r} (spec.stopPolicy: Hold; running Jobs finish, "
            f"no new one is admitted). To resume: kubectl -n {job.ref.namespace} patch localqueue {job.queue} "
            '--type=merge -p \'{"spec":{"stopPolicy":"None"}}\' after raising the budget\'s limit_usd or in its next '
            f"period; it is not held again for this period ({MARK_ANNOTATION})."
        )
    return (
        f"{spent}: trainspend suspended this {job.ref.kind}. To resume: set its suspend field back to false (e.g. "
        f"kubectl -n {job.ref.namespace} patch {job.ref.kind.lower()} {job.ref.name} --type=merge -p "
        '\'{"spec":{"suspend":false}}\'; Kubeflow jobs: spec.runPolicy.suspend) after raising the budget\'s limit_usd '
        f"or in its next period; it is not suspended again for this period ({MARK_ANNOTATION})."
    )


def suspend_orders(specs: Sequence[BudgetSpec], result: TickResult) -> list[SuspendOrder]:
    """The orders of every `action: suspend` budget that is breached (rule in the module docstring), one per
    target: a workload, or a (namespace, LocalQueue)."""
    statuses = {status.name: status for status in result.budgets}
    orders: dict[tuple[str, str, str], SuspendOrder] = {}
    for spec in specs:
        status = statuses.get(spec.name)
        if spec.action != "suspend" or status is None or not is_breached(status):
            continue
        for job in _active(result.jobs):
            if not spec.matches(_as_budget_workload(job)):
                continue
            if spec.suspend_via == "local_queue" and not job.queue:
                continue
            order = SuspendOrder(
                budget=spec.name,
                mark=mark_of(status),
                via=spec.suspend_via,
                ref=job.ref,
                queue=job.queue,
                dry_run=spec.dry_run,
                reason=_reason(spec, status, job),
                summary=_summary(status),
            )
            orders.setdefault(order.key, order)
    return list(orders.values())


def _active(jobs: Iterable[WorkloadStatus]) -> Iterable[WorkloadStatus]:
    return (job for job in jobs if job.finished is None and job.state not in _INACTIVE)
