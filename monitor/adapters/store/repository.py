"""`SqlStore`: the `monitor.core.ports.Store` over SQLAlchemy (SQLite or PostgreSQL).

What is stored is the ledger of `monitor.core.domain.accrual`: cost segments, one row per pod per rate (written when
a pod
binds, its rate changes, or it finishes), not a row per pod per tick. How "never counts twice" holds, even with two
replicas writing during a brief leader overlap:
- (pod_uid, start) is the primary key of a segment; segments go in with INSERT … ON CONFLICT DO NOTHING RETURNING and
  are closed with UPDATE … WHERE end IS NULL, so only what really changed moves USD into the per-workload totals and
  the hourly rollup, in the same transaction. A replayed tick finds nothing to change.
- An open segment is summed when read, up to `accrued_until` (the last tick committed): nothing of it is in the
  totals, so closing it earlier than that (a finish learned late) only ever counts the time it really held.
- Segments ending before the retention horizon are pruned; totals and the hourly rollup stay, and no segment may
  start before the horizon again (`Ledger.horizon`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Engine, delete, select, text

from monitor.adapters.store import memo
from monitor.adapters.store import tables as t
from monitor.adapters.store import tick_writes as writes
from monitor.adapters.store.engine import write_transaction
from monitor.adapters.store.memo import LedgerMemo
from monitor.adapters.store.prorate import hour_at_or_after, hour_floor, hour_fraction_after, split_by_utc_hour
from monitor.adapters.store.types import require_aware
from monitor.core.domain.accrual import Ledger, LedgerChanges, Segment, interval_usd
from monitor.core.domain.result import Band, ProjectionPoint, WorkloadStatus

_log = logging.getLogger(__name__)


def _checked(changes: LedgerChanges) -> LedgerChanges:
    """The changes with every time in UTC; naive times and reversed or negative segments are refused by field."""
    opens: list[Segment] = []
    for i, segment in enumerate(changes.opens):
        start = require_aware(f"opens[{i}].start", segment.start)
        end = None if segment.end is None else require_aware(f"opens[{i}].end", segment.end)
        if end is not None and end < start:
            raise ValueError(
                f"opens[{i}] (pod {segment.pod_uid}): end {end.isoformat()} is before start {start.isoformat()}"
            )
        if segment.hourly_usd < 0:
            raise ValueError(f"opens[{i}] (pod {segment.pod_uid}): hourly_usd={segment.hourly_usd} must be ≥ 0")
        same = start is segment.start and end is segment.end
        opens.append(segment if same else replace(segment, start=start, end=end))
    closes = [
        replace(
            close,
            start=require_aware(f"closes[{i}].start", close.start),
            end=require_aware(f"closes[{i}].end", close.end),
        )
        for i, close in enumerate(changes.closes)
    ]
    return LedgerChanges(at=require_aware("changes.at", changes.at), closes=tuple(closes), opens=tuple(opens))


class SqlStore:
    """Persistence of the cost ledger and job snapshots. Safe to share between threads (one engine, short
    transactions). The ledger is also held in memory (`monitor.adapters.store.memo`), trusted only while the database
    holds
    the write token this instance last saw; any other writer makes the next read reload it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._memo: LedgerMemo | None = None

    def ping(self) -> None:
        """Raises when the database cannot be reached (for /readyz)."""
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def ledger(self) -> Ledger:
        return self._current().ledger()

    def workload_costs(self) -> dict[str, float]:
        return self._current().costs()

    def commit_ledger(self, changes: LedgerChanges) -> int:
        """Applies one tick's changes and moves `accrued_until` to `changes.at` (never back), in one transaction.
        Returns how many changes took effect (0 for a replay)."""
        changes = _checked(changes)
        with self._lock, write_transaction(self._engine) as conn:
            token = memo.lock_token(conn)
            held = self._memo if self._memo is not None and token and self._memo.token == token else None
            if held is None:
                held = memo.load(conn, token)
            moved = writes.Moved()
            closed: list[tuple[str, datetime]] = []
            for close in changes.closes:
                segment = held.open.get(close.pod_uid)
                if segment is None or segment.start != close.start:
                    continue
                if writes.close(conn, close, segment, moved):
                    closed.append((close.pod_uid, close.end))
            inserted = writes.insert(conn, changes.opens, moved)
            writes.apply_moved(conn, moved, changes.at)
            until = held.accrued_until
            if until is None or changes.at > until:
                memo.set_meta(conn, memo.ACCRUED_UNTIL_KEY, changes.at.isoformat())
                until = changes.at
            new_token = memo.write_token(conn)
        with self._lock:
            self._advance(held, closed, inserted, moved, until, new_token)
        return len(closed) + len(inserted)

    def _advance(
        self,
        held: LedgerMemo,
        closed: Sequence[tuple[str, datetime]],
        inserted: Sequence[Segment],
        moved: writes.Moved,
        until: datetime,
        token: str,
    ) -> None:
        """The committed transaction, applied to the in-memory copy exactly as the SQL applied it."""
        for pod_uid, end in closed:
            held.open.pop(pod_uid, None)
            held.covered[pod_uid] = end
        for segment in inserted:
            if segment.end is None:
                held.open[segment.pod_uid] = segment
            else:
                current = held.covered.get(segment.pod_uid)
                held.covered[segment.pod_uid] = segment.end if current is None else max(current, segment.end)
        for uid, usd in moved.totals.items():
            held.totals_usd[uid] = held.totals_usd.get(uid, 0.0) + usd
        held.accrued_until = until
        held.token = token
        self._memo = held

    def save_jobs(self, at: datetime, jobs: Sequence[WorkloadStatus], points: Collection[str] | None = None) -> None:
        """Upserts the job snapshots (an older tick never overwrites a newer snapshot) and adds a projection-history
        row for each job in `points` (every job when None) that has a projection."""
        at = require_aware("at", at)
        with write_transaction(self._engine) as conn:
            writes.upsert_jobs(conn, at, jobs, points)

    def _current(self) -> LedgerMemo:
        """The in-memory copy, reloaded when the database's write token moved."""
        with self._lock, self._engine.connect() as conn:
            token = memo.read_token(conn)
            if self._memo is None or not token or self._memo.token != token:
                self._memo = memo.load(conn, token)
            return self._memo

    def workload_spend_since(self, since: datetime) -> dict[str, float]:
        """USD accrued at or after `since`: segments pro rata by time (open ones up to accrued_until). Closed segments
        before the retention horizon are gone: from `since` to the first full hour at or after the horizon their
        spend comes from the hourly rollup (the hour holding `since` pro rata by time, assuming uniform spend within
        it: exact for hour-aligned periods)."""
        since = require_aware("since", since)
        held = self._current()
        with self._engine.connect() as conn:
            horizon = memo.meta_time(conn, memo.HORIZON_KEY)
            boundary = since if horizon is None or since >= horizon else hour_at_or_after(horizon)
            seg = t.cost_segments
            spend: dict[str, float] = {}
            closed = conn.execute(
                select(seg.c.workload_uid, seg.c.start, seg.c.end, seg.c.hourly_usd).where(
                    seg.c.end.is_not(None), seg.c.end > boundary
                )
            )
            for uid, start, end, hourly_usd in closed:
                usd = interval_usd(float(hourly_usd), max(memo.as_utc(start), boundary), memo.as_utc(end))
                spend[uid] = spend.get(uid, 0.0) + usd
            if boundary > since:
                hourly = t.workload_hourly_spend
                result = conn.execute(
                    select(hourly.c.workload_uid, hourly.c.hour, hourly.c.usd).where(
                        hourly.c.hour >= hour_floor(since), hourly.c.hour < boundary
                    )
                )
                for uid, hour, usd in result:
                    spend[uid] = spend.get(uid, 0.0) + float(usd) * hour_fraction_after(memo.as_utc(hour), since)
        until = held.accrued_until
        if until is not None:
            for segment in held.open.values():
                usd = interval_usd(segment.hourly_usd, max(segment.start, since), until)
                if usd:
                    spend[segment.workload_uid] = spend.get(segment.workload_uid, 0.0) + usd
        return spend

    def workload_hourly_usd(self, workload_uid: str) -> list[tuple[datetime, float]]:
        """One workload's spend per UTC hour, oldest first: the hourly rollup (closed segments, kept past pruning)
        plus its open segments accrued up to the last tick, split by hour. The sum is `workload_costs()[uid]` as
        long as no rollup row was pruned."""
        hourly = t.workload_hourly_spend
        held = self._current()
        by_hour: dict[datetime, float] = {}
        with self._engine.connect() as conn:
            rows = conn.execute(select(hourly.c.hour, hourly.c.usd).where(hourly.c.workload_uid == workload_uid))
            for hour, usd in rows:
                by_hour[memo.as_utc(hour)] = by_hour.get(memo.as_utc(hour), 0.0) + float(usd)
        until = held.accrued_until
        if until is not None:
            for segment in held.open.values():
                if segment.workload_uid == workload_uid and until > segment.start:
                    for hour, part in split_by_utc_hour(segment.start, until, segment.usd(until)):
                        by_hour[hour] = by_hour.get(hour, 0.0) + part
        return sorted(by_hour.items())

    def projection_history(self, workload_uid: str) -> list[ProjectionPoint]:
        """One workload's projection history (the points `save_jobs` was told to add), oldest first; rows older than
        the retention are pruned with the segments."""
        proj = t.job_projections
        columns = (proj.c.at, proj.c.cost_usd, proj.c.p10_usd, proj.c.p50_usd, proj.c.p90_usd)
        query = select(*columns, proj.c.expected_completion, proj.c.progress).where(proj.c.uid == workload_uid)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(proj.c.at)).all()
        return [
            ProjectionPoint(
                at=memo.as_utc(at),
                cost_usd=float(cost),
                projected_cost_usd=Band(p10=float(p10), p50=float(p50), p90=float(p90)),
                expected_completion=memo.as_utc(eta) if eta is not None else None,
                progress=float(progress) if progress is not None else None,
            )
            for at, cost, p10, p50, p90, eta, progress in rows
        ]

    def jobs(self) -> list[WorkloadStatus]:
        snap = t.job_snapshots
        statuses: list[WorkloadStatus] = []
        with self._engine.connect() as conn:
            result = conn.execute(select(snap.c.uid, snap.c.data).order_by(snap.c.namespace, snap.c.kind, snap.c.name))
            for uid, data in result:
                try:
                    statuses.append(WorkloadStatus.model_validate(data))
                except ValidationError as exc:
                    _log.warning("job snapshot %s is unreadable and was skipped: %s", uid, exc)
        return statuses

    def prune(self, older_than: datetime) -> int:
        """Deletes closed segments that ended at or before `older_than` (open ones always stay) and the projection
        history of that age; totals and the hourly rollup stay. Records the horizon, before which no segment may
        start again."""
        older_than = require_aware("older_than", older_than)
        seg = t.cost_segments
        with self._lock, write_transaction(self._engine) as conn:
            memo.lock_token(conn)
            deleted = conn.execute(delete(seg).where(seg.c.end.is_not(None), seg.c.end <= older_than)).rowcount
            proj = t.job_projections
            conn.execute(delete(proj).where(proj.c.at <= older_than))  # not counted: the Protocol counts segments
            current = memo.meta_time(conn, memo.HORIZON_KEY)
            if current is None or older_than > current:
                memo.set_meta(conn, memo.HORIZON_KEY, older_than.isoformat())
            memo.write_token(conn)
            self._memo = None  # reload on the next read
        return int(deleted)
