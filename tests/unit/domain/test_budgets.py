from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from monitor.core.domain.budgets import (
    BudgetSpec,
    BudgetWorkload,
    Transition,
    budget_state,
    evaluate_budget,
    job_alert_state,
    job_budget_status,
    parse_stored_state,
    transition,
)
from monitor.core.domain.periods import EPOCH, period_bounds, period_label
from monitor.core.domain.result import Band
from tests.unit.domain.factories import P4D_USD_PER_HOUR
from tests.unit.exporter.sample import running_job

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # a Saturday; 2.5 days left in November


def test_monthly_and_weekly_periods_in_utc():
    assert period_bounds("monthly", NOW) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    december = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert period_bounds("monthly", december)[1] == datetime(2027, 1, 1, tzinfo=UTC)
    assert period_bounds("weekly", NOW) == (datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
    assert period_bounds("total", NOW) == (EPOCH, None)
    assert (period_label("monthly", NOW), period_label("weekly", NOW), period_label("total", NOW)) == (
        "2026-11",
        "2026-W48",
        "total",
    )
    # 2027-01-01 is a Friday: it belongs to ISO week 53 of 2026.
    assert period_label("weekly", datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"


def test_naive_datetime_is_rejected_with_the_fix():
    with pytest.raises(ValueError, match="timezone-aware"):
        period_bounds("monthly", datetime(2026, 11, 1))


def test_spec_mirrors_settings_and_validates_thresholds():
    spec = BudgetSpec.model_validate({"name": "team-a", "limit_usd": 50000, "thresholds": [1.0, 0.5, 0.8]})
    assert spec.thresholds == (0.5, 0.8, 1.0)
    with pytest.raises(ValidationError, match="thresholds"):
        BudgetSpec(name="x", limit_usd=1, thresholds=(0.0,))


def test_matching_by_namespace_team_and_labels():
    spec = BudgetSpec(name="b", limit_usd=1, namespace="ml", team="nlp", selector={"project": "llm"})
    ok = BudgetWorkload(uid="1", namespace="ml", spend_usd=0, team="nlp", labels={"project": "llm", "x": "y"})
    assert spec.matches(ok)
    assert not spec.matches(BudgetWorkload(uid="2", namespace="ml", spend_usd=0, team="nlp", labels={}))
    assert not spec.matches(BudgetWorkload(uid="3", namespace="other", spend_usd=0, team="nlp", labels=ok.labels))
    assert spec.selector_text == "namespace=ml,team=nlp,project=llm"


def test_projected_spend_is_capped_by_burn_until_period_end_and_by_remaining_cost():
    spec = BudgetSpec(name="team-a", limit_usd=8_000, namespace="ml")
    hours_left = (datetime(2026, 12, 1, tzinfo=UTC) - NOW).total_seconds() / 3600  # 60 h
    workloads = [
        # Runs past the month's end: only 60 h of burn count.
        BudgetWorkload(uid="a", namespace="ml", spend_usd=3000, hourly_cost_usd=P4D_USD_PER_HOUR,
                       remaining_cost_usd=20_000, running=True),
        # Finishes within the month: its remaining cost counts.
        BudgetWorkload(uid="b", namespace="ml", spend_usd=1000, hourly_cost_usd=P4D_USD_PER_HOUR,
                       remaining_cost_usd=150, running=True),
        # No projection: burn x hours left.
        BudgetWorkload(uid="c", namespace="ml", spend_usd=0, hourly_cost_usd=2.0, running=True),
        # Finished: spend only.
        BudgetWorkload(uid="d", namespace="ml", spend_usd=500, remaining_cost_usd=0),
        BudgetWorkload(uid="e", namespace="elsewhere", spend_usd=99_999, running=True, hourly_cost_usd=9),
    ]  # fmt: skip
    status = evaluate_budget(spec, workloads, NOW)
    assert status.spend_usd == 4500
    expected = 4500 + P4D_USD_PER_HOUR * hours_left + 150 + 2.0 * hours_left
    assert status.projected_spend_usd == pytest.approx(expected)
    assert status.state == "warning"  # 6.7k of 8k projected: above 80 %, while only 4.5k is spent
    assert (status.period, status.period_start, status.limit_usd) == (
        "monthly",
        datetime(2026, 11, 1, tzinfo=UTC),
        8_000,
    )


def test_total_budget_counts_only_projected_remaining():
    spec = BudgetSpec(name="all-time", limit_usd=1000, period="total")
    workloads = [
        BudgetWorkload(
            uid="a", namespace="ml", spend_usd=100, hourly_cost_usd=50, remaining_cost_usd=300, running=True
        ),
        BudgetWorkload(uid="b", namespace="ml", spend_usd=100, hourly_cost_usd=50, running=True),
    ]
    status = evaluate_budget(spec, workloads, NOW)
    assert status.projected_spend_usd == 500
    assert status.period_end is None
    assert status.state == "ok"


@pytest.mark.parametrize(
    ("projected", "thresholds", "state"),
    [(790, (0.8, 1.0), "ok"), (800, (0.8, 1.0), "warning"), (1000, (0.8, 1.0), "breach"),
     (950, (0.5, 0.9), "breach"), (600, (0.5, 0.9), "warning"), (1200, (0.8, 1.2), "breach")],
)  # fmt: skip
def test_budget_state_thresholds(projected, thresholds, state):
    assert budget_state(projected, 1000, thresholds) == state


def test_job_budget_judged_on_projected_p50():
    started = datetime(2026, 11, 27, tzinfo=UTC)
    status = job_budget_status("ml/PyTorchJob/llama-ft", 5000, 3000, Band(p10=4000, p50=5200, p90=7000), started)
    assert (status.state, status.projected_spend_usd, status.period_start) == ("breach", 5200, started)
    assert job_budget_status("j", 5000, 4100, None, None).state == "warning"


def test_a_transition_counts_changes_and_a_replay_keeps_its_dedup_key():
    first = transition("budget:prod:a", None, "warning")
    assert first == Transition("budget:prod:a", "ok", "warning", 1)  # never notified counts as ok
    assert first.dedup("slack") == "budget:prod:a:1:ok->warning:slack"
    assert transition("budget:prod:a", first.stored, "warning") is None  # recorded: the same state is no change
    resolved = transition("budget:prod:a", first.stored, "ok")
    assert resolved == Transition("budget:prod:a", "warning", "ok", 2)
    again = transition("budget:prod:a", resolved.stored, "warning")
    assert again is not None
    assert again.dedup("slack") != first.dedup("slack")  # a genuine second warning
    assert transition("budget:prod:a", None, "ok") is None
    assert parse_stored_state("breach#x") == ("breach", 0)  # a malformed counter restarts, the state is kept


@given(
    cost=st.floats(0, 1e6),
    p50=st.none() | st.floats(0, 1e6),
    budget=st.floats(0.01, 1e6),
    finished=st.booleans(),
)
def test_a_job_is_over_exactly_while_it_runs_at_or_past_its_budget(cost, p50, budget, finished):
    job = running_job().model_copy(
        update={
            "cost_usd": cost,
            "budget_usd": budget,
            "projected_cost_usd": None if p50 is None else Band(p10=p50, p50=p50, p90=p50),
            "finished": NOW if finished else None,
        }
    )
    expected_over = not finished and max(cost, p50 or 0.0) >= budget
    assert job_alert_state(job) == ("over" if expected_over else "ok")
