from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.config.settings import Settings


def test_nested_environment_variables_reach_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_CLUSTER", "prod-eu")
    monkeypatch.setenv("TRAINSPEND_STORE__URL", "postgresql+psycopg://u@db/trainspend")
    monkeypatch.setenv("TRAINSPEND_PRICING__DISCOUNT_PERCENT", "12.5")
    settings = Settings()
    assert settings.cluster == "prod-eu"
    assert settings.store.url == "postgresql+psycopg://u@db/trainspend"
    assert settings.pricing.discount_percent == 12.5


def test_unknown_setting_is_rejected_with_its_name() -> None:
    with pytest.raises(ValidationError, match="tick_secs"):
        Settings(tick_secs=5)  # type: ignore[call-arg]


def test_yaml_file_then_secrets_dir_then_environment(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "cluster: from-yaml\ntick_seconds: 15\nnotify:\n  pagerduty_routing_key: yaml-key\n"
        "budgets:\n  - {name: nlp, limit_usd: 1000, team: nlp}\n"
    )
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "TRAINSPEND_NOTIFY__PAGERDUTY_ROUTING_KEY").write_text("secret-key\n")
    (secrets / "..data").mkdir()  # what a Kubernetes Secret volume also contains
    monkeypatch.setenv("TRAINSPEND_CONFIG_FILE", str(config))
    monkeypatch.setenv("TRAINSPEND_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("TRAINSPEND_CLUSTER", "from-env")
    settings = Settings()
    assert settings.cluster == "from-env"
    assert settings.tick_seconds == 15
    assert settings.budgets[0].name == "nlp"
    assert settings.notify.pagerduty_routing_key is not None
    assert settings.notify.pagerduty_routing_key.get_secret_value() == "secret-key"
    assert "secret-key" not in settings.model_dump_json()


def test_a_monthly_price_override_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="gpu_usd_per_hour"):
        Settings(pricing={"gpu_usd_per_hour": {"H100-SXM": 1800.0}})  # type: ignore[arg-type]


def test_opencost_series_default_off_and_set_by_env_or_config_file_for_run_and_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from monitor.demo.runner import demo_settings

    assert Settings().exporter.opencost_series is False
    monkeypatch.setenv("TRAINSPEND_EXPORTER__OPENCOST_SERIES", "true")
    assert Settings().exporter.opencost_series is True
    assert demo_settings("127.0.0.1:0", "http://127.0.0.1:1", tmp_path / "d.db").exporter.opencost_series is True
    monkeypatch.delenv("TRAINSPEND_EXPORTER__OPENCOST_SERIES")
    config = tmp_path / "config.yaml"
    config.write_text("exporter:\n  opencost_series: true\ncurrency: CNY\n")
    monkeypatch.setenv("TRAINSPEND_CONFIG_FILE", str(config))
    demo = demo_settings("127.0.0.1:0", "http://127.0.0.1:1", tmp_path / "d.db")
    assert (demo.exporter.opencost_series, demo.currency, demo.cluster) == (True, "CNY", "demo")
    monkeypatch.setenv("TRAINSPEND_EXPORTER__OPENCOST_SERIES", "maybe")
    with pytest.raises(ValueError, match="opencost_series"):
        Settings()


def test_demo_takes_the_api_token_from_the_environment_like_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from monitor.demo.runner import demo_settings

    monkeypatch.setenv("TRAINSPEND_API_TOKEN", "s3cret-token-from-env-0123456789")
    for settings in (Settings(), demo_settings("127.0.0.1:0", "http://127.0.0.1:1", tmp_path / "d.db")):
        assert settings.api_token is not None
        assert settings.api_token.get_secret_value() == "s3cret-token-from-env-0123456789"
    given = demo_settings("127.0.0.1:0", "http://127.0.0.1:1", tmp_path / "d.db", api_token="given-token-0123456789ab")
    assert given.api_token is not None
    assert given.api_token.get_secret_value() == "given-token-0123456789ab"


def test_job_snapshot_interval_is_read_from_the_environment_and_must_be_positive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRAINSPEND_JOB_SNAPSHOT_INTERVAL_SECONDS", "60")
    assert Settings().job_snapshot_interval_seconds == 60.0
    monkeypatch.setenv("TRAINSPEND_JOB_SNAPSHOT_INTERVAL_SECONDS", "0")
    with pytest.raises(ValidationError, match="job_snapshot_interval_seconds"):
        Settings()


def test_suspend_options_without_action_suspend_are_refused_naming_the_fix() -> None:
    import pytest
    from pydantic import ValidationError

    from monitor.config.settings import BudgetSettings

    with pytest.raises(ValidationError, match=r"budgets\['cap'\]: dry_run/suspend_via only apply to action: suspend"):
        BudgetSettings(name="cap", limit_usd=10, dry_run=True)
    assert BudgetSettings(name="cap", limit_usd=10).action == "alert"  # never on by default
    assert BudgetSettings(name="cap", limit_usd=10, action="suspend", dry_run=True).dry_run
