"""The demo's simulated cluster: GPU nodes of several clouds and owned boxes, eleven training workloads of different
kinds (`monitor.demo.workloads`), progressing on an accelerated clock, with a spot preemption, a Job heading over
budget, a bad annotation and a TrainJob waiting in a Kueue queue before it is admitted.

`DemoCluster.seed()` creates the objects in a `LocalApiServer`; `DemoCluster.step()` (called about once a second)
moves every workload forward to the simulated now: progress annotations, completions, the preemption and the
reschedule. All times are simulated (the `clock`), so an hour of training passes in a minute of the demo.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from monitor.demo import objects as o
from monitor.demo import scenario_kinds as k
from monitor.demo.apiserver import LocalApiServer
from monitor.demo.workloads import P, SimPod, SimWorkload, classic_workloads, demo_nodes, newer_workloads

Obj = dict[str, Any]


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
        self.workloads = classic_workloads() + newer_workloads()
        for queue in k.kueue_queues():
            self.server.create(queue)
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
        if created["kind"] == "TrainJob":  # TrainJob → its JobSet → the JobSet's Job → pods (Trainer v2)
            meta = created["metadata"]
            jobset = self.server.create(
                o.custom(
                    "jobset.x-k8s.io/v1alpha2", "JobSet", meta["name"], meta["namespace"], owners=[o.owner(created)]
                )
            )
            owner = self.server.create(
                o.batch_job(meta["name"] + "-node-0", meta["namespace"], owners=[o.owner(jobset)])
            )
        elif created["kind"] == "JobSet":
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
        if w.admit_at_minutes is not None:
            w.started_at = None  # no pods until Kueue admits it (`step`)
            return
        for sim_pod in w.pods:
            self._create_pod(w, sim_pod, w.started_at)

    def _admit(self, w: SimWorkload, now: datetime) -> None:
        """What Kueue does on admission: unsuspends the workload (its controller records Suspended=False), whose
        pods then start."""
        meta = w.obj["metadata"]
        patch = {"spec": {"suspend": False}, "status": k.admitted_status(now)}
        self.server.patch(w.obj["apiVersion"], w.obj["kind"], meta["name"], patch, meta["namespace"])
        w.started_at = now
        for sim_pod in w.pods:
            self._create_pod(w, sim_pod, now)
        w.events.append(f"{_iso(now)} admitted by Kueue")

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
            if w.admit_at_minutes is not None and w.started_at is None and minutes >= w.admit_at_minutes:
                self._admit(w, now)
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
        if w.reports == "trainer_status":
            remaining = (1 - w.progress) * w.duration_minutes * 60
            status = k.trainer_status(w.progress, remaining, self.clock())
            self.server.patch(w.obj["apiVersion"], w.obj["kind"], meta["name"], {"status": status}, meta["namespace"])
            return
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
        done_status = statuses.get(w.obj["kind"]) or k.done_status(w.obj["kind"], now)
        if done_status is None:
            return
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
