"""A simulated dcgm-exporter for the demo: one `/metrics` page for all of the simulated cluster's GPU nodes, in the
exporter's own format, with each running pod's GPUs at its workload's utilization.

Format as dcgm-exporter writes it with its Kubernetes pod mapping on (NVIDIA/dcgm-exporter
internal/pkg/rendermetrics/render_metrics.go, the GPU template; HELP texts from etc/default-counters.csv): one series
per GPU, labels gpu, UUID, pci_bus_id, device, modelName, Hostname, then container, namespace and pod — empty for a
GPU no pod holds. A real cluster has one exporter per node; one page for all nodes is the same series.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitor.demo.apiserver import LocalApiServer

GPU_UTIL_HELP = "GPU utilization (in %)."
Obj = dict[str, Any]


def render(nodes: list[Obj], pods: list[Obj], utilization: Callable[[str, str], float], jitter: random.Random) -> str:
    """The page for `nodes` and the Running `pods` bound to them; `utilization(namespace, pod)` is 0..1."""
    held: dict[str, list[tuple[str, str, str]]] = {}  # node → one (container, namespace, pod) per GPU it holds
    for pod in pods:
        node = pod.get("spec", {}).get("nodeName")
        if not node or pod.get("status", {}).get("phase") != "Running":
            continue
        container = pod["spec"]["containers"][0]
        gpus = int(container.get("resources", {}).get("limits", {}).get("nvidia.com/gpu", "0"))
        meta = pod["metadata"]
        held.setdefault(node, []).extend([(container["name"], meta["namespace"], meta["name"])] * gpus)
    lines = [f"# HELP DCGM_FI_DEV_GPU_UTIL {GPU_UTIL_HELP}", "# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
    for node in nodes:
        name = node["metadata"]["name"]
        labels: Mapping[str, str] = node["metadata"].get("labels", {})
        product = labels.get("nvidia.com/gpu.product")  # GFD's dashed product name; DCGM writes it with spaces
        model = product.replace("-", " ") if product else "NVIDIA A100-SXM4-40GB"
        count = int(node.get("status", {}).get("capacity", {}).get("nvidia.com/gpu", "0"))
        owners = held.get(name, [])
        for gpu in range(count):
            container, namespace, pod_name = owners[gpu] if gpu < len(owners) else ("", "", "")
            ratio = utilization(namespace, pod_name) if pod_name else 0.0
            percent = max(0, min(100, round(ratio * 100 + jitter.uniform(-3, 3)))) if pod_name else 0
            gpu_uuid = f"GPU-{uuid.uuid5(uuid.NAMESPACE_DNS, f'{name}/{gpu}')}"
            bus = f"00000000:{0x18 + 0x10 * gpu:02X}:00.0"
            lines.append(
                f'DCGM_FI_DEV_GPU_UTIL{{gpu="{gpu}",UUID="{gpu_uuid}",pci_bus_id="{bus}",'
                f'device="nvidia{gpu}",modelName="{model}",Hostname="{name}",container="{container}",'
                f'namespace="{namespace}",pod="{pod_name}"}} {percent}'
            )
    return "\n".join(lines) + "\n"


class FakeDcgmExporter:
    """Serves `render` of the API server's nodes and pods at http://127.0.0.1:<port>/metrics."""

    def __init__(self, api: LocalApiServer, utilization: Callable[[str, str], float], seed: int = 11) -> None:
        self._api = api
        self._utilization = utilization
        self._jitter = random.Random(seed)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="demo-dcgm", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/metrics"

    def page(self) -> str:
        with self._lock:  # one Random, many request threads
            return render(
                self._api.objects("v1", "Node"), self._api.objects("v1", "Pod"), self._utilization, self._jitter
            )

    def start(self) -> FakeDcgmExporter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                body = exporter.page().encode()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
