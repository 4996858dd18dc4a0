"""`SqlStore`: the `monitor.ports.Store` over SQLAlchemy (SQLite or PostgreSQL).

How "never counts twice" holds, even with two replicas writing during a brief leader overlap:
- (pod_uid, start) is the primary key of a sample and rows go in with INSERT … ON CONFLICT DO NOTHING RETURNING, so
  only rows that were really inserted come back; totals, the hourly rollup and watermarks are advanced from those
  alone, in the same transaction.
- A row starting before its pod's watermark was already accrued (a stale or replayed tick): it is skipped, and the
  watermark, which only inserted rows advance, makes the next tick accrue from the right place.
- Rows reaching back before the retention horizon (where samples were pruned) are cut at the horizon, since a
  duplicate there could no longer be detected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, delete, func, select, text

from monitor.domain.result import JobStatus
from monitor.ports import AccrualRow
from monitor.store import memo
from monitor.store import tables as t
from monitor.store import tick_writes as writes
from monitor.store.engine import write_transaction
from monitor.store.memo import LedgerMemo
from monitor.store.prorate import (
    clip_start,
    hour_at_or_after,
    hour_floor,
    hour_fraction_after,
    share_after,
)
from monitor.store.types import require_aware
from monitor.store.upsert import insert_for

_log = logging.getLogger(__name__)
_HORIZON_KEY = "samples_pruned_before"


def _checked(index: int, row: AccrualRow) -> AccrualRow:
    utc = row.start.tzinfo is UTC and row.end.tzinfo is UTC  # what the agent writes: nothing to convert
    start = row.start if utc else require_aware(f"rows[{index}].start", row.start)
    end = row.end if utc else require_aware(f"rows[{index}].end", row.end)
    if end < start:
        raise ValueError(
            f"rows[{index}] (pod {row.pod_uid}): end {end.isoformat()} is before start {start.isoformat()}"
        )
    if row.usd < 0 or row.hourly_usd < 0:
        raise ValueError(f"rows[{index}] (pod {row.pod_uid}): usd={row.usd}, hourly_usd={row.hourly_usd} must be ≥ 0")
    return row if utc else row.model_copy(update={"start": start, "end": end})


class SqlStore:
    """Persistence of accrued cost and job snapshots. Safe to share between threads (one engine, short transactions).

    Watermarks and totals are also held in memory (`monitor.store.memo`), trusted only while the database holds the
    write token this instance last saw; any other writer makes the next read reload them.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._memo: LedgerMemo | None = None

    def ping(self) -> None:
        """Raises when the database cannot be reached (for /readyz)."""
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def watermarks(self) -> dict[str, datetime]:
        return dict(self._current().watermarks)

    def workload_costs(self) -> dict[str, float]:
        return dict(self._current().totals_usd)

    def commit_tick(self, at: datetime, rows: Sequence[AccrualRow], jobs: Sequence[JobStatus]) -> int:
        at = require_aware("at", at)
        checked = [_checked(i, row) for i, row in enumerate(rows)]
        with self._lock, write_transaction(self._engine) as conn:
            token = memo.lock_token(conn)
            held = self._memo if self._memo is not None and token and self._memo.token == token else None
            if held is None:
                held = memo.load(conn, token)
                self._memo = held if token else None
            candidates = self._admissible(conn, checked, held.watermarks)
            inserted = writes.insert_samples(conn, candidates)
            added: dict[str, float] = {}
            ends: dict[str, datetime] = {}
            if inserted:
                added = writes.add_totals(conn, inserted, at)
                writes.add_hourly(conn, inserted)
                ends = writes.advance_watermarks(conn, inserted)
                token = memo.write_token(conn)
            writes.upsert_jobs(conn, at, jobs)
        # Committed: advance the copy as the SQL advanced the tables. A row the database refused (written by
        # someone else meanwhile) means the copy missed a write: reload it next time.
        with self._lock:
            if len(inserted) != len(candidates):
                self._memo = None
            elif inserted:
                held.advance(ends, added, token)
                self._memo = held
        return len(inserted)

    def _current(self) -> LedgerMemo:
        """The in-memory copy, reloaded when the database's write token moved."""
        with self._lock, self._engine.connect() as conn:
            token = memo.read_token(conn)
            if self._memo is None or not token or self._memo.token != token:
                self._memo = memo.load(conn, token)
            return self._memo

    def workload_spend_since(self, since: datetime) -> dict[str, float]:
        """Samples, pro rata, when they cover `since`. Below the retention horizon, hours from `since` to the first full
        hour at or after the horizon come from the hourly rollup (the hour holding `since` pro rata by time, assuming
        uniform spend within it: exact for hour-aligned periods) and the rest from samples."""
        since = require_aware("since", since)
        with self._engine.connect() as conn:
            horizon = _horizon(conn)
            if horizon is None or since >= horizon:
                return _samples_spend_since(conn, since)
            boundary = hour_at_or_after(horizon)
            spend = _samples_spend_since(conn, boundary)
            hourly = t.workload_hourly_spend
            result = conn.execute(
                select(hourly.c.workload_uid, hourly.c.hour, hourly.c.usd).where(
                    hourly.c.hour >= hour_floor(since), hourly.c.hour < boundary
                )
            )
            for uid, hour, usd in result:
                spend[uid] = spend.get(uid, 0.0) + float(usd) * hour_fraction_after(hour, since)
            return spend

    def jobs(self) -> list[JobStatus]:
        snap = t.job_snapshots
        statuses: list[JobStatus] = []
        with self._engine.connect() as conn:
            result = conn.execute(select(snap.c.uid, snap.c.data).order_by(snap.c.namespace, snap.c.kind, snap.c.name))
            for uid, data in result:
                try:
                    statuses.append(JobStatus.model_validate(data))
                except ValidationError as exc:
                    _log.warning("job snapshot %s is unreadable and was skipped: %s", uid, exc)
        return statuses

    def prune(self, older_than: datetime) -> int:
        """Deletes samples that ended at or before `older_than` and the watermarks of pods last accrued by then
        (pods that long finished); totals and the hourly rollup stay. Records the horizon for `commit_tick`."""
        older_than = require_aware("older_than", older_than)
        with self._lock, write_transaction(self._engine) as conn:
            memo.lock_token(conn)
            deleted = conn.execute(delete(t.accrual_samples).where(t.accrual_samples.c.end <= older_than)).rowcount
            conn.execute(delete(t.pod_watermarks).where(t.pod_watermarks.c.accrued_until <= older_than))
            current = _horizon(conn)
            if current is None or older_than > current:
                stmt = insert_for(conn, t.store_meta).values(key=_HORIZON_KEY, value=older_than.isoformat())
                conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}))
            memo.write_token(conn)
            self._memo = None  # watermarks went: reload on the next read
        return int(deleted)

    # -- commit_tick steps ------------------------------------------------------------------------------------

    @staticmethod
    def _admissible(conn: Connection, rows: list[AccrualRow], watermarks: Mapping[str, datetime]) -> list[AccrualRow]:
        """Drops rows already covered by their pod's watermark and cuts rows at the retention horizon."""
        horizon = _horizon(conn)
        kept: list[AccrualRow] = []
        seen: set[tuple[str, datetime]] = set()
        for row in rows:
            watermark = watermarks.get(row.pod_uid)
            if watermark is not None and row.start < watermark:
                continue
            if horizon is not None and row.start < horizon:
                clipped = clip_start(row.start, row.end, row.usd, horizon)
                if clipped is None:
                    continue
                _log.info("accrual of pod %s cut at the retention horizon %s", row.pod_uid, horizon.isoformat())
                row = row.model_copy(update={"start": clipped[0], "usd": clipped[1]})
            if (row.pod_uid, row.start) not in seen:
                seen.add((row.pod_uid, row.start))
                kept.append(row)
        return kept


def _horizon(conn: Connection) -> datetime | None:
    value = conn.execute(select(t.store_meta.c.value).where(t.store_meta.c.key == _HORIZON_KEY)).scalar_one_or_none()
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _samples_spend_since(conn: Connection, since: datetime) -> dict[str, float]:
    """workload_uid → USD in [since, ∞) from samples: whole samples starting at or after `since` summed in SQL, the
    few straddling it (at most one per pod) pro rata."""
    samples = t.accrual_samples
    spend: dict[str, float] = {
        uid: float(usd)
        for uid, usd in conn.execute(
            select(samples.c.workload_uid, func.sum(samples.c.usd))
            .where(samples.c.start >= since)
            .group_by(samples.c.workload_uid)
        )
    }
    straddling = conn.execute(
        select(samples.c.workload_uid, samples.c.start, samples.c.end, samples.c.usd).where(
            samples.c.start < since, samples.c.end > since
        )
    )
    for uid, start, end, usd in straddling:
        spend[uid] = spend.get(uid, 0.0) + share_after(start, end, float(usd), since)
    return spend
