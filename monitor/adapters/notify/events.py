"""The channel-neutral notification event, built from a TickResult. Channels render it at delivery time, so the
outbox holds no channel secrets and no channel-specific format."""

from __future__ import annotations

from urllib.parse import urlencode

from monitor.core.domain.result import BudgetStatus, WorkloadStatus

Event = dict[str, object]

TRIGGER_STATES = frozenset({"warning", "breach", "over"})
SEVERITY = {"breach": "critical", "over": "warning", "warning": "warning", "ok": "info"}


def action_for(state: str) -> str:
    """`trigger` while a problem is open, `resolve` when it is over (PagerDuty Events v2 vocabulary)."""
    return "trigger" if state in TRIGGER_STATES else "resolve"


def link(base_url: str | None, params: dict[str, str]) -> str | None:
    """A dashboard link with Grafana `var-*` query parameters, or None without a base URL."""
    if not base_url:
        return None
    sep = "&" if "?" in base_url else "?"
    return base_url + sep + urlencode({f"var-{k}": v for k, v in params.items()})


def _envelope(kind: str, subject: str, cluster: str, previous: str, state: str, title: str) -> Event:
    """The fields every event carries, whatever its subject: what changed, from what to what, how urgent."""
    return {
        "kind": kind,
        "subject": subject,
        "cluster": cluster,
        "previous": previous,
        "state": state,
        "action": action_for(state),
        "severity": SEVERITY.get(state, "info"),
        "title": title,
    }


def budget_event(
    cluster: str, subject: str, budget: BudgetStatus, previous: str, state: str, link_base_url: str | None
) -> Event:
    if action_for(state) == "resolve":
        title = f"Budget {budget.name} back within limits"
    else:
        word = "breached" if state == "breach" else "warning"
        title = f"Budget {budget.name} {word}: projected ${budget.projected_spend_usd:,.2f} of ${budget.limit_usd:,.2f}"
    return _envelope("budget", subject, cluster, previous, state, title) | {
        "budget": budget.name,
        "period": budget.period,
        "spend_usd": round(budget.spend_usd, 2),
        "projected_usd": round(budget.projected_spend_usd, 2),
        "limit_usd": round(budget.limit_usd, 2),
        "link": link(link_base_url, {"cluster": cluster, "budget": budget.name}),
    }


def job_event(
    cluster: str, subject: str, job: WorkloadStatus, previous: str, state: str, link_base_url: str | None
) -> Event:
    projected = job.projected_cost_usd.p50 if job.projected_cost_usd is not None else job.cost_usd
    budget = job.budget_usd or 0.0
    name = f"{job.ref.namespace}/{job.ref.name}"
    if action_for(state) == "resolve":
        title = f"Job {name} no longer projected over its budget"
    else:
        title = f"Job {name} projected over budget: ${projected:,.2f} of ${budget:,.2f}"
    return _envelope("job", subject, cluster, previous, state, title) | {
        "namespace": job.ref.namespace,
        "workload_kind": job.ref.kind,
        "workload": job.ref.name,
        "team": job.team,
        "spend_usd": round(job.cost_usd, 2),
        "projected_usd": round(projected, 2),
        "limit_usd": round(budget, 2),
        "link": link(link_base_url, {"cluster": cluster, "namespace": job.ref.namespace, "workload": job.ref.name}),
    }
