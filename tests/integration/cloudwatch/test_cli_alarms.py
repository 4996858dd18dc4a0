"""`trainspend alarms sync [--dry-run]` against the moto server, configured through the environment."""

from __future__ import annotations

import json

import boto3
import pytest
import typer
from typer.testing import CliRunner

from monitor.cli import alarms

pytestmark = pytest.mark.integration


def build_app() -> typer.Typer:
    """Just this command group, registered the way `monitor.cli.main` registers it."""
    app = typer.Typer()
    alarms.register(app)
    return app


@pytest.fixture
def env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TRAINSPEND_CLUSTER", "prod")
    monkeypatch.setenv("TRAINSPEND_CLOUDWATCH__ENABLED", "true")
    monkeypatch.setenv("TRAINSPEND_CLOUDWATCH__ENDPOINT_URL", moto_url)
    monkeypatch.setenv("TRAINSPEND_BUDGETS", json.dumps([{"name": "research", "limit_usd": 1000}]))
    return moto_url


def _names(moto_url: str) -> list[str]:
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_url)
    return sorted(a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"])


def test_dry_run_prints_the_plan_and_changes_nothing(env: str) -> None:
    result = CliRunner().invoke(build_app(), ["alarms", "sync", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would create trainspend-prod-research-80: ProjectedSpendUSD >= 800" in result.output
    assert "would create trainspend-prod-research-100: ProjectedSpendUSD >= 1000" in result.output
    assert _names(env) == []


def test_sync_creates_then_reports_in_sync(env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(build_app(), ["alarms", "sync"]).exit_code == 0
    assert _names(env) == ["trainspend-prod-research-100", "trainspend-prod-research-80"]
    again = runner.invoke(build_app(), ["alarms", "sync", "--dry-run"])
    assert "alarms in sync" in again.output


def test_disabled_cloudwatch_says_how_to_enable(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_CLOUDWATCH__ENABLED", "false")
    result = CliRunner().invoke(build_app(), ["alarms", "sync"])
    assert result.exit_code == 2
    assert "TRAINSPEND_CLOUDWATCH__ENABLED=true" in result.output
