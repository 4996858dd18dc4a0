"""The JSON API's `display_currency` blocks: USD figures converted at one dated rate, shown beside them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from monitor.config.settings import Settings
from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import Band, BudgetStatus, TickResult, WorkloadStatus
from monitor.core.state import LatestResult
from monitor.http.api import ApiDeps, route
from monitor.http.display_currency import display_currency

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _deps(settings: Settings) -> ApiDeps:
    latest = LatestResult()
    job = WorkloadStatus(
        ref=WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name="ft", uid="u1"),
        cost_usd=100.0,
        hourly_cost_usd=10.0,
        projected_cost_usd=Band(p10=150.0, p50=200.0, p90=260.0),
        budget_usd=500.0,
    )
    budget = BudgetStatus(
        name="team-a", period="monthly", period_start=AT, period_end=None, limit_usd=1000.0, spend_usd=400.0,
        projected_spend_usd=900.0,
    )  # fmt: skip
    latest.publish(TickResult(cluster="c", at=AT, jobs=(job,), budgets=(budget,)))
    return ApiDeps(
        latest=latest,
        metrics=lambda: b"",
        readiness=lambda: (True, {}),
        history=list,
        display=display_currency(settings),
    )


def _only_item(deps: ApiDeps, path: str) -> dict[str, Any]:
    _, _, body = route(deps, path, {})
    items: list[dict[str, Any]] = json.loads(body)["items"]
    assert len(items) == 1
    return items[0]


def test_jobs_in_cny_at_the_default_dated_cfets_rate() -> None:
    item = _only_item(_deps(Settings(currency="cny")), "/api/v1/jobs")
    block = item["display_currency"]
    # 7.0197 CNY per USD, CFETS central parity of 2026-01-08: $100 → ¥701.97, p50 $200 → ¥1,403.94
    assert (block["currency"], block["rate"], block["rate_as_of"]) == ("CNY", 7.0197, "2026-01-08")
    assert block["cost"] == pytest.approx(701.97)
    assert block["projected"]["p50"] == pytest.approx(1403.94)
    assert block["budget"] == pytest.approx(3509.85)
    assert item["cost_usd"] == 100.0  # the USD fields are unchanged


def test_budgets_at_a_configured_rate_and_date() -> None:
    settings = Settings(currency="CNY", cny_per_usd=7.2, cny_per_usd_as_of=date(2026, 3, 2))
    item = _only_item(_deps(settings), "/api/v1/budgets")
    block = item["display_currency"]
    assert (block["rate"], block["rate_as_of"]) == (7.2, "2026-03-02")
    assert (block["limit"], block["spend"], block["projected"]) == pytest.approx((7200.0, 2880.0, 6480.0))


def test_usd_display_is_the_identity() -> None:
    item = _only_item(_deps(Settings()), "/api/v1/jobs")
    assert item["display_currency"]["currency"] == "USD"
    assert item["display_currency"]["cost"] == item["cost_usd"]


def test_bad_currency_and_a_date_without_a_rate_name_the_field() -> None:
    with pytest.raises(ValueError, match="currency='EUR'"):
        Settings(currency="EUR")
    with pytest.raises(ValueError, match="cny_per_usd_as_of"):
        Settings(cny_per_usd_as_of=date(2026, 3, 2))
