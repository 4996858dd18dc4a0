"""An in-memory Store behind the same Protocol as the SQL store (monitor.store), for unit tests of the agent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.domain.result import JobStatus
from monitor.ports import AccrualRow


class MemoryStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, datetime], AccrualRow] = {}
        self._watermarks: dict[str, datetime] = {}
        self._jobs: dict[str, JobStatus] = {}
        self.commits = 0

    def watermarks(self) -> dict[str, datetime]:
        return dict(self._watermarks)

    def commit_tick(self, at: datetime, rows: Sequence[AccrualRow], jobs: Sequence[JobStatus]) -> int:
        self.commits += 1
        inserted = 0
        for row in rows:
            key = (row.pod_uid, row.start)
            if key in self.rows:
                continue
            self.rows[key] = row
            inserted += 1
            self._watermarks[row.pod_uid] = max(row.end, self._watermarks.get(row.pod_uid, row.end))
        for job in jobs:
            self._jobs[job.ref.uid] = job
        return inserted

    def workload_costs(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for row in self.rows.values():
            totals[row.workload_uid] = totals.get(row.workload_uid, 0.0) + row.usd
        return totals

    def workload_spend_since(self, since: datetime) -> dict[str, float]:
        totals: dict[str, float] = {}
        for row in self.rows.values():
            if row.end <= since:
                continue
            seconds = (row.end - row.start).total_seconds()
            inside = (row.end - max(row.start, since)).total_seconds()
            totals[row.workload_uid] = totals.get(row.workload_uid, 0.0) + row.usd * inside / seconds
        return totals

    def jobs(self) -> list[JobStatus]:
        return list(self._jobs.values())

    def prune(self, older_than: datetime) -> int:
        return 0
