from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.adapters.store.prorate import (
    clip_start,
    hour_at_or_after,
    hour_fraction_after,
    share_after,
    split_by_utc_hour,
)

START = datetime(2026, 4, 1, 9, 40, tzinfo=UTC)


def test_split_by_hour_gives_each_hour_its_share_of_the_time_and_keeps_the_sum() -> None:
    pieces = split_by_utc_hour(START, START + timedelta(minutes=100), 10.0)  # 09:40 .. 11:20
    assert [hour.hour for hour, _ in pieces] == [9, 10, 11]
    assert [usd for _, usd in pieces] == pytest.approx([10.0 * 20 / 100, 10.0 * 60 / 100, 10.0 * 20 / 100])


def test_split_by_hour_works_in_utc_whatever_the_input_zone() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    pieces = split_by_utc_hour(START.astimezone(ist), (START + timedelta(minutes=30)).astimezone(ist), 3.0)
    assert [hour for hour, _ in pieces] == [datetime(2026, 4, 1, 9, tzinfo=UTC), datetime(2026, 4, 1, 10, tzinfo=UTC)]
    assert [usd for _, usd in pieces] == pytest.approx([3.0 * 20 / 30, 3.0 * 10 / 30])


def test_zero_length_interval_is_kept_whole() -> None:
    assert split_by_utc_hour(START, START, 1.5) == [(datetime(2026, 4, 1, 9, tzinfo=UTC), 1.5)]
    assert share_after(START, START, 1.5, START - timedelta(seconds=1)) == 1.5


def test_share_after_and_clip_are_linear_in_time() -> None:
    end = START + timedelta(minutes=60)
    assert share_after(START, end, 6.0, START + timedelta(minutes=20)) == pytest.approx(4.0)
    assert share_after(START, end, 6.0, START - timedelta(hours=1)) == 6.0
    assert share_after(START, end, 6.0, end) == 0.0
    assert clip_start(START, end, 6.0, START + timedelta(minutes=30)) == (START + timedelta(minutes=30), 3.0)
    assert clip_start(START, end, 6.0, end) is None


def test_hour_helpers() -> None:
    assert hour_at_or_after(START) == datetime(2026, 4, 1, 10, tzinfo=UTC)
    assert hour_at_or_after(datetime(2026, 4, 1, 10, tzinfo=UTC)) == datetime(2026, 4, 1, 10, tzinfo=UTC)
    hour = datetime(2026, 4, 1, 9, tzinfo=UTC)
    assert hour_fraction_after(hour, START) == pytest.approx(20 / 60)
    assert hour_fraction_after(hour, hour - timedelta(days=1)) == 1.0
    assert hour_fraction_after(hour, hour + timedelta(hours=2)) == 0.0
