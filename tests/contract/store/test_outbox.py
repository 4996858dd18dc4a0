"""Outbox contract: dedup, due, retries, sent/dropped, notification state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from monitor.adapters.store.outbox import SqlOutbox
from monitor.core.ports import OutboxMessage
from tests.contract.store.builders import T0


def message(dedup: str, due_in_seconds: float = 0.0, channel: str = "slack") -> OutboxMessage:
    return OutboxMessage(
        dedup=dedup,
        channel=channel,
        payload={"text": f"budget {dedup}", "spend_usd": 812.5, "labels": ["team-a"]},
        created_at=T0,
        next_attempt_at=T0 + timedelta(seconds=due_in_seconds),
    )


def test_enqueueing_the_same_transition_twice_adds_it_once(engine: Engine) -> None:
    outbox = SqlOutbox(engine)
    assert outbox.enqueue([message("budget:a:2026-04:warning"), message("budget:a:2026-04:warning")]) == 1
    assert outbox.enqueue([message("budget:a:2026-04:warning"), message("budget:a:2026-04:breach")]) == 1
    assert [m.dedup for m in outbox.due(T0)] == ["budget:a:2026-04:warning", "budget:a:2026-04:breach"]


def test_due_returns_only_pending_messages_whose_time_has_come_oldest_first(engine: Engine) -> None:
    outbox = SqlOutbox(engine)
    outbox.enqueue([message("later", 60), message("now-b", 5), message("now-a", 0, channel="pagerduty")])
    due = outbox.due(T0 + timedelta(seconds=10))
    assert [m.dedup for m in due] == ["now-a", "now-b"]
    assert due[0].channel == "pagerduty"
    assert due[0].payload == {"text": "budget now-a", "spend_usd": 812.5, "labels": ["team-a"]}
    assert due[0].created_at == T0
    assert due[0].id is not None
    assert [m.dedup for m in outbox.due(T0 + timedelta(seconds=10), limit=1)] == ["now-a"]
    with pytest.raises(ValueError, match="limit=0"):
        outbox.due(T0, limit=0)


def test_failure_counts_an_attempt_and_reschedules_sent_and_dropped_are_never_due_again(engine: Engine) -> None:
    outbox = SqlOutbox(engine)
    outbox.enqueue([message("a"), message("b"), message("c")])
    a, b, c = outbox.due(T0)
    outbox.mark_failed(a.id or 0, "HTTP 503", T0 + timedelta(minutes=1))
    outbox.mark_failed(a.id or 0, "HTTP 502", T0 + timedelta(minutes=2))
    outbox.mark_sent(b.id or 0, T0)
    outbox.drop(c.id or 0, "no channel configured: slack")
    assert outbox.due(T0 + timedelta(minutes=1)) == []
    (retry,) = outbox.due(T0 + timedelta(minutes=2))
    assert (retry.dedup, retry.attempts, retry.last_error) == ("a", 2, "HTTP 502")
    assert retry.next_attempt_at == T0 + timedelta(minutes=2)
    # A sent transition stays deduplicated until pruned.
    assert outbox.enqueue([message("b")]) == 0


def test_unknown_message_ids_are_reported(engine: Engine) -> None:
    outbox = SqlOutbox(engine)
    with pytest.raises(LookupError, match="id=4242"):
        outbox.mark_sent(4242, T0)
    with pytest.raises(ValueError, match="reason"):
        outbox.drop(1, "")


def test_prune_deletes_finished_messages_only(engine: Engine) -> None:
    outbox = SqlOutbox(engine)
    outbox.enqueue([message("sent"), message("dropped"), message("pending")])
    sent, dropped, _pending = outbox.due(T0)
    outbox.mark_sent(sent.id or 0, T0)
    outbox.drop(dropped.id or 0, "expired")
    assert outbox.prune(T0 + timedelta(days=1)) == 2
    assert [m.dedup for m in outbox.due(T0)] == ["pending"]
    assert outbox.enqueue([message("sent")]) == 1


def test_notification_state_is_kept_per_key_and_overwritten(engine: Engine) -> None:
    outbox = SqlOutbox(engine)
    assert outbox.states() == {}
    outbox.set_state("budget:team-a", "warning", T0)
    outbox.set_state("job:ml/llama", "ok", T0)
    outbox.set_state("budget:team-a", "breach", T0 + timedelta(minutes=1))
    assert outbox.states() == {"budget:team-a": "breach", "job:ml/llama": "ok"}


def test_pending_lists_backoff_too_in_enqueue_order_and_sent_records_the_delivered_action(engine: Engine) -> None:
    outbox = SqlOutbox(engine)
    trigger = message("s:1:ok->breach:pagerduty", channel="pagerduty").model_copy(
        update={"payload": {"subject": "budget:prod:a", "action": "trigger"}}
    )
    resolve = message("s:2:breach->ok:pagerduty", channel="pagerduty").model_copy(
        update={"payload": {"subject": "budget:prod:a", "action": "resolve"}}
    )
    outbox.enqueue([trigger, resolve])
    first, second = outbox.pending()
    outbox.mark_failed(first.id or 0, "HTTP 500", T0 + timedelta(hours=1))
    assert [m.dedup for m in outbox.pending()] == [trigger.dedup, resolve.dedup]  # backoff is still pending
    assert [m.dedup for m in outbox.due(T0)] == [resolve.dedup]
    assert outbox.last_delivered("pagerduty", "budget:prod:a") is None
    outbox.drop(first.id or 0, "superseded")
    outbox.mark_sent(first.id or 0, T0)  # a send that raced with the drop: what went out is recorded
    assert outbox.last_delivered("pagerduty", "budget:prod:a") == "trigger"
    outbox.mark_sent(second.id or 0, T0)
    assert outbox.last_delivered("pagerduty", "budget:prod:a") == "resolve"
    assert outbox.last_delivered("slack", "budget:prod:a") is None
    assert outbox.pending() == []
