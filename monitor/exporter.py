"""Prometheus exporter: a custom collector over the latest TickResult held in memory.

A scrape never calls an API or the database: `Exporter.update(result)` swaps in the tick's immutable result and the
collector renders it. Metric names, types and labels are the contract of DESIGN §4. Job series carry
`cluster, namespace, workload_kind, workload, team` (never `job`/`instance`, which Prometheus would rename on scrape).

Projected and remaining cost carry a `quantile` label (0.1/0.5/0.9). Prometheus reserves that label for summaries
(`promtool check metrics` rejects it on a gauge), so those two families are typed `summary` with quantile samples
only: the series names and labels are exactly the contract, and the exposition lints clean.

Counters in `TickStats` (watch restarts, API errors, notifications) are cumulative since the process started; they are
exposed as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from prometheus_client import generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from monitor.domain.model import CapacityType
from monitor.domain.result import Band, JobStatus, TickResult

JOB_LABELS = ("cluster", "namespace", "workload_kind", "workload", "team")
INFO_LABELS = (*JOB_LABELS, "model", "method", "gpu", "instance_type", "capacity_type")
BUDGET_LABELS = ("cluster", "budget", "period")
NODE_LABELS = ("cluster", "node", "instance_type", "region", "provider_id")
PRICE_LABELS = ("cluster", "node", "instance_type", "source", "as_of")
QUANTILES: tuple[tuple[str, str], ...] = (("0.1", "p10"), ("0.5", "p50"), ("0.9", "p90"))
# Tick duration buckets, seconds: a healthy tick takes well under a second; the 30 s default interval is the top.
TICK_BUCKETS_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# `generate_latest` writes the classic text format 0.0.4 (not the newer escaping-aware 1.0.0 content type).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _TickHistogram:
    """Cumulative bucket counts of tick durations, seconds (one observation per `Exporter.update`)."""

    def __init__(self, bounds_seconds: Sequence[float]) -> None:
        self.bounds_seconds = tuple(bounds_seconds)
        self.counts = [0] * len(self.bounds_seconds)
        self.count = 0
        self.sum_seconds = 0.0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(self.bounds_seconds):
            if seconds <= bound:
                self.counts[i] += 1
        self.count += 1
        self.sum_seconds += seconds

    def buckets(self) -> list[tuple[str, float]]:
        rows = [(_fmt_bound(b), float(c)) for b, c in zip(self.bounds_seconds, self.counts, strict=True)]
        return [*rows, ("+Inf", float(self.count))]


def _fmt_bound(bound: float) -> str:
    return repr(float(bound))


class Exporter(Collector):
    """Holds the latest TickResult and renders it on each scrape, on its own `CollectorRegistry`.

    `finished_job_ttl_seconds`: a finished Job leaves the live series this long after it finished (measured on the
    tick's own clock, `TickResult.at`), which bounds label cardinality; its totals stay in the store and the API.
    """

    def __init__(self, finished_job_ttl_seconds: float = 3600.0) -> None:
        if finished_job_ttl_seconds < 0:
            raise ValueError(
                f"finished_job_ttl_seconds={finished_job_ttl_seconds!r} is negative: use 0 or more seconds"
            )
        self.finished_job_ttl_seconds = finished_job_ttl_seconds
        self._lock = threading.Lock()
        self._result: TickResult | None = None
        self._histogram = _TickHistogram(TICK_BUCKETS_SECONDS)
        self._last_success_seconds: float | None = None
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def update(self, result: TickResult) -> None:
        """Publishes one tick's result: later scrapes render it. Cheap; called by the agent at the end of a tick."""
        with self._lock:
            self._histogram.observe(result.stats.duration_seconds)
            self._last_success_seconds = result.at.timestamp()
            self._result = result

    def exposition(self) -> bytes:
        """The Prometheus text exposition (format 0.0.4) of everything this exporter holds."""
        return generate_latest(self.registry)

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            result = self._result
            histogram = self._histogram.buckets()
            hist_sum = self._histogram.sum_seconds
            last_success = self._last_success_seconds
        if result is None:
            return []
        metrics = list(_self_metrics(result, histogram, hist_sum, last_success))
        if result.is_leader:
            # Only the leader publishes cost series, so that two replicas never double a sum() in PromQL.
            jobs = [j for j in result.jobs if self._is_live(j, result.at)]
            metrics += _job_metrics(result.cluster, jobs)
            metrics += _budget_metrics(result)
            metrics += _node_metrics(result)
        return metrics

    def _is_live(self, job: JobStatus, now: datetime) -> bool:
        if job.finished is None:
            return True
        return (now - job.finished).total_seconds() <= self.finished_job_ttl_seconds


def render(exporter: Exporter) -> tuple[bytes, str]:
    """(body, content type) of a `/metrics` response."""
    return exporter.exposition(), CONTENT_TYPE


def _job_labels(cluster: str, job: JobStatus) -> list[str]:
    return [cluster, job.ref.namespace, job.ref.kind, job.ref.name, job.team]


def _gauge(name: str, doc: str, labels: Sequence[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def _band_family(name: str, doc: str, cluster: str, jobs: Sequence[JobStatus], field: str) -> Metric:
    family = Metric(name, doc, "summary")
    for job in jobs:
        band: Band | None = getattr(job, field)
        if band is None:
            continue
        base = dict(zip(JOB_LABELS, _job_labels(cluster, job), strict=True))
        for quantile, attr in QUANTILES:
            family.add_sample(name, {**base, "quantile": quantile}, float(getattr(band, attr)))
    return family


def _job_metrics(cluster: str, jobs: Sequence[JobStatus]) -> list[Metric]:
    cost = CounterMetricFamily(
        "trainspend_job_cost_usd",
        "Cost accrued by the training workload so far, USD (all pods, all restarts).",
        labels=list(JOB_LABELS),
    )
    hourly = _gauge("trainspend_job_hourly_cost_usd", "Current burn rate of the workload, USD per hour.", JOB_LABELS)
    eta = _gauge(
        "trainspend_job_expected_completion_timestamp_seconds",
        "Projected completion time of the workload, Unix timestamp in seconds.",
        JOB_LABELS,
    )
    progress = _gauge("trainspend_job_progress_ratio", "Training progress of the workload, ratio 0 to 1.", JOB_LABELS)
    gpus = _gauge("trainspend_job_gpus", "GPUs held by the workload now (MIG/time-sliced by share), count.", JOB_LABELS)
    budget = _gauge("trainspend_job_budget_usd", "Budget of the workload from its annotation, USD.", JOB_LABELS)
    info = _gauge(
        "trainspend_job_info",
        "Descriptive labels of the workload (model, method, GPU, instance and capacity type); value is always 1.",
        INFO_LABELS,
    )
    for job in jobs:
        labels = _job_labels(cluster, job)
        cost.add_metric(labels, job.cost_usd)
        hourly.add_metric(labels, job.hourly_cost_usd)
        gpus.add_metric(labels, job.gpus)
        if job.expected_completion is not None:
            eta.add_metric(labels, job.expected_completion.timestamp())
        if job.progress is not None:
            progress.add_metric(labels, job.progress)
        if job.budget_usd is not None:
            budget.add_metric(labels, job.budget_usd)
        info.add_metric([*labels, job.model, job.method, job.gpu_model, job.instance_type, job.capacity_type], 1.0)
    projected = _band_family(
        "trainspend_job_projected_cost_usd",
        "Projected total cost of the workload at completion, USD; quantile label gives the p10/p50/p90 band.",
        cluster,
        jobs,
        "projected_cost_usd",
    )
    remaining = _band_family(
        "trainspend_job_remaining_cost_usd",
        "Projected cost to finish the workload from now, USD; quantile label gives the p10/p50/p90 band.",
        cluster,
        jobs,
        "remaining_cost_usd",
    )
    return [cost, hourly, projected, remaining, eta, progress, gpus, budget, info]


def _budget_metrics(result: TickResult) -> list[Metric]:
    limit = _gauge("trainspend_budget_limit_usd", "Spend limit of the budget for one period, USD.", BUDGET_LABELS)
    spend = _gauge(
        "trainspend_budget_spend_usd", "Spend of the budget so far in the current period, USD.", BUDGET_LABELS
    )
    projected = _gauge(
        "trainspend_budget_projected_spend_usd",
        "Period-to-date spend plus projected spend to the end of the period, USD.",
        BUDGET_LABELS,
    )
    for b in result.budgets:
        labels = [result.cluster, b.name, b.period]
        limit.add_metric(labels, b.limit_usd)
        spend.add_metric(labels, b.spend_usd)
        projected.add_metric(labels, b.projected_spend_usd)
    return [limit, spend, projected]


def _node_metrics(result: TickResult) -> list[Metric]:
    # OpenCost names and labels, so that existing dashboards keep working (units as OpenCost: USD per hour).
    total = _gauge(
        "node_total_hourly_cost", "Total hourly cost of the node, USD per hour (OpenCost-compatible).", NODE_LABELS
    )
    per_gpu = _gauge(
        "node_gpu_hourly_cost", "Hourly cost of one GPU of the node, USD per hour (OpenCost-compatible).", NODE_LABELS
    )
    count = _gauge("node_gpu_count", "GPUs on the node, count (OpenCost-compatible).", NODE_LABELS)
    spot = _gauge(
        "kubecost_node_is_spot",
        "1 when the node is spot/preemptible capacity, else 0 (Kubecost-compatible).",
        NODE_LABELS,
    )
    idle = _gauge(
        "trainspend_node_idle_gpu_hourly_cost_usd",
        "Hourly cost of the node's GPUs no pod requested, USD per hour.",
        NODE_LABELS,
    )
    price_info = _gauge(
        "trainspend_price_info",
        "Provenance of the node's hourly price (source and as-of date); value is always 1.",
        PRICE_LABELS,
    )
    stale = _gauge(
        "trainspend_price_stale", "1 when the node's price is stale or estimated (guessed), else 0.", NODE_LABELS
    )
    for n in result.nodes:
        ident = n.identity
        labels = [result.cluster, ident.node, ident.instance_type or "", ident.region or "", ident.provider_id]
        total.add_metric(labels, n.price.usd_per_hour)
        per_gpu.add_metric(labels, n.gpu_hourly_cost_usd)
        count.add_metric(labels, float(ident.gpu_count))
        spot.add_metric(labels, 1.0 if ident.capacity_type == CapacityType.SPOT else 0.0)
        idle.add_metric(labels, n.idle_gpu_hourly_cost_usd)
        as_of = n.price.as_of.isoformat() if n.price.as_of else ""
        price_info.add_metric([result.cluster, ident.node, ident.instance_type or "", n.price.source, as_of], 1.0)
        stale.add_metric(labels, 1.0 if (n.price.stale or n.price.estimated) else 0.0)
    return [total, per_gpu, count, spot, idle, price_info, stale]


def _self_metrics(
    result: TickResult, histogram: list[tuple[str, float]], hist_sum_seconds: float, last_success: float | None
) -> Iterator[Metric]:
    cluster = [result.cluster]
    stats = result.stats
    hist = HistogramMetricFamily(
        "trainspend_tick_duration_seconds", "Duration of one agent tick, seconds.", labels=["cluster"]
    )
    hist.add_metric(cluster, histogram, hist_sum_seconds)
    yield hist
    last = _gauge(
        "trainspend_last_successful_tick_timestamp_seconds",
        "End of the last successful tick, Unix timestamp in seconds.",
        ["cluster"],
    )
    if last_success is not None:
        last.add_metric(cluster, last_success)
    yield last
    yield _counter(
        "trainspend_watch_restarts",
        "Kubernetes watch restarts (relists after errors or 410 Gone), count.",
        cluster,
        stats.watch_restarts,
    )
    errors = CounterMetricFamily(
        "trainspend_api_errors", "Errors calling external APIs, by adapter, count.", labels=["cluster", "adapter"]
    )
    for adapter, n in sorted(stats.api_errors.items()):
        errors.add_metric([result.cluster, adapter], float(n))
    yield errors
    yield _counter(
        "trainspend_notifications_sent", "Notifications delivered, count.", cluster, stats.notifications_sent
    )
    yield _counter(
        "trainspend_notifications_failed",
        "Notification delivery attempts that failed, count.",
        cluster,
        stats.notifications_failed,
    )
    in_sync = _gauge(
        "trainspend_alarms_in_sync",
        "1 when the CloudWatch alarms match the budgets after the last sync, else 0.",
        ["cluster"],
    )
    if stats.alarms_in_sync is not None:
        in_sync.add_metric(cluster, 1.0 if stats.alarms_in_sync else 0.0)
    yield in_sync
    leader = _gauge(
        "trainspend_leader", "1 when this replica is the leader and publishes cost series, else 0.", ["cluster"]
    )
    leader.add_metric(cluster, 1.0 if result.is_leader else 0.0)
    yield leader


def _counter(name: str, doc: str, labels: list[str], value: float) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=["cluster"])
    family.add_metric(labels, float(value))
    return family
