"""record, per (channel, subject), the action last delivered

The dispatcher sends a resolve only when a trigger for its subject was delivered on that channel; `mark_sent` now
records that in `notification_state` (key `delivered:<channel>:<subject>`). Messages sent before this revision are
backfilled from the outbox (the last sent message per channel and subject, by id), so an incident opened by an earlier
version is still resolved. No schema change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from monitor.adapters.store.outbox import delivered_key
from monitor.adapters.store.types import UtcDateTime, json_type

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.BigInteger()),
        sa.column("channel", sa.String()),
        sa.column("payload", json_type()),
        sa.column("sent_at", UtcDateTime()),
    )
    state = sa.table(
        "notification_state",
        sa.column("key", sa.String()),
        sa.column("state", sa.String()),
        sa.column("updated_at", UtcDateTime()),
    )
    conn = op.get_bind()
    last: dict[str, tuple[str, datetime]] = {}
    query = sa.select(outbox.c.channel, outbox.c.payload, outbox.c.sent_at).where(outbox.c.sent_at.is_not(None))
    for row in conn.execute(query.order_by(outbox.c.id)):
        payload = row.payload if isinstance(row.payload, dict) else {}
        if payload.get("subject") and payload.get("action"):
            last[delivered_key(row.channel, str(payload["subject"]))] = (str(payload["action"]), row.sent_at)
    existing = {key for (key,) in conn.execute(sa.select(state.c.key))}
    rows = [
        {"key": key, "state": action, "updated_at": at} for key, (action, at) in last.items() if key not in existing
    ]
    if rows:
        conn.execute(sa.insert(state), rows)


def downgrade() -> None:
    state = sa.table("notification_state", sa.column("key", sa.String()))
    op.get_bind().execute(sa.delete(state).where(state.c.key.like("delivered:%")))
