"""The store's in-memory copy of the ledger (open segments, what each pod is covered until, closed totals per
workload, accrued-until), kept valid by a write token.

Reading 20k open segments back from the database every tick would cost more than the tick itself. `SqlStore`
therefore keeps them in memory, write-through: every transaction that changes them also writes a fresh random token
into `store_meta`, and the copy is trusted only while the database still holds the token it was built or last
advanced with. Another writer (a second replica during a leader overlap, `trainspend db` commands, an older version
during a rolling update) changes or leaves the token, and the next read reloads from the database, which stays the
source of truth (and what a restart starts from).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from monitor.adapters.store import tables as t
from monitor.adapters.store.upsert import insert_for
from monitor.core.domain.accrual import Ledger, Segment

TOKEN_KEY = "write_token"
ACCRUED_UNTIL_KEY = "accrued_until"
HORIZON_KEY = "segments_pruned_before"


@dataclass
class LedgerMemo:
    token: str
    open: dict[str, Segment]
    covered: dict[str, datetime]
    totals_usd: dict[str, float]  # closed segments only
    accrued_until: datetime | None
    horizon: datetime | None

    def ledger(self) -> Ledger:
        """A read-only view (the dicts themselves: the planner never changes them)."""
        return Ledger(open=self.open, covered=self.covered, accrued_until=self.accrued_until, horizon=self.horizon)

    def costs(self) -> dict[str, float]:
        """workload uid → closed totals + open segments accrued up to `accrued_until`."""
        costs = dict(self.totals_usd)
        until = self.accrued_until
        if until is not None:
            for segment in self.open.values():
                costs[segment.workload_uid] = costs.get(segment.workload_uid, 0.0) + segment.usd(until)
        return costs


def read_token(conn: Connection) -> str:
    """The current write token; "" when none was ever written (a copy is then never trusted)."""
    return meta_value(conn, TOKEN_KEY) or ""


def meta_value(conn: Connection, key: str) -> str | None:
    value = conn.execute(select(t.store_meta.c.value).where(t.store_meta.c.key == key)).scalar_one_or_none()
    return None if value is None else str(value)


def meta_time(conn: Connection, key: str) -> datetime | None:
    value = meta_value(conn, key)
    return None if not value else datetime.fromisoformat(value).astimezone(UTC)


def set_meta(conn: Connection, key: str, value: str) -> None:
    stmt = insert_for(conn, t.store_meta).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}))


def lock_token(conn: Connection) -> str:
    """Inside a write transaction: the current token, taking the row's lock (PostgreSQL) so that concurrent writers
    queue here and each sees the token the previous one committed. SQLite's BEGIN IMMEDIATE already serialises."""
    table = t.store_meta
    stmt = insert_for(conn, table).values(key=TOKEN_KEY, value="")
    locking = stmt.on_conflict_do_update(index_elements=["key"], set_={"value": table.c.value})
    return str(conn.execute(locking.returning(table.c.value)).scalar_one())


def write_token(conn: Connection) -> str:
    """Inside a write transaction (after `lock_token`): a fresh token, returned."""
    token = uuid.uuid4().hex
    set_meta(conn, TOKEN_KEY, token)
    return token


def load(conn: Connection, token: str) -> LedgerMemo:
    """Everything from the database, labelled with `token` (read before the data: a write in between only makes the
    next check reload again)."""
    seg, totals = t.cost_segments, t.workload_totals
    open_segments = {
        row.pod_uid: segment_of(row._mapping) for row in conn.execute(select(seg).where(seg.c.end.is_(None)))
    }
    covered = {
        uid: as_utc(end)
        for uid, end in conn.execute(
            select(seg.c.pod_uid, func.max(seg.c.end)).where(seg.c.end.is_not(None)).group_by(seg.c.pod_uid)
        )
    }
    totals_usd = {uid: float(usd) for uid, usd in conn.execute(select(totals.c.workload_uid, totals.c.usd))}
    return LedgerMemo(
        token, open_segments, covered, totals_usd, meta_time(conn, ACCRUED_UNTIL_KEY), meta_time(conn, HORIZON_KEY)
    )


def segment_of(row: RowMapping | Mapping[str, Any]) -> Segment:
    """A `cost_segments` row (its `_mapping`) → a Segment."""
    end = row["end"]
    return Segment(
        pod_uid=str(row["pod_uid"]),
        workload_uid=str(row["workload_uid"]),
        workload_key=str(row["workload_key"]),
        namespace=str(row["namespace"]),
        node=str(row["node"]),
        start=as_utc(row["start"]),
        end=None if end is None else as_utc(end),
        hourly_usd=float(row["hourly_usd"]),
        price_source=str(row["price_source"]),
    )


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)
