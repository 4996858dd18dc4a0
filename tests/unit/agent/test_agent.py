"""The tick composed over in-memory fakes: accrual to the cent, idempotence, restarts, bad annotations, budgets."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from monitor.core.clock import ManualClock
from monitor.core.domain.budgets import BudgetSpec
from monitor.core.tick import Agent, AgentConfig
from tests.fakes.cluster import FakeCluster, FixedPricer, RecordingEvents, gpu_node, identify, pod, workload
from tests.fakes.store import MemoryStore

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
P4D_USD_PER_HOUR = 32.0  # 8 GPUs → $4/GPU-hour


@pytest.fixture
def world() -> tuple[FakeCluster, MemoryStore, ManualClock, RecordingEvents]:
    cluster = FakeCluster(nodes=[gpu_node("gpu-1", "p4d.24xlarge", 8)])
    return cluster, MemoryStore(), ManualClock(T0), RecordingEvents()


def make_agent(cluster, store, clock, events, budgets=()):
    return Agent(
        AgentConfig(cluster="test", budgets=tuple(budgets)),
        cluster=cluster,
        identify=identify,
        pricer=FixedPricer({"p4d.24xlarge": P4D_USD_PER_HOUR}),
        store=store,
        clock=clock,
        events=events,
    )


def job_of(result, name):
    return next(j for j in result.jobs if j.ref.name == name)


def test_accrues_gpu_share_over_wall_time_and_replays_count_once(world) -> None:
    cluster, store, clock, events = world
    w = workload("llama")
    cluster.workloads = [w]
    cluster.pods = [pod("llama-master-0", w, "gpu-1", 4, started=T0)]
    agent = make_agent(cluster, store, clock, events)
    clock.advance(3600)
    first = job_of(agent.tick(), "llama")
    assert first.cost_usd == pytest.approx(16.0)
    assert first.hourly_cost_usd == pytest.approx(16.0)
    assert first.gpus == 4
    again = job_of(agent.tick(), "llama")  # same instant: nothing new
    assert again.cost_usd == pytest.approx(16.0)
    clock.advance(1800)
    assert job_of(agent.tick(), "llama").cost_usd == pytest.approx(24.0)
    node = agent.tick().nodes[0]
    assert node.idle_gpu_hourly_cost_usd == pytest.approx(16.0)


def test_restart_accrues_the_gap_and_stops_at_the_pods_finish(world) -> None:
    cluster, store, clock, events = world
    w = workload("sft", kind="Job")
    cluster.workloads = [w]
    cluster.pods = [pod("sft-0", w, "gpu-1", 8, started=T0)]
    clock.advance(600)
    make_agent(cluster, store, clock, events).tick()
    # The daemon is down; the pod finishes 50 minutes after it started; the daemon comes back 2 hours later.
    cluster.replace_pod(pod("sft-0", w, "gpu-1", 8, started=T0, phase="Succeeded", finished=T0 + timedelta(minutes=50)))
    clock.advance(7200)
    result = make_agent(cluster, store, clock, events).tick()
    assert job_of(result, "sft").cost_usd == pytest.approx(P4D_USD_PER_HOUR * 50 / 60)
    assert job_of(result, "sft").hourly_cost_usd == 0
    clock.advance(600)
    assert job_of(make_agent(cluster, store, clock, events).tick(), "sft").cost_usd == pytest.approx(
        P4D_USD_PER_HOUR * 50 / 60
    )


def test_a_malformed_annotation_reports_and_never_stops_accounting(world) -> None:
    cluster, store, clock, events = world
    good = workload("good", budget_usd="100")
    bad = workload("bad", tokens="lots", budget_usd="-5")
    cluster.workloads = [good, bad]
    cluster.pods = [
        pod("good-0", good, "gpu-1", 4, started=T0),
        pod("bad-0", bad, "gpu-1", 4, started=T0),
    ]
    clock.advance(3600)
    result = make_agent(cluster, store, clock, events).tick()
    assert job_of(result, "good").cost_usd == pytest.approx(16.0)
    assert job_of(result, "bad").cost_usd == pytest.approx(16.0)
    problems = {p.annotation for p in job_of(result, "bad").problems}
    assert problems == {"trainspend.io/tokens", "trainspend.io/budget-usd"}
    assert {key for key, _, _ in events.events} == {"ml/PyTorchJob/bad"}
    assert all(reason == "InvalidAnnotation" for _, reason, _ in events.events)
    assert job_of(result, "good").problems == ()


def test_progress_projects_remaining_cost_and_eta(world) -> None:
    cluster, store, clock, events = world
    w = workload("pt", progress="0.25", budget_usd="50")
    cluster.workloads = [w]
    cluster.pods = [pod("pt-0", w, "gpu-1", 8, started=T0)]
    clock.advance(3600)
    job = job_of(make_agent(cluster, store, clock, events).tick(), "pt")
    # 1 hour for 25%: 3 more hours at $32/h ≈ $96 more.
    assert job.remaining_cost_usd is not None
    assert job.projected_cost_usd is not None
    assert job.remaining_cost_usd.p50 == pytest.approx(96.0, rel=0.01)
    assert job.remaining_cost_usd.p10 < job.remaining_cost_usd.p50 < job.remaining_cost_usd.p90
    assert job.expected_completion == pytest.approx(clock.now() + timedelta(hours=3), abs=timedelta(minutes=2))
    assert job.budget_state == "breach"  # projected ≈ $128 > $50
    assert job.projection_basis == "throughput"  # no model annotation: no estimate, the observed rate alone


def test_namespace_budget_sums_period_spend_and_projection(world) -> None:
    cluster, store, clock, events = world
    a = workload("a", progress="0.5")
    b = workload("b", namespace="other")
    cluster.workloads = [a, b]
    cluster.pods = [pod("a-0", a, "gpu-1", 4, started=T0), pod("b-0", b, "gpu-1", 4, started=T0)]
    clock.advance(3600)
    budget = BudgetSpec(name="ml-monthly", limit_usd=40.0, period="monthly", namespace="ml", thresholds=(0.5, 1.0))
    status = make_agent(cluster, store, clock, events, budgets=[budget]).tick().budgets[0]
    assert status.spend_usd == pytest.approx(16.0)  # only namespace ml
    assert status.projected_spend_usd == pytest.approx(32.0, rel=0.01)  # + one more hour at $16/h
    assert status.state == "warning"


def test_month_to_date_spend_keeps_jobs_that_finished_long_ago(world) -> None:
    cluster, store, clock, events = world
    early = workload("early", kind="Job")
    cluster.workloads = [early]
    cluster.pods = [pod("early-0", early, "gpu-1", 8, started=T0)]
    budget = BudgetSpec(name="ml", limit_usd=1000.0, period="monthly", namespace="ml")
    agent = make_agent(cluster, store, clock, events, budgets=[budget])
    clock.advance(3600)
    agent.tick()
    # The Job finishes and is deleted; days later it is long past the finished-job TTL of the live view.
    cluster.workloads, cluster.pods = [], []
    clock.advance(3 * 86400)
    result = agent.tick()
    assert all(j.ref.name != "early" for j in result.jobs)
    assert result.budgets[0].spend_usd == pytest.approx(32.0)
    # ... and after a restart of the daemon too.
    restarted = make_agent(cluster, store, clock, events, budgets=[budget]).tick()
    assert restarted.budgets[0].spend_usd == pytest.approx(32.0)


def test_a_preempted_job_keeps_its_remaining_cost_in_the_budget_projection(world) -> None:
    cluster, store, clock, events = world
    w = workload("rl", progress="0.25")
    cluster.workloads = [w]
    cluster.pods = [pod("rl-0", w, "gpu-1", 8, started=T0)]
    budget = BudgetSpec(name="ml", limit_usd=1000.0, period="total", namespace="ml")
    agent = make_agent(cluster, store, clock, events, budgets=[budget])
    clock.advance(3600)
    running = agent.tick().budgets[0].projected_spend_usd
    # The spot node is reclaimed: the pod fails, nothing runs for a while, the Job still has 75 % to do.
    cluster.replace_pod(pod("rl-0", w, "gpu-1", 8, started=T0, phase="Failed", finished=clock.now()))
    clock.advance(600)
    preempted = agent.tick().budgets[0]
    assert preempted.spend_usd == pytest.approx(32.0)
    assert preempted.projected_spend_usd == pytest.approx(running, rel=0.05)


def test_a_quiet_cluster_writes_no_segment_and_a_finish_on_a_quiet_node_still_closes_at_its_time(world) -> None:
    cluster, store, clock, events = world
    w = workload("llama")
    cluster.workloads = [w]
    trainer = pod("llama-master-0", w, "gpu-1", 8, started=T0)
    cluster.pods = [trainer]
    agent = make_agent(cluster, store, clock, events)
    for _ in range(5):
        clock.advance(30)
        agent.tick()
    assert len(store.segments) == 1  # one open segment, nothing per tick
    done = trainer.model_copy(update={"phase": "Succeeded", "finished": T0 + timedelta(seconds=140)})
    cluster.pods = [done]
    clock.advance(30)
    assert job_of(agent.tick(), "llama").cost_usd == pytest.approx(32.0 * 140 / 3600)
    clock.advance(300)
    assert job_of(agent.tick(), "llama").cost_usd == pytest.approx(32.0 * 140 / 3600)


def test_a_trainjob_status_progress_drives_the_projection_and_says_so(world) -> None:
    cluster, store, clock, events = world
    w = workload("tj", kind="TrainJob").model_copy(update={"status_progress": 0.25})
    cluster.workloads = [w]
    cluster.pods = [pod("tj-node-0-0", w, "gpu-1", 8, started=T0)]
    clock.advance(3600)
    job = job_of(make_agent(cluster, store, clock, events).tick(), "tj")
    assert (job.progress, job.progress_source) == (0.25, "trainer_status")
    assert job.remaining_cost_usd is not None
    assert job.remaining_cost_usd.p50 == pytest.approx(96.0, rel=0.01)  # 3 more hours at $32/h
    annotated = workload("pt", progress="0.25")
    cluster.workloads, cluster.pods = [annotated], [pod("pt-0", annotated, "gpu-1", 8, started=T0)]
    assert job_of(make_agent(cluster, store, clock, events).tick(), "pt").progress_source == "reported"


def test_kueue_queue_from_the_job_or_its_pods_and_a_budget_per_queue(world) -> None:
    cluster, store, clock, events = world
    queued = workload("q").model_copy(update={"labels": {"team": "nlp", "kueue.x-k8s.io/queue-name": "gpu-train"}})
    via_pods = workload("tj", kind="TrainJob")  # the TrainJob example puts the label on its pods only
    other = workload("other")
    cluster.workloads = [queued, via_pods, other]
    tj_pod = pod("tj-node-0-0", via_pods, "gpu-1", 2, started=T0)
    cluster.pods = [
        pod("q-0", queued, "gpu-1", 2, started=T0),
        tj_pod.model_copy(update={"labels": {"kueue.x-k8s.io/queue-name": "gpu-train"}}),
        pod("other-0", other, "gpu-1", 2, started=T0),
    ]
    clock.advance(3600)
    budget = BudgetSpec(name="gpu-train", limit_usd=100.0, period="monthly", queue="gpu-train")
    result = make_agent(cluster, store, clock, events, budgets=[budget]).tick()
    assert {j.ref.name: j.queue for j in result.jobs} == {"q": "gpu-train", "tj": "gpu-train", "other": ""}
    assert result.budgets[0].spend_usd == pytest.approx(16.0)  # 2 x 2 GPUs x $4/GPU-hour; not the unqueued Job


def test_cluster_queue_and_cohort_from_the_local_queue_and_budgets_per_cluster_queue(world) -> None:
    from monitor.core.domain.model import QueueInfo

    cluster, store, clock, events = world
    labels = {"team": "nlp", "kueue.x-k8s.io/queue-name": "team-a-queue"}
    queued = workload("q").model_copy(update={"labels": labels})
    same_name_elsewhere = workload("elsewhere", namespace="other").model_copy(update={"labels": labels})
    cluster.workloads = [queued, same_name_elsewhere]
    cluster.pods = [pod("q-0", queued, "gpu-1", 2, started=T0), pod("e-0", same_name_elsewhere, "gpu-1", 1, started=T0)]
    cluster.queues = [  # kubernetes-sigs/kueue site/content/en/docs/concepts/cluster_queue.md, "Borrowing example"
        QueueInfo(kind="ClusterQueue", name="team-a-cq", cohort="team-ab"),
        QueueInfo(kind="LocalQueue", name="team-a-queue", namespace="ml", cluster_queue="team-a-cq"),
    ]
    clock.advance(3600)
    budgets = [
        BudgetSpec(name="cq", limit_usd=100.0, cluster_queue="team-a-cq"),
        BudgetSpec(name="cohort", limit_usd=100.0, cohort="team-ab"),
    ]
    agent = make_agent(cluster, store, clock, events, budgets=budgets)
    result = agent.tick()
    assert (job_of(result, "q").cluster_queue, job_of(result, "q").cohort) == ("team-a-cq", "team-ab")
    assert (job_of(result, "elsewhere").cluster_queue, job_of(result, "elsewhere").cohort) == ("", "")  # no such LQ
    assert [b.spend_usd for b in result.budgets] == [pytest.approx(8.0), pytest.approx(8.0)]  # q's 2 GPUs, 1 h
    cluster.queues = []  # the Kueue CRDs removed (or a relist in flight): the route known stays
    clock.advance(60)
    assert job_of(agent.tick(), "q").cluster_queue == "team-a-cq"


def test_admission_wait_is_the_first_admission_and_survives_a_suspend_and_resume(world) -> None:
    cluster, store, clock, events = world
    created = T0
    queued = workload("kq").model_copy(update={"created": created, "state": "Suspended"})
    cluster.workloads = [queued]
    agent = make_agent(cluster, store, clock, events)
    clock.advance(600)
    assert job_of(agent.tick(), "kq").admission_wait_seconds is None  # still waiting
    admitted = created + timedelta(minutes=15)  # Suspended=False, reason JobResumed
    cluster.workloads = [queued.model_copy(update={"state": "Running", "admitted_at": admitted})]
    cluster.pods = [pod("kq-0", cluster.workloads[0], "gpu-1", 2, started=admitted)]
    clock.advance(600)
    assert job_of(agent.tick(), "kq").admission_wait_seconds == 15 * 60
    clock.advance(3600)  # ran an hour, then preempted (suspended), then resumed 2 hours after its creation
    agent.tick()
    resumed = created + timedelta(hours=2)
    cluster.workloads = [queued.model_copy(update={"state": "Running", "admitted_at": resumed})]
    cluster.pods = [pod("kq-1", cluster.workloads[0], "gpu-1", 2, started=resumed)]
    clock.advance(1800)
    assert job_of(agent.tick(), "kq").admission_wait_seconds == 15 * 60  # not 2 h: its first run was not waiting
    assert job_of(make_agent(cluster, store, clock, events).tick(), "kq").admission_wait_seconds == 15 * 60  # restart


def test_a_job_that_ran_before_its_suspension_did_not_wait_until_its_resume(world) -> None:
    cluster, store, clock, events = world
    w = workload("never-queued")  # created running; later suspended by hand and resumed
    cluster.workloads = [w]
    cluster.pods = [pod("n-0", w, "gpu-1", 2, started=T0)]
    agent = make_agent(cluster, store, clock, events)
    clock.advance(3600)
    assert job_of(agent.tick(), "never-queued").admission_wait_seconds is None
    resumed = T0 + timedelta(hours=2)
    cluster.workloads = [w.model_copy(update={"admitted_at": resumed})]
    cluster.pods = [pod("n-1", w, "gpu-1", 2, started=resumed)]
    clock.advance(3 * 3600)
    assert job_of(agent.tick(), "never-queued").admission_wait_seconds is None


def test_a_stale_trainer_status_falls_back_to_annotations_and_is_marked(world) -> None:
    cluster, store, clock, events = world
    base = workload("tj", kind="TrainJob", progress="0.1")
    reported = T0 + timedelta(minutes=50)
    train = base.model_copy(update={"status_progress": 0.4, "status_reported_at": reported})
    cluster.workloads = [train]
    cluster.pods = [pod("tj-node-0-0", train, "gpu-1", 2, started=T0)]
    agent = Agent(
        AgentConfig(cluster="test", trainer_status_stale_seconds=600.0),
        cluster=cluster,
        identify=identify,
        pricer=FixedPricer({"p4d.24xlarge": P4D_USD_PER_HOUR}),
        store=store,
        clock=clock,
        events=events,
    )
    clock.advance(3600)  # 10 minutes after the report: fresh
    fresh = job_of(agent.tick(), "tj")
    assert (fresh.progress_source, fresh.progress_stale) == ("trainer_status", False)
    assert fresh.progress == pytest.approx(0.4)
    clock.advance(601)  # the trainer went quiet
    stale = job_of(agent.tick(), "tj")
    assert stale.progress_stale is True
    assert stale.progress_source != "trainer_status"


def test_a_pod_bound_after_the_ticks_clock_accrues_from_its_bind(world) -> None:
    """The API server's clock runs ahead of ours: a pod is first seen with a bind time after the tick's `now`. Nothing
    is owed yet, but its node must not then be skipped as 'unchanged' on every later tick (it was, and the pod accrued
    $0 for hours)."""
    cluster, store, clock, events = world
    w = workload("ahead")
    cluster.workloads = [w]
    cluster.pods = [pod("ahead-0", w, "gpu-1", 8, started=T0 + timedelta(seconds=1))]
    agent = make_agent(cluster, store, clock, events)
    assert job_of(agent.tick(), "ahead").cost_usd == 0
    clock.advance(30)
    agent.tick()
    clock.advance(3 * 3600 - 30)
    assert job_of(agent.tick(), "ahead").cost_usd == pytest.approx(P4D_USD_PER_HOUR * (3 * 3600 - 1) / 3600)


def test_a_steady_job_adds_a_projection_point_when_its_forecast_moves_not_at_every_snapshot(world) -> None:
    """A 10-hour job whose trainer reports progress every tick: its snapshot is saved every 5 minutes, its forecast
    barely moves, so its projection history gains a point per 5 points of progress or hour, not per snapshot."""
    cluster, store, clock, events = world
    cluster.workloads = [workload("pt", progress="0.0")]
    cluster.pods = [pod("pt-0", cluster.workloads[0], "gpu-1", 8, started=T0)]
    agent = make_agent(cluster, store, clock, events)
    ticks = 6 * 120  # six hours of 30 s ticks
    for tick in range(1, ticks + 1):
        clock.advance(30)
        cluster.workloads = [workload("pt", progress=f"{tick / 1200:.4f}")]
        final = job_of(agent.tick(), "pt")
    assert final.projected_cost_usd is not None
    assert final.projected_cost_usd.p50 == pytest.approx(10 * P4D_USD_PER_HOUR, rel=0.02)
    kept = store.points["uid-pt"]
    assert all(b - a <= timedelta(hours=1) for a, b in itertools.pairwise(kept))
    assert 12 <= len(kept) <= 6 * 12 // 2, kept  # fewer than half of the 72 five-minute snapshots


class _StoreDownForOneSave(MemoryStore):
    """The fake store, with the database gone for one `save_jobs` (the ledger's own commit still works)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next_save = False

    def save_jobs(self, at, jobs, points=None) -> None:  # type: ignore[no-untyped-def]
        if self.fail_next_save:
            self.fail_next_save = False
            raise ConnectionError("database unreachable")
        super().save_jobs(at, jobs, points)


def test_a_snapshot_and_projection_point_whose_save_failed_are_saved_at_the_next_tick(world) -> None:
    """The tick that sees a Job finish cannot save it: the next tick saves the finish and its projection point,
    instead of treating them as saved until the snapshot interval or the hourly point comes round."""
    cluster, _, clock, events = world
    store = _StoreDownForOneSave()
    w = workload("sft", progress="0.5")
    cluster.workloads = [w]
    cluster.pods = [pod("sft-0", w, "gpu-1", 8, started=T0)]
    agent = make_agent(cluster, store, clock, events)
    clock.advance(1800)
    agent.tick()
    assert [j.state for j in store.jobs()] == ["Running"]
    clock.advance(30)
    done = workload("sft", progress="0.51").model_copy(update={"state": "Failed", "finished": clock.now()})
    cluster.workloads = [done]
    cluster.replace_pod(pod("sft-0", w, "gpu-1", 8, started=T0, phase="Failed", finished=clock.now()))
    store.fail_next_save = True
    with pytest.raises(ConnectionError):
        agent.tick()
    assert [j.state for j in store.jobs()] == ["Running"]
    failed_at = clock.now()
    clock.advance(30)
    job = job_of(agent.tick(), "sft")
    assert job.state == "Failed"
    assert [(j.state, j.finished) for j in store.jobs()] == [("Failed", failed_at)]
    assert store.points["uid-sft"] == [T0 + timedelta(seconds=1800), clock.now()]
