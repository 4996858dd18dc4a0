"""The Kueue queues a workload is submitted to, and how long it waited for admission.

Kueue reads the queue from the `kueue.x-k8s.io/queue-name` label of the job object (Kueue docs, "Run a Job": the
label on a batch Job, JobSet, Kubeflow Job, RayJob or TrainJob); a TrainJob can also carry it on its pods only,
through podTemplateOverrides (kubeflow/trainer examples/yaml/advanced/02-kueue-integration.yaml), so the pods are
the fallback. The LocalQueue (namespaced) names its ClusterQueue in spec.clusterQueue; the ClusterQueue names its
cohort (kubernetes-sigs/kueue apis/kueue/v1beta2 localqueue_types.go, clusterqueue_types.go).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from monitor.core.domain.model import QueueInfo

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


@dataclass(frozen=True)
class QueueRoute:
    """Where a LocalQueue's workloads are admitted: its ClusterQueue and that queue's cohort ("" when unknown)."""

    cluster_queue: str = ""
    cohort: str = ""


NO_ROUTE = QueueRoute()


def queue_of(workload_labels: Mapping[str, str], pod_labels: Iterable[Mapping[str, str]]) -> str:
    """The workload's queue label, else the first pod's that has one; "" when it is not queued by Kueue."""
    if workload_labels.get(QUEUE_LABEL):
        return workload_labels[QUEUE_LABEL]
    return next((labels[QUEUE_LABEL] for labels in pod_labels if labels.get(QUEUE_LABEL)), "")


def queue_routes(queues: Iterable[QueueInfo]) -> dict[tuple[str, str], QueueRoute]:
    """(namespace, LocalQueue name) → its ClusterQueue and cohort. A LocalQueue whose ClusterQueue is not (yet)
    known still maps to its name, with no cohort."""
    cohorts = {q.name: q.cohort for q in queues if q.kind == "ClusterQueue"}
    return {
        (q.namespace, q.name): QueueRoute(q.cluster_queue, cohorts.get(q.cluster_queue, ""))
        for q in queues
        if q.kind == "LocalQueue"
    }


def admission_wait_seconds(created: datetime | None, admitted: datetime | None) -> float | None:
    """Seconds from creation to admission (admitted - created), the time the workload waited in its queue; None
    when either is unknown. Clamped at 0: clocks of the API server's writers can disagree by a second."""
    if created is None or admitted is None:
        return None
    return max(0.0, (admitted - created).total_seconds())


def first_admission_wait_seconds(
    created: datetime | None,
    admitted: datetime | None,
    previous_wait_seconds: float | None,
    ran_before: datetime | None,
) -> float | None:
    """The wait before the workload's first admission, kept once known.

    The Suspended condition's lastTransitionTime is the latest resume: a Job admitted, run, suspended (preempted,
    or a budget's suspend) and admitted again would otherwise count its first run as waiting. So:
    a wait already known stays (`previous_wait_seconds`); a workload seen running (`ran_before`: when it was last
    observed holding resources) before this admission was admitted earlier than that, at an unknown time, so its
    wait is unknown (None) unless it was recorded then; otherwise `admission_wait_seconds(created, admitted)`.
    """
    if previous_wait_seconds is not None:
        return previous_wait_seconds
    if admitted is not None and ran_before is not None and ran_before < admitted:
        return None
    return admission_wait_seconds(created, admitted)
