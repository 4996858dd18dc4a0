"""The writes of one `SqlStore.commit_ledger`, inside the caller's write transaction: segments closed, cut and
added, and the USD they move into (or, when a late-learned end cuts a closed segment, out of) the per-workload totals
and the hourly rollup. Only closed segments are summed; an open one is accrued when read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, delete, select, update

from monitor.adapters.store import bulk
from monitor.adapters.store import tables as t
from monitor.adapters.store.memo import segment_of
from monitor.adapters.store.prorate import split_by_utc_hour
from monitor.adapters.store.upsert import insert_for
from monitor.core.domain.accrual import Close, Segment, interval_usd
from monitor.core.domain.result import WorkloadStatus


@dataclass
class Moved:
    """USD moved by one commit: per workload, per (workload, UTC hour); the keys and names of the workloads."""

    totals: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    hourly: dict[tuple[str, datetime], float] = field(default_factory=lambda: defaultdict(float))
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # workload uid → (key, namespace)

    def add(self, segment: Segment, start: datetime, end: datetime, sign: float = 1.0) -> float:
        """Adds (sign=-1: removes) the segment's cost over [start, end); returns it (signed)."""
        if end <= start:
            return 0.0
        usd = sign * interval_usd(segment.hourly_usd, start, end)
        self.totals[segment.workload_uid] += usd
        self.names[segment.workload_uid] = (segment.workload_key, segment.namespace)
        for hour, part in split_by_utc_hour(start, end, usd):
            self.hourly[(segment.workload_uid, hour)] += part
        return usd


def close(conn: Connection, close: Close, segment: Segment, moved: Moved) -> bool:
    """Closes the open segment at `close.end` (or removes it and cuts the pod's earlier ones); False when it was no
    longer open (another writer, a replay)."""
    seg = t.cost_segments
    key = and_(seg.c.pod_uid == close.pod_uid, seg.c.start == close.start, seg.c.end.is_(None))
    if close.end > close.start:
        usd = interval_usd(segment.hourly_usd, segment.start, close.end)
        done = conn.execute(update(seg).where(key).values(end=close.end, usd=usd)).rowcount
        if done:
            moved.add(segment, segment.start, close.end)
        return bool(done)
    if not conn.execute(delete(seg).where(key)).rowcount:
        return False
    cut(conn, close.pod_uid, close.end, moved)
    return True


def cut(conn: Connection, pod_uid: str, at: datetime, moved: Moved) -> None:
    """The pod's closed segments that end after `at` are cut at `at` (removed when they start at or after it), their
    USD taken back out of the totals and the rollup."""
    seg = t.cost_segments
    later = conn.execute(select(seg).where(seg.c.pod_uid == pod_uid, seg.c.end.is_not(None), seg.c.end > at)).all()
    for row in later:
        segment = segment_of(row._mapping)
        assert segment.end is not None
        moved.add(segment, max(segment.start, at), segment.end, sign=-1.0)
        where = and_(seg.c.pod_uid == pod_uid, seg.c.start == segment.start)
        if segment.start >= at:
            conn.execute(delete(seg).where(where))
        else:
            usd = interval_usd(segment.hourly_usd, segment.start, at)
            conn.execute(update(seg).where(where).values(end=at, usd=usd))


def insert(conn: Connection, segments: Sequence[Segment], moved: Moved) -> list[Segment]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the segments really inserted (a closed one adds its USD)."""
    if not segments:
        return []
    seg = t.cost_segments
    stmt = insert_for(conn, seg).on_conflict_do_nothing(index_elements=["pod_uid", "start"])
    by_key = {(s.pod_uid, s.start): s for s in segments}
    params = [
        {
            "pod_uid": s.pod_uid,
            "start": s.start,
            "end": s.end,
            "workload_uid": s.workload_uid,
            "workload_key": s.workload_key,
            "namespace": s.namespace,
            "node": s.node,
            "hourly_usd": s.hourly_usd,
            "usd": 0.0 if s.end is None else interval_usd(s.hourly_usd, s.start, s.end),
            "price_source": s.price_source,
        }
        for s in by_key.values()
    ]
    inserted: list[Segment] = []
    for chunk_start in range(0, len(params), 500):
        chunk = params[chunk_start : chunk_start + 500]
        returned = conn.execute(stmt.returning(seg.c.pod_uid, seg.c.start), chunk).all()
        for pod_uid, start in returned:
            segment = by_key[(pod_uid, _utc(start))]
            inserted.append(segment)
            if segment.end is not None:
                moved.add(segment, segment.start, segment.end)
    return inserted


def apply_moved(conn: Connection, moved: Moved, at: datetime) -> None:
    """Adds the moved USD to workload_totals and workload_hourly_spend."""
    if moved.totals:
        table = t.workload_totals
        stmt = insert_for(conn, table)
        values = [
            {"workload_uid": uid, "workload_key": key, "namespace": ns, "usd": moved.totals[uid], "updated_at": at}
            for uid, (key, ns) in moved.names.items()
        ]
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["workload_uid"],
                set_={"usd": table.c.usd + stmt.excluded.usd, "updated_at": stmt.excluded.updated_at},
            ),
            values,
        )
    if moved.hourly:
        hourly = t.workload_hourly_spend
        stmt = insert_for(conn, hourly)
        upsert = stmt.on_conflict_do_update(
            index_elements=["workload_uid", "hour"], set_={"usd": hourly.c.usd + stmt.excluded.usd}
        )
        rows = [{"workload_uid": uid, "hour": hour, "usd": usd} for (uid, hour), usd in moved.hourly.items()]
        bulk.execute_many(conn, upsert, hourly, rows)


def upsert_jobs(
    conn: Connection, at: datetime, jobs: Sequence[WorkloadStatus], points: Collection[str] | None = None
) -> None:
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
    stmt = insert_for(conn, table)
    upsert = stmt.on_conflict_do_update(
        index_elements=["uid"],
        set_={name: stmt.excluded[name] for name in ("namespace", "name", "kind", "state", "updated_at", "data")},
        # An older tick (a replica that lost the lease mid-tick) never overwrites a newer snapshot.
        where=table.c.updated_at <= stmt.excluded.updated_at,
    )
    bulk.execute_many(conn, upsert, table, list(values.values()))
    _insert_projections(conn, at, jobs if points is None else [job for job in jobs if job.ref.uid in points])


def _insert_projections(conn: Connection, at: datetime, jobs: Sequence[WorkloadStatus]) -> None:
    """One projection row per saved Job that has a projection; a replayed save (same uid and `at`) adds nothing."""
    rows = [
        {
            "uid": job.ref.uid,
            "at": at,
            "cost_usd": job.cost_usd,
            "p10_usd": job.projected_cost_usd.p10,
            "p50_usd": job.projected_cost_usd.p50,
            "p90_usd": job.projected_cost_usd.p90,
            "expected_completion": job.expected_completion,
            "progress": job.progress,
        }
        for job in {job.ref.uid: job for job in jobs}.values()
        if job.projected_cost_usd is not None
    ]
    if rows:
        table = t.job_projections
        stmt = insert_for(conn, table).on_conflict_do_nothing(index_elements=["uid", "at"])
        bulk.execute_many(conn, stmt, table, rows)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)
