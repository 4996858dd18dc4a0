"""Invariants of delivery order (issue 12 item 1), over arbitrary interleavings of state changes, endpoint failures and
dispatch runs: per (channel, subject), what is delivered is in enqueue order, a resolve is only ever delivered after a
delivered trigger, and once the endpoint recovers the last delivered state is the subject's current one."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.adapters.notify.channel import DeliveryError
from monitor.adapters.notify.dispatcher import Dispatcher
from monitor.adapters.notify.events import TRIGGER_STATES
from monitor.adapters.notify.notifier import Notifier
from monitor.core.domain.result import BudgetStatus, TickResult
from tests.fakes.outbox import InMemoryOutbox

T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


class FlakyEndpoint:
    """A channel whose endpoint is up or down; records what it accepted."""

    name = "pagerduty"

    def __init__(self) -> None:
        self.down = False
        self.accepted: list[dict[str, object]] = []

    def send(self, event: Mapping[str, object], now: datetime) -> None:
        if self.down:
            raise DeliveryError("pagerduty: HTTP 503", retryable=True)
        self.accepted.append(dict(event))


def tick(budget: str, state: str, at: datetime) -> TickResult:
    status = BudgetStatus(
        name=budget,
        period="monthly",
        period_start=datetime(2026, 11, 1, tzinfo=UTC),
        period_end=None,
        limit_usd=100.0,
        spend_usd=50.0,
        projected_spend_usd=150.0 if state != "ok" else 50.0,
        state=state,
    )
    return TickResult(cluster="prod", at=at, budgets=(status,))


steps = st.lists(
    st.one_of(
        st.tuples(st.just("state"), st.sampled_from(["a", "b"]), st.sampled_from(["ok", "warning", "breach"])),
        st.tuples(st.just("endpoint"), st.sampled_from(["up", "down"]), st.just("")),
        st.tuples(st.just("run"), st.sampled_from([0, 0, 1, 2, 5, 30]).map(str), st.just("")),
    ),
    max_size=40,
)


# The repro of the issue: a trigger fails, the subject recovers before the trigger's retry is due.
RESOLVED_DURING_BACKOFF = [
    ("state", "a", "breach"),
    ("endpoint", "down", ""),
    ("run", "0", ""),
    ("endpoint", "up", ""),
    ("state", "a", "ok"),
    ("run", "0", ""),
]


@settings(max_examples=300, deadline=None)
@given(steps, st.integers(0, 2**32 - 1))
@example(RESOLVED_DURING_BACKOFF, 1)
def test_delivery_is_ordered_never_resolves_nothing_and_converges(plan: list[tuple[str, str, str]], seed: int) -> None:
    outbox = InMemoryOutbox()
    endpoint = FlakyEndpoint()
    notifier = Notifier("prod", ["pagerduty"])
    dispatcher = Dispatcher(
        outbox,
        {"pagerduty": endpoint},
        max_attempts=10_000,
        max_age_seconds=1e9,
        base_backoff_seconds=1.0,
        max_backoff_seconds=20.0,
        rng=random.Random(seed),
    )
    now = T0
    current = {"a": "ok", "b": "ok"}
    for op, arg, state in plan:
        if op == "state":
            current[arg] = state
            notifier.enqueue(tick(arg, state, now), outbox, now)
        elif op == "endpoint":
            endpoint.down = arg == "down"
        else:
            now += timedelta(seconds=int(arg))
            dispatcher.run_once(now)
    endpoint.down = False
    for _ in range(5):
        now += timedelta(seconds=60)
        dispatcher.run_once(now)

    for budget in ("a", "b"):
        subject = f"budget:prod:{budget}"
        delivered = [e for e in endpoint.accepted if e["subject"] == subject]
        keys = [str(e["idempotency_key"]) for e in delivered]
        seqs = [int(key.split(":")[3]) for key in keys]  # budget:prod:<name>:<seq>:...
        assert seqs == sorted(seqs)
        assert len(set(keys)) == len(keys), "a message was delivered twice"
        previous = "resolve"
        for event in delivered:
            if event["action"] == "resolve":
                assert previous == "trigger", f"{subject}: a resolve with no delivered trigger before it"
            previous = str(event["action"])
        if current[budget] in TRIGGER_STATES:
            assert delivered, f"{subject} is {current[budget]} and nobody was told"
            assert delivered[-1]["state"] == current[budget]
        else:
            assert not delivered or delivered[-1]["action"] == "resolve", f"{subject} is ok but left open"
    assert outbox.pending() == []
