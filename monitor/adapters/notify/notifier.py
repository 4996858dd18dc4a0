"""Turns state transitions in a TickResult into outbox messages, one per configured channel, each enqueued once.

Budgets move ok → warning → breach → ok (resolved); a running Job is `over` while in breach of its own budget
(`monitor.core.domain.budgets.job_alert_state`). The last notified state per subject is kept in the outbox; the states,
the transitions and their dedup keys are the domain's (`monitor.core.domain.budgets.Transition`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.adapters.notify.events import Event, budget_event, job_event
from monitor.core.domain.budgets import Transition, job_alert_state, transition
from monitor.core.domain.result import TickResult
from monitor.core.ports import Outbox, OutboxMessage

CHANNELS = ("slack", "pagerduty", "webhook", "sns")


class Notifier:
    def __init__(self, cluster: str, channels: Sequence[str], link_base_url: str | None = None) -> None:
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"notification channels {unknown!r} are unknown: use some of {list(CHANNELS)}")
        self.cluster = cluster
        self.channels = tuple(channels)
        self.link_base_url = link_base_url

    def transitions(self, result: TickResult, states: dict[str, str]) -> list[tuple[Transition, Event]]:
        """Every subject whose state differs from the last notified one, with its notification event."""
        out: list[tuple[Transition, Event]] = []
        for budget in result.budgets:
            subject = f"budget:{self.cluster}:{budget.name}"
            if (change := transition(subject, states.get(subject), budget.state)) is not None:
                event = budget_event(self.cluster, subject, budget, change.previous, change.state, self.link_base_url)
                out.append((change, event))
        for job in result.jobs:
            subject = f"job:{self.cluster}:{job.ref.uid}"
            if (change := transition(subject, states.get(subject), job_alert_state(job))) is not None:
                out.append(
                    (change, job_event(self.cluster, subject, job, change.previous, change.state, self.link_base_url))
                )
        return out

    def enqueue(self, result: TickResult, outbox: Outbox, now: datetime) -> int:
        """Enqueues one message per transition and channel, then records the new states. Returns messages added.
        Followers never notify: only the leader's result counts."""
        if not result.is_leader or not self.channels:
            return 0
        transitions = self.transitions(result, outbox.states())
        messages = [
            OutboxMessage(
                dedup=change.dedup(channel),
                channel=channel,
                payload={**event, "at": result.at.isoformat()},
                created_at=now,
                next_attempt_at=now,
            )
            for change, event in transitions
            for channel in self.channels
        ]
        added = outbox.enqueue(messages) if messages else 0
        for change, _ in transitions:
            outbox.set_state(change.subject, change.stored, now)
        return added
