"""Composition root: builds the daemon from settings — adapters, agent, publishers, HTTP listener, scheduler — in one
direction: every part is built from parts built before it, with no placeholder replaced later.

Nothing else in the code base constructs adapters from settings; everything below receives its collaborators. Vendor
clients (boto3, SQLAlchemy, kubernetes) are made by the adapters' factories, never here.
"""

from __future__ import annotations

from estimator.catalog.offers import embedded_offers
from monitor.adapters.cloudwatch.factory import build_publisher, build_reconciler
from monitor.adapters.dcgm.factory import build_utilization
from monitor.adapters.kube.client import ApiClient, build_api_client
from monitor.adapters.kube.endpoints import ServiceEndpoints
from monitor.adapters.kube.events import KubeEventRecorder
from monitor.adapters.kube.kueue import LOCAL_QUEUES_KEY
from monitor.adapters.kube.leader import LeaseElector
from monitor.adapters.kube.source import KubeClusterSource
from monitor.adapters.kube.suspend import KubeSuspender
from monitor.adapters.notify.factory import build_channels, build_dispatcher, http_client, secret_values, sns_client
from monitor.adapters.notify.notifier import Notifier
from monitor.adapters.notify.redact import install_redaction
from monitor.adapters.pricing.factory import build_price_chain
from monitor.adapters.pricing.identity import node_identity
from monitor.adapters.pricing.refresh import KnownPrices
from monitor.adapters.store.factory import open_store
from monitor.config.settings import Settings
from monitor.core.domain.budgets import BudgetSpec
from monitor.core.ports import Clock
from monitor.core.state import LatestResult
from monitor.core.tick import Agent, AgentConfig
from monitor.http.api import ApiDeps, HttpApi, parse_listen
from monitor.http.display_currency import display_currency
from monitor.http.estimate_api import estimate_from_query
from monitor.http.exporter import Exporter
from monitor.runtime.daemon import Daemon, Readiness
from monitor.runtime.enforcer import BudgetEnforcer


def build_daemon(settings: Settings, clock: Clock, api_client: ApiClient | None = None) -> Daemon:
    """Wires every part from the settings. Nothing starts until `Daemon.start()`."""
    # httpx logs every request URL at INFO: credentials in them (a GCP `key=`) are masked by parsing from the start.
    install_redaction(secret_values(settings.notify))
    db = open_store(settings.store)
    store = db.store
    api = api_client or build_api_client(settings.kube)
    source = KubeClusterSource(settings.kube, settings.cluster, clock.now, api=api)
    elector = LeaseElector(api, settings.leader, clock.now) if settings.leader.enabled else None
    # The tick reads the last known prices; the daemon's price-refresh task is the only caller of the pricing APIs.
    prices = KnownPrices(
        build_price_chain(settings.pricing, clock, embedded_offers(), memory=db.last_prices),
        clock,
        settings.pricing.refresh_seconds,
    )
    dcgm = settings.dcgm
    pods = (
        ServiceEndpoints(api, dcgm.service, dcgm.service_port, dcgm.request_timeout_seconds) if dcgm.service else None
    )
    utilization = build_utilization(dcgm, pods.urls if pods is not None else None)
    budgets = tuple(BudgetSpec.model_validate(b.model_dump()) for b in settings.budgets)
    events = KubeEventRecorder(api, clock.now)
    agent = Agent(
        AgentConfig(
            cluster=settings.cluster,
            team_label=settings.team_label,
            budgets=budgets,
            finished_job_ttl_seconds=settings.finished_job_ttl_seconds,
            job_snapshot_interval_seconds=settings.job_snapshot_interval_seconds,
            trainer_status_stale_seconds=settings.trainer_status_stale_bound_seconds,
        ),
        cluster=source,
        identify=node_identity,
        pricer=prices,
        store=store,
        clock=clock,
        events=events,
        leader=elector,
        utilization=utilization,
    )
    # Only a budget with `action: suspend` ever patches anything (and only on the leader, `Daemon.tick`).
    enforcer = BudgetEnforcer(budgets, KubeSuspender(api, events, source.watched_version(LOCAL_QUEUES_KEY)))
    notify = settings.notify
    sns = None
    if notify.sns_topic_arn:
        sns = sns_client(notify, settings.cloudwatch.region)
    channels = build_channels(notify, http_client(), sns)
    dispatcher = build_dispatcher(notify, db.outbox, channels) if channels else None
    notifier = Notifier(settings.cluster, list(channels), notify.link_base_url) if channels else None
    cloudwatch = build_publisher(settings) if settings.cloudwatch.enabled else None
    alarm_sync = build_reconciler(settings).sync if settings.cloudwatch.enabled else None
    latest = LatestResult()
    exporter = Exporter(
        settings.finished_job_ttl_seconds,
        display_currency=settings.currency,
        opencost_series=settings.exporter.opencost_series,
    )
    host, port = parse_listen(settings.listen)
    readiness = Readiness(source, store, latest)

    http = HttpApi(
        ApiDeps(
            latest=latest,
            metrics=exporter.exposition,
            metrics_gzip=exporter.exposition_gzip,
            readiness=readiness,
            history=store.jobs,
            estimate=estimate_from_query,
            hourly_spend=store.workload_hourly_usd,
            projection_history=store.projection_history,
            spend_since=store.workload_spend_since,
            display=display_currency(settings),
            token=settings.api_token.get_secret_value().encode() if settings.api_token else None,
        ),
        host,
        port,
    )
    return Daemon(
        settings=settings,
        clock=clock,
        agent=agent,
        source=source,
        db=db,
        prices=prices,
        events=events,
        exporter=exporter,
        latest=latest,
        http=http,
        readiness=readiness,
        elector=elector,
        notifier=notifier,
        dispatcher=dispatcher,
        cloudwatch=cloudwatch,
        alarm_sync=alarm_sync,
        utilization=utilization,
        enforcer=enforcer if enforcer.active else None,
    )
