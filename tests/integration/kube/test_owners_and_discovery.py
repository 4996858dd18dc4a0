"""Training CRD owners resolved through ownerReferences, CRD discovery and server-side selectors, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from monitor.adapters.kube.source import KubeClusterSource
from monitor.config.settings import KubeSettings
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer

pytestmark = pytest.mark.integration

GPU = {"nvidia.com/gpu": "8"}


def test_crd_chains_resolve_to_the_top_training_owner(apiserver: LocalApiServer, kube_settings: KubeSettings) -> None:
    pt = apiserver.create(
        objects.custom(
            "kubeflow.org/v1",
            "PyTorchJob",
            "bert",
            "ml",
            status={"conditions": [{"type": "Running", "status": "True"}]},
        )
    )
    apiserver.create(objects.pod("bert-master-0", "ml", "n", GPU, owners=[objects.owner(pt)]))
    js = apiserver.create(objects.custom("jobset.x-k8s.io/v1alpha2", "JobSet", "llm", "ml"))
    child = apiserver.create(objects.batch_job("llm-workers-0", "ml", owners=[objects.owner(js)]))
    apiserver.create(objects.pod("llm-workers-0-0", "ml", "n", GPU, owners=[objects.owner(child)]))
    rj = apiserver.create(
        objects.custom(
            "ray.io/v1", "RayJob", "tune", "ml", status={"jobDeploymentStatus": "Running", "jobStatus": "RUNNING"}
        )
    )
    rc = apiserver.create(
        objects.custom("ray.io/v1", "RayCluster", "tune-raycluster", "ml", owners=[objects.owner(rj)])
    )
    apiserver.create(objects.pod("tune-head", "ml", "n", GPU, owners=[objects.owner(rc)]))
    apiserver.create(objects.pod("bare", "ml", "n", {"cpu": "1"}))
    src = KubeClusterSource(kube_settings, cluster="c")
    src.start()
    try:
        assert src.wait_synced(8)
        snap = src.snapshot()
        owners = {p.name: (p.owner.kind, p.owner.name) for p in snap.pods if p.owner}
        assert owners == {
            "bert-master-0": ("PyTorchJob", "bert"),
            "llm-workers-0-0": ("JobSet", "llm"),
            "tune-head": ("RayJob", "tune"),
            "bare": ("Pod", "bare"),
        }
        kinds = sorted((w.ref.kind, w.ref.name, w.state) for w in snap.workloads)
        # The JobSet's child Job is not a workload of its own; the RayCluster is not a workload.
        assert kinds == [
            ("JobSet", "llm", "Running"),
            ("Pod", "bare", "Running"),
            ("PyTorchJob", "bert", "Running"),
            ("RayJob", "tune", "Running"),
        ]
    finally:
        src.stop()


def test_only_served_crds_are_watched(kube_settings: KubeSettings) -> None:
    with LocalApiServer(crd_groups=["kubeflow.org"]) as api:
        settings = kube_settings.model_copy(update={"api_url": api.url})
        src = KubeClusterSource(settings, cluster="c")
        src.start()
        try:
            assert src.wait_synced(8)
            assert {k.key for k in src.watched} == {
                "nodes",
                "pods",
                "jobs.batch",
                "pytorchjobs.kubeflow.org",
                "mpijobs.kubeflow.org",
                "tfjobs.kubeflow.org",
            }
            assert api.requests["list rayjobs.ray.io"] == 0
        finally:
            src.stop()


def test_server_side_selectors_with_the_official_client(apiserver: LocalApiServer) -> None:
    apiserver.create(objects.pod("a", "ml", "gpu-1", labels={"team": "nlp", "tier": "train"}))
    apiserver.create(objects.pod("b", "ml", "gpu-2", labels={"team": "vision"}))
    apiserver.create(objects.pod("c", "other", "gpu-1", labels={"team": "nlp"}))
    core: Any = client.CoreV1Api(client.ApiClient(client.Configuration(host=apiserver.url)))

    def names(**kw: str) -> list[str]:
        return [p.metadata.name for p in core.list_pod_for_all_namespaces(**kw).items]

    assert names(field_selector="spec.nodeName=gpu-1") == ["a", "c"]
    assert names(label_selector="team in (nlp),tier") == ["a"]
    assert names(label_selector="team!=nlp") == ["b"]
    assert names(field_selector="metadata.name=b") == ["b"]
    assert [p.metadata.name for p in core.list_namespaced_pod("ml", label_selector="!tier").items] == ["b"]
    page = core.list_pod_for_all_namespaces(limit=2)
    assert len(page.items) == 2
    assert page.metadata._continue
    rest = core.list_pod_for_all_namespaces(limit=2, _continue=page.metadata._continue)
    assert [p.metadata.name for p in rest.items] == ["c"]
    assert not rest.metadata._continue
