"""Which job snapshots a tick persists.

A job's stored snapshot is what a restarted daemon carries forward (running time, rate window, estimate, finished
jobs) and what the API lists as history; its cost is never read from it (costs come from the ledger). Rewriting all
1,000 snapshots as JSON every 30 s tick was a tenth of the tick, for fields that move every tick (cost, observed_at)
and matter only as of the last save: a restarted agent adds the time since the snapshot's `observed_at`
(`Agent._running_seconds`). So a snapshot is written when the job is new or something about it changed that is not
just time passing — state, hourly cost, GPUs, budget state, finish, problems, price source, estimate — and otherwise
at least every `interval_seconds`, staggered by uid so that the periodic saves spread over the ticks.

`due` counts its jobs as saved; when the save then fails (the store is down), `revert` takes that back, so the next
tick saves them again: a failed save must not skip a finish or an hour of running time until the next interval.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.core.domain.result import WorkloadStatus
from monitor.core.domain.undo import restore

_Material = tuple[object, ...]


def _material(job: WorkloadStatus) -> _Material:
    return (
        job.state,
        job.hourly_cost_usd,
        job.gpus,
        job.budget_state,
        job.finished,
        job.problems,
        job.price_source,
        job.price_stale,
        job.estimate is not None,
    )


class SnapshotSchedule:
    def __init__(self, interval_seconds: float) -> None:
        self._interval = timedelta(seconds=interval_seconds)
        self._saved: dict[str, tuple[datetime, _Material]] = {}  # uid → (when it counts as saved, what was saved)
        self._before: dict[str, tuple[datetime, _Material] | None] = {}  # what the last `due` overwrote, for revert

    def due(self, jobs: Sequence[WorkloadStatus], now: datetime) -> list[WorkloadStatus]:
        """The jobs to save at `now` (remembered as saved: call once per committed tick)."""
        due: list[WorkloadStatus] = []
        self._before = {}
        for job in jobs:
            uid = job.ref.uid
            material = _material(job)
            saved = self._saved.get(uid)
            if saved is None:
                self._before[uid] = None
                # Counted as saved a little earlier than now, by a stable fraction of the interval per uid.
                offset = self._interval * ((zlib.crc32(uid.encode()) % 1000) / 1000)
                self._saved[uid] = (now - offset, material)
                due.append(job)
            elif saved[1] != material or now - saved[0] >= self._interval:
                self._before[uid] = saved
                self._saved[uid] = (now, material)
                due.append(job)
        if len(self._saved) > 2 * len(jobs) + 100:
            live = {job.ref.uid for job in jobs}
            self._saved = {uid: v for uid, v in self._saved.items() if uid in live}
        return due

    def revert(self) -> None:
        """The last `due`'s jobs were not saved after all: they count as what they were before it."""
        restore(self._saved, self._before)
        self._before = {}
