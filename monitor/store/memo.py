"""The store's in-memory copy of pod watermarks and workload totals, kept valid by a write token.

Reading 20k watermarks back from the database every tick cost more than the tick itself. `SqlStore` therefore keeps
them (and the per-workload totals) in memory, write-through: every transaction that changes them also writes a fresh
random token into `store_meta`, and the copy is trusted only while the database still holds the token it was built
or last advanced with. Another writer (a second replica during a leader overlap, `trainspend db` commands, an older
version during a rolling update) changes or leaves the token, and the next read reloads from the database, which
stays the source of truth (and what a restart starts from).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from monitor.store import tables as t
from monitor.store.upsert import insert_for

TOKEN_KEY = "write_token"


@dataclass
class LedgerMemo:
    """Watermarks (pod uid → accrued until) and all-time USD per workload, as of the write `token`."""

    token: str
    watermarks: dict[str, datetime]
    totals_usd: dict[str, float]

    def advance(self, watermarks: Mapping[str, datetime], added_usd: Mapping[str, float], token: str) -> None:
        """Applies one committed transaction exactly as the SQL did: watermark = max(old, new), total = old + added
        (the same float additions in the same order, so the copy equals what the database holds)."""
        for pod_uid, until in watermarks.items():
            current = self.watermarks.get(pod_uid)
            if current is None or until > current:
                self.watermarks[pod_uid] = until
        for workload_uid, usd in added_usd.items():
            self.totals_usd[workload_uid] = self.totals_usd.get(workload_uid, 0.0) + usd
        self.token = token


def read_token(conn: Connection) -> str:
    """The current write token; "" when none was ever written (a copy is then never trusted)."""
    value = conn.execute(select(t.store_meta.c.value).where(t.store_meta.c.key == TOKEN_KEY)).scalar_one_or_none()
    return value or ""


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
    table = t.store_meta
    stmt = insert_for(conn, table).values(key=TOKEN_KEY, value=token)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}))
    return token


def load(conn: Connection, token: str) -> LedgerMemo:
    """Everything from the database, labelled with `token` (read before the data: a write in between only makes the
    next check reload again)."""
    wm, totals = t.pod_watermarks, t.workload_totals
    watermarks: dict[str, datetime] = {
        uid: _utc(until) for uid, until in conn.execute(select(wm.c.pod_uid, wm.c.accrued_until))
    }
    totals_usd = {uid: float(usd) for uid, usd in conn.execute(select(totals.c.workload_uid, totals.c.usd))}
    return LedgerMemo(token, watermarks, totals_usd)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def latest_ends(rows: Iterable[tuple[str, datetime]]) -> dict[str, datetime]:
    """pod uid → the latest end among (pod uid, end) pairs."""
    latest: dict[str, datetime] = {}
    for pod_uid, end in rows:
        current = latest.get(pod_uid)
        if current is None or end > current:
            latest[pod_uid] = end
    return latest
