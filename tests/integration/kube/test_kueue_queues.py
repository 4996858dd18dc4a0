"""Kueue LocalQueues and ClusterQueues watched read-only over HTTP with the official client, at the version the
cluster serves (upstream examples, tests/fixtures/upstream/kueue-queues-*.yaml); no Kueue → nothing watched, no
error."""

from __future__ import annotations

import pytest

from monitor.adapters.kube.source import KubeClusterSource
from monitor.config.settings import KubeSettings
from monitor.core.domain.model import QueueInfo
from monitor.core.domain.queues import QueueRoute, queue_routes
from monitor.demo.apiserver import LocalApiServer
from tests.fixtures import upstream

pytestmark = pytest.mark.integration


def _queues(settings: KubeSettings, api: LocalApiServer) -> tuple[tuple[QueueInfo, ...], dict[str, str], set[str]]:
    src = KubeClusterSource(settings.model_copy(update={"api_url": api.url}), cluster="c")
    src.start()
    try:
        assert src.wait_synced(8)
        versions = {k.key: k.api_version for k in src.watched if k.group == "kueue.x-k8s.io"}
        return src.snapshot().queues, versions, {k.key for k in src.watched}
    finally:
        src.stop()


def test_v1beta1_queues_route_a_job_to_its_cluster_queue_and_cohort(kube_settings: KubeSettings) -> None:
    with LocalApiServer(crd_groups=["kueue-v1beta1"], bookmark_interval_seconds=0.2) as api:
        upstream.create_all(api, upstream.load("kueue-queues-v1beta1"))
        # Namespaces configured: LocalQueues are watched in them, ClusterQueues (cluster-scoped) cluster-wide.
        settings = kube_settings.model_copy(update={"namespaces": ["team-a"]})
        queues, versions, _ = _queues(settings, api)
        assert versions == {
            "localqueues.kueue.x-k8s.io": "kueue.x-k8s.io/v1beta1",
            "clusterqueues.kueue.x-k8s.io": "kueue.x-k8s.io/v1beta1",
        }
        assert queue_routes(queues) == {("team-a", "team-a-queue"): QueueRoute("team-a-cq", "team-ab")}
        assert {q.name for q in queues if q.kind == "ClusterQueue"} == {"team-a-cq", "cluster-queue"}
        assert api.requests["patch localqueues.kueue.x-k8s.io"] == 0  # read-only


def test_v1beta2_reads_cohort_name_and_stop_policy(apiserver: LocalApiServer, kube_settings: KubeSettings) -> None:
    upstream.create_all(apiserver, upstream.load("kueue-queues-v1beta2"))
    queues, versions, _ = _queues(kube_settings, apiserver)
    assert set(versions.values()) == {"kueue.x-k8s.io/v1beta2"}
    assert queue_routes(queues) == {("default", "team-queue"): QueueRoute("team-cluster-queue", "team-ab")}
    assert [q.stop_policy for q in queues if q.kind == "LocalQueue"] == ["Hold"]


def test_without_kueue_nothing_is_watched_and_nothing_fails(kube_settings: KubeSettings) -> None:
    with LocalApiServer(crd_groups=["kubeflow.org"], bookmark_interval_seconds=0.2) as api:
        src = KubeClusterSource(kube_settings.model_copy(update={"api_url": api.url}), cluster="c")
        src.start()
        try:
            assert src.wait_synced(8)
            assert not [k for k in src.watched if k.group == "kueue.x-k8s.io"]
            assert src.snapshot().queues == ()
            assert src.api_errors == {}
        finally:
            src.stop()
