from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.core.domain.rate_window import advance, extrapolate

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def run(ticks: list[tuple[datetime | None, float | None, float]], min_window: float = 1800.0) -> float:
    window = None
    for epoch, progress, running in ticks:
        window = advance(window, epoch, progress, running)
    _, progress, running = ticks[-1]
    return extrapolate(window, progress, running, min_window)[1]


def test_warm_up_is_excluded_from_the_rate() -> None:
    # 20 minutes of loading at 0 %, then 1 % per 6 minutes: at 20 % the whole run takes 600 min at this pace.
    ticks = [(T0, 0.0, float(s)) for s in range(0, 1201, 60)]
    ticks += [(T0, (s - 1200) / 36000, float(s)) for s in range(1260, 1200 + 7200 + 1, 60)]
    effective = run(ticks)
    assert effective / ticks[-1][1] == pytest.approx(36000, rel=0.02)  # T_o = 1 / rate = 600 min
    assert ticks[-1][2] / ticks[-1][1] > 36000 * 1.1  # the plain running time would have said ~11 h


def test_a_restart_opens_a_new_window_and_a_short_window_falls_back_to_running_time() -> None:
    before = [(T0, s / 7200, float(s)) for s in range(0, 3601, 60)]  # 2 h per run on the first node
    restart = T0 + timedelta(hours=2)
    after = [(restart, 0.5 + (s - 3600) / 3600, float(s)) for s in range(3600, 3600 + 1201, 60)]  # faster node
    # 20 minutes after the restart: shorter than the 30-minute window, so the plain running time is used.
    assert run(before + after) == pytest.approx(after[-1][2])
    later = after + [(restart, 0.5 + (s - 3600) / 3600, float(s)) for s in range(4860, 3600 + 2401, 60)]
    effective = run(before + later)
    assert effective / later[-1][1] == pytest.approx(3600, rel=0.03)  # the new node's pace: 1 h per run


def test_progress_going_backwards_reopens_the_window() -> None:
    window = advance(None, T0, 0.1, 0.0)
    window = advance(window, T0, 0.2, 600.0)
    assert window.anchor_progress == 0.2
    window = advance(window, T0, 0.15, 700.0)  # resumed from an older checkpoint
    assert window.anchor_progress is None
    assert window.resumed_progress == 0.15


def test_no_progress_means_plain_running_time() -> None:
    assert run([(T0, None, 100.0), (T0, None, 5000.0)]) == 5000.0


def test_between_reports_progress_is_extrapolated_so_the_total_stays_put() -> None:
    window = None
    # Reports every 10 minutes at 1 % per minute after a 5-minute warm-up; ticks every minute.
    totals = []
    for minute in range(61):
        running = minute * 60.0
        reported = 0.0 if minute < 5 else ((minute - 5) // 10 * 10) / 100
        window = advance(window, T0, reported, running)
        progress, effective = extrapolate(window, reported, running)
        if minute >= 45:  # the window (anchor at 10 %, minute 15) spans 30 minutes from the 40 % report on
            assert progress is not None
            totals.append(effective / progress)
            assert progress >= reported
    assert max(totals) == pytest.approx(min(totals), rel=1e-9)  # T_o = 1 / rate at every tick, not a see-saw
    assert totals[0] == pytest.approx(6000.0)
