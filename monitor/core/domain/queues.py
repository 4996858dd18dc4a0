"""The Kueue LocalQueue a workload is submitted to.

Kueue reads the queue from the `kueue.x-k8s.io/queue-name` label of the job object (Kueue docs, "Run a Job": the
label on a batch Job, JobSet, Kubeflow Job, RayJob or TrainJob); a TrainJob can also carry it on its pods only,
through podTemplateOverrides (kubeflow/trainer examples/yaml/advanced/02-kueue-integration.yaml), so the pods are
the fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


def queue_of(workload_labels: Mapping[str, str], pod_labels: Iterable[Mapping[str, str]]) -> str:
    """The workload's queue label, else the first pod's that has one; "" when it is not queued by Kueue."""
    if workload_labels.get(QUEUE_LABEL):
        return workload_labels[QUEUE_LABEL]
    return next((labels[QUEUE_LABEL] for labels in pod_labels if labels.get(QUEUE_LABEL)), "")


def admission_wait_seconds(created: datetime | None, admitted: datetime | None) -> float | None:
    """Seconds from creation to admission (admitted - created), the time the workload waited in its queue; None
    when either is unknown. Clamped at 0: clocks of the API server's writers can disagree by a second."""
    if created is None or admitted is None:
        return None
    return max(0.0, (admitted - created).total_seconds())
