"""Turns state transitions in a TickResult into outbox messages, one per configured channel, each enqueued once.

Budgets move ok → warning → breach → ok (resolved); a running Job is `over` while its projected p50 (or its cost so far)
exceeds its budget. The last notified state per subject is kept in the outbox as `"<state>#<seq>"`: `seq` counts
transitions, and the dedup key `<subject>:<seq>:<previous>-><state>:<channel>` makes a replay of the same tick (e.g.
after a crash between enqueue and set_state) a no-op, while a genuine second transition gets a new key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.domain.result import JobStatus, TickResult
from monitor.notify.events import Event, budget_event, job_event
from monitor.ports import Outbox, OutboxMessage

CHANNELS = ("slack", "pagerduty", "webhook", "sns")


@dataclass(frozen=True)
class Transition:
    subject: str
    previous: str
    state: str
    seq: int
    event: Event


def parse_state(stored: str | None) -> tuple[str, int]:
    """`"warning#3"` → ("warning", 3); nothing stored → ("ok", 0)."""
    if not stored:
        return "ok", 0
    state, _, seq = stored.partition("#")
    return state, int(seq) if seq.isdigit() else 0


def job_state(job: JobStatus) -> str:
    """`over` while a running Job's projected p50 total (or its cost so far) exceeds its budget, else `ok`."""
    if job.budget_usd is None or job.finished is not None:
        return "ok"
    projected = job.projected_cost_usd.p50 if job.projected_cost_usd is not None else 0.0
    return "over" if max(projected, job.cost_usd) > job.budget_usd else "ok"


class Notifier:
    def __init__(self, cluster: str, channels: Sequence[str], link_base_url: str | None = None) -> None:
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"notification channels {unknown!r} are unknown: use some of {list(CHANNELS)}")
        self.cluster = cluster
        self.channels = tuple(channels)
        self.link_base_url = link_base_url

    def transitions(self, result: TickResult, states: dict[str, str]) -> list[Transition]:
        """Every subject whose state differs from the last notified one."""
        out: list[Transition] = []
        for budget in result.budgets:
            subject = f"budget:{self.cluster}:{budget.name}"
            previous, seq = parse_state(states.get(subject))
            if budget.state != previous:
                event = budget_event(self.cluster, subject, budget, previous, budget.state, self.link_base_url)
                out.append(Transition(subject, previous, budget.state, seq + 1, event))
        for job in result.jobs:
            subject = f"job:{self.cluster}:{job.ref.uid}"
            previous, seq = parse_state(states.get(subject))
            state = job_state(job)
            if state != previous:
                event = job_event(self.cluster, subject, job, previous, state, self.link_base_url)
                out.append(Transition(subject, previous, state, seq + 1, event))
        return out

    def enqueue(self, result: TickResult, outbox: Outbox, now: datetime) -> int:
        """Enqueues one message per transition and channel, then records the new states. Returns messages added.
        Followers never notify: only the leader's result counts."""
        if not result.is_leader or not self.channels:
            return 0
        transitions = self.transitions(result, outbox.states())
        messages = [
            OutboxMessage(
                dedup=f"{t.subject}:{t.seq}:{t.previous}->{t.state}:{channel}",
                channel=channel,
                payload={**t.event, "at": result.at.isoformat()},
                created_at=now,
                next_attempt_at=now,
            )
            for t in transitions
            for channel in self.channels
        ]
        added = outbox.enqueue(messages) if messages else 0
        for t in transitions:
            outbox.set_state(t.subject, f"{t.state}#{t.seq}", now)
        return added
