"""Prometheus exporter: a custom collector over the latest TickResult held in memory.

A scrape never calls an API or the database: `Exporter.update(result)` swaps in the tick's immutable result and
renders it once (cost series by `monitor.http.exposition`'s writer); a scrape returns those bytes. Metric names,
types and
labels are the contract of DESIGN §4 (`monitor.http.cost_families`).

Projected and remaining cost carry a `quantile` label (0.1/0.5/0.9). Prometheus reserves that label for summaries
(`promtool check metrics` rejects it on a gauge), so those two families are typed `summary` with quantile samples
only: the series names and labels are exactly the contract, and the exposition lints clean.

Counters in `TickStats` (watch restarts, API errors, notifications) are cumulative since the process started; they are
exposed as they are.
"""

from __future__ import annotations

import platform
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from importlib import metadata

from prometheus_client import GCCollector, PlatformCollector, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from monitor.core.domain.result import NodeCost, TickResult, WorkloadStatus
from monitor.core.errors import ConfigError
from monitor.http.cost_families import (
    JOB_SLOTS,
    budget_families,
    job_families,
    job_family_heads,
    job_label_values,
    job_samples,
    node_families,
    node_family_heads,
    node_samples,
    slot_label_values,
)
from monitor.http.exposition import Family, LabelValues, TextWriter, header, number
from monitor.http.runtime_series import RuntimeSeries
from monitor.http.server import DeflatedPrefix

# Tick duration buckets, seconds: a healthy tick takes well under a second; the 30 s default interval is the top.
TICK_BUCKETS_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# `generate_latest` writes the classic text format 0.0.4 (not the newer escaping-aware 1.0.0 content type).


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

    def __init__(
        self,
        finished_job_ttl_seconds: float = 3600.0,
        display_currency: str = "USD",
        opencost_series: bool = False,
        runtime_metrics: bool = True,
    ) -> None:
        if finished_job_ttl_seconds < 0:
            raise ConfigError(
                f"finished_job_ttl_seconds={finished_job_ttl_seconds!r} is negative: use 0 or more seconds"
            )
        self.finished_job_ttl_seconds = finished_job_ttl_seconds
        self.display_currency = display_currency
        self.opencost_series = opencost_series  # settings.exporter.opencost_series
        self._lock = threading.Lock()
        self._result: TickResult | None = None
        self._histogram = _TickHistogram(TICK_BUCKETS_SECONDS)
        self._last_success_seconds: float | None = None
        self._body = b""
        self._body_deflated: DeflatedPrefix | None = (
            None  # `_body` compressed, on the first gzip scrape after an update
        )
        self._writer = TextWriter()
        # node name → (its NodeCost object, cluster, its line in each node family), for `_node_text`
        self._node_lines: dict[str, tuple[NodeCost, str, tuple[str, ...]]] = {}
        # a job's label values → (its info series' label values, each JOB_SLOTS slot's line up to the value)
        self._job_prefixes: dict[LabelValues, tuple[LabelValues, tuple[str, ...]]] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        self.version = _version()
        # The standard process_* / python_* collectors, collected at scrape time (not per tick: they are the
        # process's own and should be fresh; at most a second old, see RuntimeSeries); off only where a byte-exact
        # exposition is compared.
        runtime = CollectorRegistry(auto_describe=False)
        if runtime_metrics:
            for registry in (runtime, self.registry):
                ProcessCollector(registry=registry)
                PlatformCollector(registry=registry)
                GCCollector(registry=registry)
        self._runtime = RuntimeSeries(runtime)

    def update(self, result: TickResult) -> None:
        """Publishes one tick's result and renders it once: a scrape returns the bytes rendered here (called at the
        end of a tick, so a scrape never waits for ~30k samples to be formatted)."""
        with self._lock:
            self._histogram.observe(result.stats.duration_seconds)
            self._last_success_seconds = result.at.timestamp()
            self._result = result
            own = generate_latest(_Fixed(self._self_metrics(result)))
            budgets = self._noted(budget_families(result)) if result.is_leader else []
            samples = sum(len(family.samples) for family in budgets) + len(result.nodes) * 13
            if self._writer.memoised > 2 * samples:
                self._writer = TextWriter()  # label sets of nodes long gone: start afresh rather than grow forever
            jobs = self._job_text(result) if result.is_leader else ""
            nodes = self._node_text(result) if result.is_leader else ""
            self._body = own + (jobs + self._writer.render(budgets) + nodes).encode()
            self._body_deflated = None

    def _job_text(self, result: TickResult) -> str:
        """The job families' text, written straight from the statuses: each job's line prefixes (name and labels,
        one per sample slot) are kept while its labels are the same, so a tick formats only the values (~17k
        samples at 1,000 jobs, most of which move every tick) instead of building families of tuples and looking
        each sample up. The same text as `TextWriter.render(job_families(...))` (tested). Under the lock."""
        heads = self._noted(job_family_heads())
        columns: list[list[str]] = [[] for _ in heads]
        kept: dict[LabelValues, tuple[LabelValues, tuple[str, ...]]] = {}
        for job in result.jobs:
            if not self._is_live(job, result.at):
                continue
            labels, info = job_label_values(result.cluster, job)
            entry = self._job_prefixes.get(labels)
            if entry is None or entry[0] != info:
                prefixes = tuple(
                    self._writer.prefix(heads[family], slot_label_values(slot, labels, info))
                    for slot, (family, _) in enumerate(JOB_SLOTS)
                )
                entry = (info, prefixes)
            kept[labels] = entry
            prefixes = entry[1]
            for slot, value in job_samples(job):
                columns[JOB_SLOTS[slot][0]].append(prefixes[slot] + number(value) + "\n")
        self._job_prefixes = kept
        return "".join(header(family) + "".join(column) for family, column in zip(heads, columns, strict=True))

    def _node_text(self, result: TickResult) -> str:
        """The node families' text, each node's lines kept while its `NodeCost` is the same object (the attribution
        memo hands out the same object while the node, its price and its pods are unchanged): at 2,000 nodes a tick
        builds and renders only the few hundred nodes that changed instead of 18k samples. Under the lock."""
        heads = self._noted(node_family_heads(self.opencost_series))
        kept: dict[str, tuple[NodeCost, str, tuple[str, ...]]] = {}
        rows = []
        for n in result.nodes:
            entry = self._node_lines.get(n.identity.node)
            if entry is None or entry[0] is not n or entry[1] != result.cluster:
                samples = node_samples(result.cluster, n, self.opencost_series)
                lines = tuple(self._writer.line(f, v, x) for f, (v, x) in zip(heads, samples, strict=True))
                entry = (n, result.cluster, lines)
            kept[n.identity.node] = entry
            rows.append(entry[2])
        self._node_lines = kept
        columns = zip(*rows, strict=True) if rows else ((),) * len(heads)  # family i's lines: every node's i-th
        return "".join(header(family) + "".join(column) for family, column in zip(heads, columns, strict=True))

    def exposition(self) -> bytes:
        """The Prometheus text exposition (format 0.0.4) of the latest tick, as rendered by `update`, then the
        process's own series (at most a second old)."""
        with self._lock:
            body = self._body
        return body + self._runtime.text()

    def exposition_gzip(self) -> bytes:
        """`exposition()` gzipped as one member: the tick's body compressed once per tick (a deflate prefix), the
        process series compressed when they are re-collected and joined to it (`monitor.http.server.gzip_joined`)."""
        with self._lock:
            if self._body_deflated is None:
                self._body_deflated = DeflatedPrefix.of(self._body)
            prefix = self._body_deflated
        return self._runtime.gzip_after(prefix)

    def collect(self) -> Iterable[Metric]:
        """The same families as `exposition`, for the registry (`generate_latest(exporter.registry)`)."""
        with self._lock:
            result = self._result
            if result is None:
                return []
            metrics = self._self_metrics(result)
        return metrics + [family.to_metric() for family in self._cost_families(result)]

    def _self_metrics(self, result: TickResult) -> list[Metric]:
        """Under the lock."""
        histogram = self._histogram.buckets()
        metrics = list(_self_metrics(result, histogram, self._histogram.sum_seconds, self._last_success_seconds))
        build = _gauge(
            "trainspend_build_info",
            "Version of trainspend and of Python running it; value is always 1 (present on every replica, whether a"
            " job runs or not).",
            ["cluster", "version", "python_version"],
        )
        build.add_metric([result.cluster, self.version, platform.python_version()], 1.0)
        return [build, *metrics]

    def _cost_families(self, result: TickResult, nodes: bool = True) -> list[Family]:
        if not result.is_leader:
            return []  # only the leader publishes cost series, so that two replicas never double a sum() in PromQL
        jobs = [j for j in result.jobs if self._is_live(j, result.at)]
        families = [*job_families(result.cluster, jobs), *budget_families(result)]
        if nodes:
            families += node_families(result, self.opencost_series)
        return self._noted(families)

    def _noted(self, families: list[Family]) -> list[Family]:
        if self.display_currency != "USD":
            # Series stay in USD (sums across clusters must not mix currencies); HELP says what users see elsewhere.
            note = (
                f" Always USD; the display currency is {self.display_currency} (settings.currency), converted in the"
                " JSON API's display_currency block at the rate shown there."
            )
            for family in families:
                if "_usd" in family.name:
                    family.doc += note
        return families

    def _is_live(self, job: WorkloadStatus, now: datetime) -> bool:
        if job.finished is None:
            return True
        return (now - job.finished).total_seconds() <= self.finished_job_ttl_seconds


def _gauge(name: str, doc: str, labels: Sequence[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


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
    missed = CounterMetricFamily(
        "trainspend_scheduled_task_missed_runs",
        "Runs of a scheduled task skipped because they started later than their grace time (an overloaded or "
        "stalled process), count.",
        labels=["cluster", "task"],
    )
    for task, n in sorted(stats.missed_runs.items()):
        missed.add_metric([result.cluster, task], float(n))
    yield missed
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


class _Fixed(Collector):
    """A fixed list of families, for `generate_latest`."""

    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self._metrics


def _counter(name: str, doc: str, labels: list[str], value: float) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=["cluster"])
    family.add_metric(labels, float(value))
    return family


def _version() -> str:
    """The installed trainspend distribution's version; "unknown" when run from a tree that is not installed."""
    try:
        return metadata.version("trainspend")
    except metadata.PackageNotFoundError:
        return "unknown"
