"""dcgm-exporter's pods from its Service's EndpointSlices (monitor/adapters/kube/endpoints.py), on the upstream shapes
of tests/data/endpointslices; and the settings that name the Service, bounded and checked with the fix in the error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from monitor.adapters.kube.endpoints import SERVICE_NAME_LABEL, endpoint_urls
from monitor.config.settings import DcgmSettings

SLICES = Path(__file__).resolve().parents[2] / "data" / "endpointslices" / "dcgm-exporter.yaml"


def _slices(service: str = "nvidia-dcgm-exporter") -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(SLICES.read_text()) if d]
    return [d for d in docs if d["metadata"]["labels"][SERVICE_NAME_LABEL] == service]  # the API's label selector


def test_every_ready_pod_of_every_slice_by_port_name_or_number() -> None:
    ready = ["http://10.0.1.37:9400/metrics", "http://10.0.1.52:9400/metrics", "http://10.0.2.44:9400/metrics"]
    assert endpoint_urls(_slices(), "gpu-metrics") == ready  # the terminating pod on the drained node is left out
    assert endpoint_urls(_slices(), "9400") == ready
    assert endpoint_urls(_slices(), "metrics") == []  # no such port name
    assert endpoint_urls(_slices(), "9401") == []


def test_ready_unset_counts_as_ready_ipv6_is_bracketed_and_fqdn_slices_are_skipped() -> None:
    port = [{"name": "gpu-metrics", "port": 9400, "protocol": "TCP"}]
    ipv6 = {"addressType": "IPv6", "ports": port, "endpoints": [{"addresses": ["fd00:10:1::25"]}]}
    fqdn = {"addressType": "FQDN", "ports": port, "endpoints": [{"addresses": ["dcgm.example.internal"]}]}
    broken: dict[str, Any] = {"addressType": "IPv4", "ports": port, "endpoints": [{"addresses": []}, "junk", {}]}
    assert endpoint_urls([ipv6, fqdn, broken], "gpu-metrics") == ["http://[fd00:10:1::25]:9400/metrics"]


def test_the_same_pod_in_two_slices_is_scraped_once() -> None:
    (first, *_) = _slices()
    assert endpoint_urls([first, first], "gpu-metrics") == [
        "http://10.0.1.37:9400/metrics",
        "http://10.0.1.52:9400/metrics",
    ]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"service": "nvidia-dcgm-exporter"}, "e.g. gpu-operator/nvidia-dcgm-exporter"),  # no namespace
        ({"service": "GPU-Operator/nvidia-dcgm-exporter"}, "e.g. gpu-operator/nvidia-dcgm-exporter"),  # not DNS
        ({"service": "gpu-operator/" + "x" * 100}, "e.g. gpu-operator/nvidia-dcgm-exporter"),  # label over 63
        ({"service": "gpu-operator/" + "x" * 200}, "at most 127 characters"),  # bounded before it is matched
        ({"service": "gpu-operator/nvidia-dcgm-exporter", "service_port": "70000"}, "gpu-metrics (9400)"),
        ({"service": "gpu-operator/nvidia-dcgm-exporter", "service_port": "Gpu_Metrics"}, "gpu-metrics (9400)"),
        ({"service": "gpu-operator/nvidia-dcgm-exporter", "endpoints": ["http://10.0.1.37:9400/metrics"]}, "not both"),
    ],
)
def test_a_bad_service_setting_names_the_field_and_the_fix(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError) as error:
        DcgmSettings(enabled=True, **fields)
    text = str(error.value)
    assert "service" in text
    assert says in text


def test_a_service_alone_is_somewhere_to_read() -> None:
    settings = DcgmSettings(enabled=True, service="gpu-operator/nvidia-dcgm-exporter")
    assert (settings.service, settings.service_port) == ("gpu-operator/nvidia-dcgm-exporter", "gpu-metrics")
    with pytest.raises(ValidationError, match=r"dcgm\.service \(dcgm-exporter"):
        DcgmSettings(enabled=True)
