"""Delivers due outbox messages: exponential backoff with jitter, a maximum number of attempts and a maximum age.

State lives in the outbox, not here: a new Dispatcher over the same outbox (after a restart) carries on where the old
one stopped, and a message marked sent is never sent again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.adapters.notify.channel import Channel, DeliveryError
from monitor.adapters.notify.redact import mask
from monitor.core.backoff import backoff_seconds
from monitor.core.ports import Outbox, OutboxMessage

log = logging.getLogger(__name__)

IDEMPOTENCY_FIELD = "idempotency_key"


@dataclass(frozen=True)
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    deferred: int = 0


class Dispatcher:
    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        *,
        max_attempts: int = 12,
        max_age_seconds: float = 86400.0,
        base_backoff_seconds: float = 5.0,
        max_backoff_seconds: float = 900.0,
        batch: int = 100,
        rng: random.Random | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts={max_attempts!r} must be at least 1")
        self.outbox = outbox
        self.channels = dict(channels)
        self.max_attempts = max_attempts
        self.max_age_seconds = max_age_seconds
        self.base_backoff_seconds = base_backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.batch = batch
        # Pending messages read per run (due or in backoff): each (channel, subject) keeps at most one after a run.
        self.pending_limit = max(batch, 1000)
        self.rng = rng or random.Random()
        self.secrets = tuple(s for s in secrets if s)
        self.sent_total = 0
        self.failed_total = 0

    def run_once(self, now: datetime) -> DispatchReport:
        """Delivers, per (channel, subject), only the newest pending message, and only once every older one is
        settled: older pending ones are superseded by it (dropped, never sent), so no message overtakes an older one
        in backoff, and a stale state is never delivered after a newer one. A resolve whose subject has no delivered
        trigger on that channel resolves nothing and is dropped (PagerDuty never sees a resolve before its trigger)."""
        sent = failed = dropped = deferred = 0
        groups: dict[tuple[str, str], list[OutboxMessage]] = {}
        for message in self.outbox.pending(self.pending_limit):
            groups.setdefault(_group(message), []).append(message)
        for (channel_name, subject), messages in groups.items():
            newest = messages[-1]
            assert newest.id is not None, "outbox messages read back carry their id"
            for older in messages[:-1]:
                assert older.id is not None
                self.outbox.drop(older.id, f"superseded by {newest.dedup}")
                dropped += 1
            if newest.next_attempt_at > now:
                deferred += 1
                continue
            reason = self._drop_reason(newest, channel_name, subject, now)
            if reason:
                self.outbox.drop(newest.id, reason)
                dropped += 1
                continue
            outcome = self._deliver(self.channels[channel_name], newest, now)
            if outcome == "sent":
                sent += 1
            else:
                failed += 1
                dropped += outcome == "dropped"
        self.sent_total += sent
        self.failed_total += failed
        return DispatchReport(sent=sent, failed=failed, dropped=dropped, deferred=deferred)

    def _drop_reason(self, message: OutboxMessage, channel: str, subject: str, now: datetime) -> str:
        """Why `message` is given up without an attempt, or "" to send it."""
        if (now - message.created_at).total_seconds() > self.max_age_seconds:
            return f"older than max_age_seconds={self.max_age_seconds:g}"
        if channel not in self.channels:
            return f"channel {channel!r} is not configured"
        if message.payload.get("action") == "resolve" and self.outbox.last_delivered(channel, subject) != "trigger":
            return "resolves a trigger that was never delivered on this channel"
        return ""

    def _deliver(self, channel: Channel, message: OutboxMessage, now: datetime) -> str:
        assert message.id is not None
        try:
            # The dedup key is unique per message and stable across retries: receivers drop a re-send after a crash
            # between their 2xx and our mark_sent.
            channel.send({**message.payload, IDEMPOTENCY_FIELD: message.dedup}, now)
        except DeliveryError as exc:
            return self._failed(message, mask(str(exc), self.secrets), exc.retryable, now)
        except Exception as exc:  # a bug in one channel must not stop the others; retried like a transient error
            return self._failed(message, mask(f"{type(exc).__name__}: {exc}", self.secrets), True, now)
        self.outbox.mark_sent(message.id, now)
        log.info("notification sent", extra={"channel": message.channel, "dedup": message.dedup})
        return "sent"

    def _failed(self, message: OutboxMessage, error: str, retryable: bool, now: datetime) -> str:
        assert message.id is not None
        attempts = message.attempts + 1
        if not retryable or attempts >= self.max_attempts:
            reason = error if not retryable else f"gave up after {attempts} attempts: {error}"
            self.outbox.drop(message.id, reason)
            log.warning("notification dropped: %s", reason, extra={"channel": message.channel})
            return "dropped"
        # Equal jitter (monitor.core.backoff): many messages failing together do not retry in lockstep.
        delay = backoff_seconds(
            attempts - 1,
            base_seconds=self.base_backoff_seconds,
            max_seconds=self.max_backoff_seconds,
            jitter="equal",
            rng=self.rng,
        )
        self.outbox.mark_failed(message.id, error, now + timedelta(seconds=delay))
        log.warning("notification failed (attempt %d), retry in %.0f s: %s", attempts, delay, error)
        return "failed"


def _group(message: OutboxMessage) -> tuple[str, str]:
    """(channel, subject): the unit in which messages are delivered in order."""
    return message.channel, str(message.payload.get("subject", message.dedup))
