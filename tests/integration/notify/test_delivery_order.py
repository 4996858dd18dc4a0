"""Issue 12 item 1, reproduced with the SQL outbox on a real SQLite file and local HTTP receivers: a newer message for a
subject never overtakes an older one in backoff; the newest state supersedes undelivered older ones; a resolve of a
trigger that was never delivered is not sent; the webhook's idempotency key is stable across retries and its signature
timestamp is the wall time of the send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from monitor.adapters.notify.dispatcher import Dispatcher
from monitor.adapters.notify.notifier import Notifier
from monitor.adapters.notify.pagerduty import PagerDutyChannel
from monitor.adapters.notify.slack import SlackChannel
from monitor.adapters.notify.webhook import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookChannel,
    verify,
)
from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.migrate import upgrade_to_head
from monitor.adapters.store.outbox import SqlOutbox
from monitor.core.clock import ManualClock
from tests.fixtures.receivers import Receiver
from tests.integration.notify.helpers import AT, budget_tick, client

pytestmark = pytest.mark.integration


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[SqlOutbox]:
    url = f"sqlite:///{tmp_path / 'ts.db'}"
    upgrade_to_head(url)
    engine = create_store_engine(url)
    try:
        yield SqlOutbox(engine)
    finally:
        engine.dispose()


def test_pagerduty_never_sees_a_resolve_of_a_trigger_it_never_got(outbox: SqlOutbox, receiver: Receiver) -> None:
    notifier = Notifier("prod", ["pagerduty"])
    with client() as http:
        channel = PagerDutyChannel(SecretStr("R0UTINGKEY"), receiver.url + "/v2/enqueue", http)
        dispatcher = Dispatcher(outbox, {"pagerduty": channel}, base_backoff_seconds=60.0)
        receiver.fail_while(True)
        notifier.enqueue(budget_tick("breach"), outbox, AT)
        assert dispatcher.run_once(AT).failed == 1  # the trigger is in backoff
        receiver.fail_while(False)
        notifier.enqueue(budget_tick("ok"), outbox, AT + timedelta(seconds=30))  # resolved before it went out
        report = dispatcher.run_once(AT + timedelta(seconds=30))
        dispatcher.run_once(AT + timedelta(hours=1))
    assert receiver.deliveries == []  # neither the stale trigger nor a resolve of nothing
    assert report.dropped == 2
    assert outbox.pending() == []


def test_a_resolve_waits_for_nothing_once_its_trigger_went_out(outbox: SqlOutbox, receiver: Receiver) -> None:
    notifier = Notifier("prod", ["pagerduty"])
    with client() as http:
        channel = PagerDutyChannel(SecretStr("R0UTINGKEY"), receiver.url + "/v2/enqueue", http)
        dispatcher = Dispatcher(outbox, {"pagerduty": channel}, base_backoff_seconds=60.0)
        notifier.enqueue(budget_tick("breach"), outbox, AT)
        dispatcher.run_once(AT)
        receiver.fail_next(1)
        notifier.enqueue(budget_tick("ok"), outbox, AT + timedelta(minutes=1))
        dispatcher.run_once(AT + timedelta(minutes=1))  # the resolve fails once, then goes out
        dispatcher.run_once(AT + timedelta(minutes=5))
    assert [d.json()["event_action"] for d in receiver.deliveries] == ["trigger", "resolve"]


def test_slack_never_gets_a_stale_back_within_limits_after_the_breach(outbox: SqlOutbox, receiver: Receiver) -> None:
    notifier = Notifier("prod", ["slack"])
    with client() as http:
        dispatcher = Dispatcher(
            outbox,
            {"slack": SlackChannel(SecretStr(receiver.url + "/services/T/B/x"), http)},
            base_backoff_seconds=60.0,
        )
        notifier.enqueue(budget_tick("warning"), outbox, AT)
        dispatcher.run_once(AT)
        receiver.fail_next(1)
        notifier.enqueue(budget_tick("ok"), outbox, AT + timedelta(minutes=1))
        dispatcher.run_once(AT + timedelta(minutes=1))  # "back within limits" fails: backoff
        notifier.enqueue(budget_tick("breach"), outbox, AT + timedelta(minutes=1, seconds=10))
        dispatcher.run_once(AT + timedelta(minutes=1, seconds=10))  # the breach supersedes it: sent now
        dispatcher.run_once(AT + timedelta(hours=1))
    titles = [str(d.json()["text"]) for d in receiver.deliveries]
    assert len(titles) == 2
    assert "warning" in titles[0]
    assert "breached" in titles[1]


def test_webhook_idempotency_key_is_stable_across_retries_and_signed_at_send(
    outbox: SqlOutbox, receiver: Receiver
) -> None:
    wall = ManualClock(AT + timedelta(minutes=7))  # the run began at AT; slow endpoints held it 7 minutes
    notifier = Notifier("prod", ["webhook"])
    notifier.enqueue(budget_tick("breach", name="a"), outbox, AT)
    notifier.enqueue(budget_tick("breach", name="b"), outbox, AT)
    receiver.fail_next(1)
    with client() as http:
        channel = WebhookChannel(SecretStr(receiver.url + "/hook"), SecretStr("s3cret"), http, wall_clock=wall)
        dispatcher = Dispatcher(outbox, {"webhook": channel}, base_backoff_seconds=1.0)
        dispatcher.run_once(AT)
        dispatcher.run_once(AT + timedelta(minutes=1))
    first_try = receiver.rejected[0]
    by_budget = {d.json()["budget"]: d for d in receiver.deliveries}
    retried = by_budget[first_try.json()["budget"]]
    assert retried.headers[IDEMPOTENCY_HEADER.lower()] == first_try.headers[IDEMPOTENCY_HEADER.lower()]
    assert retried.json()["idempotency_key"] == retried.headers[IDEMPOTENCY_HEADER.lower()]
    assert by_budget["a"].headers[IDEMPOTENCY_HEADER.lower()] != by_budget["b"].headers[IDEMPOTENCY_HEADER.lower()]
    for delivery in receiver.deliveries:
        timestamp = delivery.headers[TIMESTAMP_HEADER.lower()]
        assert timestamp == str(int(wall.now().timestamp()))
        assert verify("s3cret", timestamp, delivery.body, delivery.headers[SIGNATURE_HEADER.lower()])
