"""Kubeflow Trainer v2 TrainJob, mpi-operator v2beta1 MPIJob, a standalone RayCluster and an Argo Workflow, from the
upstream manifests and the children their controllers create (tests/fixtures/upstream), watched over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.adapters.kube.source import KubeClusterSource
from monitor.config.settings import KubeSettings
from monitor.core.domain.model import ClusterSnapshot
from monitor.demo.apiserver import LocalApiServer
from tests.fixtures import upstream

pytestmark = pytest.mark.integration


def _snapshot(settings: KubeSettings, url: str) -> Iterator[tuple[KubeClusterSource, ClusterSnapshot]]:
    src = KubeClusterSource(settings.model_copy(update={"api_url": url}), cluster="c")
    src.start()
    try:
        assert src.wait_synced(8)
        yield src, src.snapshot()
    finally:
        src.stop()


def test_trainjob_owns_its_jobset_and_reports_trainer_status(
    apiserver: LocalApiServer, kube_settings: KubeSettings
) -> None:
    upstream.create_all(apiserver, upstream.load("trainjob-kueue"))
    upstream.create_all(apiserver, upstream.load("raycluster-standalone"))
    upstream.create_all(apiserver, upstream.load("workflow-hello"))
    for src, snap in _snapshot(kube_settings, apiserver.url):
        assert "trainjobs.trainer.kubeflow.org" in {k.key for k in src.watched}
        owners = {p.name: (p.owner.kind, p.owner.name) for p in snap.pods if p.owner}
        assert owners == {
            "kueue-example-node-0-0-x7k2p": ("TrainJob", "kueue-example"),  # not its JobSet, not its Job
            "raycluster-kuberay-head-8zk4q": ("RayCluster", "raycluster-kuberay"),  # not a bare Pod
            "hello-world-4x9tq": ("Workflow", "hello-world-4x9tq"),
        }
        workloads = {w.ref.kind: w for w in snap.workloads}
        assert sorted(workloads) == ["RayCluster", "TrainJob", "Workflow"]  # the JobSet is the TrainJob's
        train = workloads["TrainJob"]
        assert (train.state, train.status_progress, train.status_remaining_seconds) == ("Running", 0.4, 5400.0)
        assert train.status_reported_at is not None
        assert train.status_reported_at.isoformat() == ("2026-01-10T09:00:00+00:00")
        assert train.labels["queue"] == "training-queue"
        assert workloads["RayCluster"].labels == {"team": "research"}
        assert workloads["RayCluster"].state == "Running"
        assert workloads["Workflow"].state == "Running"


def test_mpi_operator_v2beta1_mpijob_is_watched_and_finishes(kube_settings: KubeSettings) -> None:
    with LocalApiServer(crd_groups=["kubeflow.org", "mpi-operator"], bookmark_interval_seconds=0.2) as api:
        upstream.create_all(api, upstream.load("mpijob-pi"))
        for src, snap in _snapshot(kube_settings, api.url):
            assert [k.api_version for k in src.watched if k.key == "mpijobs.kubeflow.org"] == ["kubeflow.org/v2beta1"]
            owners = {p.name: (p.owner.kind, p.owner.name, p.owner.api_version) for p in snap.pods if p.owner}
            assert owners == {
                "pi-launcher-abcde": ("MPIJob", "pi", "kubeflow.org/v2beta1"),  # through its launcher Job
                "pi-worker-0": ("MPIJob", "pi", "kubeflow.org/v2beta1"),
            }
            (mpi,) = snap.workloads
            # Read from the MPIJob itself: its state and the labels (team) a user put on it
            assert (mpi.ref.kind, mpi.state, mpi.labels.get("team")) == ("MPIJob", "Succeeded", "hpc")
            assert mpi.finished is not None
            assert mpi.finished.isoformat() == "2026-01-10T09:00:00+00:00"


def test_a_raycluster_under_a_rayjob_is_not_a_workload_of_its_own(
    apiserver: LocalApiServer, kube_settings: KubeSettings
) -> None:
    docs = upstream.load("raycluster-standalone")
    rayjob = {
        "apiVersion": "ray.io/v1",
        "kind": "RayJob",
        "metadata": {"name": "tune", "namespace": "default"},
        "spec": {},
        "status": {"jobDeploymentStatus": "Running", "jobStatus": "RUNNING"},
    }
    cluster = docs[0]
    cluster["metadata"]["ownerReferences"] = [
        {"apiVersion": "ray.io/v1", "kind": "RayJob", "name": "tune", "uid": "@RayJob/tune", "controller": True}
    ]
    upstream.create_all(apiserver, [rayjob, *docs])
    for _, snap in _snapshot(kube_settings, apiserver.url):
        assert [(w.ref.kind, w.ref.name) for w in snap.workloads] == [("RayJob", "tune")]
        assert [(p.owner.kind if p.owner else None) for p in snap.pods] == ["RayJob"]
