"""Which saved job snapshots add a point to the Job's projection history (the store's `job_projections`).

The history shows how a Job's forecast moved (its page's band chart, `/api/v1/jobs/.../history`). A point at every
saved snapshot (`snapshot_schedule`: at least every 5 minutes) grew the store by ~66 KB a day per running Job —
7.7 MB/day at 100 Jobs, ~7 GB over 90 days at 1,000 — for points that mostly repeat the one before. So a point is
kept, as a process historian compresses a series (a deadband with a longest gap), when the forecast moved:

* the Job's first point, and the first after its projection appears or disappears;
* its state changed (a finish, a suspension) or its finish time did;
* the projected cost's p50 moved from the last point's by more than `relative_change` (1 %) of it, or its p10 or
  p90 by more than `band_relative_change` (5 %), or either by more than `absolute_usd` ($1) where that is larger
  (1 % of a few dollars is noise). The band's edges get the wider deadband: early in a run the band narrows by a few
  per cent every few minutes as progress accrues (`projection.observed_log_sd`), and a chart cannot show 1 % of it;
* progress moved `progress_step` (5 points) or more since the last point;
* and otherwise once `interval_seconds` (1 h) has passed since the last point, so the chart has a point an hour.

Invariant (tests/unit/domain/test_projection_points.py, hypothesis): every snapshot that adds no point is within
these bounds of the last point kept before it and less than `interval_seconds` after it, so the history differs
from the full series by no more than the deadband. State lives here, in memory: after a restart every Job's next
snapshot is a first point again, one extra point per Job. `due` remembers its points as kept; when the save then
fails, `revert` takes that back, so the next save records them instead of treating an unsaved point as the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.core.domain.result import WorkloadStatus
from monitor.core.domain.undo import restore


@dataclass(frozen=True)
class _Point:
    at: datetime
    state: str
    finished: datetime | None
    bands: tuple[float, float, float]  # projected cost p10, p50, p90
    progress: float | None


def _point(job: WorkloadStatus, at: datetime) -> _Point | None:
    """The job's projection as a history point, None without one."""
    band = job.projected_cost_usd
    if band is None:
        return None
    return _Point(at, job.state, job.finished, (band.p10, band.p50, band.p90), job.progress)


class ProjectionPoints:
    def __init__(
        self,
        interval_seconds: float = 3600.0,
        relative_change: float = 0.01,
        band_relative_change: float = 0.05,
        absolute_usd: float = 1.0,
        progress_step: float = 0.05,
    ) -> None:
        self._interval = timedelta(seconds=interval_seconds)
        self._relative = (band_relative_change, relative_change, band_relative_change)  # p10, p50, p90
        self._absolute = absolute_usd
        self._progress_step = progress_step
        self._kept: dict[str, _Point] = {}  # uid → the last point kept
        self._before: dict[str, _Point | None] = {}  # what the last `due` changed, for revert
        self._next_prune: datetime | None = None

    def due(self, saved: Sequence[WorkloadStatus], now: datetime) -> frozenset[str]:
        """The uids among the snapshots saved at `now` whose projection joins the history (remembered as kept: call
        once per committed save)."""
        due = set()
        self._before = {}
        for job in saved:
            uid = job.ref.uid
            point = _point(job, now)
            last = self._kept.get(uid)
            if point is None:
                if last is not None:  # nothing to record; the projection's return is a first point again
                    self._before[uid] = self._kept.pop(uid)
                continue
            if last is None or self._moved(last, point) or now - last.at >= self._interval:
                self._before[uid] = last
                self._kept[uid] = point
                due.add(uid)
        if self._next_prune is None or now >= self._next_prune:
            # A running Job keeps a point an interval at most: one not kept for two is gone or holds no projection.
            horizon = now - 2 * self._interval
            self._kept = {uid: p for uid, p in self._kept.items() if p.at >= horizon}
            self._next_prune = now + self._interval
        return frozenset(due)

    def revert(self) -> None:
        """The last `due`'s points were not saved after all: each Job's last kept point is what it was before."""
        restore(self._kept, self._before)
        self._before = {}

    def _moved(self, last: _Point, point: _Point) -> bool:
        if (last.state, last.finished) != (point.state, point.finished):
            return True
        for before, now, relative in zip(last.bands, point.bands, self._relative, strict=True):
            if abs(now - before) > max(relative * abs(before), self._absolute):
                return True
        if (last.progress is None) != (point.progress is None):
            return True
        return (
            last.progress is not None
            and point.progress is not None
            and abs(point.progress - last.progress) >= self._progress_step
        )
