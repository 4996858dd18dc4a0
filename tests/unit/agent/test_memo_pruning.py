"""The agent's per-object caches follow the cluster: what it derived for workloads and nodes that left is forgotten,
while a gone workload that spent inside a budget's period is still counted by that budget."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.core.clock import ManualClock
from monitor.core.domain.budgets import BudgetSpec
from monitor.core.tick import Agent, AgentConfig
from tests.fakes.cluster import FakeCluster, FixedPricer, RecordingEvents, gpu_node, identify, pod, workload
from tests.fakes.store import MemoryStore

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


def test_caches_of_gone_workloads_and_nodes_are_pruned_and_budgets_keep_what_spent() -> None:
    cluster = FakeCluster(nodes=[gpu_node(f"gpu-{i}", "p4d.24xlarge", 8) for i in range(3)])
    # Each workload has an estimate (model + tokens) and a bad annotation (reported once, remembered per workload).
    workloads = [workload(f"w{i}", model="llama-3-8b", tokens=f"{i + 1}e9", budget_usd="-1") for i in range(3)]
    cluster.workloads = list(workloads)
    cluster.pods = [pod(f"w{i}-0", w, f"gpu-{i}", 8, started=T0) for i, w in enumerate(workloads)]
    clock = ManualClock(T0)
    events = RecordingEvents()
    budgets = (BudgetSpec(name="nlp", limit_usd=10_000.0, period="monthly", selector={"team": "nlp"}),)
    agent = Agent(
        AgentConfig(cluster="test", budgets=budgets, finished_job_ttl_seconds=600),
        cluster=cluster,
        identify=identify,
        pricer=FixedPricer({"p4d.24xlarge": 32.0}),
        store=MemoryStore(),
        clock=clock,
        events=events,
    )
    clock.advance(3600)
    agent.tick()
    assert agent.memo_sizes() == {
        "facts": 3,
        "identities": 3,
        "job_estimates": 3,
        "estimates": 3,
        "reported": 3,
        "failed": 0,
        "known": 3,
    }
    # w0 and its node leave the cluster; w1 stays without its pod (it holds nothing, so it asks for no estimate).
    cluster.workloads = workloads[1:]
    cluster.pods = [p for p in cluster.pods if p.owner is not None and p.owner.name == "w2"]
    cluster.nodes = cluster.nodes[1:]
    clock.advance(60)
    result = agent.tick()
    assert agent.memo_sizes() == {
        "facts": 2,
        "identities": 2,
        "job_estimates": 1,
        "estimates": 1,
        "reported": 2,
        "failed": 0,
        "known": 3,  # w0 is gone but spent this month: the budget still counts it
    }
    gone = next(j for j in result.jobs if j.ref.name == "w0")
    assert gone.state == "Deleted"
    assert result.budgets[0].spend_usd > gone.cost_usd > 0
    # The bad annotation was reported once per workload, not again after pruning of the others.
    assert len(events.events) == 3
    # The next month: w0 spent nothing in it and is forgotten; the live ones stay.
    clock.advance(25 * 86400)
    agent.tick()
    assert agent.memo_sizes()["known"] == 2
