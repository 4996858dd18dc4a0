"""dcgm-exporter's series as per-pod utilization: which labels name the pod, how each metric is scaled, how a pod's
GPUs are averaged.

dcgm-exporter writes one series per GPU (or MIG instance): `gpu`, `UUID`, `pci_bus_id`, `device`, `modelName`,
`Hostname`, then, with its Kubernetes pod mapping on, `pod`, `namespace` and `container` — empty strings for a GPU no
pod holds (NVIDIA/dcgm-exporter internal/pkg/rendermetrics/render_metrics.go, the GPU template; the attribute names
are internal/pkg/transformation/const.go, where `pod_name`/`pod_namespace` are the names of releases before 2.x).
A Prometheus scraping it without `honor_labels` renames those to `exported_pod`/`exported_namespace` (its own `pod`
and `namespace` are then dcgm-exporter's pod), so those win when present. Prometheus drops empty labels, so a GPU no
pod holds then carries only the exporter's own `pod`: when any series of an answer has `exported_pod`, the answer was
renamed and a series without it belongs to no pod.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

# Metric → factor to a 0..1 ratio. DCGM_FI_DEV_GPU_UTIL is "GPU utilization (in %)" (etc/default-counters.csv);
# DCGM_FI_PROF_GR_ENGINE_ACTIVE is "Ratio of time the graphics engine is active" (etc/dcp-metrics-included.csv).
SCALE = {"DCGM_FI_DEV_GPU_UTIL": 0.01, "DCGM_FI_PROF_GR_ENGINE_ACTIVE": 1.0}

_POD_LABELS = (("exported_namespace", "exported_pod"), ("namespace", "pod"), ("pod_namespace", "pod_name"))

PodKey = tuple[str, str]


def pod_of(labels: Mapping[str, str], renamed: bool = False) -> PodKey | None:
    """(namespace, pod) a series is mapped to, or None for a GPU no pod holds. `renamed`: the scrape renamed the
    exporter's labels to `exported_*` (only those name a workload's pod)."""
    for namespace_label, pod_label in _POD_LABELS[:1] if renamed else _POD_LABELS:
        pod = labels.get(pod_label, "")
        if pod:
            return labels.get(namespace_label, ""), pod
    return None


def _device(labels: Mapping[str, str]) -> tuple[str, ...]:
    """One GPU (or MIG instance): its UUID and instance id; without a UUID, host and index."""
    return (labels.get("UUID", ""), labels.get("GPU_I_ID", ""), labels.get("Hostname", ""), labels.get("gpu", ""))


def per_pod(samples: Iterable[tuple[Mapping[str, str], float]], metric: str) -> dict[PodKey, float]:
    """Mean ratio per pod over its distinct GPUs. A GPU seen twice (two Prometheus scrapes of one exporter, two
    exporters on one node) counts once, with the mean of its values; NaN and infinite values are skipped."""
    scale = SCALE[metric]
    samples = list(samples)
    renamed = any("exported_pod" in labels for labels, _ in samples)
    by_device: dict[PodKey, dict[tuple[str, ...], list[float]]] = defaultdict(lambda: defaultdict(list))
    for labels, value in samples:
        key = pod_of(labels, renamed)
        if key is None or not math.isfinite(value):
            continue
        by_device[key][_device(labels)].append(min(1.0, max(0.0, value * scale)))
    result: dict[PodKey, float] = {}
    for key, devices in by_device.items():
        means = [sum(values) / len(values) for values in devices.values()]
        result[key] = sum(means) / len(means)
    return result
