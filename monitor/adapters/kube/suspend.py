"""Carries out a breached budget's suspend orders (`monitor.core.domain.enforcement`) with merge patches.

Where each kind keeps its suspend switch (each API's types):
- batch/v1 Job `spec.suspend` (kubernetes/api batch/v1 types.go JobSpec.Suspend, GA in 1.24);
- JobSet `spec.suspend` (kubernetes-sigs/jobset api/jobset/v1alpha2/jobset_types.go JobSetSpec.Suspend);
- TrainJob `spec.suspend` (kubeflow/trainer pkg/apis/trainer/v1alpha1/trainjob_types.go TrainJobSpec.Suspend);
- RayJob and RayCluster `spec.suspend` (ray-project/kuberay ray-operator/apis/ray/v1 rayjob_types.go,
  raycluster_types.go);
- PyTorchJob, TFJob, MPIJob of the training-operator (kubeflow.org/v1) and mpi-operator's v2beta1 MPIJob
  `spec.runPolicy.suspend` (kubeflow/training-operator pkg/apis/kubeflow.org/v1/common_types.go RunPolicy.Suspend;
  kubeflow/mpi-operator pkg/apis/kubeflow/v2beta1/types.go RunPolicy.Suspend).
A Job that Kueue manages (queued, with a Kueue Workload labelled `kueue.x-k8s.io/job-uid: <its uid>`,
kubernetes-sigs/kueue pkg/controller/constants JobUIDLabel) cannot be suspended through its own field: Kueue starts
a suspended Job again while its Workload is admitted (pkg/controller/jobframework/reconciler.go, "handle job is
suspended": startJob). Its Workload is deactivated instead, `spec.active: false` (apis/kueue/v1beta2/
workload_types.go: "false: ... never admitted and evicts running workloads"), which makes Kueue suspend the Job.
Volcano Jobs, Argo Workflows (whose spec.suspend pauses steps but keeps running pods) and bare Pods have no such
switch: they get a Warning Event saying so, and are never patched. A Kueue LocalQueue is held with
`spec.stopPolicy: Hold` (kubernetes-sigs/kueue apis/kueue/v1beta2/localqueue_types.go).

Each patch also writes the order's mark (`budget.trainspend.io/suspended-for`), read back before acting: an object
already marked for this budget period is left alone, across ticks and restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kubernetes import client

from monitor.adapters.kube.kinds import CRDS, JOBS, WatchedKind, api_group
from monitor.core.domain.bounded import clip
from monitor.core.domain.enforcement import MARK_ANNOTATION, SuspendOrder
from monitor.core.domain.model import WorkloadRef
from monitor.core.ports import EventRecorder

log = logging.getLogger(__name__)

# WorkloadRef.kind → the path of its suspend field.
SUSPEND_PATHS: dict[str, tuple[str, ...]] = {
    "Job": ("spec", "suspend"),
    "JobSet": ("spec", "suspend"),
    "TrainJob": ("spec", "suspend"),
    "RayJob": ("spec", "suspend"),
    "RayCluster": ("spec", "suspend"),
    "PyTorchJob": ("spec", "runPolicy", "suspend"),
    "TFJob": ("spec", "runPolicy", "suspend"),
    "MPIJob": ("spec", "runPolicy", "suspend"),
}
JOB_UID_LABEL = "kueue.x-k8s.io/job-uid"  # on the Workload Kueue creates for a Job
SUSPENDED = "BudgetSuspended"
DRY_RUN = "BudgetSuspendDryRun"
UNSUPPORTED = "BudgetSuspendUnsupported"


def _nested(path: tuple[str, ...], value: object) -> dict[str, Any]:
    out: dict[str, Any] = {path[-1]: value}
    for key in reversed(path[:-1]):
        out = {key: out}
    return out


def _get(obj: dict[str, Any], path: tuple[str, ...]) -> object:
    node: object = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _kind_of(ref: WorkloadRef) -> WatchedKind | None:
    group, version = api_group(ref.api_version), ref.api_version.rsplit("/", 1)[-1]
    return next(
        (k for k in (JOBS, *CRDS) if k.domain_kind == ref.kind and k.group == group and k.version == version), None
    )


class KubeSuspender:
    """Implements `monitor.core.ports.Suspender`. Returns what it did: "suspended", "deactivated", "held", "dry-run",
    "already"
    (marked for this period, or suspended by someone else), "unsupported" or "failed" (logged; tried again next
    tick)."""

    def __init__(
        self,
        api: client.ApiClient,
        events: EventRecorder,
        local_queue_version: Callable[[], str | None],
        request_timeout_seconds: float = 10.0,
    ) -> None:
        self._custom = client.CustomObjectsApi(api)
        self._events = events
        self._local_queue_version = local_queue_version  # the kueue.x-k8s.io version watched, None when not served
        self._timeout = request_timeout_seconds

    def suspend(self, order: SuspendOrder) -> str:
        try:
            return self._hold(order) if order.via == "local_queue" else self._suspend(order)
        except Exception as error:  # an API error or a dropped connection: logged, the order is tried next tick
            log.warning("budget %s: could not suspend %s: %s", order.budget, order.ref.key, clip(str(error)))
            return "failed"

    def _suspend(self, order: SuspendOrder) -> str:
        ref, path, kind = order.ref, SUSPEND_PATHS.get(order.ref.kind), _kind_of(order.ref)
        if path is None or kind is None:
            self._events.record(
                ref,
                UNSUPPORTED,
                f"budget {order.budget!r} is spent, but a {ref.kind} has no suspend field: trainspend cannot suspend "
                "it (budgets[].suspend_via: local_queue holds its Kueue LocalQueue instead, if it has one)",
            )
            return "unsupported"
        kueue_workload = self._kueue_workload(order)
        if kueue_workload is not None:
            return self._deactivate(order, kueue_workload)
        obj = self._read(kind.group, kind.version, ref.namespace, kind.plural, ref.name)
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if annotations.get(MARK_ANNOTATION) == order.mark or _get(obj, path) is True:
            return "already"
        if order.dry_run:
            log.warning("budget %s (dry run): would suspend %s: %s", order.budget, ref.key, order.reason)
            self._events.record(ref, DRY_RUN, f"dry run, nothing patched: {order.reason}")
            return "dry-run"
        patch = {"metadata": {"annotations": {MARK_ANNOTATION: order.mark}}, **_nested(path, True)}
        self._custom.patch_namespaced_custom_object(
            kind.group, kind.version, ref.namespace, kind.plural, ref.name, patch, _request_timeout=self._timeout
        )
        log.warning("budget %s: suspended %s", order.budget, ref.key)
        self._events.record(ref, SUSPENDED, order.reason)
        return "suspended"

    def _read(self, group: str, version: str, namespace: str, plural: str, name: str) -> dict[str, Any]:
        obj = self._custom.get_namespaced_custom_object(
            group, version, namespace, plural, name, _request_timeout=self._timeout
        )
        return obj if isinstance(obj, dict) else {}

    def _kueue_workload(self, order: SuspendOrder) -> dict[str, Any] | None:
        """The Kueue Workload of a queued Job (None when Kueue is not served, the Job is not queued, or Kueue made
        no Workload for it: then it is not Kueue's to start again)."""
        version = self._local_queue_version()
        if version is None or not order.queue:
            return None
        found = self._custom.list_namespaced_custom_object(
            "kueue.x-k8s.io",
            version,
            order.ref.namespace,
            "workloads",
            label_selector=f"{JOB_UID_LABEL}={order.ref.uid}",
            _request_timeout=self._timeout,
        )
        items = found.get("items") if isinstance(found, dict) else None
        return {**items[0], "apiVersion": f"kueue.x-k8s.io/{version}"} if items else None

    def _deactivate(self, order: SuspendOrder, workload: dict[str, Any]) -> str:
        meta = workload.get("metadata") or {}
        name, version = str(meta.get("name", "")), str(workload["apiVersion"]).rsplit("/", 1)[-1]
        if (meta.get("annotations") or {}).get(MARK_ANNOTATION) == order.mark or (workload.get("spec") or {}).get(
            "active"
        ) is False:
            return "already"
        reason = (
            f"{order.summary}: trainspend deactivated Kueue Workload {name} (spec.active: false), so Kueue evicts and "
            f"suspends this {order.ref.kind}. To resume: kubectl -n {order.ref.namespace} patch workload {name} "
            '--type=merge -p \'{"spec":{"active":true}}\' after raising the budget\'s limit_usd or in its next period; '
            f"it is not deactivated again for this period ({MARK_ANNOTATION})."
        )
        if order.dry_run:
            log.warning("budget %s (dry run): would deactivate Workload %s of %s", order.budget, name, order.ref.key)
            self._events.record(order.ref, DRY_RUN, f"dry run, nothing patched: {reason}")
            return "dry-run"
        patch = {"metadata": {"annotations": {MARK_ANNOTATION: order.mark}}, "spec": {"active": False}}
        self._custom.patch_namespaced_custom_object(
            "kueue.x-k8s.io", version, order.ref.namespace, "workloads", name, patch, _request_timeout=self._timeout
        )
        log.warning("budget %s: deactivated Kueue Workload %s of %s", order.budget, name, order.ref.key)
        self._events.record(order.ref, SUSPENDED, reason)
        return "deactivated"

    def _hold(self, order: SuspendOrder) -> str:
        version = self._local_queue_version()
        if version is None:
            return "unsupported"  # Kueue not served: the order could only come from a stale queue label
        args = ("kueue.x-k8s.io", version, order.ref.namespace, "localqueues", order.queue)
        queue = self._read(*args)
        annotations = (queue.get("metadata") or {}).get("annotations") or {}
        stop = (queue.get("spec") or {}).get("stopPolicy")
        if annotations.get(MARK_ANNOTATION) == order.mark or stop in ("Hold", "HoldAndDrain"):
            return "already"
        if order.dry_run:
            log.warning("budget %s (dry run): would hold LocalQueue %s", order.budget, order.queue)
            self._events.record(order.ref, DRY_RUN, f"dry run, nothing patched: {order.reason}")
            return "dry-run"
        patch = {"metadata": {"annotations": {MARK_ANNOTATION: order.mark}}, "spec": {"stopPolicy": "Hold"}}
        self._custom.patch_namespaced_custom_object(*args, patch, _request_timeout=self._timeout)
        log.warning("budget %s: held LocalQueue %s/%s", order.budget, order.ref.namespace, order.queue)
        meta = queue.get("metadata") or {}
        queue_ref = WorkloadRef(
            kind="LocalQueue",
            api_version=f"kueue.x-k8s.io/{version}",
            namespace=order.ref.namespace,
            name=order.queue,
            uid=str(meta.get("uid", "")),
        )
        self._events.record(queue_ref, SUSPENDED, order.reason)
        self._events.record(order.ref, SUSPENDED, order.reason)
        return "held"
