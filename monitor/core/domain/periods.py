"""Budget periods in UTC: calendar months, ISO weeks (Monday 00:00 UTC, ISO 8601), or all time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

Period = Literal["monthly", "weekly", "total"]
PERIODS: tuple[Period, ...] = ("monthly", "weekly", "total")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"now={moment!r}: pass a timezone-aware datetime (UTC)")
    return moment.astimezone(UTC)


def period_bounds(period: Period, now: datetime) -> tuple[datetime, datetime | None]:
    """[start, end) of the period holding `now`; a "total" period starts at the Unix epoch and never ends."""
    moment = _utc(now)
    if period == "monthly":
        start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
        end = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)
        return start, end
    if period == "weekly":
        midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
        start = midnight - timedelta(days=moment.weekday())  # weekday(): Monday = 0
        return start, start + timedelta(days=7)
    if period == "total":
        return EPOCH, None
    raise ValueError(f"period={period!r}: use one of {', '.join(PERIODS)}")


def period_label(period: Period, now: datetime) -> str:
    """A stable name of the period holding `now`: "2026-11", "2026-W45" (ISO year and week) or "total"."""
    moment = _utc(now)
    if period == "monthly":
        return f"{moment.year:04d}-{moment.month:02d}"
    if period == "weekly":
        iso = moment.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    return "total"
