"""The Kueue LocalQueue a workload is submitted to.

Kueue reads the queue from the `kueue.x-k8s.io/queue-name` label of the job object (Kueue docs, "Run a Job": the
label on a batch Job, JobSet, Kubeflow Job, RayJob or TrainJob); a TrainJob can also carry it on its pods only,
through podTemplateOverrides (kubeflow/trainer examples/yaml/advanced/02-kueue-integration.yaml), so the pods are
the fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


def queue_of(workload_labels: Mapping[str, str], pod_labels: Iterable[Mapping[str, str]]) -> str:
    """The workload's queue label, else the first pod's that has one; "" when it is not queued by Kueue."""
    if workload_labels.get(QUEUE_LABEL):
        return workload_labels[QUEUE_LABEL]
    return next((labels[QUEUE_LABEL] for labels in pod_labels if labels.get(QUEUE_LABEL)), "")
