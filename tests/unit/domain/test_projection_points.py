"""Which saved snapshots add a point to a Job's projection history (monitor/core/domain/projection_points.py): a
steady forecast an hour apart, a moved one at once; and, under hypothesis, the history never hides a move beyond
the deadband nor a gap longer than the interval."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.projection_points import ProjectionPoints
from monitor.core.domain.result import Band, WorkloadStatus
from tests.unit.domain.factories import T0

FIVE_MINUTES = timedelta(minutes=5)


def job(
    p50: float | None = 100.0,
    progress: float | None = 0.2,
    state: str = "Running",
    uid: str = "j",
    width: float = 0.3,  # p90 / p50 - 1; p10 is p50 less a third of that
) -> WorkloadStatus:
    ref = WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name=uid, uid=uid)
    band = Band(p10=(1 - width / 3) * p50, p50=p50, p90=(1 + width) * p50) if p50 is not None else None
    return WorkloadStatus(
        ref=ref,
        state=state,
        cost_usd=1.0,
        hourly_cost_usd=4.0,
        projected_cost_usd=band,
        progress=progress,
        observed_at=T0,
    )


def test_a_steady_forecast_keeps_one_point_an_hour_instead_of_one_per_snapshot() -> None:
    points = ProjectionPoints()
    kept = [T0 + i * FIVE_MINUTES for i in range(37) if points.due([job()], T0 + i * FIVE_MINUTES)]
    assert kept == [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2), T0 + timedelta(hours=3)]


def test_a_forecast_that_moves_past_the_deadband_is_kept_at_once() -> None:
    points = ProjectionPoints()
    assert points.due([job(1000.0)], T0) == {"j"}
    assert points.due([job(1005.0)], T0 + FIVE_MINUTES) == set()  # 0.5 %: within the deadband
    assert points.due([job(1015.0)], T0 + 2 * FIVE_MINUTES) == {"j"}  # 1.5 % from the last point kept
    assert points.due([job(1015.0, progress=0.24)], T0 + 3 * FIVE_MINUTES) == set()
    assert points.due([job(1015.0, progress=0.26)], T0 + 4 * FIVE_MINUTES) == {"j"}  # 6 points of progress
    assert points.due([job(1015.0, progress=0.26, state="Succeeded")], T0 + 5 * FIVE_MINUTES) == {"j"}


def test_the_band_edges_have_a_wider_deadband_than_the_median() -> None:
    points = ProjectionPoints()
    points.due([job(10_000.0, width=0.30)], T0)  # p90 $13,000
    assert points.due([job(10_000.0, width=0.27)], T0 + FIVE_MINUTES) == set()  # p90 -2.3 %, p10 +1.1 %
    assert points.due([job(10_000.0, width=0.22)], T0 + 2 * FIVE_MINUTES) == {"j"}  # p90 -6.2 % from the last kept


def test_a_cheap_job_moving_by_cents_is_not_a_move() -> None:
    points = ProjectionPoints()
    points.due([job(20.0)], T0)
    assert points.due([job(20.5)], T0 + FIVE_MINUTES) == set()  # 2.5 % but under $1 on p50 and p90
    assert points.due([job(21.0)], T0 + 2 * FIVE_MINUTES) == {"j"}  # p90 moved $1.20


def test_a_projection_that_goes_and_comes_back_starts_again() -> None:
    points = ProjectionPoints()
    points.due([job()], T0)
    assert points.due([job(p50=None)], T0 + FIVE_MINUTES) == set()  # nothing to record
    assert points.due([job()], T0 + 2 * FIVE_MINUTES) == {"j"}


def test_jobs_are_decided_each_on_their_own_and_forgotten_when_gone() -> None:
    points = ProjectionPoints()
    assert points.due([job(uid="a"), job(uid="b")], T0) == {"a", "b"}
    assert points.due([job(uid="a"), job(200.0, uid="b")], T0 + FIVE_MINUTES) == {"b"}
    later = T0 + timedelta(hours=3)
    points.due([job(uid="a")], later)  # b gone for three hours: forgotten, so back it is a first point
    assert points.due([job(200.0, uid="b")], later + FIVE_MINUTES) == {"b"}


_step = st.tuples(
    st.integers(min_value=1, max_value=30),  # minutes since the last snapshot
    st.floats(min_value=-0.03, max_value=0.03),  # relative move of p50
    st.floats(min_value=-0.08, max_value=0.08),  # relative move of the band's width
    st.floats(min_value=0.0, max_value=0.04),  # progress gained
    st.booleans(),  # projection present
    st.sampled_from(["Running", "Running", "Running", "Suspended"]),
)


@settings(max_examples=300, deadline=None)
@given(start_usd=st.floats(min_value=1.0, max_value=1e5), steps=st.lists(_step, min_size=1, max_size=80))
def test_the_history_stays_within_the_deadband_of_the_full_series(
    start_usd: float, steps: list[tuple[int, float, float, float, bool, str]]
) -> None:
    """Every snapshot with a projection either adds a point, or is within the deadband of the last point kept
    (p50 within max(1 %, $1), p10 and p90 within max(5 %, $1), progress within 5 points, same state) and less than
    an hour after it. The band's width moves on its own, as it does when progress accrues."""
    points = ProjectionPoints()
    at, p50, width, progress = T0, start_usd, 0.3, 0.0
    last: tuple[datetime, WorkloadStatus] | None = None
    for minutes, move, narrowed, gained, present, state in steps:
        at += timedelta(minutes=minutes)
        p50 *= 1 + move
        width = min(2.0, width * (1 + narrowed))
        progress = min(1.0, progress + gained)
        status = job(p50 if present else None, progress, state, width=width)
        kept = points.due([status], at)
        if status.projected_cost_usd is None:
            assert kept == set()
            last = None
            continue
        if kept:
            last = (at, status)
            continue
        assert last is not None, "a Job's first projection is always kept"
        since, point = last
        assert at - since < timedelta(hours=1)
        assert point.state == status.state
        assert point.progress is not None
        assert status.progress is not None
        assert abs(status.progress - point.progress) < 0.05
        assert point.projected_cost_usd is not None
        before, now = point.projected_cost_usd, status.projected_cost_usd
        assert abs(now.p50 - before.p50) <= max(0.01 * abs(before.p50), 1.0)
        assert abs(now.p10 - before.p10) <= max(0.05 * abs(before.p10), 1.0)
        assert abs(now.p90 - before.p90) <= max(0.05 * abs(before.p90), 1.0)


def test_a_point_whose_save_failed_is_due_again_and_not_taken_as_the_last_point() -> None:
    """revert after a failed save: the moved forecast is recorded at the next save, and the deadband is measured
    from the last point that was saved, not from the one that was not."""
    points = ProjectionPoints()
    assert points.due([job(1000.0)], T0) == {"j"}
    assert points.due([job(1015.0)], T0 + FIVE_MINUTES) == {"j"}  # moved 1.5 %: the save fails
    points.revert()
    assert points.due([job(1008.0)], T0 + 2 * FIVE_MINUTES) == set()  # 0.8 % from the saved point
    assert points.due([job(1015.0)], T0 + 3 * FIVE_MINUTES) == {"j"}
    assert points.due([job(None)], T0 + 4 * FIVE_MINUTES) == set()  # its projection goes; that save fails
    points.revert()
    assert points.due([job(1016.0)], T0 + 5 * FIVE_MINUTES) == set()  # still measured from the saved 1015
