"""The tick with a GPU utilization source: utilization per Job, its unused GPU cost accrued per tick, carried over a
restart from the stored snapshot without charging any dollar twice, and a failing source that measures nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from monitor.core.clock import ManualClock
from monitor.core.tick import Agent, AgentConfig
from monitor.http.api import job_to_json
from monitor.http.cost_families import job_families
from tests.fakes.cluster import FakeCluster, FixedPricer, gpu_node, identify, pod, workload
from tests.fakes.store import MemoryStore

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


class Readings:
    """An in-memory GpuUtilizationSource: (namespace, pod) → ratio, set by the test."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], float] = {}
        self.broken = False

    def utilization(self) -> Mapping[tuple[str, str], float]:
        if self.broken:
            raise RuntimeError("dcgm down")
        return dict(self.values)


def make_agent(cluster: FakeCluster, store: MemoryStore, clock: ManualClock, source: Readings | None) -> Agent:
    return Agent(
        AgentConfig(cluster="test", job_snapshot_interval_seconds=1e9),  # snapshots only when something changes
        cluster=cluster,
        identify=identify,
        pricer=FixedPricer({"p4d.24xlarge": 32.0}),  # $4 per GPU-hour
        store=store,
        clock=clock,
        utilization=source,
    )


def job(agent: Agent):
    return next(j for j in agent.tick().jobs if j.ref.name == "llama")


def test_unused_cost_accrues_per_tick_and_a_restart_charges_the_gap_once() -> None:
    cluster, store, clock, source = (
        FakeCluster(nodes=[gpu_node("gpu-1", "p4d.24xlarge", 8)]),
        MemoryStore(),
        ManualClock(T0),
        Readings(),
    )
    w = workload("llama")
    cluster.workloads = [w]
    cluster.pods = [pod("llama-0", w, "gpu-1", 2, started=T0), pod("llama-1", w, "gpu-1", 2, started=T0)]
    source.values = {(w.ref.namespace, "llama-0"): 0.2, (w.ref.namespace, "llama-1"): 0.4}
    agent = make_agent(cluster, store, clock, source)
    clock.advance(360)
    first = job(agent)  # $1.60 accrued before anything measured it: not waste
    assert first.gpu_utilization == pytest.approx(0.3)
    assert first.unused_gpu_cost_usd == 0.0
    assert first.unused_gpu_cost_basis_usd == pytest.approx(1.6)
    clock.advance(3600)
    hour = job(agent)  # $16 more: $8 per pod, unused 80 % and 60 %
    assert hour.cost_usd == pytest.approx(17.6)
    assert hour.unused_gpu_cost_usd == pytest.approx(8 * 0.8 + 8 * 0.6)
    source.values = {}  # the reading goes away (stale): the next half hour is not called waste
    clock.advance(1800)
    unmeasured = job(agent)
    assert unmeasured.gpu_utilization is None
    assert unmeasured.unused_gpu_cost_usd == pytest.approx(11.2)
    # Restart: the store's snapshot is the first tick's (nothing material changed since), so the cost since then
    # ($24, from the ledger) is charged once at the first reading after the restart.
    source.values = {(w.ref.namespace, "llama-0"): 0.5, (w.ref.namespace, "llama-1"): 0.5}
    restarted = job(make_agent(cluster, store, clock, source))
    assert restarted.cost_usd == pytest.approx(25.6)
    assert restarted.unused_gpu_cost_usd == pytest.approx(24.0 * 0.5)
    assert restarted.unused_gpu_cost_usd <= restarted.cost_usd
    body = job_to_json(restarted)
    assert body["gpu_utilization"] == pytest.approx(0.5)
    assert body["unused_gpu_cost_usd"] == pytest.approx(12.0)
    families = {f.name: f for f in job_families("test", [restarted])}
    assert families["trainspend_job_unused_gpu_cost_usd"].kind == "counter"
    assert [v for _, v in families["trainspend_job_unused_gpu_cost_usd"].samples] == [pytest.approx(12.0)]
    assert [v for _, v in families["trainspend_job_gpu_utilization_ratio"].samples] == [pytest.approx(0.5)]


def test_a_failing_source_measures_nothing_and_accounting_goes_on() -> None:
    cluster, store, clock, source = (
        FakeCluster(nodes=[gpu_node("gpu-1", "p4d.24xlarge", 8)]),
        MemoryStore(),
        ManualClock(T0),
        Readings(),
    )
    w = workload("llama")
    cluster.workloads = [w]
    cluster.pods = [pod("llama-0", w, "gpu-1", 8, started=T0)]
    source.values = {(w.ref.namespace, "llama-0"): 0.0}
    agent = make_agent(cluster, store, clock, source)
    clock.advance(60)
    job(agent)
    source.broken = True
    clock.advance(3600)
    broken = job(agent)
    assert broken.cost_usd == pytest.approx(32.0 * 61 / 60)
    assert broken.gpu_utilization is None
    assert broken.unused_gpu_cost_usd == 0.0


def test_without_a_source_no_series_and_null_in_the_api() -> None:
    cluster, store, clock = FakeCluster(nodes=[gpu_node("gpu-1", "p4d.24xlarge", 8)]), MemoryStore(), ManualClock(T0)
    w = workload("llama")
    cluster.workloads = [w]
    cluster.pods = [pod("llama-0", w, "gpu-1", 8, started=T0)]
    clock.advance(600)
    status = job(make_agent(cluster, store, clock, None))
    families = {f.name: f for f in job_families("test", [status])}
    assert not families["trainspend_job_unused_gpu_cost_usd"].samples
    assert not families["trainspend_job_gpu_utilization_ratio"].samples
    assert job_to_json(status)["unused_gpu_cost_usd"] is None
