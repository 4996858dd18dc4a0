from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.attribution import attribute, gpu_share, physical_gpus
from tests.unit.domain.factories import G5_USD_PER_HOUR, M5_USD_PER_HOUR, P4D_USD_PER_HOUR, T0, pod, priced_node


def test_whole_gpus_pay_their_share_and_the_rest_is_idle():
    node = priced_node("p4d-a", P4D_USD_PER_HOUR, gpus=8, gpu_model="A100-SXM-40GB")
    pods = [pod("trainer", "p4d-a", {"nvidia.com/gpu": "4", "cpu": "40", "memory": "500Gi"})]
    result = attribute([node], pods)
    per_gpu = P4D_USD_PER_HOUR / 8
    assert result.pods["uid-trainer"].hourly_usd == pytest.approx(4 * per_gpu)
    assert result.pods["uid-trainer"].gpus == 4
    (node_cost,) = result.nodes
    assert node_cost.gpu_hourly_cost_usd == pytest.approx(per_gpu)
    assert node_cost.idle_gpu_hourly_cost_usd == pytest.approx(4 * per_gpu)
    assert node_cost.gpus_allocated == 4


def test_cpu_only_pod_on_gpu_node_is_free_and_gpus_stay_idle():
    node = priced_node("p4d-a", P4D_USD_PER_HOUR, gpus=8)
    result = attribute([node], [pod("log-shipper", "p4d-a", {"cpu": "500m", "memory": "256Mi"})])
    assert result.pods["uid-log-shipper"].hourly_usd == 0
    assert result.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(P4D_USD_PER_HOUR)


def test_mig_slices_pay_g_over_seven():
    node = priced_node("p4d-mig", P4D_USD_PER_HOUR, gpus=8, gpu_model="A100-SXM-40GB")
    pods = [
        pod("small", "p4d-mig", {"nvidia.com/mig-1g.5gb": "1"}),
        pod("medium", "p4d-mig", {"nvidia.com/mig-3g.20gb": "2"}),
    ]
    result = attribute([node], pods)
    per_gpu = P4D_USD_PER_HOUR / 8
    assert result.pods["uid-small"].gpus == pytest.approx(1 / 7)
    assert result.pods["uid-medium"].hourly_usd == pytest.approx(per_gpu * 6 / 7)
    assert result.nodes[0].gpus_allocated == pytest.approx(1 / 7 + 6 / 7)
    assert result.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(7 * per_gpu)


def test_a30_mig_has_four_slices():
    node = priced_node("a30", 4.0, gpus=1, gpu_model="A30", instance_type="on-prem-a30")
    share = gpu_share(pod("p", "a30", {"nvidia.com/mig-2g.12gb": "1"}), node)
    assert float(share) == pytest.approx(0.5)


def test_time_sliced_replicas_pay_one_over_replicas():
    labels = {"nvidia.com/gpu.count": "1", "nvidia.com/gpu.replicas": "4"}
    caps = {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "4"}
    node = priced_node("g5", G5_USD_PER_HOUR, instance_type="g5.xlarge", capacity=caps, labels=labels)
    assert physical_gpus(node) == 1
    pods = [pod("nb-1", "g5", {"nvidia.com/gpu": "1"}), pod("nb-2", "g5", {"nvidia.com/gpu.shared": "1"})]
    result = attribute([node], pods)
    assert result.pods["uid-nb-1"].hourly_usd == pytest.approx(G5_USD_PER_HOUR / 4)
    assert result.pods["uid-nb-2"].gpus == pytest.approx(0.25)
    assert result.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(G5_USD_PER_HOUR / 2)


def test_more_advertised_gpus_than_physical_scales_each_unit():
    # MIG single strategy: 7 x 1g.5gb devices advertised as nvidia.com/gpu on one physical A100.
    caps = {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": "7"}
    node = priced_node("mig-single", 4.1, gpus=1, gpu_model="A100-SXM-40GB", capacity=caps)
    result = attribute([node], [pod("p", "mig-single", {"nvidia.com/gpu": "2"})])
    assert result.pods["uid-p"].gpus == pytest.approx(2 / 7)


def test_cpu_node_by_larger_of_cpu_and_memory_share():
    caps = {"cpu": "8", "memory": "32Gi"}
    node = priced_node("m5", M5_USD_PER_HOUR, instance_type="m5.2xlarge", capacity=caps)
    result = attribute([node], [pod("etl", "m5", {"cpu": "2", "memory": "16Gi"})])
    assert result.pods["uid-etl"].hourly_usd == pytest.approx(M5_USD_PER_HOUR * 0.5)
    assert result.nodes[0].idle_gpu_hourly_cost_usd == 0


def test_cpu_node_overcommitted_shares_are_scaled_to_the_node_price():
    caps = {"cpu": "8", "memory": "32Gi"}
    node = priced_node("m5", M5_USD_PER_HOUR, instance_type="m5.2xlarge", capacity=caps)
    pods = [
        pod("cpu-heavy", "m5", {"cpu": "6", "memory": "4Gi"}),
        pod("mem-heavy", "m5", {"cpu": "1", "memory": "24Gi"}),
    ]
    result = attribute([node], pods)
    total = sum(cost.hourly_usd for cost in result.pods.values())
    assert total == pytest.approx(M5_USD_PER_HOUR)
    assert result.pods["uid-cpu-heavy"].hourly_usd == pytest.approx(result.pods["uid-mem-heavy"].hourly_usd)


def test_pods_hold_from_binding_until_they_finish_and_finished_pods_hold_nothing():
    node = priced_node("p4d-a", P4D_USD_PER_HOUR, gpus=8)
    gpu = {"nvidia.com/gpu": "4"}
    pods = [
        # Bound by the scheduler, pulling its image (ContainerCreating): phase Pending, already holds 4 GPUs.
        pod("creating", "p4d-a", gpu, phase="Pending", started=None),
        pod("unscheduled", None, gpu, phase="Pending", started=None),
        pod("done-long-ago", "p4d-a", gpu, phase="Succeeded", finished=T0 - timedelta(hours=1)),
        pod("just-done", "p4d-a", gpu, phase="Succeeded", finished=T0 + timedelta(seconds=10)),
    ]
    now = attribute([node], pods)
    assert set(now.pods) == {"uid-creating"}
    assert now.pods["uid-creating"].hourly_usd == pytest.approx(P4D_USD_PER_HOUR / 2)
    assert now.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(P4D_USD_PER_HOUR / 2)
    # Over a span starting before its finish, the finished pod held its 4 GPUs too: nothing is idle then.
    span = attribute([node], pods, since=T0)
    assert set(span.pods) == {"uid-creating", "uid-just-done"}
    assert span.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(0.0)


def test_finished_pods_do_not_dilute_the_cpu_shares_of_a_node():
    """An m5.2xlarge (8 vCPU, 32 GiB) with a running 4-vCPU pod and two Succeeded 4-vCPU pods still on the API
    server: the running pod holds half the node and pays half its price, $0.192/h (it paid a third, ~45 % less, when
    finished pods counted)."""
    node = priced_node("m5", M5_USD_PER_HOUR, capacity={"cpu": "8", "memory": "32Gi"})
    cpu = {"cpu": "4", "memory": "8Gi"}
    pods = [
        pod("running", "m5", cpu),
        pod("done-1", "m5", cpu, phase="Succeeded", finished=T0),
        pod("done-2", "m5", cpu, phase="Succeeded", finished=T0),
    ]
    result = attribute([node], pods)
    assert set(result.pods) == {"uid-running"}
    assert result.pods["uid-running"].hourly_usd == pytest.approx(0.192)


def test_more_gpus_held_than_the_node_has_never_charges_above_its_price():
    node = priced_node("p4d-a", P4D_USD_PER_HOUR, gpus=8)
    pods = [pod(f"p{i}", "p4d-a", {"nvidia.com/gpu": "8"}) for i in range(2)]
    result = attribute([node], pods)
    assert sum(c.hourly_usd for c in result.pods.values()) == pytest.approx(P4D_USD_PER_HOUR)
    assert result.nodes[0].idle_gpu_hourly_cost_usd == 0.0


def test_pod_on_unpriced_node_costs_nothing_but_counts_gpus():
    result = attribute([], [pod("orphan", "unknown-node", {"nvidia.com/gpu": "2"})])
    cost = result.pods["uid-orphan"]
    assert (cost.hourly_usd, cost.gpus, cost.price) == (0.0, 2.0, None)
    assert result.nodes == ()


@given(st.lists(st.integers(min_value=1, max_value=8), max_size=8).filter(lambda gs: sum(gs) <= 8))
def test_gpu_node_cost_is_fully_accounted(requests):
    node = priced_node("p4d-a", P4D_USD_PER_HOUR, gpus=8)
    pods = [pod(f"p{i}", "p4d-a", {"nvidia.com/gpu": str(g)}) for i, g in enumerate(requests)]
    result = attribute([node], pods)
    attributed = sum(cost.hourly_usd for cost in result.pods.values())
    assert attributed + result.nodes[0].idle_gpu_hourly_cost_usd == pytest.approx(P4D_USD_PER_HOUR)
