"""Pro-rating of one accrual interval's cost over parts of its time span (pure helpers of the repository).

An interval's cost is assumed uniform over [start, end) — true by construction, since a sample is one hourly price
integrated over wall time: usd = hourly_usd × (end − start) / 3600 s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def share_after(start: datetime, end: datetime, usd: float, since: datetime) -> float:
    """The part of `usd` spent in [since, end): usd × (end − max(start, since)) / (end − start); a zero-length
    interval counts whole when it ends after `since`."""
    if end <= since:
        return 0.0
    if start >= since:
        return usd
    span_seconds = (end - start).total_seconds()
    return usd * (end - since).total_seconds() / span_seconds


def clip_start(start: datetime, end: datetime, usd: float, new_start: datetime) -> tuple[datetime, float] | None:
    """The interval cut to [max(start, new_start), end) and its pro-rated cost; None when nothing is left."""
    if end <= new_start:
        return None
    if start >= new_start:
        return start, usd
    return new_start, share_after(start, end, usd, new_start)


def hour_floor(moment: datetime) -> datetime:
    """The UTC hour that holds `moment`, e.g. 10:42:07+00:00 → 10:00:00+00:00."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def split_by_utc_hour(start: datetime, end: datetime, usd: float) -> list[tuple[datetime, float]]:
    """`usd` split across the UTC clock hours that [start, end) covers, each hour getting its share of the time:
    usd × (piece seconds) / (interval seconds). A zero-length interval goes whole to the hour holding `start`."""
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    if end_utc <= start_utc:
        return [(hour_floor(start_utc), usd)]
    span_seconds = (end_utc - start_utc).total_seconds()
    pieces: list[tuple[datetime, float]] = []
    cursor = start_utc
    while cursor < end_utc:
        hour = hour_floor(cursor)
        piece_end = min(end_utc, hour + _HOUR)
        pieces.append((hour, usd * (piece_end - cursor).total_seconds() / span_seconds))
        cursor = piece_end
    return pieces


def hour_at_or_after(moment: datetime) -> datetime:
    """The first UTC full hour ≥ `moment`."""
    floor = hour_floor(moment)
    return floor if floor == moment else floor + _HOUR


def hour_fraction_after(hour: datetime, since: datetime) -> float:
    """Fraction of the clock hour starting at `hour` that lies at or after `since` (1.0 when it starts after it)."""
    before_seconds = (since - hour).total_seconds()
    return min(1.0, max(0.0, 1.0 - before_seconds / _HOUR.total_seconds()))


_HOUR = timedelta(hours=1)
