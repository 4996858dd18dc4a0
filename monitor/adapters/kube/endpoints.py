"""The ready pods behind a Service, as URLs to scrape: dcgm-exporter's, found each read from its EndpointSlices.

dcgm-exporter runs as a DaemonSet, one pod per GPU node, so a fixed list of its /metrics URLs goes stale as nodes
come and go. Its Service (the GPU Operator's `nvidia-dcgm-exporter`, port `gpu-metrics` 9400:
NVIDIA/gpu-operator assets/state-dcgm-exporter/0600_service.yaml) names them: the EndpointSlice controller keeps one
or more EndpointSlices (discovery.k8s.io/v1) labelled `kubernetes.io/service-name: <service>` in the Service's
namespace, which joined give every backend (kubernetes.io docs, EndpointSlice API reference).

Read from each slice (kubernetes/api discovery/v1/types.go): `addressType` (IPv4 or IPv6; FQDN has no defined
meaning and is skipped), `ports[]` {name, port} (the Service port's name, and the container port it resolves to),
`endpoints[]` {addresses (the controller sets exactly one), conditions.ready (nil means ready)}. A pod that is not
ready (starting, or terminating) is left out, as kube-proxy leaves it out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from monitor.core.errors import UtilizationError

log = logging.getLogger(__name__)

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def _port(slice_: Mapping[str, Any], wanted: str) -> int | None:
    """The slice's port named `wanted`, or numbered `wanted` when it is digits."""
    for port in slice_.get("ports") or []:
        if not isinstance(port, Mapping) or not isinstance(port.get("port"), int):
            continue
        if port.get("name") == wanted or (wanted.isdigit() and port["port"] == int(wanted)):
            return int(port["port"])
    return None


def endpoint_urls(slices: Iterable[Mapping[str, Any]], port: str, path: str = "/metrics") -> list[str]:
    """http://ADDRESS:PORT/path of every ready endpoint of the slices (module docstring), sorted, each once."""
    urls: set[str] = set()
    for slice_ in slices:
        kind = slice_.get("addressType")
        number = _port(slice_, port)
        if kind not in ("IPv4", "IPv6") or number is None:
            continue
        for endpoint in slice_.get("endpoints") or []:
            if not isinstance(endpoint, Mapping):
                continue
            if (endpoint.get("conditions") or {}).get("ready") is False:
                continue
            addresses = endpoint.get("addresses") or []
            if not addresses or not isinstance(addresses[0], str):
                continue
            host = f"[{addresses[0]}]" if kind == "IPv6" else addresses[0]
            urls.add(f"http://{host}:{number}{path}")
    return sorted(urls)


class ServiceEndpoints:
    """`urls()` lists the Service's EndpointSlices (one request) and returns its ready endpoints' URLs."""

    def __init__(
        self, api: client.ApiClient, service: str, port: str, timeout_seconds: float, path: str = "/metrics"
    ) -> None:
        self._discovery = client.DiscoveryV1Api(api)
        self._namespace, self._name = service.split("/", 1)
        self._port = port
        self._timeout = timeout_seconds
        self._path = path

    def urls(self) -> list[str]:
        """Raises UtilizationError when the API does not answer or no endpoint is ready (so the reading fails and
        the last one goes stale, rather than reading as an idle fleet)."""
        where = f"Service {self._namespace}/{self._name}"
        try:
            # _preload_content=False: the raw urllib3 response, read as JSON (the client's models are not needed)
            response: Any = self._discovery.list_namespaced_endpoint_slice(
                self._namespace,
                label_selector=f"{SERVICE_NAME_LABEL}={self._name}",
                _preload_content=False,
                _request_timeout=self._timeout,
            )
            body = json.loads(response.data)
        except ApiException as error:
            hint = " (the chart grants it where config.dcgm.service names)" if error.status == 403 else ""
            raise UtilizationError(
                f"listing the EndpointSlices of {where} failed: HTTP {error.status} {error.reason}{hint}"
            ) from error
        except (HTTPError, OSError, ValueError) as error:
            raise UtilizationError(f"listing the EndpointSlices of {where} failed: {error}") from error
        slices = [s for s in body.get("items") or [] if isinstance(s, Mapping)]
        urls = endpoint_urls(slices, self._port, self._path)
        if not urls:
            raise UtilizationError(
                f"{where} has no ready endpoint on port {self._port!r} in {len(slices)} EndpointSlice(s): is "
                "dcgm-exporter running, and is dcgm.service_port the name or number of its Service port?"
            )
        return urls
