"""Configuration mistakes give one clear message naming the setting (or variable) and the fix, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

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
