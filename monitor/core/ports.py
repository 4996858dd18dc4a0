"""The small interfaces (Protocols) between the core and the outside world. Each adapter implements one; tests
inject in-memory fakes behind the same interface."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from monitor.core.domain.accrual import Ledger, LedgerChanges
from monitor.core.domain.enforcement import SuspendOrder
from monitor.core.domain.model import ClusterSnapshot, NodeIdentity, Price, Value, WorkloadRef
from monitor.core.domain.result import WorkloadStatus


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class ClusterSource(Protocol):
    """A watch-fed view of the cluster. `snapshot()` is cheap: it never calls the API server."""

    def snapshot(self) -> ClusterSnapshot: ...


class EventRecorder(Protocol):
    """Kubernetes Events on workloads (bad annotations, ...)."""

    def record(self, ref: WorkloadRef, reason: str, message: str, type_: str = "Warning") -> None: ...


class Suspender(Protocol):
    """Carries out a breached budget's suspend order (`monitor.core.domain.enforcement`); returns what it did:
    "suspended" | "deactivated" | "held" | "dry-run" | "already" | "unsupported" | "failed" (to be tried again)."""

    def suspend(self, order: SuspendOrder) -> str: ...


class PriceSource(Protocol):
    """One source of hourly node prices. Returns None when it has no answer for this node (the chain moves on)."""

    name: str

    def price(self, node: NodeIdentity) -> Price | None: ...


class NodePricer(Protocol):
    """The whole price chain: always answers, with provenance (a guess is flagged `estimated`)."""

    def price(self, node: NodeIdentity) -> Price: ...


class GpuUtilizationSource(Protocol):
    """Per-pod GPU utilization from dcgm-exporter (monitor.adapters.dcgm). `utilization()` is cheap: it returns the
    latest reading an adapter fetched off the tick, never calling the network itself."""

    def utilization(self) -> Mapping[tuple[str, str], float]:
        """(namespace, pod) -> mean utilization of the GPUs DCGM maps to that pod, ratio 0..1; empty when no fresh
        reading exists (never measured, or the last good reading is older than the adapter's staleness limit)."""
        ...


class LeaderElector(Protocol):
    def is_leader(self) -> bool: ...


class MetricSink(Protocol):
    """CloudWatch-like publication of accrued/projected spend."""

    def put(self, datapoints: Sequence[tuple[str, dict[str, str], float]], at: datetime) -> None: ...


class OutboxMessage(Value):
    """One notification to deliver once: `dedup` is unique, so enqueueing the same transition twice is a no-op."""

    id: int | None = None
    dedup: str  # e.g. "budget:team-a:2026-11:warning"
    channel: str  # slack | pagerduty | webhook | sns
    payload: dict[str, object]
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str = ""


class Store(Protocol):
    """Persistence of what was measured: the cost ledger (one transaction per tick, idempotent keys) and job
    snapshots; survives restarts."""

    def ledger(self) -> Ledger:
        """The cost ledger as it stands: open segments, what each pod is covered until, accrued-until, horizon."""
        ...

    def commit_ledger(self, changes: LedgerChanges) -> int:
        """Applies one tick's segment changes and moves accrued-until to `changes.at`, in one transaction; changes
        already applied (a replay, another writer) are skipped. Returns how many took effect."""
        ...

    def save_jobs(self, at: datetime, jobs: Sequence[WorkloadStatus], points: Collection[str] | None = None) -> None:
        """Upserts the job snapshots (never over a newer one) and adds the projection of those whose uid is in
        `points` (all of them when None) to their projection history (`monitor.core.domain.projection_points`)."""
        ...

    def workload_costs(self) -> dict[str, float]:
        """workload_uid -> total USD accrued, all time (open segments up to accrued-until)."""
        ...

    def workload_spend_since(self, since: datetime) -> dict[str, float]:
        """workload_uid -> USD accrued in intervals ending after `since` (pro rata for straddling intervals)."""
        ...

    def jobs(self) -> list[WorkloadStatus]:
        """The last snapshot of every workload seen (finished ones included)."""
        ...

    def prune(self, older_than: datetime) -> int:
        """Deletes closed segments older than the retention (totals and the hourly rollup are kept). Returns rows
        deleted."""
        ...


class LastGoodPrices(Protocol):
    """The last good answer of each live pricing API per node identity, kept across restarts."""

    def load(self, source: str) -> dict[str, Price]:
        """key -> price, as saved by `save`."""
        ...

    def save(self, source: str, key: str, price: Price, at: datetime) -> None: ...


class Outbox(Protocol):
    """A persistent outbox of notifications and the last notified state per key (budget, job)."""

    def enqueue(self, messages: Sequence[OutboxMessage]) -> int: ...

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]: ...

    def pending(self, limit: int = 1000) -> list[OutboxMessage]:
        """Neither sent nor dropped, due or in backoff, in enqueue order."""
        ...

    def last_delivered(self, channel: str, subject: str) -> str | None:
        """The `action` of the last message sent for (channel, payload subject), recorded by `mark_sent`."""
        ...

    def mark_sent(self, message_id: int, at: datetime) -> None: ...

    def mark_failed(self, message_id: int, error: str, next_attempt_at: datetime) -> None: ...

    def drop(self, message_id: int, reason: str) -> None: ...

    def states(self) -> dict[str, str]:
        """key -> last notified state (e.g. "budget:team-a" -> "warning")."""
        ...

    def set_state(self, key: str, state: str, at: datetime) -> None: ...
