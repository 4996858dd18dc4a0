"""Kueue routes (LocalQueue → ClusterQueue → cohort) and the first-admission wait, as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.model import QueueInfo
from monitor.core.domain.queues import QueueRoute, admission_wait_seconds, first_admission_wait_seconds, queue_routes

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
names = st.sampled_from(["a", "b", "c", "team-a-cq"])
seconds = st.integers(min_value=0, max_value=10**6)


def test_routes_follow_spec_cluster_queue_and_its_cohort() -> None:
    queues = [
        QueueInfo(kind="ClusterQueue", name="team-a-cq", cohort="team-ab"),
        QueueInfo(kind="ClusterQueue", name="cluster-queue"),
        QueueInfo(kind="LocalQueue", name="team-a-queue", namespace="team-a", cluster_queue="team-a-cq"),
        QueueInfo(kind="LocalQueue", name="user-queue", namespace="default", cluster_queue="cluster-queue"),
        QueueInfo(kind="LocalQueue", name="orphan", namespace="default", cluster_queue="not-created-yet"),
    ]
    assert queue_routes(queues) == {
        ("team-a", "team-a-queue"): QueueRoute("team-a-cq", "team-ab"),
        ("default", "user-queue"): QueueRoute("cluster-queue", ""),
        ("default", "orphan"): QueueRoute("not-created-yet", ""),
    }


@given(st.lists(st.tuples(names, names, names, st.sampled_from(["", "x", "y"])), max_size=8))
def test_every_local_queue_routes_to_its_own_cluster_queue(rows: list[tuple[str, str, str, str]]) -> None:
    """A LocalQueue of the same name in two namespaces keeps its own ClusterQueue; the cohort is the one of the
    ClusterQueue it names (or "")."""
    cqs = {cq: cohort for _, _, cq, cohort in rows}
    queues = [QueueInfo(kind="ClusterQueue", name=cq, cohort=cohort) for cq, cohort in cqs.items()]
    queues += [QueueInfo(kind="LocalQueue", name=lq, namespace=ns, cluster_queue=cq) for ns, lq, cq, _ in rows]
    routes = queue_routes(queues)
    last = {(ns, lq): cq for ns, lq, cq, _ in rows}  # the API server has one LocalQueue per (namespace, name)
    assert {key: r.cluster_queue for key, r in routes.items()} == last
    assert all(r.cohort == cqs[r.cluster_queue] for r in routes.values())


@given(seconds, seconds)
def test_a_wait_once_known_never_changes(wait: int, later: int) -> None:
    """Resumed again later (after a suspension), the Suspended condition moves: the recorded wait stays."""
    admitted = T0 + timedelta(seconds=wait + later)
    assert first_admission_wait_seconds(T0, admitted, float(wait), T0 + timedelta(seconds=wait)) == wait


@given(seconds, st.integers(min_value=1, max_value=10**6))
def test_a_workload_seen_running_before_its_admission_did_not_wait_that_long(ran: int, gap: int) -> None:
    """A Job that ran (not created suspended, or watched only after its first admission), was suspended and resumed:
    its running time is not waiting. Its first wait is unknown: None, never the time up to the resume."""
    ran_at = T0 + timedelta(seconds=ran)
    admitted = ran_at + timedelta(seconds=gap)
    assert first_admission_wait_seconds(T0, admitted, None, ran_at) is None


@given(seconds)
def test_a_first_admission_waits_from_creation(wait: int) -> None:
    admitted = T0 + timedelta(seconds=wait)
    assert first_admission_wait_seconds(T0, admitted, None, None) == admission_wait_seconds(T0, admitted) == wait
    assert first_admission_wait_seconds(T0, None, None, None) is None  # suspended still, or never suspended
