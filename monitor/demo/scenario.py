"""The demo's simulated cluster: GPU nodes of several clouds and an owned box, six training workloads of different
kinds, progressing on an accelerated clock, with a spot preemption, a Job heading over budget and a bad annotation.

`DemoCluster.seed()` creates the objects in a `LocalApiServer`; `DemoCluster.step()` (called about once a second)
moves every workload forward to the simulated now: progress annotations, completions, the preemption and the
reschedule. All times are simulated (the `clock`), so an hour of training passes in a minute of the demo.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.demo import objects as o
from monitor.demo.apiserver import LocalApiServer

Obj = dict[str, Any]
P = "trainspend.io/"

H100 = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.count": "8"}
A100_40 = {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB", "nvidia.com/gpu.count": "8"}


def _aws_node(name: str, instance: str, capacity: str, gpu_labels: dict[str, str], zone: str = "us-east-1a") -> Obj:
    labels = {
        "node.kubernetes.io/instance-type": instance,
        "topology.kubernetes.io/region": "us-east-1",
        "topology.kubernetes.io/zone": zone,
        "karpenter.sh/capacity-type": capacity,
        **gpu_labels,
    }
    return o.node(name, labels, gpus=8, provider_id=f"aws:///{zone}/i-{abs(hash(name)) % 10**12:012x}")


def demo_nodes() -> list[Obj]:
    gke_labels = {
        "node.kubernetes.io/instance-type": "a2-highgpu-8g",
        "topology.kubernetes.io/region": "us-central1",
        "topology.kubernetes.io/zone": "us-central1-a",
        "cloud.google.com/gke-accelerator": "nvidia-tesla-a100",
        "cloud.google.com/gke-nodepool": "a100-pool",
    }
    onprem_labels = {"node.kubernetes.io/instance-type": "dgx-h100", **H100}
    return [
        _aws_node("ip-10-0-1-11.ec2.internal", "p5.48xlarge", "on-demand", H100),
        _aws_node("ip-10-0-1-12.ec2.internal", "p5.48xlarge", "on-demand", H100),
        _aws_node("ip-10-0-1-13.ec2.internal", "p5.48xlarge", "on-demand", H100),
        _aws_node("ip-10-0-1-14.ec2.internal", "p5.48xlarge", "on-demand", H100, zone="us-east-1b"),
        _aws_node("ip-10-0-2-21.ec2.internal", "p4d.24xlarge", "spot", A100_40),
        _aws_node("ip-10-0-2-22.ec2.internal", "p4d.24xlarge", "spot", A100_40, zone="us-east-1c"),
        o.node(
            "gke-train-a100-pool-7f3c",
            gke_labels,
            gpus=8,
            provider_id="gce://acme-ml/us-central1-a/gke-train-a100-pool-7f3c",
        ),
        o.node("dgx-01", onprem_labels, gpus=8),
    ]


@dataclass
class SimPod:
    name: str
    node: str
    gpus: int


@dataclass
class SimWorkload:
    """One simulated training run: its object, its pods, how long it takes, and how it reports progress."""

    obj: Obj
    pods: list[SimPod]
    started_minutes_ago: float
    duration_minutes: float
    reports: str  # "progress" | "steps" | "none"
    total_steps: int = 10_000
    pod_owner: Obj | None = None  # the object that owns the pods (a JobSet's Job, a RayJob's RayCluster)
    progress: float = 0.0
    done: bool = False
    started_at: datetime | None = None
    paused_minutes: float = 0.0
    events: list[str] = field(default_factory=list)
    gpu_utilization: float = 0.93  # what the simulated dcgm-exporter reports for its pods' GPUs, 0..1


def _ann(**values: str) -> dict[str, str]:
    return {P + key.replace("_", "-"): value for key, value in values.items()}


class DemoCluster:
    def __init__(self, server: LocalApiServer, clock: Callable[[], datetime], seed: int = 7) -> None:
        self.server = server
        self.clock = clock
        self.random = random.Random(seed)
        self.workloads: list[SimWorkload] = []
        self.start = clock()
        self.preempted = False
        self.rescheduled = False

    # --- seeding ---------------------------------------------------------------------------------------------
    def seed(self) -> None:
        for node in demo_nodes():
            self.server.create(node)
        self.workloads = [
            SimWorkload(
                o.batch_job(
                    "llama3-8b-lora-support",
                    "ml-research",
                    labels={"team": "nlp"},
                    annotations=_ann(
                        model="llama-3-8b",
                        method="lora",
                        tokens="3e8",
                        seq_len="4096",
                        micro_batch="4",
                        grad_checkpointing="full",
                        budget_usd="400",
                        progress="0",
                    ),
                ),
                [SimPod("llama3-8b-lora-support-x7k2p", "ip-10-0-1-11.ec2.internal", 8)],
                started_minutes_ago=40,
                duration_minutes=150,
                reports="progress",
            ),
            SimWorkload(
                o.custom(
                    "kubeflow.org/v1",
                    "PyTorchJob",
                    "qwen-1b-pretrain",
                    "foundation",
                    labels={"team": "foundation"},
                    annotations=_ann(
                        model="qwen2.5-1.5b",
                        tokens="4e9",
                        seq_len="4096",
                        micro_batch="8",
                        zero_stage="1",
                        budget_usd="6000",
                        total_steps="12000",
                        step="0",
                    ),
                    status={"conditions": [{"type": "Running", "status": "True"}]},
                ),
                [
                    SimPod("qwen-1b-pretrain-master-0", "ip-10-0-1-12.ec2.internal", 8),
                    SimPod("qwen-1b-pretrain-worker-0", "ip-10-0-1-13.ec2.internal", 8),
                ],
                started_minutes_ago=120,
                duration_minutes=420,
                reports="steps",
                total_steps=12000,
            ),
            SimWorkload(
                o.custom(
                    "jobset.x-k8s.io/v1alpha2",
                    "JobSet",
                    "mixtral-qlora-sft",
                    "ml-research",
                    labels={"team": "nlp"},
                    annotations=_ann(
                        model="mixtral-8x7b", method="qlora", tokens="2e8", seq_len="2048", grad_checkpointing="full"
                    ),
                ),
                [SimPod("mixtral-qlora-sft-trainer-0-0-abcde", "gke-train-a100-pool-7f3c", 8)],
                started_minutes_ago=30,
                duration_minutes=300,
                reports="none",
                gpu_utilization=0.55,
            ),
            SimWorkload(
                o.batch_job(
                    "hparam-sweep-lr",
                    "ml-research",
                    labels={"team": "nlp"},
                    annotations=_ann(budget_usd="45", progress="0"),
                ),
                [SimPod("hparam-sweep-lr-9qz8d", "ip-10-0-2-21.ec2.internal", 8)],
                started_minutes_ago=200,
                duration_minutes=700,
                reports="progress",
                gpu_utilization=0.18,  # a sweep that waits on its data loader: the fleet's top waster
            ),
            SimWorkload(
                o.custom(
                    "ray.io/v1",
                    "RayJob",
                    "rl-reward-finetune",
                    "rl",
                    labels={"team": "alignment"},
                    annotations=_ann(
                        model="llama-3-8b",
                        tokens="1.5e8",
                        method="full",
                        zero_stage="3",
                        grad_checkpointing="full",
                        budget_usd="500",
                        progress="0",
                    ),
                    status={"jobDeploymentStatus": "Running", "jobStatus": "RUNNING"},
                ),
                [SimPod("rl-reward-finetune-raycluster-head", "ip-10-0-2-22.ec2.internal", 8)],
                started_minutes_ago=25,
                duration_minutes=200,
                reports="progress",
            ),
            SimWorkload(
                o.batch_job(
                    "tinyllama-eval",
                    "research",
                    labels={"team": "eval"},
                    annotations=_ann(model="tinyllama-1.1b", tokens="5e7", progress="0"),
                ),
                [SimPod("tinyllama-eval-2fj4k", "dgx-01", 4)],
                started_minutes_ago=10,
                duration_minutes=35,
                reports="progress",
            ),
            SimWorkload(
                o.batch_job(
                    "bad-annotations-demo",
                    "research",
                    labels={"team": "eval"},
                    annotations=_ann(tokens="lots", budget_usd="-5", method="lorra"),
                ),
                [SimPod("bad-annotations-demo-8d7s1", "dgx-01", 4)],
                started_minutes_ago=15,
                duration_minutes=600,
                reports="none",
                gpu_utilization=0.04,  # holds 4 GPUs and runs nothing on them
            ),
        ]
        for workload in self.workloads:
            self._create(workload)

    def gpu_utilization(self, namespace: str, pod: str) -> float:
        """The simulated utilization of a pod's GPUs (its workload's), for the demo's dcgm-exporter."""
        for w in self.workloads:
            if w.obj["metadata"]["namespace"] == namespace and any(p.name == pod for p in w.pods):
                return w.gpu_utilization
        return 0.0

    def _create(self, w: SimWorkload) -> None:
        created = self.server.create(w.obj)
        w.obj = created
        w.started_at = self.start - timedelta(minutes=w.started_minutes_ago)
        owner = created
        if created["kind"] == "JobSet":
            owner = self.server.create(
                o.batch_job(
                    created["metadata"]["name"] + "-trainer-0",
                    created["metadata"]["namespace"],
                    owners=[o.owner(created)],
                )
            )
        elif created["kind"] == "RayJob":
            owner = self.server.create(
                o.custom(
                    "ray.io/v1",
                    "RayCluster",
                    created["metadata"]["name"] + "-raycluster",
                    created["metadata"]["namespace"],
                    owners=[o.owner(created)],
                )
            )
        w.pod_owner = owner
        for sim_pod in w.pods:
            self._create_pod(w, sim_pod, w.started_at)

    def _create_pod(self, w: SimWorkload, sim_pod: SimPod, started: datetime) -> None:
        assert w.pod_owner is not None
        self.server.create(
            o.pod(
                sim_pod.name,
                w.obj["metadata"]["namespace"],
                sim_pod.node,
                {"nvidia.com/gpu": str(sim_pod.gpus), "cpu": "48", "memory": "480Gi"},
                started=_iso(started),
                owners=[o.owner(w.pod_owner)],
                labels=w.obj["metadata"].get("labels"),
            )
        )

    # --- simulation ----------------------------------------------------------------------------------------------
    def step(self) -> None:
        now = self.clock()
        minutes = (now - self.start).total_seconds() / 60
        if not self.preempted and minutes >= 20:
            self._preempt(now)
        if self.preempted and not self.rescheduled and minutes >= 30:
            self._reschedule(now)
        for w in self.workloads:
            if w.done or w.started_at is None:
                continue
            if w is self._rl() and self.preempted and not self.rescheduled:
                continue
            elapsed = (now - w.started_at).total_seconds() / 60 - w.paused_minutes
            jitter = 1 + self.random.uniform(-0.03, 0.03)
            progress = min(1.0, max(w.progress, elapsed / w.duration_minutes * jitter))
            if progress >= 1.0:
                self._complete(w, now)
            elif progress - w.progress >= 0.005:
                w.progress = progress
                self._report(w)

    def _rl(self) -> SimWorkload:
        return next(w for w in self.workloads if w.obj["kind"] == "RayJob")

    def _report(self, w: SimWorkload) -> None:
        meta = w.obj["metadata"]
        if w.reports == "progress":
            patch = {P + "progress": f"{w.progress:.3f}"}
        elif w.reports == "steps":
            patch = {P + "step": str(int(w.progress * w.total_steps))}
        else:
            return
        self.server.patch(
            w.obj["apiVersion"], w.obj["kind"], meta["name"], {"metadata": {"annotations": patch}}, meta["namespace"]
        )

    def _complete(self, w: SimWorkload, now: datetime) -> None:
        w.progress, w.done = 1.0, True
        self._report(w)
        meta = w.obj["metadata"]
        for sim_pod in w.pods:
            self._finish_pod(meta["namespace"], sim_pod.name, now, "Succeeded")
        statuses: dict[str, dict[str, Any]] = {
            "Job": {
                "succeeded": 1,
                "completionTime": _iso(now),
                "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": _iso(now)}],
            },
            "PyTorchJob": {
                "completionTime": _iso(now),
                "conditions": [{"type": "Succeeded", "status": "True", "lastTransitionTime": _iso(now)}],
            },
            "JobSet": {"conditions": [{"type": "Completed", "status": "True", "lastTransitionTime": _iso(now)}]},
            "RayJob": {"jobDeploymentStatus": "Complete", "jobStatus": "SUCCEEDED", "endTime": _iso(now)},
        }
        done_status = statuses[w.obj["kind"]]
        self.server.patch(w.obj["apiVersion"], w.obj["kind"], meta["name"], {"status": done_status}, meta["namespace"])

    def _finish_pod(self, namespace: str, name: str, now: datetime, phase: str) -> None:
        current = self.server.get("v1", "Pod", name, namespace)
        started = current["status"].get("startTime")
        finished = o.pod(
            name, namespace, current["spec"].get("nodeName"), phase=phase, started=started, finished=_iso(now)
        )
        self.server.patch("v1", "Pod", name, {"status": finished["status"]}, namespace)

    def _preempt(self, now: datetime) -> None:
        """The spot p4d under the RayJob is reclaimed: its pod fails and the node disappears."""
        self.preempted = True
        w = self._rl()
        for sim_pod in w.pods:
            self._finish_pod(w.obj["metadata"]["namespace"], sim_pod.name, now, "Failed")
        self.server.delete("v1", "Node", "ip-10-0-2-22.ec2.internal")
        w.events.append(f"{_iso(now)} spot node reclaimed")

    def _reschedule(self, now: datetime) -> None:
        """The RayJob comes back from its checkpoint on the idle on-demand p5 (more expensive, faster)."""
        self.rescheduled = True
        w = self._rl()
        w.paused_minutes += 10
        namespace = w.obj["metadata"]["namespace"]
        for sim_pod in w.pods:
            self.server.delete("v1", "Pod", sim_pod.name, namespace)
        w.pods = [SimPod("rl-reward-finetune-raycluster-head-r1", "ip-10-0-1-14.ec2.internal", 8)]
        for sim_pod in w.pods:
            self._create_pod(w, sim_pod, now)
        w.events.append(f"{_iso(now)} rescheduled on on-demand p5.48xlarge")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
