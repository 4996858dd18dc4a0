"""Budgets (DESIGN §3 step 5): period-to-date spend, projected spend to period end, state, and transitions.

Projected spend of a budget (the rule):

    projected = spend + sum over matching running Jobs of min(remaining_p50, burn x hours left in the period)

A Job cannot spend more in this period than its burn rate allows before the period ends, nor more than it has left
to spend; a Job without a projection counts burn x hours left; in a "total" period (no end) only Jobs with a
projection add anything. Finished Jobs add nothing. The state is computed on the projected spend, so a warning comes
before the limit is actually broken:

    ratio = projected / limit;  breach if ratio >= 1.0 or ratio >= the highest threshold;
    warning if ratio >= the lowest threshold;  ok otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from monitor.core.domain.model import Value
from monitor.core.domain.periods import EPOCH, Period, period_bounds
from monitor.core.domain.projection import FINISHED_STATES
from monitor.core.domain.result import Band, BudgetStatus, WorkloadStatus

STATES = ("ok", "warning", "breach")
DEFAULT_THRESHOLDS = (0.8, 1.0)


class BudgetSpec(Value):
    """A configured budget; mirrors `monitor.config.settings.BudgetSettings` (build it with
    `BudgetSpec.model_validate(settings_budget.model_dump())`)."""

    name: str
    limit_usd: float = Field(gt=0)
    period: Period = "monthly"
    namespace: str | None = None
    team: str | None = None
    queue: str | None = None  # Kueue LocalQueue name
    cluster_queue: str | None = None  # Kueue ClusterQueue name (the workload's LocalQueue's spec.clusterQueue)
    cohort: str | None = None  # Kueue cohort of that ClusterQueue
    selector: dict[str, str] = Field(default_factory=dict)
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    # What a breach does beyond alerting (monitor.core.domain.enforcement): opt-in, never the default.
    action: Literal["alert", "suspend"] = "alert"
    dry_run: bool = False
    suspend_via: Literal["workload", "local_queue"] = "workload"

    @field_validator("thresholds")
    @classmethod
    def _sorted_positive(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(threshold <= 0 for threshold in value):
            raise ValueError(f"thresholds={list(value)!r}: give fractions of the limit above 0, e.g. [0.8, 1.0]")
        return tuple(sorted(set(value)))

    def matches(self, workload: BudgetWorkload) -> bool:
        """All given criteria must hold: namespace, team, Kueue queue, ClusterQueue and cohort, and every selector
        label."""
        if self.namespace is not None and workload.namespace != self.namespace:
            return False
        if self.team is not None and workload.team != self.team:
            return False
        if self.queue is not None and workload.queue != self.queue:
            return False
        if self.cluster_queue is not None and workload.cluster_queue != self.cluster_queue:
            return False
        if self.cohort is not None and workload.cohort != self.cohort:
            return False
        return all(workload.labels.get(key) == value for key, value in self.selector.items())

    @property
    def selector_text(self) -> str:
        parts = [f"namespace={self.namespace}"] if self.namespace is not None else []
        parts += [f"team={self.team}"] if self.team is not None else []
        parts += [f"queue={self.queue}"] if self.queue is not None else []
        parts += [f"cluster_queue={self.cluster_queue}"] if self.cluster_queue is not None else []
        parts += [f"cohort={self.cohort}"] if self.cohort is not None else []
        parts += [f"{key}={value}" for key, value in sorted(self.selector.items())]
        return ",".join(parts)


@dataclass(frozen=True)
class BudgetWorkload:
    """What a budget needs to know of one workload."""

    uid: str
    namespace: str
    spend_usd: float  # accrued within the budget's current period
    team: str = ""
    queue: str = ""  # Kueue LocalQueue
    cluster_queue: str = ""  # its Kueue ClusterQueue
    cohort: str = ""  # that ClusterQueue's cohort
    labels: Mapping[str, str] = field(default_factory=dict)
    hourly_cost_usd: float = 0.0
    remaining_cost_usd: float | None = None  # p50 of the projection; None = no projection
    running: bool = False


def budget_state(projected_usd: float, limit_usd: float, thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> str:
    """ok / warning / breach from projected / limit (rule in the module docstring)."""
    ordered = sorted(thresholds) or [1.0]
    ratio = projected_usd / limit_usd
    if ratio >= 1.0 or ratio >= ordered[-1]:
        return "breach"
    if ratio >= ordered[0]:
        return "warning"
    return "ok"


def workload_projection_in_period(workload: BudgetWorkload, hours_left: float | None) -> float:
    """min(remaining_p50, burn x hours left) for a running workload (module docstring), else 0."""
    if not workload.running:
        return 0.0
    by_burn = None if hours_left is None else workload.hourly_cost_usd * hours_left
    candidates = [value for value in (workload.remaining_cost_usd, by_burn) if value is not None]
    return max(0.0, min(candidates, default=0.0))


def evaluate_budget(spec: BudgetSpec, workloads: Iterable[BudgetWorkload], now: datetime) -> BudgetStatus:
    """Period-to-date spend and projected spend to period end of one configured budget."""
    start, end = period_bounds(spec.period, now)
    hours_left = None if end is None else max(0.0, (end - now).total_seconds() / 3600)
    matching = [workload for workload in workloads if spec.matches(workload)]
    spend = sum(workload.spend_usd for workload in matching)
    projected = spend + sum(workload_projection_in_period(workload, hours_left) for workload in matching)
    return BudgetStatus(
        name=spec.name,
        period=spec.period,
        period_start=start,
        period_end=end,
        limit_usd=spec.limit_usd,
        spend_usd=spend,
        projected_spend_usd=projected,
        thresholds=spec.thresholds,
        state=budget_state(projected, spec.limit_usd, spec.thresholds),
        selector=spec.selector_text,
    )


def job_budget_status(
    name: str,
    budget_usd: float,
    cost_usd: float,
    projected_cost_usd: Band | None,
    started: datetime | None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> BudgetStatus:
    """The `trainspend.io/budget-usd` budget of one Job: a "total" period over the Job's life, judged on the p50 of
    its projected total cost (its cost so far when there is no projection)."""
    projected = max(cost_usd, projected_cost_usd.p50) if projected_cost_usd is not None else cost_usd
    ordered = tuple(sorted(thresholds))
    return BudgetStatus(
        name=name,
        period="total",
        period_start=started or EPOCH,
        period_end=None,
        limit_usd=budget_usd,
        spend_usd=cost_usd,
        projected_spend_usd=projected,
        thresholds=ordered,
        state=budget_state(projected, budget_usd, ordered),
        selector=name,
    )


def job_alert_state(job: WorkloadStatus) -> str:
    """A Job's notified state against its own budget: `over` while it runs in breach of it (the breach rule of
    `job_budget_status`: projected p50 total, or its cost so far, at or above the budget), else `ok`."""
    if job.budget_usd is None or job.budget_usd <= 0 or job.finished is not None:
        return "ok"  # budget-usd annotations are > 0 (annotations.py); a hand-built status with 0 is not judged
    status = job_budget_status(job.ref.key, job.budget_usd, job.cost_usd, job.projected_cost_usd, job.started)
    return "over" if status.state == "breach" else "ok"


@dataclass(frozen=True)
class Transition:
    """A subject's state change worth one notification: a budget ok → warning → breach → ok (resolved), a Job
    ok → over → ok. `seq` counts the subject's transitions, so a replay of the same tick (e.g. after a crash between
    enqueue and recording the state) has the same `dedup` key and is a no-op, while a genuine second change gets a
    new one."""

    subject: str
    previous: str
    state: str
    seq: int

    @property
    def stored(self) -> str:
        """What the outbox keeps as the subject's last notified state: `"<state>#<seq>"`."""
        return f"{self.state}#{self.seq}"

    def dedup(self, channel: str) -> str:
        """Outbox dedup key: `<subject>:<seq>:<previous>-><state>:<channel>`."""
        return f"{self.subject}:{self.seq}:{self.previous}->{self.state}:{channel}"


def parse_stored_state(stored: str | None) -> tuple[str, int]:
    """`"warning#3"` → ("warning", 3); nothing stored → ("ok", 0): a subject never notified counts as ok."""
    if not stored:
        return "ok", 0
    state, _, seq = stored.partition("#")
    return state, int(seq) if seq.isdigit() else 0


def transition(subject: str, stored: str | None, state: str) -> Transition | None:
    """The change from the last notified state (`stored`, see `Transition.stored`) to `state`; None when unchanged."""
    previous, seq = parse_stored_state(stored)
    return None if state == previous else Transition(subject, previous, state, seq + 1)


def budget_workload(job: WorkloadStatus, spend_usd: float, live: bool) -> BudgetWorkload:
    """What a budget needs of one Job. A Job that is live but holds nothing right now (preempted, pending a reschedule)
    still has work left: it counts at its average burn so far, so a spot preemption does not make the budget's
    projection collapse to its spend (and resolve, then re-fire, its alerts)."""
    unfinished = live and job.state not in FINISHED_STATES and job.remaining_cost_usd is not None
    hourly = job.hourly_cost_usd if live else 0.0
    if unfinished and hourly <= 0 and job.running_seconds > 0:
        hourly = job.cost_usd * 3600.0 / job.running_seconds
    return BudgetWorkload(
        uid=job.ref.uid,
        namespace=job.ref.namespace,
        spend_usd=spend_usd,
        team=job.team,
        queue=job.queue,
        cluster_queue=job.cluster_queue,
        cohort=job.cohort,
        labels=job.labels,
        hourly_cost_usd=hourly,
        remaining_cost_usd=job.remaining_cost_usd.p50 if unfinished and job.remaining_cost_usd else None,
        running=live and (job.hourly_cost_usd > 0 or unfinished),
    )
