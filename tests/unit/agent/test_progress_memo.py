"""The agent derives each pod's reported progress once per pod object: whatever pods change or stay between ticks,
a Job's progress must be what `merge_progress` gives for the current annotations (nothing remembered from a pod's
earlier object)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.clock import ManualClock
from monitor.core.domain.annotations import merge_progress
from monitor.core.tick import Agent, AgentConfig
from tests.fakes.cluster import FakeCluster, FixedPricer, gpu_node, identify, pod, workload
from tests.fakes.store import MemoryStore

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
KEY = "trainspend.io/progress"
VALUES = st.sampled_from([None, "0.1", "0.5", "0.9", "not-a-number", "1.5"])
# per tick: for each of two pods, None = the same pod object as last tick, else its annotation value (or its removal)
TICKS = st.lists(st.tuples(st.none() | st.tuples(VALUES), st.none() | st.tuples(VALUES)), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(TICKS)
def test_a_jobs_progress_follows_its_pods_current_annotations(ticks) -> None:
    w = workload("pt")
    cluster = FakeCluster(nodes=[gpu_node("gpu-1", "p4d.24xlarge", 8)])
    cluster.workloads = [w]
    cluster.pods = [pod(f"pt-{i}", w, "gpu-1", 4, started=T0) for i in range(2)]
    clock = ManualClock(T0)
    agent = Agent(
        AgentConfig(cluster="test"),
        cluster=cluster,
        identify=identify,
        pricer=FixedPricer({"p4d.24xlarge": 32.0}),
        store=MemoryStore(),
        clock=clock,
    )
    for changes in ticks:
        pods = list(cluster.pods)
        for i, change in enumerate(changes):
            if change is not None:
                annotations = {} if change[0] is None else {KEY: change[0]}
                pods[i] = pods[i].model_copy(update={"annotations": annotations})
        cluster.pods = pods
        clock.advance(60)
        job = next(j for j in agent.tick().jobs if j.ref.name == "pt")
        reported = merge_progress(w.annotations, [p.annotations for p in pods])
        if reported is None:
            assert job.progress_source != "reported"
        else:
            assert job.progress_source == "reported"
            assert job.progress == reported
