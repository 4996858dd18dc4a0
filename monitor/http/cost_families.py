"""The cost series of DESIGN §4 (jobs, budgets, nodes) as plain `Family` rows, built from one TickResult.

Job series carry `cluster, namespace, workload_kind, workload, team, queue` (never `job`/`instance`, which Prometheus
would rename on scrape; `queue` is the Job's Kueue LocalQueue, "" without one: one value per Job, so no extra series).
Projected and remaining cost carry a `quantile` label (0.1/0.5/0.9) and are typed `summary` (see
`monitor.http.exporter`).
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.core.domain.model import NodeCapacityType
from monitor.core.domain.result import Band, NodeCost, TickResult, WorkloadStatus
from monitor.http.exposition import Family, LabelValues

JOB_LABELS = ("cluster", "namespace", "workload_kind", "workload", "team", "queue")  # queue: the Kueue LocalQueue
INFO_LABELS = (
    *JOB_LABELS,
    *("model", "method", "gpu", "instance_type", "capacity_type"),
    *("cluster_queue", "cohort"),  # the LocalQueue's ClusterQueue and its cohort
)
BUDGET_LABELS = ("cluster", "budget", "period")
NODE_LABELS = ("cluster", "node", "instance_type", "region", "provider_id")
PRICE_LABELS = ("cluster", "node", "instance_type", "source", "as_of")
QUANTILES: tuple[tuple[str, str], ...] = (("0.1", "p10"), ("0.5", "p50"), ("0.9", "p90"))


def _job_labels(cluster: str, job: WorkloadStatus) -> tuple[str, ...]:
    return (cluster, job.ref.namespace, job.ref.kind, job.ref.name, job.team, job.queue)


def _rows(name: str, doc: str, labels: Sequence[str]) -> Family:
    return Family(name, doc, "gauge", tuple(labels))


# Each sample slot of a job: (index of its family in `job_family_heads`, quantile label or None). `job_samples` gives
# (slot, value) pairs; a slot's label values are the job's labels, + its quantile, or the info family's labels.
JOB_SLOTS: tuple[tuple[int, str | None], ...] = (
    (0, None),
    (1, None),
    *((2, q) for q, _ in QUANTILES),
    *((3, q) for q, _ in QUANTILES),
    *((i, None) for i in range(4, 13)),
)
INFO_SLOT = len(JOB_SLOTS) - 1
_BAND_SLOTS = ((2, "projected_cost_usd"), (5, "remaining_cost_usd"))  # first slot of each band family


def job_family_heads() -> list[Family]:
    """The job families without samples, in exposition order (`job_samples` gives a job's samples of each)."""
    return [
        Family(
            "trainspend_job_cost_usd",
            "Cost accrued by the training workload so far, USD (all pods, all restarts).",
            "counter",
            JOB_LABELS,
        ),
        _rows("trainspend_job_hourly_cost_usd", "Current burn rate of the workload, USD per hour.", JOB_LABELS),
        Family(
            "trainspend_job_projected_cost_usd",
            "Projected total cost of the workload at completion, USD; quantile label gives the p10/p50/p90 band.",
            "summary",
            (*JOB_LABELS, "quantile"),
        ),
        Family(
            "trainspend_job_remaining_cost_usd",
            "Projected cost to finish the workload from now, USD; quantile label gives the p10/p50/p90 band.",
            "summary",
            (*JOB_LABELS, "quantile"),
        ),
        _rows(
            "trainspend_job_expected_completion_timestamp_seconds",
            "Projected completion time of the workload, Unix timestamp in seconds.",
            JOB_LABELS,
        ),
        _rows("trainspend_job_progress_ratio", "Training progress of the workload, ratio 0 to 1.", JOB_LABELS),
        _rows("trainspend_job_gpus", "GPUs held by the workload now (MIG/time-sliced by share), count.", JOB_LABELS),
        _rows("trainspend_job_budget_usd", "Budget of the workload from its annotation, USD.", JOB_LABELS),
        _rows(
            "trainspend_job_admission_wait_seconds",
            "Seconds the workload waited suspended in its queue (e.g. Kueue) before it was first admitted, from"
            " creation.",
            JOB_LABELS,
        ),
        _rows(
            "trainspend_job_annotation_problems",
            "Invalid trainspend.io/ annotations on the workload, count (details in its Events and the JSON API).",
            JOB_LABELS,
        ),
        _rows(
            "trainspend_job_gpu_utilization_ratio",
            "GPU utilization of the GPUs the workload holds now, ratio 0 to 1 (dcgm-exporter, GPU-weighted mean over"
            " its pods; absent when not measured).",
            JOB_LABELS,
        ),
        Family(
            "trainspend_job_unused_gpu_cost_usd",
            "Cost of GPU time the workload held and did not use, USD: its accrued cost x (1 - GPU utilization),"
            " summed interval by interval since utilization was first measured.",
            "counter",
            JOB_LABELS,
        ),
        _rows(
            "trainspend_job_info",
            "Descriptive labels of the workload (model, method, GPU, instance and capacity type, Kueue LocalQueue,"
            " ClusterQueue and cohort); value is always 1.",
            INFO_LABELS,
        ),
    ]


def job_label_values(cluster: str, job: WorkloadStatus) -> tuple[LabelValues, LabelValues]:
    """(the job series' label values, the info series' label values) in `JOB_LABELS` / `INFO_LABELS` order."""
    labels = _job_labels(cluster, job)
    described = (job.model, job.method, job.gpu_model, job.instance_type, job.capacity_type)
    return labels, (*labels, *described, job.cluster_queue, job.cohort)


def slot_label_values(slot: int, labels: LabelValues, info: LabelValues) -> LabelValues:
    quantile = JOB_SLOTS[slot][1]
    if slot == INFO_SLOT:
        return info
    return labels if quantile is None else (*labels, quantile)


def job_samples(job: WorkloadStatus) -> list[tuple[int, float]]:
    """One job's samples as (slot in `JOB_SLOTS`, value), slots ascending: a pure function of the status."""
    out = [(0, float(job.cost_usd)), (1, float(job.hourly_cost_usd))]
    for first, field in _BAND_SLOTS:
        band: Band | None = getattr(job, field)
        if band is not None:
            out += [(first, float(band.p10)), (first + 1, float(band.p50)), (first + 2, float(band.p90))]
    if job.expected_completion is not None:
        out.append((8, job.expected_completion.timestamp()))
    if job.progress is not None:
        out.append((9, float(job.progress)))
    out.append((10, float(job.gpus)))
    if job.budget_usd is not None:
        out.append((11, float(job.budget_usd)))
    if job.admission_wait_seconds is not None:
        out.append((12, float(job.admission_wait_seconds)))
    out.append((13, float(len(job.problems))))
    if job.gpu_utilization is not None:
        out.append((14, float(job.gpu_utilization)))
    if job.unused_gpu_cost_basis_usd is not None:
        out.append((15, float(job.unused_gpu_cost_usd)))
    out.append((INFO_SLOT, 1.0))
    return out


def job_families(cluster: str, jobs: Sequence[WorkloadStatus]) -> list[Family]:
    families = job_family_heads()
    for job in jobs:
        labels, info = job_label_values(cluster, job)
        for slot, value in job_samples(job):
            families[JOB_SLOTS[slot][0]].samples.append((slot_label_values(slot, labels, info), value))
    return families


def budget_families(result: TickResult) -> list[Family]:
    limit = _rows("trainspend_budget_limit_usd", "Spend limit of the budget for one period, USD.", BUDGET_LABELS)
    spend = _rows(
        "trainspend_budget_spend_usd", "Spend of the budget so far in the current period, USD.", BUDGET_LABELS
    )
    projected = _rows(
        "trainspend_budget_projected_spend_usd",
        "Period-to-date spend plus projected spend to the end of the period, USD.",
        BUDGET_LABELS,
    )
    threshold = _rows(
        "trainspend_budget_threshold_usd",
        "Alerting threshold of the budget, USD (limit x threshold); severity is warning below the limit, critical at"
        " or above it. The alert rules compare the projected spend with every threshold.",
        (*BUDGET_LABELS, "threshold", "severity"),
    )
    for b in result.budgets:
        labels = [result.cluster, b.name, b.period]
        limit.add(labels, b.limit_usd)
        spend.add(labels, b.spend_usd)
        projected.add(labels, b.projected_spend_usd)
        for fraction in b.thresholds:
            severity = "critical" if fraction >= 1.0 else "warning"
            threshold.add([*labels, f"{fraction:g}", severity], b.limit_usd * fraction)
    return [limit, spend, projected, threshold]


def node_families(result: TickResult, opencost_series: bool = False) -> list[Family]:
    """The node series under trainspend's own names, and with `opencost_series` the same values under OpenCost's
    and Kubecost's names too (opt-in: beside a real OpenCost those would be averaged or doubled)."""
    families = node_family_heads(opencost_series)
    for n in result.nodes:
        for family, sample in zip(families, node_samples(result.cluster, n, opencost_series), strict=True):
            family.samples.append(sample)
    return families


def node_family_heads(opencost_series: bool = False) -> list[Family]:
    """The node families without samples, in exposition order (`node_samples` gives one sample for each)."""
    own = [
        _rows("trainspend_node_hourly_cost_usd", "Total hourly cost of the node, USD per hour.", NODE_LABELS),
        _rows("trainspend_node_gpu_hourly_cost_usd", "Hourly cost of one GPU of the node, USD per hour.", NODE_LABELS),
        _rows("trainspend_node_gpus", "GPUs on the node.", NODE_LABELS),
        _rows("trainspend_node_is_spot", "1 when the node is spot/preemptible capacity, else 0.", NODE_LABELS),
    ]
    compatible = [Family(name, doc, "gauge", NODE_LABELS) for name, doc in _OPENCOST_NAMES] if opencost_series else []
    rest = [
        _rows(
            "trainspend_node_idle_gpu_hourly_cost_usd",
            "Hourly cost of the node's GPUs no pod requested, USD per hour.",
            NODE_LABELS,
        ),
        _rows(
            "trainspend_node_gpus_allocated",
            "GPUs of the node that pods requested (MIG slices and time-slicing shares as fractions), count.",
            NODE_LABELS,
        ),
        _rows(
            "trainspend_price_info",
            "Provenance of the node's hourly price (source and as-of date); value is always 1.",
            PRICE_LABELS,
        ),
        _rows(
            "trainspend_price_stale",
            "1 when the node's price is a cached answer of a pricing API that is failing now, else 0.",
            NODE_LABELS,
        ),
        _rows(
            "trainspend_price_estimated",
            "1 when the node's price is an estimate (e.g. spot from typical savings, or a per-GPU guess), else 0.",
            NODE_LABELS,
        ),
    ]
    return [*own, *compatible, *rest]


def node_samples(cluster: str, n: NodeCost, opencost_series: bool = False) -> list[tuple[LabelValues, float]]:
    """One node's sample of each of `node_family_heads` (same order): a pure function of the `NodeCost`, so an
    exporter may keep them while the node's `NodeCost` is the same object."""
    ident = n.identity
    labels = (cluster, ident.node, ident.instance_type or "", ident.region or "", ident.provider_id)
    own = [
        (labels, float(n.price.usd_per_hour)),
        (labels, float(n.gpu_hourly_cost_usd)),
        (labels, float(ident.gpu_count)),
        (labels, 1.0 if ident.capacity_type == NodeCapacityType.SPOT else 0.0),
    ]
    as_of = n.price.as_of.isoformat() if n.price.as_of else ""
    return [
        *own,
        *(own if opencost_series else []),
        (labels, float(n.idle_gpu_hourly_cost_usd)),
        (labels, float(n.gpus_allocated)),
        ((cluster, ident.node, ident.instance_type or "", n.price.source, as_of), 1.0),
        (labels, 1.0 if n.price.stale else 0.0),
        (labels, 1.0 if n.price.estimated else 0.0),
    ]


# OpenCost names and labels (units as OpenCost: USD per hour), in the order of node_families' own four.
_OPENCOST_NAMES = (
    ("node_total_hourly_cost", "Total hourly cost of the node, USD per hour (OpenCost-compatible)."),
    ("node_gpu_hourly_cost", "Hourly cost of one GPU of the node, USD per hour (OpenCost-compatible)."),
    ("node_gpu_count", "GPUs on the node, count (OpenCost-compatible)."),
    ("kubecost_node_is_spot", "1 when the node is spot/preemptible capacity, else 0 (Kubecost-compatible)."),
)
