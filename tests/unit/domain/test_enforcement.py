"""`budgets[].action: suspend`: which orders a tick's result gives, and that the enforcer acts once, on the leader."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.budgets import BudgetSpec
from monitor.core.domain.enforcement import SuspendOrder, suspend_orders
from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import BudgetStatus, TickResult, WorkloadStatus
from monitor.runtime.enforcer import BudgetEnforcer

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
STATES = ["Running", "Pending", "Suspended", "Succeeded", "Failed", "Deleted"]


def _job(name: str, team: str, state: str = "Running", queue: str = "", namespace: str = "ml") -> WorkloadStatus:
    ref = WorkloadRef(kind="Job", api_version="batch/v1", namespace=namespace, name=name, uid=f"uid-{name}")
    return WorkloadStatus(ref=ref, team=team, queue=queue, state=state, cost_usd=1.0, hourly_cost_usd=1.0)


def _status(name: str, spend: float, limit: float) -> BudgetStatus:
    return BudgetStatus(
        name=name,
        period="monthly",
        period_start=datetime(2026, 11, 1, tzinfo=UTC),
        period_end=datetime(2026, 12, 1, tzinfo=UTC),
        limit_usd=limit,
        spend_usd=spend,
        projected_spend_usd=spend * 2,
        state="breach",
    )


@given(
    st.lists(st.tuples(st.sampled_from(["nlp", "cv"]), st.sampled_from(STATES), st.sampled_from(["", "q1", "q2"]))),
    st.floats(min_value=0, max_value=200),
    st.sampled_from(["workload", "local_queue"]),
    st.sampled_from(["alert", "suspend"]),
)
def test_orders_only_for_a_spent_suspend_budget_and_its_active_jobs(
    rows: list[tuple[str, str, str]], spend: float, via: str, action: str
) -> None:
    jobs = tuple(_job(f"j{i}", team, state, queue) for i, (team, state, queue) in enumerate(rows))
    spec = BudgetSpec(name="cap", limit_usd=100.0, team="nlp", action=action, suspend_via=via)  # type: ignore[arg-type]
    result = TickResult(cluster="c", at=T0, jobs=jobs, budgets=(_status("cap", spend, 100.0),))
    orders = suspend_orders([spec], result)
    if action != "suspend" or spend < 100.0:  # projected breach alone never suspends: only the spend
        assert orders == []
        return
    active = [j for j in jobs if j.team == "nlp" and j.state in ("Running", "Pending")]
    if via == "workload":
        assert sorted(o.ref.name for o in orders) == sorted(j.ref.name for j in active)
    else:  # one order per LocalQueue; a Job not queued by Kueue is left alone
        assert sorted(o.queue for o in orders) == sorted({j.queue for j in active if j.queue})
    assert len({o.key for o in orders}) == len(orders)
    assert all(o.mark == "cap@2026-11-01T00:00:00+00:00" for o in orders)
    assert all("To resume" in o.reason for o in orders)


class _Recording:
    def __init__(self, outcome: str = "suspended") -> None:
        self.orders: list[SuspendOrder] = []
        self.outcome = outcome

    def suspend(self, order: SuspendOrder) -> str:
        self.orders.append(order)
        return self.outcome


def test_the_enforcer_acts_once_per_order_and_only_as_leader() -> None:
    spec = BudgetSpec(name="cap", limit_usd=10.0, team="nlp", action="suspend")
    result = TickResult(cluster="c", at=T0, jobs=(_job("a", "nlp"),), budgets=(_status("cap", 12.0, 10.0),))
    follower = _Recording()
    BudgetEnforcer([spec], follower).run(result.model_copy(update={"is_leader": False}))
    assert follower.orders == []
    leader = _Recording()
    enforcer = BudgetEnforcer([spec], leader)
    for _ in range(3):
        enforcer.run(result)
    assert [o.ref.name for o in leader.orders] == ["a"]
    failing = _Recording("failed")  # an API error: tried again on the next tick
    retrying = BudgetEnforcer([spec], failing)
    retrying.run(result)
    retrying.run(result)
    assert len(failing.orders) == 2
    assert not BudgetEnforcer([BudgetSpec(name="cap", limit_usd=10.0)], leader).active  # alert-only: no enforcer
