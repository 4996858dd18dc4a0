"""A synthetic GPU cluster for the scale benchmark, served by `LocalApiServer` in a process of its own.

The API server runs in a child process so that its work (JSON encoding, watch fan-out) lands on the other core, as a
real kube-apiserver's would, and the daemon's CPU time and RSS are measured alone.

Shape (for `nodes`, `pods`, `workloads`): 8-GPU nodes of six AWS and GCP instance types, one in three spot, one in
ten A100 nodes partitioned with MIG (mixed strategy, 56 x 1g slices); 60 % of the pods are training pods holding one
GPU or one MIG slice, spread round-robin over the nodes and owned by the workloads; the other 40 % are CPU-only
system pods of four DaemonSets (free on GPU nodes). Workloads cycle through every supported kind: Job, PyTorchJob,
JobSet -> Job -> Pod, RayJob -> RayCluster -> Pod, MPIJob, TFJob, Volcano Job.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer

BASE_TIME = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# (provider, instance type, GPU product label, region, zone); all 8-GPU types from the embedded catalog.
INSTANCE_TYPES = (
    ("aws", "p4d.24xlarge", "NVIDIA-A100-SXM4-40GB", "us-east-1", "us-east-1a"),
    ("aws", "p4de.24xlarge", "NVIDIA-A100-SXM4-80GB", "us-east-1", "us-east-1b"),
    ("aws", "p5.48xlarge", "NVIDIA-H100-80GB-HBM3", "us-east-1", "us-east-1c"),
    ("aws", "g5.48xlarge", "NVIDIA-A10G", "us-east-1", "us-east-1a"),
    ("gcp", "a2-highgpu-8g", "NVIDIA-A100-SXM4-40GB", "us-central1", "us-central1-a"),
    ("gcp", "a3-highgpu-8g", "NVIDIA-H100-80GB-HBM3", "us-central1", "us-central1-b"),
)
MIG_RESOURCE = "nvidia.com/mig-1g.5gb"
TRAINING_POD_SHARE = 0.6
NAMESPACES = 20
DAEMONSETS = ("nvidia-device-plugin", "dcgm-exporter", "node-exporter", "fluent-bit")


@dataclass(frozen=True)
class Shape:
    nodes: int
    pods: int
    workloads: int


def _node(index: int, rng: random.Random) -> dict[str, Any]:
    provider, instance, product, region, zone = INSTANCE_TYPES[index % len(INSTANCE_TYPES)]
    name = f"gpu-{index:05d}"
    spot = index % 3 == 0
    labels = {
        "node.kubernetes.io/instance-type": instance,
        "topology.kubernetes.io/region": region,
        "topology.kubernetes.io/zone": zone,
        "nvidia.com/gpu.product": product,
        "nvidia.com/gpu.count": "8",
    }
    if provider == "aws":
        labels["karpenter.sh/capacity-type"] = "spot" if spot else "on-demand"
        provider_id = f"aws:///{zone}/i-{rng.getrandbits(64):016x}"
    else:
        if spot:
            labels["cloud.google.com/gke-spot"] = "true"
        provider_id = f"gce://bench-project/{zone}/{name}"
    obj = objects.node(name, labels, gpus=8, provider_id=provider_id)
    if "A100" in product and index % 10 == 0:
        # MIG mixed strategy: the device plugin advertises slices instead of whole GPUs.
        for resources in (obj["status"]["capacity"], obj["status"]["allocatable"]):
            del resources["nvidia.com/gpu"]
            resources[MIG_RESOURCE] = "56"
        obj["metadata"]["labels"]["nvidia.com/mig.strategy"] = "mixed"
    return obj


def _annotations(index: int) -> dict[str, str]:
    notes = {"trainspend.io/progress": "0.1"}
    if index % 2 == 0:
        notes |= {"trainspend.io/model": "llama-3-8b", "trainspend.io/tokens": "2e9", "trainspend.io/method": "lora"}
    if index % 5 == 0:
        notes["trainspend.io/budget-usd"] = "50000"
    return notes


def _workload(server: LocalApiServer, index: int, namespace: str) -> dict[str, Any]:
    """Creates workload `index` (and its intermediate owner) and returns the object that owns its pods."""
    name = f"train-{index:05d}"
    meta: dict[str, Any] = {"labels": {"team": namespace}, "annotations": _annotations(index)}
    running = {"conditions": [{"type": "Running", "status": "True"}]}
    kind = index % 7
    if kind == 0:
        return server.create(objects.batch_job(name, namespace, **meta))
    if kind == 1:
        return server.create(objects.custom("kubeflow.org/v1", "PyTorchJob", name, namespace, status=running, **meta))
    if kind == 2:
        top = server.create(objects.custom("jobset.x-k8s.io/v1alpha2", "JobSet", name, namespace, **meta))
        return server.create(objects.batch_job(f"{name}-workers-0", namespace, owners=[objects.owner(top)]))
    if kind == 3:
        ray = {"jobDeploymentStatus": "Running", "jobStatus": "RUNNING"}
        top = server.create(objects.custom("ray.io/v1", "RayJob", name, namespace, status=ray, **meta))
        return server.create(
            objects.custom("ray.io/v1", "RayCluster", f"{name}-raycluster", namespace, owners=[objects.owner(top)])
        )
    if kind == 4:
        return server.create(objects.custom("kubeflow.org/v1", "MPIJob", name, namespace, status=running, **meta))
    if kind == 5:
        return server.create(objects.custom("kubeflow.org/v1", "TFJob", name, namespace, status=running, **meta))
    volcano = {"state": {"phase": "Running"}}
    return server.create(objects.custom("batch.volcano.sh/v1alpha1", "Job", name, namespace, status=volcano, **meta))


def populate(server: LocalApiServer, shape: Shape, seed: int) -> list[tuple[str, str]]:
    """Creates the cluster; returns the (namespace, name) of every training pod (the burst updates those)."""
    rng = random.Random(seed)
    nodes = [_node(i, rng) for i in range(shape.nodes)]
    for node in nodes:
        server.create(node)
    mig = {n["metadata"]["name"] for n in nodes if MIG_RESOURCE in n["status"]["capacity"]}
    tops = [_workload(server, i, f"team-{i % NAMESPACES:02d}") for i in range(shape.workloads)]
    training = round(shape.pods * TRAINING_POD_SHARE)
    training_pods = []
    daemonsets = [
        objects.owner({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "uid": f"ds-{name}"}})
        for name in DAEMONSETS
    ]
    for i in range(shape.pods):
        node_name = nodes[i % shape.nodes]["metadata"]["name"]
        started = (BASE_TIME - timedelta(hours=rng.uniform(0.5, 48))).strftime("%Y-%m-%dT%H:%M:%SZ")
        if i < training:
            top = tops[i % shape.workloads]
            namespace = top["metadata"]["namespace"]
            name = f"{top['metadata']['name']}-{i // shape.workloads}"
            gpu = {MIG_RESOURCE: "1"} if node_name in mig else {"nvidia.com/gpu": "1"}
            requests = {"cpu": "8", "memory": "64Gi", **gpu}
            server.create(
                objects.pod(name, namespace, node_name, requests, started=started, owners=[objects.owner(top)])
            )
            training_pods.append((namespace, name))
        else:
            requests = {"cpu": "100m", "memory": "128Mi"}
            ds = [daemonsets[i % len(daemonsets)]]
            server.create(
                objects.pod(f"system-{i:06d}", "kube-system", node_name, requests, started=started, owners=ds)
            )
    return training_pods


def burst(server: LocalApiServer, pods: list[tuple[str, str]], updates: int, start: int) -> float:
    """Applies `updates` progress-annotation patches to training pods; returns the seconds it took."""
    began = time.perf_counter()
    for i in range(start, start + updates):
        namespace, name = pods[i % len(pods)]
        patch = {"metadata": {"annotations": {"trainspend.io/progress": f"{(i % 1000) / 1000:.3f}"}}}
        server.patch("v1", "Pod", name, patch, namespace)
    return time.perf_counter() - began


def serve(conn: Connection, shape: Shape, seed: int) -> None:
    """Child-process entry: build, report ("ready", url, seconds), then obey ("burst", n) and ("stop",)."""
    with LocalApiServer(bookmark_interval_seconds=5.0) as server:
        began = time.perf_counter()
        pods = populate(server, shape, seed)
        conn.send(("ready", server.url, time.perf_counter() - began))
        sent = 0
        commands: dict[str, Callable[[int], float]] = {"burst": lambda n: burst(server, pods, n, sent)}
        while True:
            message = conn.recv()
            if message[0] == "stop":
                break
            seconds = commands[message[0]](message[1])
            sent += message[1]
            conn.send(("done", seconds))
