"""dcgm-exporter's pods found from its Service's EndpointSlices through the official kubernetes client over HTTP
against the local API server (the slices of tests/data/endpointslices, which cite upstream), and the scrape that asks
for them at every read, against a dcgm-exporter page served on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from kubernetes import client

from monitor.adapters.dcgm.factory import build_utilization
from monitor.adapters.dcgm.scrape import DcgmScrape
from monitor.adapters.kube.endpoints import ServiceEndpoints
from monitor.config.settings import DcgmSettings, KubeSettings, Settings, StoreSettings
from monitor.core.clock import ManualClock
from monitor.core.errors import ConfigError, UtilizationError
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon
from tests.integration.daemon.helpers import T0

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[2] / "data"
SLICES = [d for d in yaml.safe_load_all((DATA / "endpointslices" / "dcgm-exporter.yaml").read_text()) if d]
SERVICE = "gpu-operator/nvidia-dcgm-exporter"


def _api(server: LocalApiServer) -> client.ApiClient:
    return client.ApiClient(client.Configuration(host=server.url))


def test_the_ready_pods_of_every_slice_of_the_service_and_no_other(apiserver: LocalApiServer) -> None:
    for obj in SLICES:
        apiserver.create(obj)
    pods = ServiceEndpoints(_api(apiserver), SERVICE, "gpu-metrics", timeout_seconds=2.0)
    assert pods.urls() == [
        "http://10.0.1.37:9400/metrics",
        "http://10.0.1.52:9400/metrics",
        "http://10.0.2.44:9400/metrics",
    ]
    # The drained node's pod is gone and a new GPU node's pod is ready: the next read sees both changes.
    first = apiserver.get("discovery.k8s.io/v1", "EndpointSlice", "nvidia-dcgm-exporter-7xk2p", "gpu-operator")
    first["endpoints"] = [e for e in first["endpoints"] if e["conditions"]["ready"]] + [
        {"addresses": ["10.0.3.7"], "conditions": {"ready": True}, "nodeName": "ip-10-0-3-7.ec2.internal"}
    ]
    apiserver.replace(first)
    assert "http://10.0.3.7:9400/metrics" in pods.urls()


def test_no_ready_pod_or_no_answer_is_a_failed_reading_that_says_what_to_check(apiserver: LocalApiServer) -> None:
    with pytest.raises(UtilizationError, match="no ready endpoint on port 'gpu-metrics' in 0 EndpointSlice"):
        ServiceEndpoints(_api(apiserver), SERVICE, "gpu-metrics", timeout_seconds=2.0).urls()
    for obj in SLICES:
        apiserver.create(obj)
    with pytest.raises(UtilizationError, match=r"is dcgm\.service_port the name or number"):
        ServiceEndpoints(_api(apiserver), SERVICE, "metrics", timeout_seconds=2.0).urls()
    gone = client.ApiClient(client.Configuration(host="http://127.0.0.1:9"))  # nothing listens on the discard port
    with pytest.raises(UtilizationError, match="listing the EndpointSlices of Service gpu-operator/nvidia-dcgm"):
        ServiceEndpoints(gone, SERVICE, "gpu-metrics", timeout_seconds=1.0).urls()


@pytest.fixture
def exporter(dcgm_exporter: str) -> str:
    """A dcgm-exporter pod on 127.0.0.1 (tests/fixtures/dcgm_exporter.py)."""
    return dcgm_exporter


def test_the_scrape_asks_for_the_pods_at_every_read(apiserver: LocalApiServer, exporter: str) -> None:
    """The Service's slice names the exporter on loopback; a read finds it, and after the pod left, a read fails
    (stale, never an idle fleet) instead of scraping an address that no longer is dcgm-exporter."""
    host, port = exporter.removeprefix("http://").split(":")
    local = {**SLICES[0], "ports": [{"name": "gpu-metrics", "port": int(port), "protocol": "TCP"}]}
    local["endpoints"] = [{"addresses": [host], "conditions": {"ready": True}}]
    apiserver.create(local)
    settings = DcgmSettings(enabled=True, service=SERVICE, request_timeout_seconds=2.0)
    pods = ServiceEndpoints(_api(apiserver), SERVICE, settings.service_port, settings.request_timeout_seconds)
    with httpx.Client(timeout=2.0) as http:
        scrape = DcgmScrape(http, pods.urls, settings.metric)
        readings = scrape.fetch()
        assert readings  # the fixture page's per-pod GPU utilization
        local = apiserver.get("discovery.k8s.io/v1", "EndpointSlice", local["metadata"]["name"], "gpu-operator")
        local["endpoints"] = []
        apiserver.replace(local)
        with pytest.raises(UtilizationError, match="no ready endpoint"):
            scrape.fetch()
    poller = build_utilization(settings, pods.urls)
    assert poller is not None
    poller.close()
    with pytest.raises(ConfigError, match="must pass `discover`"):
        build_utilization(settings)


def test_the_daemon_built_from_settings_reads_the_pods_its_service_names(
    apiserver: LocalApiServer, exporter: str, tmp_path: Path
) -> None:
    """settings → runtime wiring → EndpointSlices over HTTP → the exporter's page → per-pod readings."""
    host, port = exporter.removeprefix("http://").split(":")
    local = {**SLICES[0], "ports": [{"name": "gpu-metrics", "port": int(port), "protocol": "TCP"}]}
    local["endpoints"] = [{"addresses": [host], "conditions": {"ready": True}}]
    apiserver.create(local)
    settings = Settings(
        listen="127.0.0.1:0",
        kube=KubeSettings(api_url=apiserver.url, request_timeout_seconds=2.0),
        store=StoreSettings(url=f"sqlite:///{tmp_path / 'ts.db'}"),
        dcgm=DcgmSettings(enabled=True, service=SERVICE, request_timeout_seconds=2.0),
    )
    daemon = build_daemon(settings, ManualClock(T0))
    try:
        assert daemon.utilization is not None
        daemon.utilization.refresh()
        assert daemon.utilization.api_errors == 0
        assert ("ml-research", "llama-master-0") in daemon.utilization.utilization()
    finally:
        daemon.stop()
