"""The demo's terminal table shows each Job's GPU utilization (measured by the demo's simulated dcgm-exporter)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from monitor.cli.demo_view import print_jobs
from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import TickResult, WorkloadStatus


def _job(name: str, utilization: float | None) -> WorkloadStatus:
    ref = WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name=name, uid=name)
    return WorkloadStatus(ref=ref, cost_usd=10.0, hourly_cost_usd=5.0, gpus=8, gpu_utilization=utilization)


def test_gpu_utilization_column() -> None:
    console = Console(width=200, record=True)
    result = TickResult(cluster="demo", at=datetime(2026, 12, 1, tzinfo=UTC), jobs=(_job("a", 0.176), _job("b", None)))
    print_jobs(result, console)
    text = console.export_text()
    assert "GPU util" in text
    row_a = next(line for line in text.splitlines() if "ml/Job/a" in line)
    row_b = next(line for line in text.splitlines() if "ml/Job/b" in line)
    assert "18%" in row_a
    assert "%" not in row_b
