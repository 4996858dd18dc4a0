"""A hand-built TickResult covering every series the exporter renders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from monitor.core.domain.model import NodeCapacityType, NodeIdentity, Price, WorkloadRef
from monitor.core.domain.result import Band, BudgetStatus, NodeCost, TickResult, TickStats, WorkloadStatus

AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def running_job() -> WorkloadStatus:
    return WorkloadStatus(
        ref=WorkloadRef(kind="PyTorchJob", api_version="kubeflow.org/v1", namespace="ml", name="llama-ft", uid="u1"),
        team="research",
        queue="research-a100",  # Kueue LocalQueue
        cluster_queue="gpu-cluster-queue",
        cohort="research",
        cost_usd=123.5,
        hourly_cost_usd=32.77,
        projected_cost_usd=Band(p10=400.0, p50=450.0, p90=520.0),
        remaining_cost_usd=Band(p10=276.5, p50=326.5, p90=396.5),
        expected_completion=AT + timedelta(hours=10),
        progress=0.25,
        gpus=8.0,
        gpu_utilization=0.42,
        unused_gpu_cost_usd=31.25,
        unused_gpu_cost_basis_usd=120.0,
        budget_usd=500.0,
        started=AT - timedelta(hours=4),
        model="llama-3-8b",
        method="lora",
        gpu_model="H100-SXM",
        instance_type="p5.48xlarge",
        capacity_type="spot",
    )


def finished_job(finished: datetime) -> WorkloadStatus:
    return WorkloadStatus(
        ref=WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name="eval", uid="u2"),
        state="Succeeded",
        cost_usd=10.0,
        hourly_cost_usd=0.0,
        finished=finished,
    )


def sample_result(*, is_leader: bool = True, duration_seconds: float = 0.2) -> TickResult:
    node = NodeCost(
        identity=NodeIdentity(
            node="ip-10-0-0-1",
            provider="aws",
            region="us-east-1",
            instance_type="p5.48xlarge",
            capacity_type=NodeCapacityType.SPOT,
            gpu_model="H100-SXM",
            gpu_count=8,
            provider_id="aws:///us-east-1a/i-0abc",
        ),
        price=Price(usd_per_hour=40.0, source="aws-spot-history", as_of=date(2026, 11, 10), stale=True),
        gpu_hourly_cost_usd=5.0,
        idle_gpu_hourly_cost_usd=0.0,
        gpus_allocated=8.0,
    )
    budget = BudgetStatus(
        name="research",
        period="monthly",
        period_start=datetime(2026, 11, 1, tzinfo=UTC),
        period_end=datetime(2026, 12, 1, tzinfo=UTC),
        limit_usd=10000.0,
        spend_usd=8200.0,
        projected_spend_usd=11000.0,
        state="breach",
    )
    return TickResult(
        cluster="prod",
        at=AT,
        jobs=(running_job(), finished_job(AT - timedelta(minutes=5))),
        budgets=(budget,),
        nodes=(node,),
        stats=TickStats(
            duration_seconds=duration_seconds,
            watch_restarts=2,
            api_errors={"aws-pricing": 3},
            missed_runs={"tick": 1},
            notifications_sent=4,
            notifications_failed=1,
            alarms_in_sync=True,
        ),
        is_leader=is_leader,
    )
