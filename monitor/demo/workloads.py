"""The demo's nodes and workloads: what `monitor.demo.scenario.DemoCluster` seeds and moves forward."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.demo import objects as o
from monitor.demo import scenario_kinds as k

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
        _aws_node("ip-10-0-3-31.ec2.internal", "p4d.24xlarge", "on-demand", A100_40),
        _aws_node("ip-10-0-3-32.ec2.internal", "p4d.24xlarge", "on-demand", A100_40),
        o.node("dgx-02", onprem_labels, gpus=8),
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
    reports: str  # "progress" | "steps" | "trainer_status" (a TrainJob's status.trainerStatus) | "none"
    total_steps: int = 10_000
    pod_owner: Obj | None = None  # the object that owns the pods (a JobSet's Job, a RayJob's RayCluster)
    progress: float = 0.0
    done: bool = False
    started_at: datetime | None = None
    paused_minutes: float = 0.0
    events: list[str] = field(default_factory=list)
    gpu_utilization: float = 0.93  # what the simulated dcgm-exporter reports for its pods' GPUs, 0..1
    admit_at_minutes: float | None = None  # created suspended in a Kueue queue; admitted this long into the demo


def _ann(**values: str) -> dict[str, str]:
    return {P + key.replace("_", "-"): value for key, value in values.items()}


def classic_workloads() -> list[SimWorkload]:
    """A LoRA fine-tune, a PyTorchJob pre-train, a JobSet without progress reports, a sweep heading over its budget,
    a RayJob on a spot node that is reclaimed, an eval on the owned box, a Job with broken annotations."""
    return [
        SimWorkload(
            o.batch_job(
                "llama3-8b-lora-support",
                "ml-research",
                labels={"team": "nlp", k.QUEUE_LABEL: "nlp-queue"},
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


def newer_workloads() -> list[SimWorkload]:
    """A TrainJob waiting 12 minutes in its Kueue queue, then reporting through status.trainerStatus; an
    mpi-operator v2beta1 MPIJob; a standalone RayCluster; an Argo Workflow's training step."""
    return [
        SimWorkload(
            k.trainjob("gemma-sft-trainjob", "ml-research", "nlp-queue", created_suspended=True),
            [SimPod("gemma-sft-trainjob-node-0-0-q8v2n", "ip-10-0-3-31.ec2.internal", 8)],
            started_minutes_ago=0,
            duration_minutes=180,
            reports="trainer_status",
            admit_at_minutes=12,
        ),
        SimWorkload(
            k.mpijob("allreduce-bench", "hpc"),
            [
                SimPod("allreduce-bench-worker-0", "ip-10-0-3-32.ec2.internal", 4),
                SimPod("allreduce-bench-worker-1", "ip-10-0-3-32.ec2.internal", 4),
            ],
            started_minutes_ago=20,
            duration_minutes=90,
            reports="none",
        ),
        SimWorkload(
            k.raycluster("ray-tune-cluster", "research"),
            [SimPod("ray-tune-cluster-head-8zk4q", "dgx-02", 4)],
            started_minutes_ago=50,
            duration_minutes=10**6,  # a standalone RayCluster runs until deleted
            reports="none",
        ),
        SimWorkload(
            k.workflow("kfp-finetune-7c4xq", "pipelines"),
            [SimPod("kfp-finetune-7c4xq-train-1948275104", "dgx-02", 4)],
            started_minutes_ago=5,
            duration_minutes=60,
            reports="none",
        ),
    ]
