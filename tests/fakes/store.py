"""An in-memory Store behind the same Protocol as the SQL store (monitor.store), for unit tests of the agent: the
ledger's rules (close only what is open, insert only new keys, cut on a late end) written out directly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.domain.accrual import Ledger, LedgerChanges, Segment
from monitor.domain.result import JobStatus


class MemoryStore:
    def __init__(self) -> None:
        self.segments: dict[tuple[str, datetime], Segment] = {}
        self.accrued_until: datetime | None = None
        self._jobs: dict[str, JobStatus] = {}
        self.commits = 0

    def ledger(self) -> Ledger:
        open_ = {s.pod_uid: s for s in self.segments.values() if s.end is None}
        covered: dict[str, datetime] = {}
        for s in self.segments.values():
            if s.end is not None and (s.pod_uid not in covered or s.end > covered[s.pod_uid]):
                covered[s.pod_uid] = s.end
        return Ledger(open=open_, covered=covered, accrued_until=self.accrued_until)

    def commit_ledger(self, changes: LedgerChanges) -> int:
        self.commits += 1
        done = 0
        for close in changes.closes:
            segment = self.segments.get((close.pod_uid, close.start))
            if segment is None or segment.end is not None:
                continue
            done += 1
            if close.end > close.start:
                self.segments[(close.pod_uid, close.start)] = _with_end(segment, close.end)
                continue
            del self.segments[(close.pod_uid, close.start)]
            for key, other in list(self.segments.items()):
                if other.pod_uid == close.pod_uid and other.end is not None and other.end > close.end:
                    if other.start >= close.end:
                        del self.segments[key]
                    else:
                        self.segments[key] = _with_end(other, close.end)
        for segment in changes.opens:
            if (segment.pod_uid, segment.start) not in self.segments:
                self.segments[(segment.pod_uid, segment.start)] = segment
                done += 1
        if self.accrued_until is None or changes.at > self.accrued_until:
            self.accrued_until = changes.at
        return done

    def save_jobs(self, at: datetime, jobs: Sequence[JobStatus]) -> None:
        for job in jobs:
            self._jobs[job.ref.uid] = job

    def workload_costs(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        until = self.accrued_until
        if until is None:
            return totals
        for segment in self.segments.values():
            totals[segment.workload_uid] = totals.get(segment.workload_uid, 0.0) + segment.usd(until)
        return totals

    def workload_spend_since(self, since: datetime) -> dict[str, float]:
        totals: dict[str, float] = {}
        until = self.accrued_until
        if until is None:
            return totals
        for segment in self.segments.values():
            moved = Segment(**{**_fields(segment), "start": max(segment.start, since)})
            if segment.end is not None and segment.end <= since:
                continue
            totals[segment.workload_uid] = totals.get(segment.workload_uid, 0.0) + moved.usd(until)
        return totals

    def jobs(self) -> list[JobStatus]:
        return list(self._jobs.values())

    def prune(self, older_than: datetime) -> int:
        return 0


def _fields(segment: Segment) -> dict[str, object]:
    return {name: getattr(segment, name) for name in Segment.__slots__}


def _with_end(segment: Segment, end: datetime) -> Segment:
    return Segment(**{**_fields(segment), "end": end})
