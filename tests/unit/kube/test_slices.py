"""DRA ResourceSlices: a node's physical GPUs counted from what the NVIDIA DRA driver publishes (tests/data/dra
cites the upstream shapes), and used where the node's capacity and labels say nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.kinds import NODES
from monitor.adapters.kube.slices import RESOURCE_SLICES, gpus_by_node, to_slice
from monitor.adapters.pricing.identity import node_identity
from monitor.core.domain.gpus import node_gpus
from tests.dra_fixtures import dra_objects, of_kind


def test_gpus_are_the_distinct_gpu_uuids_of_the_current_generation() -> None:
    slices = [to_slice(o) for o in of_kind(dra_objects("resourceslice-gpus.yaml"), "ResourceSlice")]
    current, older = slices
    assert (current.generation, older.generation) == (2, 1)
    assert len(current.gpu_uuids) == 3  # gpu-0, gpu-1 and the GPU both MIG devices are on
    assert gpus_by_node(slices) == {"dgx-a100-07": 3}  # the generation-1 slice is being replaced: not counted
    assert gpus_by_node([older]) == {"dgx-a100-07": 1}


def test_other_drivers_and_devices_count_no_gpu() -> None:
    (obj, _) = of_kind(dra_objects("resourceslice-gpus.yaml"), "ResourceSlice")
    other = {**obj, "spec": {**obj["spec"], "driver": "dra.example.com"}}
    assert gpus_by_node([to_slice(other)]) == {}
    channel = {"name": "channel-0", "attributes": {"type": {"string": "imex-channel"}, "channel": {"int": 0}}}
    imex = {**obj, "spec": {**obj["spec"], "devices": [channel]}}
    assert gpus_by_node([to_slice(imex)]) == {}


def test_a_node_without_gpu_capacity_or_labels_has_the_gpus_of_its_slices() -> None:
    objs = dra_objects("resourceslice-gpus.yaml")
    cache = ClusterCache("c", lambda: datetime(2026, 12, 3, 9, tzinfo=UTC), 60)
    cache.replace_all(NODES, None, of_kind(objs, "Node"))
    (alone,) = cache.snapshot().nodes
    assert node_gpus(alone).physical == 0  # nothing else says it has GPUs
    cache.expect(RESOURCE_SLICES, None)
    cache.replace_all(RESOURCE_SLICES, None, of_kind(objs, "ResourceSlice"))
    (node,) = cache.snapshot().nodes
    assert node.dra_gpus == 3
    assert node_gpus(node).physical == 3
    assert node_identity(node).gpu_count == 3  # pricing sees the same count
    (current, _) = of_kind(objs, "ResourceSlice")
    cache.apply(RESOURCE_SLICES, None, "DELETED", current)  # the driver withdrew its devices
    (gone,) = cache.snapshot().nodes
    assert gone.dra_gpus == 1  # what the remaining (older) slice still lists
