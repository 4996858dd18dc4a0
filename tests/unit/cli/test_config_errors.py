"""Configuration mistakes give one clear message naming the setting (or variable) and the fix, exit 2, no traceback."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from monitor.cli.config import format_validation_error
from monitor.cli.main import build_app
from monitor.config.settings import BudgetSettings, Settings


def _invoke(*args: str):
    return CliRunner().invoke(build_app(), list(args))


def _assert_clean_config_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr


def test_missing_config_file_names_the_variable_and_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_CONFIG_FILE", "/nonexistent.yaml")
    _assert_clean_config_error(_invoke("check-config"), "TRAINSPEND_CONFIG_FILE='/nonexistent.yaml'", "no such file")


def test_yaml_that_is_not_a_mapping_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("- cluster: prod\n")
    monkeypatch.setenv("TRAINSPEND_CONFIG_FILE", str(config))
    _assert_clean_config_error(_invoke("check-config"), str(config), "mapping of settings", "not a list")


def test_broken_yaml_names_the_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("cluster: [prod\n")
    monkeypatch.setenv("TRAINSPEND_CONFIG_FILE", str(config))
    _assert_clean_config_error(_invoke("check-config"), "TRAINSPEND_CONFIG_FILE", "cannot read it as YAML", "line 2")


def test_missing_secrets_dir_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_SECRETS_DIR", "/nonexistent")
    _assert_clean_config_error(
        _invoke("check-config"), "TRAINSPEND_SECRETS_DIR='/nonexistent'", "not a directory", "unset"
    )


def test_a_list_setting_that_is_not_json_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_BUDGETS", "nlp=1000")
    _assert_clean_config_error(_invoke("check-config"), '"budgets"', "must be JSON")


def test_check_config_says_which_sources_it_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("cluster: from-yaml\n")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    monkeypatch.setenv("TRAINSPEND_CONFIG_FILE", str(config))
    monkeypatch.setenv("TRAINSPEND_SECRETS_DIR", str(secrets))
    result = _invoke("check-config")
    assert result.exit_code == 0, result.output
    assert f"config file: {config}" in result.stderr
    assert f"secrets dir: {secrets}" in result.stderr
    assert "cluster: from-yaml" in result.stdout
    assert "config file" not in result.stdout  # stdout stays machine-readable YAML/JSON


def test_check_config_without_sources_says_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAINSPEND_CONFIG_FILE", raising=False)
    monkeypatch.delenv("TRAINSPEND_SECRETS_DIR", raising=False)
    result = _invoke("check-config", "--json")
    assert result.exit_code == 0, result.output
    assert "config file: none (TRAINSPEND_CONFIG_FILE unset)" in result.stderr


def test_validation_errors_drop_pydantics_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_LISTEN", "nonsense")
    result = _invoke("check-config")
    _assert_clean_config_error(result, "listen (env TRAINSPEND_LISTEN) = 'nonsense'", "HOST:PORT")
    assert "Value error," not in result.stderr


@pytest.mark.parametrize("name", ["NLP", "nlp_monthly", "-nlp", "nlp-", "a" * 64, "", "nlp monthly"])
def test_budget_names_must_fit_alarm_names_and_labels(name: str) -> None:
    with pytest.raises(ValidationError, match=r"budgets\[\]\.name=.*lower-case letters, digits and '-'"):
        BudgetSettings(name=name, limit_usd=100)


@pytest.mark.parametrize("name", ["nlp", "nlp-monthly", "a" * 63, "team-1"])
def test_good_budget_names_pass(name: str) -> None:
    assert BudgetSettings(name=name, limit_usd=100).name == name


def test_duplicate_budget_names_are_rejected() -> None:
    budgets = [{"name": "nlp", "limit_usd": 100}, {"name": "nlp", "limit_usd": 200, "team": "nlp"}]
    with pytest.raises(ValidationError, match=r"budgets\[\]\.name='nlp' appears twice"):
        Settings(budgets=budgets)


@pytest.mark.parametrize("listen", ["nonsense", "8080", "host:", "127.0.0.1:70000", "127.0.0.1:http"])
def test_listen_must_be_host_port(listen: str) -> None:
    with pytest.raises(ValidationError, match="expected HOST:PORT"):
        Settings(listen=listen)


@pytest.mark.parametrize("listen", ["0.0.0.0:8080", "127.0.0.1:0", "[::]:9090", ":8080"])
def test_good_listen_values_pass(listen: str) -> None:
    assert Settings(listen=listen).listen == listen


# --- secrets in configuration errors (issue 12 item 7, issue 15 item 4) -------------------------------------------
_SECRETS = st.text(alphabet=string.ascii_letters + string.digits, min_size=12, max_size=40).map(lambda s: "S3cr" + s)


def _error_text(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**values)
    return format_validation_error(caught.value)


@given(secret=_SECRETS)
def test_a_misspelt_secret_key_never_echoes_its_value(secret: str) -> None:
    url = f"https://hooks.slack.com/services/T0/B0/{secret}"
    text = _error_text(notify={"slack_webhok_url": url})
    assert secret not in text
    assert "notify.slack_webhok_url: unknown setting" in text
    assert "did you mean 'slack_webhook_url'" in text


@given(secret=_SECRETS, bad=st.sampled_from(["dict", "list", "int"]))
def test_a_secret_field_of_the_wrong_type_never_echoes_its_value(secret: str, bad: str) -> None:
    value: object = {"key": secret} if bad == "dict" else [secret] if bad == "list" else int("9" * 20)
    text = _error_text(pricing={"gcp_api_key": value})
    assert secret not in text
    assert "pricing.gcp_api_key (env TRAINSPEND_PRICING__GCP_API_KEY) = <secret, not shown" in text


@given(secret=_SECRETS)
def test_a_section_rejected_as_a_whole_shows_its_keys_not_its_secret_values(secret: str) -> None:
    # PricingSettings' before-validator rejects the whole section (a monthly key): its input is every key's value.
    text = _error_text(pricing={"usd_per_month": 3, "gcp_api_key": secret})
    assert secret not in text
    assert "gcp_api_key: ..." in text


@given(password=_SECRETS)
def test_a_url_with_a_password_in_a_plain_field_is_masked(password: str) -> None:
    text = _error_text(kube={"request_timeout_seconds": f"postgresql://trainspend:{password}@db:5432/x"})
    assert password not in text
    assert "postgresql://trainspend:***@db:5432/x" in text


def test_a_yaml_typo_names_the_file_and_suggests_without_an_env_variable_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        'pricing:\n  aws_enabld: true\nnotify:\n  slack_webhok_url: "https://hooks.slack.com/x/Y/SEKRIT"\n'
    )
    monkeypatch.setenv("TRAINSPEND_CONFIG_FILE", str(config))
    result = _invoke("check-config")
    _assert_clean_config_error(
        result,
        f"pricing.aws_enabld: unknown setting (in TRAINSPEND_CONFIG_FILE={str(config)!r})",
        "did you mean 'aws_enabled'",
        "did you mean 'slack_webhook_url'",
    )
    assert "SEKRIT" not in result.output
    assert "TRAINSPEND_PRICING__AWS_ENABLD" not in result.output  # no such variable exists


def test_an_env_typo_names_the_variable_that_holds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_STORE__URLL", "postgresql://u:pw@db/x")
    result = _invoke("check-config")
    _assert_clean_config_error(
        result, "store.urll: unknown setting (from the environment variable TRAINSPEND_STORE__URLL)", "'url'"
    )
    assert "pw" not in result.stderr


def test_an_item_of_a_list_names_the_lists_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_BUDGETS", '[{"name": "nlp", "limit_usd": -1}]')
    result = _invoke("check-config")
    _assert_clean_config_error(result, "budgets.0.limit_usd (env TRAINSPEND_BUDGETS) = -1")


def test_check_config_masks_credentials_in_every_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_STORE__URL", "postgresql://trainspend:hunter2pw@db.example:5432/ts")
    monkeypatch.setenv("TRAINSPEND_PRICING__AZURE_ENDPOINT_URL", "https://proxy.example/prices?api_key=azkeyvalue")
    monkeypatch.setenv("TRAINSPEND_NOTIFY__PAGERDUTY_URL", "https://u:pdpassword@pd.example/v2/enqueue")
    result = _invoke("check-config", "--json")
    assert result.exit_code == 0, result.output
    for secret in ("hunter2pw", "azkeyvalue", "pdpassword"):
        assert secret not in result.output
    effective = json.loads(result.stdout)
    assert effective["store"]["url"] == "postgresql://trainspend:***@db.example:5432/ts"
