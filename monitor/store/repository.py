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
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, case, delete, func, select, text

from monitor.domain.result import JobStatus
from monitor.ports import AccrualRow
from monitor.store import tables as t
from monitor.store.engine import write_transaction
from monitor.store.prorate import (
    clip_start,
    hour_at_or_after,
    hour_floor,
    hour_fraction_after,
    share_after,
    split_by_utc_hour,
)
from monitor.store.types import require_aware
from monitor.store.upsert import chunks, insert_for

_log = logging.getLogger(__name__)
_HORIZON_KEY = "samples_pruned_before"


def _checked(index: int, row: AccrualRow) -> AccrualRow:
    start = require_aware(f"rows[{index}].start", row.start)
    end = require_aware(f"rows[{index}].end", row.end)
    if end < start:
        raise ValueError(
            f"rows[{index}] (pod {row.pod_uid}): end {end.isoformat()} is before start {start.isoformat()}"
        )
    if row.usd < 0 or row.hourly_usd < 0:
        raise ValueError(f"rows[{index}] (pod {row.pod_uid}): usd={row.usd}, hourly_usd={row.hourly_usd} must be ≥ 0")
    return row.model_copy(update={"start": start, "end": end})


class SqlStore:
    """Persistence of accrued cost and job snapshots. Safe to share between threads (one engine, short transactions)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def ping(self) -> None:
        """Raises when the database cannot be reached (for /readyz)."""
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def watermarks(self) -> dict[str, datetime]:
        with self._engine.connect() as conn:
            query = select(t.pod_watermarks.c.pod_uid, t.pod_watermarks.c.accrued_until)
            return dict(conn.execute(query).all())

    def commit_tick(self, at: datetime, rows: Sequence[AccrualRow], jobs: Sequence[JobStatus]) -> int:
        at = require_aware("at", at)
        checked = [_checked(i, row) for i, row in enumerate(rows)]
        with write_transaction(self._engine) as conn:
            candidates = self._admissible(conn, checked)
            inserted = self._insert_samples(conn, candidates)
            if inserted:
                self._add_totals(conn, inserted, at)
                self._add_hourly(conn, inserted)
                self._advance_watermarks(conn, inserted)
            self._upsert_jobs(conn, at, jobs)
        return len(inserted)

    def workload_costs(self) -> dict[str, float]:
        with self._engine.connect() as conn:
            result = conn.execute(select(t.workload_totals.c.workload_uid, t.workload_totals.c.usd))
            return {uid: float(usd) for uid, usd in result}

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
        with write_transaction(self._engine) as conn:
            deleted = conn.execute(delete(t.accrual_samples).where(t.accrual_samples.c.end <= older_than)).rowcount
            conn.execute(delete(t.pod_watermarks).where(t.pod_watermarks.c.accrued_until <= older_than))
            current = _horizon(conn)
            if current is None or older_than > current:
                stmt = insert_for(conn, t.store_meta).values(key=_HORIZON_KEY, value=older_than.isoformat())
                conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}))
        return int(deleted)

    # -- commit_tick steps ------------------------------------------------------------------------------------

    @staticmethod
    def _admissible(conn: Connection, rows: list[AccrualRow]) -> list[AccrualRow]:
        """Drops rows already covered by their pod's watermark and cuts rows at the retention horizon."""
        horizon = _horizon(conn)
        current: dict[str, datetime] = {}
        pod_uids = sorted({row.pod_uid for row in rows})
        for batch in chunks(pod_uids):
            wm = t.pod_watermarks
            current.update(conn.execute(select(wm.c.pod_uid, wm.c.accrued_until).where(wm.c.pod_uid.in_(batch))).all())
        kept: list[AccrualRow] = []
        seen: set[tuple[str, datetime]] = set()
        for row in rows:
            watermark = current.get(row.pod_uid)
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

    @staticmethod
    def _insert_samples(conn: Connection, rows: list[AccrualRow]) -> list[AccrualRow]:
        by_key = {(row.pod_uid, row.start): row for row in rows}
        inserted: list[AccrualRow] = []
        samples = t.accrual_samples
        for batch in chunks(rows):
            stmt = (
                insert_for(conn, samples)
                .values([row.model_dump() for row in batch])
                .on_conflict_do_nothing(index_elements=["pod_uid", "start"])
                .returning(samples.c.pod_uid, samples.c.start)
            )
            inserted.extend(by_key[(pod_uid, start)] for pod_uid, start in conn.execute(stmt))
        return inserted

    @staticmethod
    def _add_totals(conn: Connection, rows: list[AccrualRow], at: datetime) -> None:
        usd: dict[str, float] = defaultdict(float)
        latest: dict[str, AccrualRow] = {}
        for row in rows:
            usd[row.workload_uid] += row.usd
            latest[row.workload_uid] = row
        values = [
            {
                "workload_uid": uid,
                "workload_key": row.workload_key,
                "namespace": row.namespace,
                "usd": usd[uid],
                "updated_at": at,
            }
            for uid, row in latest.items()
        ]
        table = t.workload_totals
        for batch in chunks(values):
            stmt = insert_for(conn, table).values(list(batch))
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["workload_uid"],
                    set_={
                        "usd": table.c.usd + stmt.excluded.usd,
                        "workload_key": stmt.excluded.workload_key,
                        "namespace": stmt.excluded.namespace,
                        "updated_at": stmt.excluded.updated_at,
                    },
                )
            )

    @staticmethod
    def _add_hourly(conn: Connection, rows: list[AccrualRow]) -> None:
        spend: dict[tuple[str, datetime], float] = defaultdict(float)
        for row in rows:
            for hour, usd in split_by_utc_hour(row.start, row.end, row.usd):
                spend[(row.workload_uid, hour)] += usd
        table = t.workload_hourly_spend
        values = [{"workload_uid": uid, "hour": hour, "usd": usd} for (uid, hour), usd in spend.items()]
        for batch in chunks(values):
            stmt = insert_for(conn, table).values(list(batch))
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["workload_uid", "hour"], set_={"usd": table.c.usd + stmt.excluded.usd}
                )
            )

    @staticmethod
    def _advance_watermarks(conn: Connection, rows: list[AccrualRow]) -> None:
        latest: dict[str, AccrualRow] = {}
        for row in rows:
            if row.pod_uid not in latest or row.end > latest[row.pod_uid].end:
                latest[row.pod_uid] = row
        table = t.pod_watermarks
        values = [
            {"pod_uid": r.pod_uid, "workload_uid": r.workload_uid, "accrued_until": r.end} for r in latest.values()
        ]
        for batch in chunks(values):
            stmt = insert_for(conn, table).values(list(batch))
            newer = stmt.excluded.accrued_until > table.c.accrued_until
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["pod_uid"],
                    set_={"accrued_until": case((newer, stmt.excluded.accrued_until), else_=table.c.accrued_until)},
                )
            )

    @staticmethod
    def _upsert_jobs(conn: Connection, at: datetime, jobs: Sequence[JobStatus]) -> None:
        if not jobs:
            return
        table = t.job_snapshots
        values = {
            job.ref.uid: {
                "uid": job.ref.uid,
                "namespace": job.ref.namespace,
                "name": job.ref.name,
                "kind": job.ref.kind,
                "state": job.state,
                "updated_at": at,
                "data": job.model_dump(mode="json"),
            }
            for job in jobs
        }
        for batch in chunks(list(values.values())):
            stmt = insert_for(conn, table).values(list(batch))
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["uid"],
                    set_={
                        name: stmt.excluded[name]
                        for name in ("namespace", "name", "kind", "state", "updated_at", "data")
                    },
                    # An older tick (a replica that lost the lease mid-tick) never overwrites a newer snapshot.
                    where=table.c.updated_at <= stmt.excluded.updated_at,
                )
            )


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
