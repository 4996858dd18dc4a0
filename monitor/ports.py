"""The small interfaces (Protocols) between the core and the outside world. Each adapter implements one; tests
inject in-memory fakes behind the same interface."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from monitor.domain.model import ClusterSnapshot, NodeIdentity, Price, WorkloadRef


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


class PriceSource(Protocol):
    """One source of hourly node prices. Returns None when it has no answer for this node (the chain moves on)."""

    name: str

    def price(self, node: NodeIdentity) -> Price | None: ...


class LeaderElector(Protocol):
    def is_leader(self) -> bool: ...


class MetricSink(Protocol):
    """CloudWatch-like publication of accrued/projected spend."""

    def put(self, datapoints: Sequence[tuple[str, dict[str, str], float]], at: datetime) -> None: ...
