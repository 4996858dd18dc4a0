"""Composition root: builds the daemon from settings — adapters, agent, publishers, HTTP listener, scheduler.

Nothing else in the code base constructs adapters from settings; everything below receives its collaborators.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import boto3
from kubernetes import client as k8s
from sqlalchemy import Engine

from estimator.catalog.offers import embedded_offers
from monitor.adapters.cloudwatch.publisher import CloudWatchPublisher, CloudWatchSink
from monitor.adapters.cloudwatch.retry import client_config
from monitor.adapters.kube.client import build_api_client
from monitor.adapters.kube.events import KubeEventRecorder
from monitor.adapters.kube.leader import LeaseElector
from monitor.adapters.kube.source import KubeClusterSource
from monitor.adapters.notify.dispatcher import Dispatcher
from monitor.adapters.notify.factory import build_channels, build_dispatcher, http_client, secret_values
from monitor.adapters.notify.notifier import Notifier
from monitor.adapters.notify.redact import install_redaction
from monitor.adapters.pricing.chain import PriceChain
from monitor.adapters.pricing.factory import build_price_chain
from monitor.adapters.pricing.identity import node_identity
from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.last_prices import SqlLastGoodPrices
from monitor.adapters.store.migrate import ensure_schema
from monitor.adapters.store.outbox import SqlOutbox
from monitor.adapters.store.repository import SqlStore
from monitor.config.settings import Settings
from monitor.core.domain.budgets import BudgetSpec
from monitor.core.domain.result import TickResult, TickStats
from monitor.core.ports import Clock
from monitor.core.state import LatestResult
from monitor.core.tick import Agent, AgentConfig
from monitor.http.api import ApiDeps, HttpApi, parse_listen
from monitor.http.display_currency import display_currency
from monitor.http.estimate_api import estimate_from_query
from monitor.http.exporter import Exporter
from monitor.runtime.scheduler import DaemonScheduler, PeriodicJob

log = logging.getLogger(__name__)


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
    engine: Engine
    store: SqlStore
    outbox: SqlOutbox
    prices: PriceChain
    exporter: Exporter
    latest: LatestResult
    http: HttpApi
    scheduler: DaemonScheduler
    elector: LeaseElector | None
    notifier: Notifier | None
    dispatcher: Dispatcher | None
    cloudwatch: CloudWatchPublisher | None
    alarm_sync: Callable[[], Any] | None
    counters: Counters = field(default_factory=Counters)
    on_tick: list[Callable[[TickResult], None]] = field(default_factory=list)

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
        self.scheduler.start()

    def stop(self) -> None:
        """Graceful: the tick in flight finishes (its transaction commits), then adapters close."""
        self.scheduler.stop(wait=True)
        if self.elector is not None:
            self.elector.stop(release=True)
        self.source.stop()
        self.http.stop()
        self.engine.dispose()

    def is_leader(self) -> bool:
        return self.elector.is_leader() if self.elector is not None else True

    # --- scheduled jobs ----------------------------------------------------------------------------------------
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
                self.notifier.enqueue(result, self.outbox, now)
            except Exception:
                log.exception("could not enqueue notifications")
                self.counters.error("notify")
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
        for job, count in self.scheduler.error_counts().items():
            errors[f"scheduler:{job}"] = count
        return TickStats(
            duration_seconds=tick.duration_seconds,
            watch_restarts=sum(self.source.watch_restarts.values()),
            api_errors=errors,
            notifications_sent=self.dispatcher.sent_total if self.dispatcher else 0,
            notifications_failed=self.dispatcher.failed_total if self.dispatcher else 0,
            alarms_in_sync=self.counters.alarms_in_sync,
        )

    def refresh_prices(self) -> None:
        """Warms the price cache for every node off the tick path."""
        for node in self.source.snapshot().nodes:
            self.prices.price(node_identity(node))

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
            pruned = self.store.prune(cutoff) + self.outbox.prune(cutoff)
            log.info("retention: pruned %d rows older than %s", pruned, cutoff.isoformat())

    def readiness(self) -> tuple[bool, dict[str, str]]:
        checks: dict[str, str] = {}
        checks["cache"] = "synced" if self.source.cache.synced else "syncing"
        try:
            self.store.ping()
            checks["store"] = "ok"
        except Exception as exc:
            checks["store"] = f"error: {type(exc).__name__}"
        checks["tick"] = "ok" if self.latest.get() is not None else "waiting for the first tick"
        return all(v in ("synced", "ok") for v in checks.values()), checks


def tune_gc() -> None:
    """The daemon holds ~10^5-10^6 long-lived objects (the watch cache); CPython's default generation-0 threshold of
    700 makes full collections walk all of them several times per tick. Collect young objects less eagerly."""
    gc.set_threshold(20_000, 50, 1000)


def build_daemon(settings: Settings, clock: Clock, api_client: k8s.ApiClient | None = None) -> Daemon:
    """Wires every part from the settings. Nothing starts until `Daemon.start()`."""
    # httpx logs every request URL at INFO: credentials in them (a GCP `key=`) are masked by parsing from the start.
    install_redaction(secret_values(settings.notify))
    engine = create_store_engine(settings.store.url)
    ensure_schema(engine, auto_upgrade=settings.store.auto_upgrade)
    store, outbox = SqlStore(engine), SqlOutbox(engine)
    api = api_client or build_api_client(settings.kube)
    source = KubeClusterSource(settings.kube, settings.cluster, clock.now, api=api)
    elector = LeaseElector(api, settings.leader, clock.now) if settings.leader.enabled else None
    prices = build_price_chain(settings.pricing, clock, embedded_offers(), memory=SqlLastGoodPrices(engine))
    agent = Agent(
        AgentConfig(
            cluster=settings.cluster,
            team_label=settings.team_label,
            budgets=tuple(BudgetSpec.model_validate(b.model_dump()) for b in settings.budgets),
            finished_job_ttl_seconds=settings.finished_job_ttl_seconds,
            job_snapshot_interval_seconds=settings.job_snapshot_interval_seconds,
        ),
        cluster=source,
        identify=node_identity,
        pricer=prices,
        store=store,
        clock=clock,
        events=KubeEventRecorder(api, clock.now),
        leader=elector,
    )
    notify = settings.notify
    sns = None
    if notify.sns_topic_arn:
        sns = boto3.client("sns", region_name=settings.cloudwatch.region, endpoint_url=notify.sns_endpoint_url)
    channels = build_channels(notify, http_client(), sns)
    dispatcher = build_dispatcher(notify, outbox, channels) if channels else None
    notifier = Notifier(settings.cluster, list(channels), notify.link_base_url) if channels else None
    cloudwatch = None
    alarm_sync = None
    if settings.cloudwatch.enabled:
        cw = boto3.client(
            "cloudwatch",
            region_name=settings.cloudwatch.region,
            endpoint_url=settings.cloudwatch.endpoint_url,
            config=client_config(),
        )
        cloudwatch = CloudWatchPublisher(
            CloudWatchSink(cw, settings.cloudwatch.namespace), settings.cloudwatch.per_job_dimensions
        )
        from monitor.adapters.cloudwatch.factory import build_reconciler

        alarm_sync = build_reconciler(settings).sync
    latest = LatestResult()
    exporter = Exporter(
        settings.finished_job_ttl_seconds,
        display_currency=settings.currency,
        opencost_series=settings.exporter.opencost_series,
    )
    host, port = parse_listen(settings.listen)

    def readiness() -> tuple[bool, dict[str, str]]:
        return daemon.readiness()  # bound late: the daemon is built below, before anything serves

    http = HttpApi(
        ApiDeps(
            latest=latest,
            metrics=exporter.exposition,
            readiness=readiness,
            history=store.jobs,
            estimate=estimate_from_query,
            hourly_spend=store.workload_hourly_usd,
            spend_since=store.workload_spend_since,
            display=display_currency(settings),
        ),
        host,
        port,
    )
    daemon = Daemon(
        settings=settings,
        clock=clock,
        agent=agent,
        source=source,
        engine=engine,
        store=store,
        outbox=outbox,
        prices=prices,
        exporter=exporter,
        latest=latest,
        http=http,
        scheduler=DaemonScheduler([]),
        elector=elector,
        notifier=notifier,
        dispatcher=dispatcher,
        cloudwatch=cloudwatch,
        alarm_sync=alarm_sync,
    )
    jobs = [
        PeriodicJob("tick", settings.tick_seconds, daemon.tick),
        PeriodicJob("price-refresh", settings.pricing.refresh_seconds, daemon.refresh_prices, run_at_start=False),
        PeriodicJob("retention", 3600.0, daemon.retention, run_at_start=False),
    ]
    if dispatcher is not None:
        jobs.append(PeriodicJob("notify", min(10.0, settings.tick_seconds), daemon.dispatch))
    if alarm_sync is not None:
        jobs.append(PeriodicJob("alarm-sync", settings.cloudwatch.alarm_sync_seconds, daemon.sync_alarms))
    daemon.scheduler = DaemonScheduler(jobs)
    return daemon
