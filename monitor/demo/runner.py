"""Runs the daemon against the simulated cluster: the local API server, the scenario and the real daemon wiring."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.config.settings import (
    BudgetSettings,
    DcgmSettings,
    KubeSettings,
    OnPremNodeClass,
    PricingSettings,
    Settings,
    StoreSettings,
)
from monitor.core.clock import AcceleratedClock
from monitor.core.domain.result import TickResult
from monitor.demo.apiserver import LocalApiServer
from monitor.demo.dcgm import FakeDcgmExporter
from monitor.demo.resources import DEFAULT_CRD_GROUPS, MPI_OPERATOR
from monitor.demo.scenario import DemoCluster
from monitor.runtime.app import build_daemon
from monitor.runtime.daemon import Daemon


def demo_settings(
    listen: str, api_url: str, db_path: Path, api_token: str | None = None, dcgm_url: str | None = None
) -> Settings:
    """`dcgm_url`: the simulated dcgm-exporter's /metrics, scraped directly (no Prometheus in the demo).

    Everything not set here comes from the same sources as `trainspend run` (environment, config file): an explicit
    keyword would override them, so `api_token` is passed only when the caller gives one."""
    dcgm = DcgmSettings(enabled=True, endpoints=[dcgm_url], refresh_seconds=2.0) if dcgm_url else DcgmSettings()
    token: dict[str, Any] = {"api_token": api_token} if api_token is not None else {}
    return Settings(
        cluster="demo",
        **token,
        listen=listen,
        tick_seconds=2.0,
        finished_job_ttl_seconds=6 * 3600.0,  # simulated seconds: finished demo jobs stay visible
        kube=KubeSettings(api_url=api_url, watch_timeout_seconds=120, request_timeout_seconds=5.0),
        store=StoreSettings(url=f"sqlite:///{db_path}"),
        pricing=PricingSettings(
            on_prem=[
                OnPremNodeClass(
                    name="dgx-h100",
                    selector={"node.kubernetes.io/instance-type": "dgx-h100"},
                    purchase_usd=320_000,
                    amortisation_years=4,
                    watts=10_200,
                    usd_per_kwh=0.12,
                    pue=1.35,
                )
            ],
        ),
        budgets=[
            BudgetSettings(name="nlp-monthly", limit_usd=30_000, period="monthly", team="nlp"),
            BudgetSettings(name="foundation-weekly", limit_usd=8_000, period="weekly", namespace="foundation"),
            BudgetSettings(name="alignment-total", limit_usd=600, period="total", team="alignment"),
            # Kueue: every LocalQueue feeding the nlp-cq ClusterQueue; the HPC queue's cap, suspending in a dry run
            BudgetSettings(name="nlp-cq-monthly", limit_usd=25_000, period="monthly", cluster_queue="nlp-cq"),
            BudgetSettings(
                name="hpc-cap", limit_usd=30, period="total", cluster_queue="hpc-cq", action="suspend", dry_run=True
            ),
        ],
        trainer_status_stale_seconds=15 * 60.0,  # simulated seconds: the TrainJob reports every minute or two
        dcgm=dcgm,
    )


class DemoRunner:
    def __init__(self, listen: str, speed: float, db_path: Path, api_token: str | None = None) -> None:
        self.clock = AcceleratedClock(datetime.now(UTC), speed)
        # The default CRD groups (Kueue v1beta2 among them) plus mpi-operator's v2beta1 MPIJob.
        self.server = LocalApiServer(clock=self.clock.now, crd_groups=DEFAULT_CRD_GROUPS | {MPI_OPERATOR})
        self._listen = listen
        self._db_path = db_path
        self._api_token = api_token
        self._stop = threading.Event()
        self._sim_thread = threading.Thread(target=self._simulate, name="demo-sim", daemon=True)
        self.daemon: Daemon | None = None
        self.sim: DemoCluster | None = None
        self.dcgm: FakeDcgmExporter | None = None

    @property
    def apiserver_url(self) -> str:
        return self.server.url

    @property
    def url(self) -> str:
        assert self.daemon is not None
        return self.daemon.url

    def start(self) -> None:
        self.server.start()
        self.sim = DemoCluster(self.server, self.clock.now)
        self.sim.seed()
        self.dcgm = FakeDcgmExporter(self.server, self.sim.gpu_utilization).start()
        settings = demo_settings(self._listen, self.server.url, self._db_path, self._api_token, self.dcgm.url)
        self.daemon = build_daemon(settings, self.clock)
        self.daemon.start()
        self._sim_thread.start()

    def _simulate(self) -> None:
        assert self.sim is not None
        while not self._stop.wait(1.0):
            self.sim.step()

    def latest(self) -> TickResult | None:
        return self.daemon.latest.get() if self.daemon else None

    def stop(self) -> None:
        self._stop.set()
        self._sim_thread.join(timeout=5)
        if self.daemon is not None:
            self.daemon.stop()
        if self.dcgm is not None:
            self.dcgm.stop()
        self.server.stop()
