"""The page in a real browser: Debian's headless Chromium loads `/` from the demo daemon, the demo's jobs appear in
the table, one Job's page draws its cost curve (an SVG polyline), and Chromium logs no console error.

Chromium runs with the flags the project allows (no network beyond 127.0.0.1, no sandbox in containers);
`--dump-dom` prints the DOM after scripts ran, `--enable-logging=stderr` prints every console message."""

from __future__ import annotations

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
    assert _console_messages(result.stderr) == []


def test_job_page_draws_the_cost_curve(demo: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    job = httpx.get(f"{demo.url}/api/v1/jobs", timeout=5).json()["items"][0]
    url = f"{demo.url}/#/job/{job['namespace']}/{job['name']}"
    result = _chromium(chromium, tmp_path / "profile", "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'id="cost-chart"' in result.stdout
    assert 'class="cost-line"' in result.stdout  # the polyline of cumulative spend per hour
    assert _console_messages(result.stderr) == []


def test_screenshot_of_the_fleet_page(demo: DemoRunner, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    shot = tmp_path / "page.png"
    result = _chromium(chromium, tmp_path / "profile", "--window-size=1400,900", f"--screenshot={shot}", f"{demo.url}/")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
