"""Sharing equal values between cached objects (monitor.adapters.kube.sharing): what a pod or node converts to is
the same with or without sharing, and equal parts of different objects become one instance."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from monitor.adapters.kube import convert
from monitor.adapters.kube.cache import ClusterCache
from monitor.adapters.kube.kinds import NODES, PODS
from monitor.adapters.kube.sharing import Canon
from monitor.core.domain.model import PodInfo, WorkloadInfo, WorkloadRef
from monitor.demo import objects

_text = st.text(min_size=0, max_size=12)
_labels = st.dictionaries(_text, _text, max_size=6)


def _pod(name: str, labels: dict[str, str], annotations: dict[str, str], owner_uid: str) -> dict[str, Any]:
    owner = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "train", "uid": owner_uid}}
    pod = objects.pod(
        name,
        "team-a",
        "gpu-00001",
        {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": "1"},
        started="2026-03-02T11:00:00Z",
        owners=[objects.owner(owner)],
        labels=labels,
        annotations=annotations,
    )
    pod["metadata"]["uid"] = f"uid-{name}"
    # as the API server sends it: every object decoded on its own, with its own copies of every string
    decoded: dict[str, Any] = json.loads(json.dumps(pod))
    return decoded


@given(labels=_labels, annotations=_labels, owner_uid=_text)
def test_a_pod_converts_to_the_same_value_with_or_without_sharing(
    labels: dict[str, str], annotations: dict[str, str], owner_uid: str
) -> None:
    canon = Canon()
    for name in ("a", "b"):
        obj = _pod(name, labels, annotations, owner_uid)
        assert convert.to_pod(obj, canon=canon) == convert.to_pod(obj)


@given(labels=_labels, annotations=_labels)
def test_equal_parts_of_two_pods_are_one_instance(labels: dict[str, str], annotations: dict[str, str]) -> None:
    canon = Canon()
    first = convert.to_pod(_pod("a", labels, annotations, "job-1"), canon=canon)
    second = convert.to_pod(_pod("b", labels, annotations, "job-1"), canon=canon)
    assert first.labels is second.labels
    assert first.requests is second.requests
    assert first.namespace is second.namespace
    assert first.node_name is second.node_name
    assert first.annotations is second.annotations


def test_the_cache_shares_owner_references_and_node_labels_between_objects() -> None:
    cache = ClusterCache("c", lambda: datetime(2026, 3, 2, 12, tzinfo=UTC), 60)
    cache.replace_all(PODS, None, [_pod(n, {"app": "train"}, {}, "job-1") for n in ("a", "b")])
    nodes = [json.loads(json.dumps(objects.node(f"gpu-{i}", {"zone": "us-east-1a"}, gpus=8))) for i in range(2)]
    for i, node in enumerate(nodes):
        node["metadata"]["uid"] = f"node-{i}"
    cache.replace_all(NODES, None, nodes)
    pods = cache._objects["pods@*"]
    assert pods["uid-a"].refs is pods["uid-b"].refs  # type: ignore[union-attr]
    one, two = cache.snapshot().nodes
    assert one.labels is two.labels
    assert one.capacity is two.capacity


def test_the_tables_hold_what_is_in_use_and_are_bounded() -> None:
    canon = Canon(max_entries=4)
    handed = [canon.strings({"pod": str(i)}) for i in range(10)]
    assert handed == [{"pod": str(i)} for i in range(10)]
    assert canon.strings({"pod": "9"}) is handed[9]
    del handed[:5]
    assert len(canon._dicts) == 5  # the dicts nobody holds any more left the table
    refs = [canon.value((str(i),)) for i in range(10)]
    assert refs == [(str(i),) for i in range(10)]
    assert len(canon._values) <= 4
    assert canon.value(("9",)) is refs[9]  # still in the table after the last emptying


@given(labels=_labels, phase=st.sampled_from(["Pending", "Running", "Succeeded", "Failed", "Unknown"]))
def test_values_constructed_without_validation_equal_the_validated_ones(labels: dict[str, str], phase: str) -> None:
    obj = _pod("a", labels, {"trainspend.io/progress": "0.5"}, "job-1")
    obj["status"]["phase"] = phase
    pod = convert.to_pod(obj, canon=Canon())
    ref = convert.workload_ref("Pod", "v1", pod.namespace, pod.name, pod.uid)
    assert ref == WorkloadRef(kind="Pod", api_version="v1", namespace="team-a", name="a", uid="uid-a")
    done = phase in ("Succeeded", "Failed")
    assert convert.bare_workload(ref, pod) == WorkloadInfo.model_validate(
        {
            "ref": ref.model_dump(),
            "labels": labels,
            "annotations": {"trainspend.io/progress": "0.5"},
            "created": "2026-03-02T11:00:00Z",
            "finished": pod.finished if done else None,
            "state": phase if done or phase == "Running" else "Pending",
        }
    )
    assert convert.pod_with(pod, owner=ref) == pod.model_copy(update={"owner": ref})


def test_a_converted_pod_keeps_its_fields_in_a_key_sharing_dict() -> None:
    pods = [convert.to_pod(_pod(n, {"app": "x"}, {}, "job-1")) for n in ("a", "b")]
    assert pods[0] == PodInfo.model_validate(pods[0].model_dump())  # the same value as pydantic's own construction
    copy = convert.pod_with(pods[1], phase="Succeeded")
    assert (copy.phase, copy.name, copy.labels) == ("Succeeded", "b", {"app": "x"})
    # The smaller dict, in a fresh interpreter as the daemon is: CPython shares a class's key table only while every
    # instance inserts its attributes in the same order, and this test process has made other PodInfo values.
    probe = (
        "import sys\n"
        "from monitor.adapters.kube import convert\n"
        "from monitor.core.domain.model import PodInfo\n"
        "obj = {'metadata': {'name': 'a', 'namespace': 'n', 'uid': 'u'}, 'spec': {}, 'status': {}}\n"
        "ours = [convert.to_pod(obj) for _ in range(3)]\n"
        "theirs = PodInfo.model_validate(ours[0].model_dump())\n"
        "print(sys.getsizeof(ours[2].__dict__), sys.getsizeof(theirs.__dict__))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    ours, theirs = (int(n) for n in out)
    assert ours < theirs
