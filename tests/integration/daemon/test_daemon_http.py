"""Issue 12 items 6 and 7 against the real daemon's listener: 200 concurrent clients all answered, gzip for /metrics
when asked, an idle or HTTP/0.9 connection closed by the socket timeout instead of holding a thread, 4xx for bad input;
with an API token, /metrics and /api/v1 answer 401 without it while the probes and the page's assets stay open."""

from __future__ import annotations

import gzip
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import SecretStr

from monitor.core.clock import ManualClock
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon
from tests.integration.daemon.helpers import gpu_node, settings_for


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # 127.0.0.1
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_listener_holds_concurrency_compresses_and_times_out(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path
) -> None:
    for i in range(3):
        server.create(gpu_node(f"n-{i}", "p4d.24xlarge"))
    daemon = build_daemon(settings_for(server, tmp_path / "ts.db"), clock)
    daemon.http.start()
    daemon.source.start()
    try:
        assert daemon.source.wait_synced(10)
        daemon.tick()
        paths = ["/metrics", "/api/v1/jobs"] * 200
        with ThreadPoolExecutor(max_workers=200) as pool:
            statuses = list(pool.map(lambda path: get(daemon.url + path)[0], paths))
        assert statuses == [200] * len(paths)

        status, headers, zipped = get(daemon.url + "/metrics", {"Accept-Encoding": "gzip"})
        _, plain_headers, plain = get(daemon.url + "/metrics")
        assert status == 200
        assert headers.get("Content-Encoding") == "gzip"
        assert "Content-Encoding" not in plain_headers
        # the same body, but for the process's own series (CPU seconds, memory), which move between two scrapes
        assert _steady(gzip.decompress(zipped)) == _steady(plain)
        assert b"trainspend_job_cost_usd_total" in plain
        assert len(zipped) < len(plain)

        assert get(daemon.url + "/api/v1/estimate?model=llama-3-8b&tokens=1e999999999")[0] == 400

        host, port = daemon.http.address
        for opening in (b"", b"GET /metrics\r\n"):  # idle; an HTTP/0.9 request line and nothing more
            with socket.create_connection((host, port), timeout=30) as conn:
                conn.sendall(opening)
                started = time.monotonic()
                while conn.recv(65536):
                    pass  # whatever it answers, the server must then close the connection
                assert time.monotonic() - started < 20
    finally:
        daemon.stop()


def _steady(body: bytes) -> list[bytes]:
    return [line for line in body.splitlines() if not line.startswith((b"process_", b"python_gc_"))]


TOKEN = "0123456789abcdef0123456789abcdef"


def test_with_an_api_token_metrics_and_the_api_need_it_and_probes_and_the_page_do_not(
    server: LocalApiServer, clock: ManualClock, tmp_path: Path
) -> None:
    server.create(gpu_node("n-0", "p4d.24xlarge"))
    settings = settings_for(server, tmp_path / "ts.db").model_copy(update={"api_token": SecretStr(TOKEN)})
    daemon = build_daemon(settings, clock)
    daemon.http.start()
    daemon.source.start()
    try:
        assert daemon.source.wait_synced(10)
        daemon.tick()
        for path in ("/metrics", "/api/v1/jobs", "/api/v1/budgets", "/api/v1/jobs/ns/x/history", "/api/v1/nowhere"):
            for headers in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": f"Basic {TOKEN}"},
                {"Authorization": f"Bearer {TOKEN}x"},
                {"Authorization": f"Bearer {TOKEN[:-1]}"},
            ):
                status, answer, body = get(daemon.url + path, headers)
                assert status == 401, (path, headers)
                assert answer["WWW-Authenticate"] == 'Bearer realm="trainspend"'
                assert TOKEN not in body.decode()
        for scheme in ("Bearer", "bearer", "BEARER"):
            status, _, body = get(daemon.url + "/metrics", {"Authorization": f"{scheme} {TOKEN}"})
            assert status == 200
            assert b"trainspend_job_cost_usd_total" in body or b"trainspend_node_hourly_cost_usd" in body
        assert get(daemon.url + "/api/v1/jobs", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
        for path in ("/healthz", "/readyz", "/", "/ui/app.js"):  # the kubelet and a browser's navigation send none
            assert get(daemon.url + path)[0] in (200, 503), path
    finally:
        daemon.stop()
