"""Slack, PagerDuty and webhook deliveries to local HTTP receivers, through the outbox and the dispatcher."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import pytest
from pydantic import SecretStr

from monitor.adapters.notify.dispatcher import Dispatcher
from monitor.adapters.notify.factory import build_channels, build_dispatcher
from monitor.adapters.notify.notifier import Notifier
from monitor.adapters.notify.pagerduty import PagerDutyChannel
from monitor.adapters.notify.slack import SlackChannel
from monitor.adapters.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookChannel, verify
from monitor.config.settings import NotifySettings
from monitor.core.clock import ManualClock
from tests.fakes.outbox import InMemoryOutbox
from tests.fixtures.receivers import Receiver
from tests.integration.notify.helpers import AT, budget_tick, client

pytestmark = pytest.mark.integration


def test_slack_message_is_readable_blocks(receiver: Receiver) -> None:
    outbox = InMemoryOutbox()
    Notifier("prod", ["slack"], link_base_url="https://grafana.example/d/ts").enqueue(budget_tick("breach"), outbox, AT)
    with client() as http:
        report = Dispatcher(
            outbox, {"slack": SlackChannel(SecretStr(receiver.url + "/services/T0/B0/x"), http)}
        ).run_once(AT)
    assert report.sent == 1
    (delivery,) = receiver.deliveries
    assert delivery.path == "/services/T0/B0/x"
    body = delivery.json()
    assert "Budget research breached" in str(body["text"])
    blocks = body["blocks"]
    assert isinstance(blocks, list)
    assert blocks[0]["type"] == "header"
    fields = " ".join(f["text"] for f in blocks[1]["fields"])
    for expected in ("*Budget* research", "$8,200.00", "$11,000.00", "$10,000.00", "ok → breach"):
        assert expected in fields
    assert "https://grafana.example/d/ts?var-cluster=prod&var-budget=research" in str(blocks[2])


def test_pagerduty_trigger_then_resolve_share_the_dedup_key(receiver: Receiver) -> None:
    outbox = InMemoryOutbox()
    notifier = Notifier("prod", ["pagerduty"])
    with client() as http:
        dispatcher = Dispatcher(
            outbox, {"pagerduty": PagerDutyChannel(SecretStr("R0UTINGKEY"), receiver.url + "/v2/enqueue", http)}
        )
        for state in ("breach", "ok"):
            notifier.enqueue(budget_tick(state), outbox, AT)
            dispatcher.run_once(AT)
    trigger, resolve = (d.json() for d in receiver.deliveries)
    assert trigger["event_action"] == "trigger"
    assert resolve["event_action"] == "resolve"
    assert trigger["dedup_key"] == resolve["dedup_key"] == "trainspend:budget:prod:research"
    assert trigger["routing_key"] == "R0UTINGKEY"
    payload = trigger["payload"]
    assert isinstance(payload, dict)
    assert payload["severity"] == "critical"
    assert payload["source"] == "trainspend/prod"
    assert "payload" not in resolve


def test_webhook_signature_verifies(receiver: Receiver) -> None:
    outbox = InMemoryOutbox()
    Notifier("prod", ["webhook"]).enqueue(budget_tick("warning"), outbox, AT)
    with client() as http:
        wall = ManualClock(AT)  # the signature's time is the wall clock's at the send
        channel = WebhookChannel(SecretStr(receiver.url + "/hook"), SecretStr("s3cret"), http, wall_clock=wall)
        Dispatcher(outbox, {"webhook": channel}).run_once(AT)
    (delivery,) = receiver.deliveries
    timestamp = delivery.headers[TIMESTAMP_HEADER.lower()]
    signature = delivery.headers[SIGNATURE_HEADER.lower()]
    assert timestamp == str(int(AT.timestamp()))
    assert signature.startswith("sha256=")
    assert verify("s3cret", timestamp, delivery.body, signature)
    assert not verify("s3cret", timestamp, delivery.body + b" ", signature)
    assert not verify("other", timestamp, delivery.body, signature)
    assert delivery.json()["state"] == "warning"


def test_a_receiver_failing_for_a_while_gets_each_message_exactly_once(receiver: Receiver) -> None:
    outbox = InMemoryOutbox()
    notifier = Notifier("prod", ["webhook"])
    for name in ("a", "b", "c"):
        notifier.enqueue(budget_tick("breach", name=name), outbox, AT)
    receiver.fail_while(True)
    with client() as http:
        dispatcher = Dispatcher(
            outbox,
            {"webhook": WebhookChannel(SecretStr(receiver.url), None, http)},
            base_backoff_seconds=1.0,
            rng=random.Random(1),
        )
        now = AT
        for _ in range(4):
            dispatcher.run_once(now)
            now += timedelta(minutes=5)
        receiver.fail_while(False)
        for _ in range(4):
            dispatcher.run_once(now)
            now += timedelta(minutes=5)
    assert len(receiver.rejected) == 12
    assert sorted(str(d.json()["budget"]) for d in receiver.deliveries) == ["a", "b", "c"]
    assert dispatcher.sent_total == 3
    assert dispatcher.failed_total == 12
    assert len(outbox.with_status("sent")) == 3


def test_a_restart_between_failure_and_recovery_loses_nothing(receiver: Receiver) -> None:
    outbox = InMemoryOutbox()
    Notifier("prod", ["webhook"]).enqueue(budget_tick("breach"), outbox, AT)
    receiver.fail_next(2)
    with client() as http:
        channels = {"webhook": WebhookChannel(SecretStr(receiver.url), None, http)}
        first = Dispatcher(outbox, channels, base_backoff_seconds=1.0)
        assert first.run_once(AT).failed == 1
        del first  # the process dies; the outbox (the store) survives
        second = Dispatcher(outbox, channels, base_backoff_seconds=1.0)
        assert second.run_once(AT).sent == 0  # not due yet: backoff survives the restart
        second.run_once(AT + timedelta(minutes=1))
        second.run_once(AT + timedelta(minutes=2))
        second.run_once(AT + timedelta(minutes=3))
    assert len(receiver.deliveries) == 1
    assert len(receiver.rejected) == 2


def test_permanent_rejections_and_expired_messages_are_dropped(receiver: Receiver) -> None:
    outbox = InMemoryOutbox()
    notifier = Notifier("prod", ["webhook"])
    notifier.enqueue(budget_tick("breach", name="old"), outbox, AT - timedelta(days=2))
    notifier.enqueue(budget_tick("breach", name="bad"), outbox, AT)
    receiver.fail_next(1, status=400)
    with client() as http:
        report = Dispatcher(
            outbox, {"webhook": WebhookChannel(SecretStr(receiver.url), None, http)}, max_age_seconds=86400
        ).run_once(AT)
    assert (report.sent, report.dropped) == (0, 2)
    reasons = sorted(e.reason for e in outbox.with_status("dropped"))
    assert reasons[0].startswith("older than max_age_seconds")
    assert "HTTP 400" in reasons[1]


def test_secrets_never_reach_logs_or_errors(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    token = "T0SECRET/B0SECRET/XXSECRETXX"
    settings = NotifySettings(
        slack_webhook_url=SecretStr(f"{receiver.url}/services/{token}"),
        webhook_url=SecretStr(f"{receiver.url}/hook?token=WHSECRET"),
        webhook_secret=SecretStr("HMACSECRET"),
    )
    outbox = InMemoryOutbox()
    Notifier("prod", ["slack", "webhook"]).enqueue(budget_tick("breach"), outbox, AT)
    receiver.fail_next(2)
    caplog.set_level(logging.DEBUG)
    with client() as http:
        dispatcher = build_dispatcher(settings, outbox, build_channels(settings, http))
        dispatcher.run_once(AT)
        dispatcher.run_once(AT + timedelta(hours=1))
    assert len(receiver.deliveries) == 2
    errors = [e.message.last_error for e in outbox.entries.values()]
    assert all("HTTP 500" in e for e in errors)
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records) + " ".join(errors)
    assert "HTTP Request" in text  # httpx did log the requests...
    for secret in ("T0SECRET", "WHSECRET", "HMACSECRET"):
        assert secret not in text  # ...with the secrets masked
