"""Settings the pydantic model accepts but a builder refuses raise ConfigError naming the setting, the value and the
fix, and the CLI edge explains exactly those: any other ValueError is a bug and keeps its traceback."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from monitor.adapters.cloudwatch.factory import build_publisher, build_reconciler
from monitor.cli.main import build_app
from monitor.cli.startup import CONFIG_EXIT_CODE, explain_startup_error
from monitor.config.settings import BudgetSettings, CloudWatchSettings, Settings
from monitor.core.errors import ConfigError


def _explain(exc: BaseException):
    return explain_startup_error(exc, listen="127.0.0.1:8080", listen_flag="--listen", store_url="sqlite:///x.db")


def _settings(**changes: object) -> Settings:
    cloudwatch = changes.pop("cloudwatch", {})
    assert isinstance(cloudwatch, dict)
    return Settings(
        cloudwatch=CloudWatchSettings(enabled=True, region="us-east-1", **cloudwatch),
        budgets=[BudgetSettings(name="nlp-monthly", limit_usd=30_000)],
        **changes,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("namespace", ["AWS/EC2", ""])
def test_a_reserved_cloudwatch_namespace_is_a_config_error_naming_the_setting(namespace: str) -> None:
    # AWS reserves the AWS/ prefix for its services' namespaces (CloudWatch User Guide, "Namespaces").
    with pytest.raises(ConfigError, match=r"cloudwatch\.namespace=.*use a custom name, e\.g\. 'Trainspend'"):
        build_publisher(_settings(cloudwatch={"namespace": namespace}))


def test_a_non_positive_billing_alarm_is_a_config_error_the_cli_explains() -> None:
    with pytest.raises(ConfigError) as caught:
        build_reconciler(_settings(cloudwatch={"billing_alarm_usd": -5.0}))
    assert str(caught.value).startswith("cloudwatch.billing_alarm_usd=-5.0:")
    failure = _explain(caught.value)
    assert failure is not None
    assert failure.exit_code == CONFIG_EXIT_CODE
    assert "cloudwatch.billing_alarm_usd=-5.0" in failure.message


@given(
    st.text(min_size=1, max_size=30).filter(lambda s: any(not (c.isascii() and (c.isalnum() or c in "._-")) for c in s))
)
def test_a_cluster_name_no_alarm_name_can_hold_is_a_config_error_naming_cluster(cluster: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_reconciler(_settings(cluster=cluster))
    assert str(caught.value).startswith(f"cluster={cluster!r} cannot be part of an alarm name")


def test_a_value_error_from_a_bug_is_not_explained_as_a_setting() -> None:
    assert _explain(ValueError("math domain error")) is None
    explained = _explain(ConfigError("listen='x': expected HOST:PORT, e.g. 0.0.0.0:8080"))
    assert explained is not None
    assert explained.exit_code == CONFIG_EXIT_CODE


def test_alarms_sync_with_a_cluster_name_no_alarm_name_can_hold_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRAINSPEND_CLOUDWATCH__ENABLED", "true")
    monkeypatch.setenv("TRAINSPEND_CLUSTER", "prod east")
    result = CliRunner().invoke(build_app(), ["alarms", "sync", "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "error: cluster='prod east' cannot be part of an alarm name" in result.output
