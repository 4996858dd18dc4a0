"""The read-only page over real HTTP: `/` is HTML whose every script and stylesheet is served with its type from the
package, and every API path the script calls is a route of the same server. The in-browser check (the demo's jobs
rendered, a chart drawn, no console message, in headless Chromium) is tests/e2e/test_web_page_chromium.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from importlib.resources import files

import httpx
import pytest

from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import TickResult, WorkloadStatus
from monitor.core.state import LatestResult
from monitor.http.api import ApiDeps, HttpApi

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.paths.append(str(values["src"]))
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.paths.append(str(values["href"]))


@pytest.fixture
def base_url() -> Iterator[str]:
    latest = LatestResult()
    ref = WorkloadRef(kind="Job", api_version="batch/v1", namespace="ml", name="llama", uid="u1")
    job = WorkloadStatus(ref=ref, cost_usd=3.0, hourly_cost_usd=1.0)
    latest.publish(TickResult(cluster="demo", at=AT, jobs=(job,)))
    deps = ApiDeps(latest=latest, metrics=lambda: b"", readiness=lambda: (True, {}), history=list,
                   hourly_spend=lambda uid: [(AT, 3.0)])  # fmt: skip
    api = HttpApi(deps, "127.0.0.1", 0)
    api.start()
    host, port = api.address
    yield f"http://{host}:{port}"
    api.stop()


def test_root_is_the_page_and_its_assets_are_served(base_url: str) -> None:
    page = httpx.get(base_url + "/", timeout=5)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    parser = _Assets()
    parser.feed(page.text)
    assert sorted(parser.paths) == ["/ui/app.js", "/ui/style.css"]
    types = {"/ui/app.js": "text/javascript", "/ui/style.css": "text/css"}
    for path in parser.paths:
        response = httpx.get(base_url + path, timeout=5)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(types[path])
        assert response.content == files("monitor.http.web").joinpath(path.removeprefix("/ui/")).read_bytes()


def test_other_ui_paths_are_json_404s(base_url: str) -> None:
    for path in ("/ui/../api.py", "/ui/missing.js", "/ui/"):
        response = httpx.get(base_url + path, timeout=5)
        assert response.status_code == 404
        assert "error" in response.json()


def test_every_api_path_the_script_calls_is_served(base_url: str) -> None:
    script = files("monitor.http.web").joinpath("app.js").read_text(encoding="utf-8")
    called = set(re.findall(r'"(/api/v1/[a-z/]+)"', script))
    assert {"/api/v1/jobs", "/api/v1/budgets", "/api/v1/jobs/"} <= called
    assert '"/history"' in script
    for path in ("/api/v1/jobs", "/api/v1/budgets", "/api/v1/jobs/ml/llama", "/api/v1/jobs/ml/llama/history"):
        assert httpx.get(base_url + path, timeout=5).status_code == 200, path
