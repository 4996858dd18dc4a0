"""Small builders of store inputs; costs are always hourly price × duration, so expectations can be derived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.core.domain.accrual import Close, LedgerChanges, Segment
from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import Band, WorkloadStatus

T0 = datetime(2026, 3, 31, 22, 0, tzinfo=UTC)  # two hours before a month (and day) boundary


def segment(
    pod: str,
    start: datetime,
    minutes: float | None,
    hourly_usd: float = 36.0,
    workload: str = "w1",
) -> Segment:
    """A segment of `minutes` (None: open) at `hourly_usd`."""
    return Segment(
        pod_uid=pod,
        workload_uid=workload,
        workload_key=f"ml/PyTorchJob/{workload}",
        namespace="ml",
        node="gpu-node-1",
        start=start,
        end=None if minutes is None else start + timedelta(minutes=minutes),
        hourly_usd=hourly_usd,
        price_source="embedded",
    )


def opens(at: datetime, *segments: Segment) -> LedgerChanges:
    return LedgerChanges(at=at, opens=segments)


def closes(at: datetime, *items: tuple[Segment, datetime]) -> LedgerChanges:
    return LedgerChanges(at=at, closes=tuple(Close(s.pod_uid, s.start, end) for s, end in items))


def job(uid: str = "w1", name: str = "llama", cost_usd: float = 10.0, state: str = "Running") -> WorkloadStatus:
    return WorkloadStatus(
        ref=WorkloadRef(kind="PyTorchJob", api_version="kubeflow.org/v1", namespace="ml", name=name, uid=uid),
        team="research",
        state=state,
        cost_usd=cost_usd,
        hourly_cost_usd=36.0,
        projected_cost_usd=Band(p10=90.0, p50=100.0, p90=120.0),
        remaining_cost_usd=Band(p10=80.0, p50=90.0, p90=110.0),
        expected_completion=T0 + timedelta(hours=3),
        progress=0.1,
        progress_source="reported",
        gpus=8.0,
        budget_usd=150.0,
        started=T0,
        estimate={"mfu": 0.41, "assumptions": ["16 bytes/param"]},
    )
