"""DRA ResourceClaims through the official kubernetes client over HTTP against the local API server: watched where
resource.k8s.io is served, converted into the snapshot, and charged (tests/data/dra cites the upstream objects)."""

from __future__ import annotations

import pytest

from estimator.catalog.offers import embedded_offers
from monitor.adapters.kube.source import KubeClusterSource
from monitor.adapters.pricing.embedded import EmbeddedCatalogSource
from monitor.adapters.pricing.identity import node_identity
from monitor.config.settings import KubeSettings
from monitor.core.domain.attribution import PricedNode, attribute
from monitor.demo.apiserver import LocalApiServer
from tests.dra_fixtures import dra_objects
from tests.fixtures.apiserver import eventually

pytestmark = pytest.mark.integration


def test_claims_are_watched_and_their_gpus_charged(apiserver: LocalApiServer, kube_settings: KubeSettings) -> None:
    for obj in dra_objects("gpu-test-count.yaml"):
        apiserver.create(obj)
    src = KubeClusterSource(kube_settings, cluster="c")
    src.start()
    try:
        assert src.wait_synced(8)
        assert "resourceclaims.resource.k8s.io" in {k.key for k in src.watched}
        snap = src.snapshot()
        (claim,) = snap.claims
        assert [d.device for d in claim.devices] == ["gpu-0", "gpu-1"]
        (info,) = snap.nodes
        identity = node_identity(info)
        price = EmbeddedCatalogSource(embedded_offers()).price(identity)
        assert price is not None
        result = attribute([PricedNode(info, identity, price)], snap.pods, claims=snap.claims)
        assert result.pods["7f4e2d10-dra-gpu-pod"].hourly_usd == pytest.approx(21.957642 * 2 / 8)

        # The claim is released (the pod finished and the scheduler cleared reservedFor): it holds nothing.
        released = apiserver.get("resource.k8s.io/v1", "ResourceClaim", claim.name, "gpu-test1")
        released["status"].pop("reservedFor")
        apiserver.replace(released)
        eventually(lambda: src.snapshot().claims == (), what="the released claim to leave the snapshot")
    finally:
        src.stop()


def test_without_the_dra_api_nothing_is_watched_for_it(kube_settings: KubeSettings) -> None:
    with LocalApiServer(crd_groups=[]) as api:
        src = KubeClusterSource(kube_settings.model_copy(update={"api_url": api.url}), cluster="c")
        src.start()
        try:
            assert src.wait_synced(8)
            assert {k.key for k in src.watched} == {"nodes", "pods", "jobs.batch"}
            assert src.snapshot().claims == ()
        finally:
            src.stop()


def test_claim_reserved_for_a_podgroup_is_charged_to_its_member_pods(
    apiserver: LocalApiServer, kube_settings: KubeSettings
) -> None:
    for obj in dra_objects("podgroup-claim.yaml"):
        if obj["kind"] != "PodGroup":  # scheduling.k8s.io is not served here; the cache reads no PodGroup anyway
            apiserver.create(obj)
    src = KubeClusterSource(kube_settings, cluster="c")
    src.start()
    try:
        assert src.wait_synced(8)
        snap = src.snapshot()
        (claim,) = snap.claims
        assert claim.reserved_for == ("6a7b-member-0", "6a7b-member-1")
        (info,) = snap.nodes
        identity = node_identity(info)
        price = EmbeddedCatalogSource(embedded_offers()).price(identity)
        assert price is not None
        result = attribute([PricedNode(info, identity, price)], snap.pods, claims=snap.claims)
        assert result.pods["6a7b-member-0"].hourly_usd == pytest.approx(21.957642 * 2 / 8)
        assert result.pods["6a7b-launcher"].gpus == 0  # in the group, but it names no claim
    finally:
        src.stop()


def test_resource_slices_are_watched_and_count_a_nodes_gpus(
    apiserver: LocalApiServer, kube_settings: KubeSettings
) -> None:
    for obj in dra_objects("resourceslice-gpus.yaml"):
        apiserver.create(obj)
    src = KubeClusterSource(kube_settings, cluster="c")
    src.start()
    try:
        assert src.wait_synced(8)
        assert "resourceslices.resource.k8s.io" in {k.key for k in src.watched}
        (node,) = src.snapshot().nodes
        assert node.dra_gpus == 3  # gpu-0, gpu-1, and the GPU of two MIG devices (generation 2 of the pool)
        assert node_identity(node).gpu_count == 3
        apiserver.delete("resource.k8s.io/v1", "ResourceSlice", "dgx-a100-07-gpu.nvidia.com-b7n2m")
        apiserver.delete("resource.k8s.io/v1", "ResourceSlice", "dgx-a100-07-gpu.nvidia.com-x4k9q")
        eventually(lambda: src.snapshot().nodes[0].dra_gpus == 0, what="the node to lose its DRA GPUs")
    finally:
        src.stop()
