"""`SqlOutbox`: the `monitor.core.ports.Outbox` over SQLAlchemy — notifications survive restarts and go out once.

Marking a message sent also records, in the same transaction, the action it delivered for its (channel, subject)
(`notification_state` key `delivered:<channel>:<subject>`): the dispatcher asks it before sending a resolve, so a
resolve of a trigger that never went out is not sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, or_, select, update

from monitor.adapters.store import tables as t
from monitor.adapters.store.engine import write_transaction
from monitor.adapters.store.types import require_aware
from monitor.adapters.store.upsert import chunks, insert_for
from monitor.core.ports import OutboxMessage


class SqlOutbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def enqueue(self, messages: Sequence[OutboxMessage]) -> int:
        """Adds messages whose `dedup` is new; returns how many were added (a repeated transition adds nothing)."""
        values = [_row(i, message) for i, message in enumerate(messages)]
        added = 0
        box = t.outbox
        with write_transaction(self._engine) as conn:
            for batch in chunks(values):
                stmt = (
                    insert_for(conn, box)
                    .values(list(batch))
                    .on_conflict_do_nothing(index_elements=["dedup"])
                    .returning(box.c.id)
                )
                added += len(conn.execute(stmt).all())
        return added

    def pending(self, limit: int = 1000) -> list[OutboxMessage]:
        """Messages neither sent nor dropped, due or in backoff, in the order they were enqueued."""
        if limit <= 0:
            raise ValueError(f"limit={limit} must be > 0")
        box = t.outbox
        query = (
            select(box).where(box.c.sent_at.is_(None), box.c.dropped_reason.is_(None)).order_by(box.c.id).limit(limit)
        )
        with self._engine.connect() as conn:
            return [_message(row) for row in conn.execute(query)]

    def last_delivered(self, channel: str, subject: str) -> str | None:
        """The action ("trigger" | "resolve") of the last message sent for (channel, subject); None if none was."""
        state = t.notification_state
        with self._engine.connect() as conn:
            found = conn.execute(select(state.c.state).where(state.c.key == delivered_key(channel, subject))).scalar()
        return None if found is None else str(found)

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        """Messages neither sent nor dropped whose next attempt is due, oldest due first."""
        if limit <= 0:
            raise ValueError(f"limit={limit} must be > 0")
        box = t.outbox
        query = (
            select(box)
            .where(
                box.c.sent_at.is_(None),
                box.c.dropped_reason.is_(None),
                box.c.next_attempt_at <= require_aware("now", now),
            )
            .order_by(box.c.next_attempt_at, box.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_message(row) for row in conn.execute(query)]

    def mark_sent(self, message_id: int, at: datetime) -> None:
        """Records the delivery (clearing a drop that raced with it: what was sent was sent) and what it delivered."""
        box = t.outbox
        with write_transaction(self._engine) as conn:
            _update_one(conn, message_id, {"sent_at": require_aware("at", at), "dropped_reason": None})
            row = conn.execute(select(box.c.channel, box.c.payload).where(box.c.id == message_id)).one()
            payload = row.payload if isinstance(row.payload, dict) else {}
            action = str(payload.get("action", ""))
            if action and payload.get("subject"):
                _set_state(conn, delivered_key(row.channel, str(payload["subject"])), action, at)

    def mark_failed(self, message_id: int, error: str, next_attempt_at: datetime) -> None:
        """Counts one failed attempt and schedules the next one."""
        self._update(
            message_id,
            attempts=t.outbox.c.attempts + 1,
            last_error=error,
            next_attempt_at=require_aware("next_attempt_at", next_attempt_at),
        )

    def drop(self, message_id: int, reason: str) -> None:
        """Gives up on a message (too many attempts, too old, no channel configured); it is never due again."""
        if not reason:
            raise ValueError(f"drop(message_id={message_id}): reason must say why the message was given up")
        self._update(message_id, dropped_reason=reason)

    def prune(self, older_than: datetime) -> int:
        """Deletes sent or dropped messages created before `older_than`; pending ones stay. Returns rows deleted."""
        box = t.outbox
        with write_transaction(self._engine) as conn:
            result = conn.execute(
                delete(box).where(
                    box.c.created_at < require_aware("older_than", older_than),
                    or_(box.c.sent_at.is_not(None), box.c.dropped_reason.is_not(None)),
                )
            )
        return int(result.rowcount)

    def states(self) -> dict[str, str]:
        state = t.notification_state
        with self._engine.connect() as conn:
            return dict(conn.execute(select(state.c.key, state.c.state)).all())

    def set_state(self, key: str, state: str, at: datetime) -> None:
        if not key:
            raise ValueError("set_state: key must not be empty (e.g. 'budget:team-a')")
        with write_transaction(self._engine) as conn:
            _set_state(conn, key, state, at)

    def _update(self, message_id: int, **values: Any) -> None:
        with write_transaction(self._engine) as conn:
            _update_one(conn, message_id, values)


def delivered_key(channel: str, subject: str) -> str:
    """The `notification_state` key of the last action delivered for (channel, subject)."""
    return f"delivered:{channel}:{subject}"


def _set_state(conn: Connection, key: str, state: str, at: datetime) -> None:
    table = t.notification_state
    stmt = insert_for(conn, table).values(key=key, state=state, updated_at=require_aware("at", at))
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"], set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at}
        )
    )


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        dedup=row.dedup,
        channel=row.channel,
        payload=row.payload,
        created_at=row.created_at,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
    )


def _update_one(conn: Connection, message_id: int, values: dict[str, Any]) -> None:
    result = conn.execute(update(t.outbox).where(t.outbox.c.id == message_id).values(**values))
    if result.rowcount != 1:
        raise LookupError(f"outbox message id={message_id} does not exist (pruned, or never enqueued)")


def _row(index: int, message: OutboxMessage) -> dict[str, Any]:
    return {
        "dedup": message.dedup,
        "channel": message.channel,
        "payload": message.payload,
        "created_at": require_aware(f"messages[{index}].created_at", message.created_at),
        "attempts": message.attempts,
        "next_attempt_at": require_aware(f"messages[{index}].next_attempt_at", message.next_attempt_at),
        "last_error": message.last_error,
    }
