"""The page in a real browser: Debian's headless Chromium loads `/` from the demo daemon, the demo's jobs appear in
the table, one Job's page draws its cost curve (an SVG polyline) and its projection over time (the p50 and band of
every stored snapshot), and Chromium logs no console error.

Chromium runs with the flags the project allows (no network beyond 127.0.0.1, no sandbox in containers);
`--dump-dom` prints the DOM after scripts ran, `--enable-logging=stderr` prints every console message."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from monitor.demo.runner import DemoRunner
from tests.fixtures.binaries import require_binary

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=8000",
]


def _chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _console_messages(stderr: str) -> list[str]:
    """Every console message and uncaught error the page produced: Chromium logs them as `...:CONSOLE(...)` lines on
    stderr with --enable-logging, at INFO level whatever the console method, so the page must log nothing at all."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_the_console_check_sees_errors_in_a_broken_page(tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    page = tmp_path / "bad.html"
    page.write_text('<script>console.error("boom"); undefinedFunction();</script>', encoding="utf-8")
    result = _chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    messages = _console_messages(result.stderr)
    assert any("boom" in m for m in messages)
    assert any("undefinedFunction is not defined" in m for m in messages)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRunner]:
    runner = DemoRunner(listen="127.0.0.1:0", speed=120.0, db_path=tmp_path_factory.mktemp("page") / "demo.db")
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            items = httpx.get(f"{runner.url}/api/v1/jobs", timeout=5).json()["items"]
            if items and all(j["cost_usd"] > 0 for j in items[:3]):
                break
            time.sleep(0.5)
        yield runner
    finally:
        runner.stop()


def test_fleet_page_shows_the_demos_jobs_without_console_messages(demo: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    names = [j["name"] for j in httpx.get(f"{demo.url}/api/v1/jobs", timeout=5).json()["items"]]
    result = _chromium(chromium, tmp_path / "profile", "--dump-dom", f"{demo.url}/")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'class="job"' in dom
    for name in names:
        assert f"/{name}" in dom  # every job of the demo is a row linking to its page
    assert "Budgets (" in dom
    assert "Cannot load" not in dom
    # the demo's simulated dcgm-exporter: a measured job shows its GPU utilization as a percentage
    assert re.search(r'class="num gpu-util">[0-9]{1,3}%<', dom)
    assert _console_messages(result.stderr) == []


def test_job_page_draws_the_cost_curve(demo: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    job = httpx.get(f"{demo.url}/api/v1/jobs", timeout=5).json()["items"][0]
    url = f"{demo.url}/#/job/{job['namespace']}/{job['name']}"
    result = _chromium(chromium, tmp_path / "profile", "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'id="cost-chart"' in result.stdout
    assert 'class="cost-line"' in result.stdout  # the polyline of cumulative spend per hour
    assert 'id="gpu-utilization"' in result.stdout
    assert _console_messages(result.stderr) == []


def test_job_page_draws_the_projection_over_time_from_the_stored_snapshots(demo: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    job = next(j for j in httpx.get(f"{demo.url}/api/v1/jobs", timeout=5).json()["items"] if j["projected_cost_usd"])
    base = f"{demo.url}/api/v1/jobs/{job['namespace']}/{job['name']}"
    deadline = time.monotonic() + 30
    while len(httpx.get(f"{base}/history", timeout=5).json()["projections"]) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)  # the demo's clock runs x120: a snapshot every simulated job_snapshot_interval_seconds
    stored = httpx.get(f"{base}/history", timeout=5).json()["projections"]
    assert len(stored) >= 3
    result = _chromium(
        chromium, tmp_path / "profile", "--dump-dom", f"{demo.url}/#/job/{job['namespace']}/{job['name']}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'id="projection-chart"' in dom
    assert 'class="projection-band"' in dom
    p50 = re.search(r'<polyline points="([^"]+)"[^>]*class="projection-p50"', dom)
    assert p50 is not None, dom[-3000:]
    xs = [float(point.split(",")[0]) for point in p50.group(1).split()]
    assert len(xs) >= len(stored)  # one vertex per stored snapshot (more if the demo saved some since)
    assert xs == sorted(xs)  # oldest to newest, left to right
    assert "no projection stored yet" not in dom
    assert _console_messages(result.stderr) == []


def test_screenshot_of_the_fleet_page(demo: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    shot = tmp_path / "page.png"
    result = _chromium(chromium, tmp_path / "profile", "--window-size=1400,900", f"--screenshot={shot}", f"{demo.url}/")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


TOKEN = "page-token-0123456789abcdef"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRunner]:
    runner = DemoRunner(
        listen="127.0.0.1:0", speed=120.0, db_path=tmp_path_factory.mktemp("guarded") / "demo.db", api_token=TOKEN
    )
    runner.start()
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not httpx.get(f"{runner.url}/api/v1/jobs", headers=auth).json()["items"]:
            time.sleep(0.5)
        yield runner
    finally:
        runner.stop()


def test_with_a_token_in_the_fragment_the_page_sends_it_and_shows_the_jobs(guarded: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    assert httpx.get(f"{guarded.url}/api/v1/jobs", timeout=5).status_code == 401
    # the fragment is never sent to the server: the page reads it, keeps it in sessionStorage, sends it as a header
    result = _chromium(chromium, tmp_path / "profile", "--dump-dom", f"{guarded.url}/#token={TOKEN}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'class="job"' in result.stdout
    assert "token-form" not in result.stdout
    assert _console_messages(result.stderr) == []


def test_a_job_page_link_with_a_token_keeps_its_route(guarded: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    job = httpx.get(f"{guarded.url}/api/v1/jobs", headers=auth, timeout=5).json()["items"][0]
    url = f"{guarded.url}/#/job/{job['namespace']}/{job['name']}&token={TOKEN}"
    result = _chromium(chromium, tmp_path / "profile", "--dump-dom", url)
    assert 'id="cost-chart"' in result.stdout
    assert _console_messages(result.stderr) == []


def test_without_the_token_the_page_asks_for_it_instead_of_failing(guarded: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    result = _chromium(chromium, tmp_path / "profile", "--dump-dom", f"{guarded.url}/")
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'id="token-form"' in result.stdout
    assert "needs its API token" in result.stdout
    assert 'class="job"' not in result.stdout
    # the only console lines are Chromium's own notes of the refused requests, no script error
    assert all("401" in m for m in _console_messages(result.stderr)), _console_messages(result.stderr)
