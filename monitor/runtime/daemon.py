"""The running daemon: its parts, what it schedules and how it starts and stops. Built by `monitor.runtime.app`."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from monitor.adapters.cloudwatch.publisher import CloudWatchPublisher
from monitor.adapters.dcgm.poller import UtilizationPoller
from monitor.adapters.kube.events import KubeEventRecorder
from monitor.adapters.kube.leader import LeaseElector
from monitor.adapters.kube.source import KubeClusterSource
from monitor.adapters.notify.dispatcher import Dispatcher
from monitor.adapters.notify.notifier import Notifier
from monitor.adapters.pricing.identity import node_identity
from monitor.adapters.pricing.refresh import KnownPrices
from monitor.adapters.store.factory import OpenStore
from monitor.adapters.store.repository import SqlStore
from monitor.config.settings import Settings
from monitor.core.domain.result import TickResult, TickStats
from monitor.core.ports import Clock
from monitor.core.state import LatestResult
from monitor.core.tick import Agent
from monitor.http.api import HttpApi
from monitor.http.exporter import Exporter
from monitor.runtime.enforcer import BudgetEnforcer
from monitor.runtime.scheduler import DaemonScheduler, ScheduledTask

log = logging.getLogger(__name__)

_PRICE_QUEUE_SECONDS = 5.0  # how soon a node the tick met unpriced is asked about
# Within Kubernetes' default terminationGracePeriodSeconds (30 s) beside the tick in flight: at the recorder's 5
# Events/s after a burst of 25, 5 s posts ~50 Events; the rest are recorded again by the next process.
_EVENT_FLUSH_SECONDS = 5.0


@dataclass(frozen=True)
class Readiness:
    """/readyz: the watch cache has synced, the store answers, a first tick has been published. Built before the
    HTTP API and the daemon, from the parts it checks, so nothing refers to an object built later."""

    source: KubeClusterSource
    store: SqlStore
    latest: LatestResult

    def __call__(self) -> tuple[bool, dict[str, str]]:
        checks: dict[str, str] = {}
        checks["cache"] = "synced" if self.source.cache.synced else "syncing"
        try:
            self.store.ping()
            checks["store"] = "ok"
        except Exception as exc:
            checks["store"] = f"error: {type(exc).__name__}"
        checks["tick"] = "ok" if self.latest.get() is not None else "waiting for the first tick"
        return all(v in ("synced", "ok") for v in checks.values()), checks


@dataclass
class Counters:
    """Cumulative self-metrics that outlive one tick."""

    api_errors: dict[str, int] = field(default_factory=dict)
    alarms_in_sync: bool | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, adapter: str) -> None:
        with self.lock:
            self.api_errors[adapter] = self.api_errors.get(adapter, 0) + 1


@dataclass
class Daemon:
    settings: Settings
    clock: Clock
    agent: Agent
    source: KubeClusterSource
    db: OpenStore
    prices: KnownPrices
    events: KubeEventRecorder
    exporter: Exporter
    latest: LatestResult
    http: HttpApi
    readiness: Readiness
    elector: LeaseElector | None
    notifier: Notifier | None
    dispatcher: Dispatcher | None
    cloudwatch: CloudWatchPublisher | None
    alarm_sync: Callable[[], Any] | None
    utilization: UtilizationPoller | None = None
    enforcer: BudgetEnforcer | None = None  # budgets with action: suspend; None when no budget asks for it
    counters: Counters = field(default_factory=Counters)
    on_tick: list[Callable[[TickResult], None]] = field(default_factory=list)
    scheduler: DaemonScheduler = field(init=False)

    def __post_init__(self) -> None:
        self.scheduler = DaemonScheduler(self._scheduled_tasks())

    def _scheduled_tasks(self) -> list[ScheduledTask]:
        """What runs, how often: built from the daemon's own parts, so nothing is scheduled that is not wired."""
        settings = self.settings
        tasks = [
            ScheduledTask("tick", settings.tick_seconds, self.tick),
            # Every few seconds: nodes the tick met unpriced are priced soon; all nodes every pricing.refresh_seconds.
            ScheduledTask(
                "price-refresh", min(_PRICE_QUEUE_SECONDS, settings.pricing.refresh_seconds), self.refresh_prices
            ),
            ScheduledTask("retention", 3600.0, self.retention, run_at_start=False),
        ]
        if self.dispatcher is not None:
            tasks.append(ScheduledTask("notify", min(10.0, settings.tick_seconds), self.dispatch))
        if self.alarm_sync is not None:
            tasks.append(ScheduledTask("alarm-sync", settings.cloudwatch.alarm_sync_seconds, self.sync_alarms))
        if self.utilization is not None:  # refreshed once in start(), before the first tick
            tasks.append(
                ScheduledTask(
                    "gpu-utilization", settings.dcgm.refresh_seconds, self.utilization.refresh, run_at_start=False
                )
            )
        return tasks

    @property
    def url(self) -> str:
        host, port = self.http.address
        return f"http://{host}:{port}"

    def start(self) -> None:
        tune_gc()
        self.http.start()
        self.source.start()
        if self.elector is not None:
            self.elector.start()
        if self.utilization is not None:
            self.utilization.refresh()  # a reading before the first tick: a restart charges the gap once, measured
        self.scheduler.start()

    def stop(self) -> None:
        """Graceful: the tick in flight finishes (its transaction commits), then adapters close. A price refresh in
        flight ends after its current request."""
        self.prices.close()
        self.scheduler.stop(wait=True)
        # Events the last ticks queued (bad annotations) are posted before the API client goes, for a bounded time.
        self.events.stop(timeout_seconds=_EVENT_FLUSH_SECONDS)
        if self.elector is not None:
            self.elector.stop(release=True)
        self.source.stop()
        if self.utilization is not None:
            self.utilization.close()
        self.http.stop()
        self.db.close()

    def is_leader(self) -> bool:
        return self.elector.is_leader() if self.elector is not None else True

    # --- scheduled tasks ---------------------------------------------------------------------------------------
    def tick(self) -> TickResult:
        result = self.agent.tick()
        now = self.clock.now()
        if self.cloudwatch is not None and result.is_leader:
            try:
                self.cloudwatch.publish(result)
            except Exception:
                log.exception("CloudWatch PutMetricData failed")
                self.counters.error("cloudwatch")
        if self.notifier is not None and result.is_leader:
            try:
                self.notifier.enqueue(result, self.db.outbox, now)
            except Exception:
                log.exception("could not enqueue notifications")
                self.counters.error("notify")
        if self.enforcer is not None and result.is_leader:
            try:
                self.enforcer.run(result)
            except Exception:
                log.exception("budget suspend action failed")
                self.counters.error("suspend")
        result = result.model_copy(update={"stats": self._stats(result.stats)})
        self.latest.publish(result)
        self.exporter.update(result)
        for callback in self.on_tick:
            callback(result)
        return result

    def _stats(self, tick: TickStats) -> TickStats:
        with self.counters.lock:
            errors = dict(self.counters.api_errors)
        kube_errors = sum(self.source.api_errors.values())
        if kube_errors:
            errors["kubernetes"] = errors.get("kubernetes", 0) + kube_errors
        errors.update(self.prices.api_errors())
        if self.utilization is not None and self.utilization.api_errors:
            errors["dcgm"] = self.utilization.api_errors
        for task, count in self.scheduler.error_counts().items():
            errors[f"scheduler:{task}"] = count
        return TickStats(
            duration_seconds=tick.duration_seconds,
            watch_restarts=sum(self.source.watch_restarts.values()),
            api_errors=errors,
            missed_runs=self.scheduler.missed_counts(),
            notifications_sent=self.dispatcher.sent_total if self.dispatcher else 0,
            notifications_failed=self.dispatcher.failed_total if self.dispatcher else 0,
            alarms_in_sync=self.counters.alarms_in_sync,
        )

    def refresh_prices(self) -> None:
        """Asks the pricing APIs off the tick path: the tick reads what this learned (adapters/pricing/refresh.py)."""
        self.prices.refresh(lambda: [node_identity(node) for node in self.source.snapshot().nodes])

    def dispatch(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.run_once(self.clock.now())

    def sync_alarms(self) -> None:
        if self.alarm_sync is None or not self.is_leader():
            return
        try:
            plan = self.alarm_sync()
            self.counters.alarms_in_sync = bool(getattr(plan, "in_sync", True))
        except Exception:
            log.exception("CloudWatch alarm sync failed")
            self.counters.alarms_in_sync = False
            self.counters.error("cloudwatch")

    def retention(self) -> None:
        cutoff = self.clock.now() - timedelta(days=self.settings.store.retention_days)
        if self.is_leader():
            pruned = self.db.store.prune(cutoff) + self.db.outbox.prune(cutoff)
            log.info("retention: pruned %d rows older than %s", pruned, cutoff.isoformat())


def tune_gc() -> None:
    """The daemon holds ~10^5-10^6 long-lived objects (the watch cache); CPython's default generation-0 threshold of
    700 makes full collections walk all of them several times per tick. Collect young objects less eagerly."""
    gc.set_threshold(20_000, 50, 1000)
