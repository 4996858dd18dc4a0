"""Ticks and channels shared by the notification integration tests."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from monitor.adapters.notify.factory import http_client
from monitor.core.domain.result import BudgetStatus, TickResult

AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def budget_tick(state: str, *, name: str = "research", projected_usd: float = 11000.0) -> TickResult:
    budget = BudgetStatus(
        name=name,
        period="monthly",
        period_start=datetime(2026, 11, 1, tzinfo=UTC),
        period_end=None,
        limit_usd=10000.0,
        spend_usd=8200.0,
        projected_spend_usd=projected_usd,
        state=state,
    )
    return TickResult(cluster="prod", at=AT, budgets=(budget,))


def client() -> httpx.Client:
    return http_client()
