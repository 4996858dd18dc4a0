"""Transitions become outbox messages once per channel; replays and followers add nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.adapters.notify.notifier import Notifier
from monitor.core.domain.budgets import job_alert_state
from monitor.core.domain.result import Band, BudgetStatus, TickResult
from tests.fakes.outbox import InMemoryOutbox
from tests.unit.exporter.sample import AT, running_job

NOW = AT


def _budget(state: str, projected_usd: float = 9000.0) -> BudgetStatus:
    return BudgetStatus(
        name="research",
        period="monthly",
        period_start=datetime(2026, 11, 1, tzinfo=UTC),
        period_end=None,
        limit_usd=10000.0,
        spend_usd=5000.0,
        projected_spend_usd=projected_usd,
        state=state,
    )


def _result(*budget_states: str, is_leader: bool = True) -> list[TickResult]:
    return [TickResult(cluster="prod", at=AT, budgets=(_budget(s),), is_leader=is_leader) for s in budget_states]


def test_each_transition_is_enqueued_once_per_channel() -> None:
    outbox = InMemoryOutbox()
    notifier = Notifier("prod", ["slack", "pagerduty"])
    added = [notifier.enqueue(r, outbox, NOW) for r in _result("ok", "warning", "warning", "breach", "breach", "ok")]
    assert added == [0, 2, 0, 2, 0, 2]
    states = [
        (e.message.channel, e.message.payload["previous"], e.message.payload["state"]) for e in outbox.entries.values()
    ]
    assert states == [
        ("slack", "ok", "warning"),
        ("pagerduty", "ok", "warning"),
        ("slack", "warning", "breach"),
        ("pagerduty", "warning", "breach"),
        ("slack", "breach", "ok"),
        ("pagerduty", "breach", "ok"),
    ]
    assert [e.message.payload["action"] for e in outbox.entries.values()][-1] == "resolve"


def test_a_replay_after_a_crash_before_set_state_adds_nothing() -> None:
    outbox = InMemoryOutbox()
    notifier = Notifier("prod", ["webhook"])
    (tick,) = _result("breach")
    notifier.enqueue(tick, outbox, NOW)
    outbox.state.clear()  # as if the process died between enqueue and set_state
    assert notifier.enqueue(tick, outbox, NOW + timedelta(seconds=30)) == 0
    assert len(outbox.entries) == 1


def test_a_second_genuine_breach_is_notified_again() -> None:
    outbox = InMemoryOutbox()
    notifier = Notifier("prod", ["slack"])
    added = [notifier.enqueue(r, outbox, NOW) for r in _result("breach", "ok", "breach")]
    assert added == [1, 1, 1]


def test_followers_never_notify() -> None:
    outbox = InMemoryOutbox()
    (tick,) = _result("breach", is_leader=False)
    assert Notifier("prod", ["slack"]).enqueue(tick, outbox, NOW) == 0
    assert outbox.entries == {}


def test_job_projected_over_its_budget_is_over_until_it_finishes() -> None:
    job = running_job()
    assert job.budget_usd == 500.0
    assert job_alert_state(job) == "ok"
    over = job.model_copy(update={"projected_cost_usd": Band(p10=480.0, p50=600.0, p90=700.0)})
    assert job_alert_state(over) == "over"
    assert job_alert_state(over.model_copy(update={"finished": AT})) == "ok"
    outbox = InMemoryOutbox()
    notifier = Notifier("prod", ["pagerduty"], link_base_url="https://grafana.example/d/x")
    notifier.enqueue(TickResult(cluster="prod", at=AT, jobs=(over,)), outbox, NOW)
    (entry,) = outbox.entries.values()
    assert entry.message.payload["kind"] == "job"
    assert entry.message.payload["projected_usd"] == 600.0
    assert (
        entry.message.payload["link"]
        == "https://grafana.example/d/x?var-cluster=prod&var-namespace=ml&var-workload=llama-ft"
    )


def test_unknown_channel_is_rejected_with_the_choices() -> None:
    with pytest.raises(ValueError, match="'email'"):
        Notifier("prod", ["email"])
