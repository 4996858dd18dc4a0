"""Credentials are masked by parsing (issue 12 item 7): URL passwords and credential query values, whatever the host's
case or where the URL is echoed; `check-config` never prints the PostgreSQL password."""

from __future__ import annotations

import logging
import string

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from monitor.adapters.notify.redact import install_redaction, mask
from monitor.cli.main import build_app
from monitor.config.redaction import mask_credentials

secret_text = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%!$*", min_size=8, max_size=40)


@given(secret_text, st.sampled_from(["postgresql+psycopg", "postgresql", "mysql", "https"]))
def test_url_password_never_survives(password: str, scheme: str) -> None:
    text = f"could not connect to {scheme}://trainspend:{password}@DB.internal:5432/ts (timeout)"
    masked = mask_credentials(text)
    assert password not in masked
    assert f"{scheme}://trainspend:***@DB.internal:5432/ts (timeout)" in masked


@given(secret_text, st.sampled_from(["key", "KEY", "api_key", "access_token", "sig"]))
def test_credential_query_values_never_survive(value: str, name: str) -> None:
    line = (
        f'HTTP Request: GET https://CloudBilling.googleapis.com/v1/services/x/skus?pageSize=5000&{name}={value} "200"'
    )
    masked = mask_credentials(line)
    assert value not in masked
    assert "pageSize=5000" in masked


def test_a_secret_echoed_with_another_case_is_masked() -> None:
    url = "https://hooks.slack.com/services/T0SECRET/B0SECRET/XXSECRETXX"
    echoed = "invalid_token for HTTPS://HOOKS.SLACK.COM/services/t0secret/B0SECRET/xxsecretxx"
    assert "SECRET" not in mask(echoed, [url]).upper().replace("***", "")


def test_httpx_request_lines_lose_the_gcp_key(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction([])
    caplog.set_level(logging.INFO, logger="httpx")

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        client.get("https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus", params={"key": "AIzaSECRET"})
    assert "HTTP Request" in caplog.text
    assert "AIzaSECRET" not in caplog.text


def test_check_config_masks_the_store_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_STORE__URL", "postgresql+psycopg://trainspend:Hunter2pw@db:5432/trainspend")
    result = CliRunner().invoke(build_app(), ["check-config", "--json"])
    assert result.exit_code == 0, result.output
    assert "Hunter2pw" not in result.output
    assert "postgresql+psycopg://trainspend:***@db:5432/trainspend" in result.output


def test_json_log_lines_carry_no_secret_in_extra_fields() -> None:
    """`log_format: json` writes every `extra=` field: the filter masks those as it masks the message."""
    import json

    from monitor.adapters.notify.redact import RedactingFilter
    from monitor.cli.logs import JsonFormatter

    secret = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "posted to %s", (secret,), None)
    record.endpoint = secret.upper()  # an endpoint may echo the URL in another case
    record.upstream = "https://user:hunter2@proxy.example:3128/"  # found by parsing, not configured
    record.attempt = 3
    assert RedactingFilter([secret]).filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "SECRET" not in line.upper()
    assert "hunter2" not in line
    assert (entry["message"], entry["endpoint"], entry["attempt"]) == ("posted to ***", "***", 3)
