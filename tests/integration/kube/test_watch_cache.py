"""KubeClusterSource with the real kubernetes client over HTTP against the local API server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monitor.adapters.kube.source import KubeClusterSource
from monitor.config.settings import KubeSettings
from monitor.core.domain.model import ClusterSnapshot, PodInfo
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from tests.fixtures.apiserver import eventually

pytestmark = pytest.mark.integration

START = "2025-01-01T00:00:00Z"


@pytest.fixture
def source(kube_settings: KubeSettings) -> Iterator[KubeClusterSource]:
    src = KubeClusterSource(kube_settings, cluster="test")
    src.start()
    try:
        yield src
    finally:
        src.stop()


def _pods(snap: ClusterSnapshot) -> dict[str, PodInfo]:
    return {p.name: p for p in snap.pods}


def _seed(api: LocalApiServer) -> None:
    api.create(objects.node("gpu-1", gpus=8, labels={"node.kubernetes.io/instance-type": "p5.48xlarge"}))
    job = api.create(objects.batch_job("train", "ml", annotations={"trainspend.io/model": "llama-3-8b"}))
    api.create(
        objects.pod(
            "train-0", "ml", "gpu-1", {"nvidia.com/gpu": "8", "cpu": "500m"}, started=START, owners=[objects.owner(job)]
        )
    )


def test_initial_sync_converts_nodes_pods_and_jobs(apiserver: LocalApiServer, kube_settings: KubeSettings) -> None:
    _seed(apiserver)
    src = KubeClusterSource(kube_settings, cluster="c1")
    assert not src.snapshot().synced
    src.start()
    try:
        assert src.wait_synced(8)
        snap = src.snapshot()
        assert snap.synced
        assert snap.cluster == "c1"
        assert [n.name for n in snap.nodes] == ["gpu-1"]
        assert snap.nodes[0].capacity["nvidia.com/gpu"] == "8"
        pod = _pods(snap)["train-0"]
        assert pod.requests == {"cpu": "0.5", "nvidia.com/gpu": "8"}
        assert pod.started == datetime(2025, 1, 1, tzinfo=UTC)
        assert pod.owner is not None
        assert (pod.owner.kind, pod.owner.name) == ("Job", "train")
        [job] = [w for w in snap.workloads if w.ref.kind == "Job"]
        assert job.annotations["trainspend.io/model"] == "llama-3-8b"
        assert job.state == "Running"
    finally:
        src.stop()


def test_updates_and_deletes_flow_through_the_watch(apiserver: LocalApiServer, source: KubeClusterSource) -> None:
    _seed(apiserver)
    eventually(lambda: "train-0" in _pods(source.snapshot()), what="pod added by watch")
    apiserver.patch("v1", "Pod", "train-0", {"metadata": {"annotations": {"trainspend.io/progress": "0.4"}}}, "ml")
    eventually(
        lambda: _pods(source.snapshot())["train-0"].annotations.get("trainspend.io/progress") == "0.4",
        what="annotation update",
    )
    apiserver.delete("v1", "Pod", "train-0", "ml")
    eventually(lambda: _pods(source.snapshot())["train-0"].finished is not None, what="deleted pod finished")
    apiserver.patch(
        "batch/v1",
        "Job",
        "train",
        {"status": {"completionTime": "2025-01-01T05:00:00Z", "conditions": [{"type": "Complete", "status": "True"}]}},
        "ml",
    )
    eventually(
        lambda: [w.state for w in source.snapshot().workloads if w.ref.kind == "Job"] == ["Succeeded"],
        what="job completion",
    )
    [job] = [w for w in source.snapshot().workloads if w.ref.kind == "Job"]
    assert job.finished == datetime(2025, 1, 1, 5, tzinfo=UTC)


def test_a_tick_never_lists(apiserver: LocalApiServer, source: KubeClusterSource) -> None:
    _seed(apiserver)
    assert source.wait_synced(8)
    lists_before = apiserver.requests["list pods"]
    for _ in range(50):
        source.snapshot()
    assert apiserver.requests["list pods"] == lists_before == 1


def test_dropped_watch_resumes_without_relist(apiserver: LocalApiServer, source: KubeClusterSource) -> None:
    _seed(apiserver)
    assert source.wait_synced(8)
    eventually(lambda: apiserver.requests["watch pods"] >= 1, what="pod watch open")
    apiserver.drop_watches()
    apiserver.create(objects.pod("train-1", "ml", "gpu-1", {"nvidia.com/gpu": "1"}, started=START))
    eventually(lambda: "train-1" in _pods(source.snapshot()), what="pod created after the drop")
    assert source.watch_restarts.get("pods", 0) >= 1
    assert apiserver.requests["list pods"] == 1  # resumed from its resourceVersion


def test_410_gone_relists_and_catches_deletes_missed(apiserver: LocalApiServer, source: KubeClusterSource) -> None:
    _seed(apiserver)
    assert source.wait_synced(8)
    eventually(lambda: apiserver.requests["watch pods"] >= 1, what="pod watch open")
    apiserver.set_down(True)  # the watch is cut; changes happen while we cannot see them ...
    apiserver.delete("v1", "Pod", "train-0", "ml")
    apiserver.create(objects.pod("train-2", "ml", "gpu-1", {"nvidia.com/gpu": "2"}, started=START))
    apiserver.compact()  # ... and the server forgets them, so resuming gets 410
    apiserver.set_down(False)
    eventually(lambda: "train-2" in _pods(source.snapshot()), what="relist after 410")
    assert _pods(source.snapshot())["train-0"].finished is not None
    assert apiserver.requests["list pods"] >= 2
    assert source.watch_restarts["pods"] >= 2


def test_outage_of_a_few_seconds_backs_off_and_recovers(apiserver: LocalApiServer, source: KubeClusterSource) -> None:
    _seed(apiserver)
    assert source.wait_synced(8)
    apiserver.set_down(True)
    apiserver.create(objects.pod("during-outage", "ml", "gpu-1", {"nvidia.com/gpu": "1"}, started=START))
    eventually(lambda: source.api_errors.get("pods", 0) >= 2, what="errors counted during the outage")
    assert "during-outage" not in _pods(source.snapshot())
    apiserver.set_down(False)
    eventually(lambda: "during-outage" in _pods(source.snapshot()), what="recovery after the outage")
    assert source.snapshot().synced
