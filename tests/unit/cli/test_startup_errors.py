"""`run`, `demo`, `alarms sync` and `db upgrade` failures a user can fix: one line naming the setting or flag and the
fix, exit 2 (configuration) or 1 (runtime), never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.main import build_app


def _invoke(*args: str):
    return CliRunner().invoke(build_app(), list(args))


def _console_script() -> str:
    script = Path(sys.executable).parent / "trainspend"
    if not script.exists():
        pytest.fail("the `trainspend` console script is not installed: pip install -e .")
    return str(script)


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _run_without_cluster(tmp_path: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """`trainspend run` in a process with no kubeconfig anywhere and no in-cluster service account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAINSPEND_", "KUBE"))}
    env.update(
        HOME=str(tmp_path),  # no ~/.kube/config
        TRAINSPEND_STORE__URL=f"sqlite:///{tmp_path / 'run.db'}",
        TRAINSPEND_LISTEN="127.0.0.1:0",
        TRAINSPEND_LOG_LEVEL="WARNING",
        **extra_env,
    )
    return subprocess.run([_console_script(), "run"], capture_output=True, text=True, timeout=60, env=env)


def test_run_without_kubeconfig_or_cluster_says_how_to_configure(tmp_path: Path) -> None:
    completed = _run_without_cluster(tmp_path)
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "no Kubernetes API configuration" in completed.stderr
    assert "TRAINSPEND_KUBE__KUBECONFIG" in completed.stderr
    assert "KUBECONFIG" in completed.stderr
    assert "run inside a cluster" in completed.stderr


def test_run_with_a_kubeconfig_path_that_does_not_exist_names_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-kubeconfig")
    completed = _run_without_cluster(tmp_path, TRAINSPEND_KUBE__KUBECONFIG=missing)
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    assert f"kube.kubeconfig='{missing}'" in completed.stderr


def test_demo_with_a_bad_listen_names_the_flag() -> None:
    result = _invoke("demo", "--listen", "nonsense", "--duration", "1", "--quiet")
    assert result.exit_code == 2, result.output
    assert "--listen = 'nonsense'" in result.stderr
    assert "expected HOST:PORT" in result.stderr
    assert "Traceback" not in result.output


def test_demo_on_a_busy_port_names_the_port_and_a_way_out(busy_port: int, tmp_path: Path) -> None:
    listen = f"127.0.0.1:{busy_port}"
    result = _invoke("demo", "--listen", listen, "--duration", "1", "--quiet", "--db", str(tmp_path / "d.db"))
    assert result.exit_code == 1, result.output
    assert f"port {busy_port} is already in use" in result.stderr
    assert "--listen 127.0.0.1:0" in result.stderr
    assert "Traceback" not in result.output


def test_alarms_sync_against_an_unreachable_endpoint_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening, refuses connections
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
        monkeypatch.setenv("TRAINSPEND_CLOUDWATCH__ENABLED", "true")
        monkeypatch.setenv("TRAINSPEND_CLOUDWATCH__ENDPOINT_URL", endpoint)
        monkeypatch.setenv("TRAINSPEND_BUDGETS", '[{"name": "research", "limit_usd": 1000}]')
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        result = _invoke("alarms", "sync", "--dry-run")
    assert result.exit_code == 1, result.output
    assert "Could not connect to the endpoint URL" in result.stderr
    assert "TRAINSPEND_CLOUDWATCH__ENDPOINT_URL" in result.stderr
    assert "Traceback" not in result.output


def test_alarms_sync_with_cloudwatch_disabled_exits_2_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_CLOUDWATCH__ENABLED", "false")
    result = _invoke("alarms", "sync", "--dry-run")
    assert result.exit_code == 2, result.output
    assert "TRAINSPEND_CLOUDWATCH__ENABLED=true" in result.stderr


def test_db_upgrade_against_an_unreachable_database_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"postgresql+psycopg://trainspend:hunter2@127.0.0.1:{sock.getsockname()[1]}/trainspend"
        result = _invoke("db", "upgrade", "--url", url)
    assert result.exit_code == 1, result.output
    assert "cannot upgrade" in result.stderr
    assert "Connection refused" in result.stderr
    assert "hunter2" not in result.output
    assert "Traceback" not in result.output


def test_db_upgrade_with_a_bad_configuration_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_CONFIG_FILE", "/nonexistent.yaml")
    result = _invoke("db", "upgrade")
    assert result.exit_code == 2, result.output
    assert "TRAINSPEND_CONFIG_FILE" in result.stderr
