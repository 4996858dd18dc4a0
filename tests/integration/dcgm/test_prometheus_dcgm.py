"""Debian's prometheus scraping a fake dcgm-exporter on 127.0.0.1 (the exporter's own page, tests/data/dcgm), and
trainspend reading per-pod utilization from that Prometheus's HTTP API — and from the exporter directly — over real
HTTP; then the whole daemon path: the poller feeding the tick, the unused GPU cost on /metrics."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from monitor.adapters.dcgm.factory import build_utilization
from monitor.adapters.dcgm.poller import UtilizationPoller
from monitor.adapters.dcgm.prometheus import PrometheusUtilization
from monitor.adapters.dcgm.scrape import DcgmScrape
from monitor.config.settings import DcgmSettings
from monitor.core.clock import ManualClock
from monitor.core.errors import UtilizationError
from monitor.core.tick import Agent, AgentConfig
from monitor.http.cost_families import job_families
from tests.fakes.cluster import FakeCluster, FixedPricer, gpu_node, identify, pod, workload
from tests.fakes.store import MemoryStore
from tests.fixtures.apiserver import eventually
from tests.fixtures.binaries import require_binary

LLAMA = ("ml-research", "llama-master-0")
EVAL = ("research", "eval-0")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def exporter(dcgm_exporter: str) -> str:
    """A fake dcgm-exporter (tests/fixtures/dcgm_exporter.py)."""
    return dcgm_exporter


@pytest.fixture(scope="module")
def prometheus(exporter: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prometheus scraping the exporter as kube-prometheus-stack does: target labels `namespace`/`pod` of the
    exporter's own pod, so the exporter's pod labels arrive as `exported_namespace`/`exported_pod`."""
    binary = require_binary("prometheus")
    tmp = tmp_path_factory.mktemp("prom")
    port = _free_port()
    target = exporter.removeprefix("http://")
    (tmp / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: gpu-metrics\n"
        f"    static_configs: [{{targets: ['{target}'], labels: {{namespace: gpu-operator, "
        "pod: nvidia-dcgm-exporter-x7k2p}}]\n"
    )
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def scraped() -> bool:
            try:
                body = httpx.get(f"{base}/api/v1/query", params={"query": "DCGM_FI_DEV_GPU_UTIL"}, timeout=2).json()
            except (httpx.HTTPError, ValueError):
                return False
            return len(body.get("data", {}).get("result", [])) == 8

        eventually(scraped, 40, "Prometheus to scrape the fake dcgm-exporter")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_per_pod_utilization_from_prometheus(prometheus: str) -> None:
    [series] = httpx.get(
        f"{prometheus}/api/v1/query", params={"query": 'DCGM_FI_DEV_GPU_UTIL{gpu="0"}'}, timeout=5
    ).json()["data"]["result"]
    assert series["metric"]["exported_pod"] == "llama-master-0"  # renamed by the scrape, as in kube-prometheus
    assert series["metric"]["pod"] == "nvidia-dcgm-exporter-x7k2p"
    with httpx.Client(timeout=5) as client:
        readings = PrometheusUtilization(client, prometheus, "DCGM_FI_DEV_GPU_UTIL", 60).fetch()
        engine = PrometheusUtilization(client, prometheus + "/", "DCGM_FI_PROF_GR_ENGINE_ACTIVE", 60).fetch()
    assert readings == {LLAMA: pytest.approx(0.96), EVAL: pytest.approx(0.10)}
    assert engine == {LLAMA: pytest.approx(0.9), EVAL: pytest.approx(0.0575)}


def test_direct_scrape_gives_the_same_readings(exporter: str, prometheus: str) -> None:
    with httpx.Client(timeout=5) as client:
        direct = DcgmScrape(client, [f"{exporter}/metrics"], "DCGM_FI_DEV_GPU_UTIL")
        through = PrometheusUtilization(client, prometheus, "DCGM_FI_DEV_GPU_UTIL", 60)
        assert direct.fetch() == pytest.approx(through.fetch())
        half = DcgmScrape(client, [f"{exporter}/metrics", f"{exporter}/nothing-here"], "DCGM_FI_DEV_GPU_UTIL")
        assert half.fetch()[LLAMA] == pytest.approx(0.96)  # one endpoint down: the others still answer
        assert half.partial_errors == 1
        with pytest.raises(UtilizationError, match="HTTP 404"):
            DcgmScrape(client, [f"{exporter}/nothing-here"], "DCGM_FI_DEV_GPU_UTIL").fetch()
        with pytest.raises(UtilizationError, match="HTTP 404"):
            PrometheusUtilization(client, f"{prometheus}/not-prometheus", "DCGM_FI_DEV_GPU_UTIL", 60).fetch()


def test_a_bad_query_answer_is_an_adapter_error_naming_the_query(prometheus: str) -> None:
    with httpx.Client(timeout=5) as client, pytest.raises(UtilizationError, match="avg_over_time"):
        PrometheusUtilization(client, prometheus, "DCGM_FI_DEV_GPU_UTIL", 0).fetch()  # [0s]: Prometheus refuses


def test_the_daemon_path_from_settings_to_the_exported_unused_cost(prometheus: str) -> None:
    poller = build_utilization(DcgmSettings(enabled=True, prometheus_url=prometheus, window_seconds=30))
    assert isinstance(poller, UtilizationPoller)
    try:
        poller.refresh()
    finally:
        poller.close()
    assert poller.api_errors == 0
    cluster = FakeCluster(nodes=[gpu_node("ip-10-0-1-11.ec2.internal", "p4d.24xlarge", 8)])
    llama = workload("llama", namespace="ml-research")
    cluster.workloads = [llama]
    t0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
    cluster.pods = [pod("llama-master-0", llama, "ip-10-0-1-11.ec2.internal", 4, started=t0)]
    clock = ManualClock(t0)
    agent = Agent(
        AgentConfig(cluster="test"),
        cluster=cluster,
        identify=identify,
        pricer=FixedPricer({"p4d.24xlarge": 32.0}),
        store=MemoryStore(),
        clock=clock,
        utilization=poller,
    )
    clock.advance(60)
    agent.tick()
    clock.advance(3600)
    [job] = agent.tick().jobs
    assert job.gpu_utilization == pytest.approx(0.96)
    assert job.unused_gpu_cost_usd == pytest.approx(16.0 * 0.04)  # an hour of 4 GPUs at $4, 4 % unused
    [unused] = [f for f in job_families("test", [job]) if f.name == "trainspend_job_unused_gpu_cost_usd"]
    assert unused.samples[0][1] == pytest.approx(0.64)
