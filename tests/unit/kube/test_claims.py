"""DRA ResourceClaims: conversion of the upstream-shaped objects of tests/data/dra, and the dollars their GPUs cost
through the real pricing path (node identity → embedded catalog) and attribution."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from estimator.catalog.offers import embedded_offers
from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.claims import RESOURCE_CLAIMS, to_claim
from monitor.adapters.kube.convert import to_node, to_pod
from monitor.adapters.kube.kinds import NODES, PODS
from monitor.adapters.pricing.embedded import EmbeddedCatalogSource
from monitor.adapters.pricing.identity import node_identity
from monitor.core.domain.accrual import plan
from monitor.core.domain.attribution import PricedNode, attribute
from monitor.core.domain.model import ClaimedDevice
from monitor.core.domain.price_history import PriceHistory
from tests.dra_fixtures import dra_objects, of_kind
from tests.fakes.store import MemoryStore

P4D_USD_PER_HOUR = 21.957642  # embedded catalog: p4d.24xlarge us-east-1 on demand, 8 x A100-SXM4-40GB


def _priced(obj: dict) -> PricedNode:
    info = to_node(obj)
    identity = node_identity(info)
    price = EmbeddedCatalogSource(embedded_offers()).price(identity)
    assert price is not None
    return PricedNode(info=info, identity=identity, price=price)


def test_claim_reads_allocated_devices_and_the_pods_it_is_reserved_for() -> None:
    (claim,) = [to_claim(o) for o in of_kind(dra_objects("gpu-test-count.yaml"), "ResourceClaim")]
    assert claim.devices == (
        ClaimedDevice(driver="gpu.nvidia.com", pool="ip-10-0-7-21.ec2.internal", device="gpu-0"),
        ClaimedDevice(driver="gpu.nvidia.com", pool="ip-10-0-7-21.ec2.internal", device="gpu-1"),
    )
    assert claim.reserved_for == ("7f4e2d10-dra-gpu-pod",)


def test_unallocated_claim_holds_nothing() -> None:
    template = of_kind(dra_objects("gpu-test-count.yaml"), "ResourceClaimTemplate")[0]
    claim = to_claim({"metadata": {"name": "pending", "uid": "u"}, "spec": template["spec"]["spec"]})
    assert (claim.devices, claim.reserved_for) == ((), ())


def test_two_gpus_through_a_claim_are_charged_and_not_idle() -> None:
    objs = dra_objects("gpu-test-count.yaml")
    node = _priced(of_kind(objs, "Node")[0])
    assert node.identity.gpu_count == 8  # from the instance type: no nvidia.com/gpu capacity under the DRA driver
    pods = [to_pod(o) for o in of_kind(objs, "Pod")]
    claims = [to_claim(o) for o in of_kind(objs, "ResourceClaim")]
    result = attribute([node], pods, claims=claims)
    cost = result.pods["7f4e2d10-dra-gpu-pod"]
    assert (cost.gpus, cost.hourly_usd) == (pytest.approx(2), pytest.approx(P4D_USD_PER_HOUR * 2 / 8))  # $5.489/h
    assert result.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(P4D_USD_PER_HOUR * 6 / 8)
    without = attribute([node], pods)  # what was charged before claims were read: $0 and the whole node idle
    assert without.pods["7f4e2d10-dra-gpu-pod"].hourly_usd == 0


def test_shared_claim_splits_and_mig_device_is_its_memory_slices() -> None:
    objs = dra_objects("shared-and-mig.yaml")
    node = _priced(of_kind(objs, "Node")[0])
    pods = [to_pod(o) for o in of_kind(objs, "Pod")]
    result = attribute([node], pods, claims=[to_claim(o) for o in of_kind(objs, "ResourceClaim")])
    per_gpu = P4D_USD_PER_HOUR / 8
    assert result.pods["11aa-worker-0"].hourly_usd == pytest.approx(per_gpu / 2)  # one GPU, two pods
    assert result.pods["11aa-worker-1"].hourly_usd == pytest.approx(per_gpu / 2)
    assert result.pods["11aa-mig-pod"].gpus == pytest.approx(3 / 7)  # 3g.20gb: 3 of 7 compute slices
    total = sum(c.hourly_usd for c in result.pods.values()) + result.nodes[0].idle_gpu_hourly_cost_usd
    assert total == pytest.approx(P4D_USD_PER_HOUR)
    assert result.nodes[0].gpus_allocated == pytest.approx(1 + 3 / 7)


def _cached(objs: list[dict[str, Any]]) -> ClusterCache:
    cache = ClusterCache("c", lambda: datetime(2026, 12, 3, 9, tzinfo=UTC), 60)
    for kind, name in ((NODES, "Node"), (PODS, "Pod"), (RESOURCE_CLAIMS, "ResourceClaim")):
        cache.replace_all(kind, None, of_kind(objs, name))
    return cache


def test_claim_reserved_for_a_podgroup_is_held_by_the_group_pods_that_name_it() -> None:
    objs = dra_objects("podgroup-claim.yaml")
    (raw,) = of_kind(objs, "ResourceClaim")
    assert to_claim(raw).reserved_for == ()  # no pod consumer: read alone, the claim would charge nobody
    snap = _cached(objs).snapshot()
    (claim,) = snap.claims
    assert claim.reserved_for == ("6a7b-member-0", "6a7b-member-1")  # not the launcher: it names no claim
    result = attribute([_priced(of_kind(objs, "Node")[0])], snap.pods, claims=snap.claims)
    for member in ("6a7b-member-0", "6a7b-member-1"):  # 4 GPUs shared by 2 pods: 2 GPUs, $5.489/h each
        assert result.pods[member].gpus == pytest.approx(2)
        assert result.pods[member].hourly_usd == pytest.approx(P4D_USD_PER_HOUR * 2 / 8)
    assert result.pods["6a7b-launcher"].gpus == 0
    assert result.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(P4D_USD_PER_HOUR * 4 / 8)


def test_a_finished_member_of_the_podgroup_leaves_the_claim_to_the_others() -> None:
    objs = dra_objects("podgroup-claim.yaml")
    cache = _cached(objs)
    node = _priced(of_kind(objs, "Node")[0])
    (done,) = [o for o in of_kind(objs, "Pod") if o["metadata"]["uid"] == "6a7b-member-1"]
    done["status"]["phase"] = "Succeeded"
    done["status"]["containerStatuses"] = [_terminated("worker", "2026-12-03T08:40:00Z")]
    cache.apply(PODS, None, "MODIFIED", done)
    snap = cache.snapshot()
    (claim,) = snap.claims
    # Still a member (it may have held the claim for part of the span being accrued); attribution decides who holds.
    assert claim.reserved_for == ("6a7b-member-0", "6a7b-member-1")
    now = attribute([node], snap.pods, claims=snap.claims)
    assert now.pods["6a7b-member-0"].gpus == pytest.approx(4)  # the whole claim: its partner finished
    assert "6a7b-member-1" not in now.pods
    before = attribute([node], snap.pods, since=datetime(2026, 12, 3, 8, 30, tzinfo=UTC), claims=snap.claims)
    assert before.pods["6a7b-member-0"].gpus == pytest.approx(2)  # a span from 08:30: both still held it
    assert before.pods["6a7b-member-1"].gpus == pytest.approx(2)
    cache.apply(PODS, None, "DELETED", of_kind(objs, "Pod")[0])  # and a deleted one (a tombstone) too
    (claim,) = cache.snapshot().claims
    assert attribute([node], cache.snapshot().pods, claims=cache.snapshot().claims).nodes[0].gpus_allocated == 0


def _terminated(name: str, finished_at: str) -> dict[str, Any]:
    """A containerStatuses entry of a container that exited 0 (kubernetes/api core/v1 ContainerStateTerminated)."""
    return {"name": name, "ready": False, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": finished_at}}}  # fmt: skip


def test_a_member_finishing_mid_tick_leaves_the_shared_claim_at_its_finish_time() -> None:
    """The PodGroup's 4-GPU claim on the p4d.24xlarge (21.957642 USD/h, 2.744705 USD per GPU-hour), two members bound
    at 08:00. Ticks at 09:00 and 09:30; member-1 finishes at 09:20. member-1 holds 2 GPUs 08:00-09:20: 7.319214 USD;
    member-0 holds 2 GPUs 08:00-09:20 and all 4 from 09:20 to 09:30: 9.149018 USD. Before, member-1 dropped out of the
    claim for the whole 09:00-09:30 tick (5.489411 USD) and member-0 paid for all 4 GPUs since 09:00 (10.978821 USD)."""
    objs = dra_objects("podgroup-claim.yaml")
    node = _priced(of_kind(objs, "Node")[0])
    clock = {"now": datetime(2026, 12, 3, 9, tzinfo=UTC)}
    cache = ClusterCache("c", lambda: clock["now"], 60)
    for kind, name in ((NODES, "Node"), (PODS, "Pod"), (RESOURCE_CLAIMS, "ResourceClaim")):
        cache.replace_all(kind, None, of_kind(objs, name))
    store, history = MemoryStore(), PriceHistory()

    def tick() -> None:
        snap, ledger = cache.snapshot(), store.ledger()
        history.observe([node], ledger.accrued_until)
        holding = attribute([node], snap.pods, claims=snap.claims).pods
        rates = history.rates_for(snap.claims)
        store.commit_ledger(plan(snap.pods, holding, {node.info.name}, rates, ledger, clock["now"], history.breaks()))

    tick()
    (done,) = [o for o in of_kind(objs, "Pod") if o["metadata"]["uid"] == "6a7b-member-1"]
    done["status"]["phase"] = "Succeeded"
    done["status"]["containerStatuses"] = [_terminated("worker", "2026-12-03T09:20:00Z")]
    clock["now"] = datetime(2026, 12, 3, 9, 25, tzinfo=UTC)
    cache.apply(PODS, None, "MODIFIED", done)
    clock["now"] = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    tick()

    def usd(uid: str) -> float:
        until = store.accrued_until
        assert until is not None
        return sum(s.usd(until) for s in store.segments.values() if s.pod_uid == uid)

    per_gpu_hour = P4D_USD_PER_HOUR / 8
    assert usd("6a7b-member-1") == pytest.approx(per_gpu_hour * 2 * 80 / 60)  # 7.319214
    assert usd("6a7b-member-0") == pytest.approx(per_gpu_hour * (2 * 80 + 4 * 10) / 60)  # 9.149018
    # Conservation: the claim's 4 GPUs are charged once over the 90 minutes, no more, no less.
    assert usd("6a7b-member-0") + usd("6a7b-member-1") == pytest.approx(per_gpu_hour * 4 * 1.5)
