"""Lease election and Event recording with the real client against the local API server."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from monitor.adapters.kube.events import KubeEventRecorder
from monitor.adapters.kube.leader import LeaseElector
from monitor.config.settings import LeaderSettings
from monitor.core.domain.model import WorkloadRef
from monitor.demo.apiserver import LocalApiServer
from tests.fixtures.apiserver import eventually

pytestmark = pytest.mark.integration


def _api(server: LocalApiServer) -> client.ApiClient:
    return client.ApiClient(client.Configuration(host=server.url))


def _settings(identity: str) -> LeaderSettings:
    return LeaderSettings(
        enabled=True,
        lease_name="ts",
        lease_namespace="default",
        lease_duration_seconds=1,
        renew_period_seconds=0.1,
        identity=identity,
    )


def test_two_electors_one_leader_and_failover_after_expiry(apiserver: LocalApiServer) -> None:
    a, b = LeaseElector(_api(apiserver), _settings("a")), LeaseElector(_api(apiserver), _settings("b"))
    a.start()
    eventually(a.is_leader, what="a leads")
    b.start()
    try:
        for _ in range(5):  # b keeps trying while a renews
            assert not b.try_acquire_or_renew()
        assert a.is_leader()
        assert not b.is_leader()
        lease = apiserver.get("coordination.k8s.io/v1", "Lease", "ts", "default")
        assert lease["spec"]["holderIdentity"] == "a"
        a.stop(release=False)  # a crash: the Lease must expire before b may take it
        eventually(b.is_leader, timeout_seconds=5, what="b takes over after expiry")
        lease = apiserver.get("coordination.k8s.io/v1", "Lease", "ts", "default")
        assert lease["spec"]["holderIdentity"] == "b"
        assert lease["spec"]["leaseTransitions"] == 1
    finally:
        a.stop(release=False)
        b.stop()


def test_released_lease_is_taken_at_once_and_outage_steps_down(apiserver: LocalApiServer) -> None:
    a, b = LeaseElector(_api(apiserver), _settings("a")), LeaseElector(_api(apiserver), _settings("b"))
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    a.stop(release=True)
    assert b.try_acquire_or_renew()
    apiserver.set_down(True)
    eventually(lambda: not b.try_acquire_or_renew(), timeout_seconds=3, what="step down when renewals fail")
    apiserver.set_down(False)
    assert b.try_acquire_or_renew()  # its own (still recorded) Lease: renewed


def test_events_are_created_once_per_distinct_problem(apiserver: LocalApiServer) -> None:
    recorder = KubeEventRecorder(_api(apiserver))
    ref = WorkloadRef(kind="PyTorchJob", api_version="kubeflow.org/v1", namespace="ml", name="bert", uid="u-1")
    for _ in range(3):
        recorder.record(ref, "BadAnnotation", "trainspend.io/tokens='lots' is not a number; use e.g. 2e9")
    recorder.record(ref, "BadAnnotation", "trainspend.io/method='xl' is unknown; use full, lora or qlora")
    assert recorder.flush()
    events = apiserver.objects("v1", "Event", "ml")
    assert len(events) == 2
    assert {e["involvedObject"]["uid"] for e in events} == {"u-1"}
    assert events[0]["involvedObject"]["kind"] == "PyTorchJob"
    assert events[0]["type"] == "Warning"
    apiserver.set_down(True)
    recorder.record(ref, "BadAnnotation", "third problem")
    assert recorder.flush()
    assert recorder.errors == 1
    apiserver.set_down(False)
    recorder.record(ref, "BadAnnotation", "third problem")  # retried: the failed one was not marked sent
    assert recorder.flush()
    assert len(apiserver.objects("v1", "Event", "ml")) == 3
    recorder.stop()


def test_a_restart_aggregates_into_the_existing_event_and_values_are_cut(apiserver: LocalApiServer) -> None:
    ref = WorkloadRef(kind="PyTorchJob", api_version="kubeflow.org/v1", namespace="ml", name="bert", uid="u-1")
    huge = "trainspend.io/method=" + "x" * 200_000
    for _ in range(3):  # three daemon lifetimes report the same problem
        recorder = KubeEventRecorder(_api(apiserver))
        recorder.record(ref, "InvalidAnnotation", "trainspend.io/tokens='lots': must be a positive number")
        recorder.record(ref, "InvalidAnnotation", huge)
        assert recorder.flush()
        recorder.stop()
    events = sorted(apiserver.objects("v1", "Event", "ml"), key=lambda e: len(e["message"]))
    assert len(events) == 2  # not 6
    assert [e["count"] for e in events] == [3, 3]
    assert len(events[1]["message"]) <= 1024
    assert events[0]["lastTimestamp"] >= events[0]["firstTimestamp"]


def test_posting_is_rate_limited_off_the_caller(apiserver: LocalApiServer) -> None:
    recorder = KubeEventRecorder(_api(apiserver), rate_per_second=50.0, burst=5)
    ref = WorkloadRef(kind="PyTorchJob", api_version="kubeflow.org/v1", namespace="ml", name="bert", uid="u-1")
    for i in range(40):
        recorder.record(ref, "InvalidAnnotation", f"problem {i}")
    posted_at_once = len(apiserver.objects("v1", "Event", "ml"))
    assert posted_at_once <= 6  # the burst (and one refill), not all 40: record() only queued them
    assert recorder.flush()
    assert len(apiserver.objects("v1", "Event", "ml")) == 40
    recorder.stop()


def test_stop_posts_what_is_queued_then_gives_up_at_its_deadline(apiserver: LocalApiServer) -> None:
    ref = WorkloadRef(kind="PyTorchJob", api_version="kubeflow.org/v1", namespace="ml", name="bert", uid="u-1")
    quick = KubeEventRecorder(_api(apiserver), rate_per_second=20.0, burst=2)
    for i in range(12):
        quick.record(ref, "InvalidAnnotation", f"problem {i}")
    assert quick.stop(timeout_seconds=5.0) == 0  # 10 after the burst at 20/s: well inside 5 s
    assert len(apiserver.objects("v1", "Event", "ml")) == 12

    slow = KubeEventRecorder(_api(apiserver), rate_per_second=1.0, burst=1)
    for i in range(10):
        slow.record(ref, "InvalidAnnotation", f"slow problem {i}")
    started = time.monotonic()
    left = slow.stop(timeout_seconds=1.0)
    assert time.monotonic() - started < 5.0  # bounded: it does not wait out 10 s of rate limit
    posted = len(apiserver.objects("v1", "Event", "ml")) - 12
    assert posted + left == 10
    assert 1 <= posted <= 3
