"""An in-memory Outbox behind the `monitor.core.ports.Outbox` Protocol, for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.core.ports import OutboxMessage


@dataclass
class Entry:
    message: OutboxMessage
    status: str = "pending"  # pending | sent | dropped
    reason: str = ""
    sent_at: datetime | None = None


@dataclass
class InMemoryOutbox:
    entries: dict[int, Entry] = field(default_factory=dict)
    state: dict[str, str] = field(default_factory=dict)

    def enqueue(self, messages: Sequence[OutboxMessage]) -> int:
        known = {e.message.dedup for e in self.entries.values()}
        added = 0
        for message in messages:
            if message.dedup in known:
                continue
            new_id = len(self.entries) + 1
            self.entries[new_id] = Entry(message.model_copy(update={"id": new_id}))
            known.add(message.dedup)
            added += 1
        return added

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        pending = [e.message for _, e in sorted(self.entries.items()) if e.status == "pending"]
        return [m for m in pending if m.next_attempt_at <= now][:limit]

    def pending(self, limit: int = 1000) -> list[OutboxMessage]:
        return [e.message for _, e in sorted(self.entries.items()) if e.status == "pending"][:limit]

    def last_delivered(self, channel: str, subject: str) -> str | None:
        return self.state.get(f"delivered:{channel}:{subject}")

    def mark_sent(self, message_id: int, at: datetime) -> None:
        entry = self.entries[message_id]
        entry.status, entry.sent_at = "sent", at
        payload = entry.message.payload
        if payload.get("action") and payload.get("subject"):
            self.state[f"delivered:{entry.message.channel}:{payload['subject']}"] = str(payload["action"])

    def mark_failed(self, message_id: int, error: str, next_attempt_at: datetime) -> None:
        entry = self.entries[message_id]
        entry.message = entry.message.model_copy(
            update={"attempts": entry.message.attempts + 1, "last_error": error, "next_attempt_at": next_attempt_at}
        )

    def drop(self, message_id: int, reason: str) -> None:
        entry = self.entries[message_id]
        entry.status, entry.reason = "dropped", reason

    def states(self) -> dict[str, str]:
        return dict(self.state)

    def set_state(self, key: str, state: str, at: datetime) -> None:
        self.state[key] = state

    def with_status(self, status: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.status == status]
