"""An in-memory Store behind the same Protocol as the SQL store (monitor.adapters.store), for unit tests of the
agent: the
ledger's rules (close only what is open, insert only new keys, cut on a late end) written out directly.

It runs through the store contract suite (tests/contract/store, the `store` fixture) beside SQLite and PostgreSQL,
so it cannot drift from the real store. Pruning keeps the pruned segments' money exactly (the SQL store keeps it in
an hourly rollup), so totals and spend-since are unchanged by a prune, as the contract requires."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from monitor.core.domain.accrual import Ledger, LedgerChanges, Segment
from monitor.core.domain.result import WorkloadStatus


class MemoryStore:
    def __init__(self) -> None:
        self.segments: dict[tuple[str, datetime], Segment] = {}
        self.accrued_until: datetime | None = None
        self._jobs: dict[str, tuple[datetime, WorkloadStatus]] = {}
        self.points: dict[str, list[datetime]] = {}  # uid → when a projection joined its history (SQL: job_projections)
        self._pruned: list[Segment] = []  # closed segments pruned: gone from the ledger, their money kept
        self._horizon: datetime | None = None
        self.commits = 0

    def ledger(self) -> Ledger:
        open_ = {s.pod_uid: s for s in self.segments.values() if s.end is None}
        covered: dict[str, datetime] = {}
        for s in self.segments.values():
            if s.end is not None and (s.pod_uid not in covered or s.end > covered[s.pod_uid]):
                covered[s.pod_uid] = s.end
        return Ledger(open=open_, covered=covered, accrued_until=self.accrued_until, horizon=self._horizon)

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
        for segment in map(_in_utc, changes.opens):
            if (segment.pod_uid, segment.start) not in self.segments:
                self.segments[(segment.pod_uid, segment.start)] = segment
                done += 1
        if self.accrued_until is None or changes.at > self.accrued_until:
            self.accrued_until = changes.at
        return done

    def save_jobs(self, at: datetime, jobs: Sequence[WorkloadStatus], points: Collection[str] | None = None) -> None:
        for job in jobs:
            saved = self._jobs.get(job.ref.uid)
            if saved is None or at >= saved[0]:  # never over a newer snapshot
                self._jobs[job.ref.uid] = (at, job)
            if job.projected_cost_usd is not None and (points is None or job.ref.uid in points):
                kept = self.points.setdefault(job.ref.uid, [])
                if at not in kept:  # a replayed save adds nothing, as the SQL store's (uid, at) key
                    kept.append(at)

    def workload_costs(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        until = self.accrued_until
        if until is None:
            return totals
        for segment in self._all():
            totals[segment.workload_uid] = totals.get(segment.workload_uid, 0.0) + segment.usd(until)
        return totals

    def workload_spend_since(self, since: datetime) -> dict[str, float]:
        totals: dict[str, float] = {}
        until = self.accrued_until
        if until is None:
            return totals
        for segment in self._all():
            moved = Segment(**{**_fields(segment), "start": max(segment.start, since)})
            if (segment.end or until) <= since:  # nothing of it after `since` (an open one accrues up to `until`)
                continue
            totals[segment.workload_uid] = totals.get(segment.workload_uid, 0.0) + moved.usd(until)
        return totals

    def jobs(self) -> list[WorkloadStatus]:
        """In the SQL store's order: namespace, kind, name."""
        snapshots = (job for _, job in self._jobs.values())
        return sorted(snapshots, key=lambda j: (j.ref.namespace, j.ref.kind, j.ref.name))

    def prune(self, older_than: datetime) -> int:
        """Drops closed segments that ended at or before `older_than` from the ledger (their money stays counted)
        and records the horizon."""
        gone = [key for key, s in self.segments.items() if s.end is not None and s.end <= older_than]
        self._pruned += [self.segments.pop(key) for key in gone]
        if self._horizon is None or older_than > self._horizon:
            self._horizon = older_than
        return len(gone)

    def _all(self) -> list[Segment]:
        return [*self.segments.values(), *self._pruned]


def _fields(segment: Segment) -> dict[str, object]:
    return {name: getattr(segment, name) for name in Segment.__slots__}


def _with_end(segment: Segment, end: datetime) -> Segment:
    return Segment(**{**_fields(segment), "end": end})


def _in_utc(segment: Segment) -> Segment:
    """The SQL store keeps instants in UTC; so does this one."""
    end = None if segment.end is None else segment.end.astimezone(UTC)
    return Segment(**{**_fields(segment), "start": segment.start.astimezone(UTC), "end": end})
