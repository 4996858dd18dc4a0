from __future__ import annotations

import json

import boto3
import pytest
import typer
from typer.testing import CliRunner

from estimator.catalog.offers import all_offers
from monitor.cli.planning import prices


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)  # keep `prices` a sub-command, as in the real multi-command app
    prices.register(app)
    return app


def test_json_lists_matching_catalog_offers_with_dates() -> None:
    result = CliRunner().invoke(_app(), ["prices", "--provider", "aws", "--instance-type", "p5.48xlarge", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    expected = [o for o in all_offers() if o.provider == "aws" and o.instance == "p5.48xlarge"]
    assert [(r["capacity_type"], r["usd_per_hour"]) for r in rows] == [
        (str(o.capacity_type), o.usd_per_hour) for o in expected
    ]
    assert all(r["as_of"] for r in rows)


def test_table_without_filters_lists_the_catalog() -> None:
    result = CliRunner().invoke(_app(), ["prices"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "p5.48xlarge" in result.output
    assert "a3-highgpu-8g" in result.output


def test_gpu_alias_filter_and_no_match_exit_code() -> None:
    ok = CliRunner().invoke(_app(), ["prices", "--gpu", "H100", "--provider", "gcp", "--json"])
    assert {r["gpu"] for r in json.loads(ok.output)} == {"H100-SXM"}
    none = CliRunner().invoke(_app(), ["prices", "--provider", "aws", "--instance-type", "a3-highgpu-8g"])
    assert none.exit_code == 1  # valid filters that match nothing
    unknown = CliRunner().invoke(_app(), ["prices", "--provider", "nowhere"])
    assert unknown.exit_code == 2  # a provider the catalog lacks is bad input, named with the known ones
    assert "--provider nowhere" in unknown.output


def test_bad_capacity_type_names_the_option() -> None:
    result = CliRunner().invoke(_app(), ["prices", "--capacity-type", "monthly"])
    assert result.exit_code == 2
    assert "capacity-type" in result.output


def test_live_with_overrides_from_environment_reports_provenance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_PRICING__INSTANCE_USD_PER_HOUR", '{"p5.48xlarge": 31.5}')
    result = CliRunner().invoke(
        _app(),
        ["prices", "--live", "--provider", "lambda", "--region", "us", "--instance-type", "p5.48xlarge", "--json"],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["price"]["usd_per_hour"], body["price"]["source"]) == (31.5, "override")
    assert body["node"]["gpu_model"] == "H100-SXM"


def test_lists_the_china_clouds_and_shows_cny_native_prices_exactly() -> None:
    # Reference: Alibaba Cloud ecs.gn7-c12g1.3xlarge (1x A100 40GB), cn-beijing, ¥31.5833/h as of 2024-12-30.
    args = ["--provider", "Alibaba Cloud", "--instance-type", "ecs.gn7-c12g1.3xlarge", "--region", "cn-beijing"]
    result = CliRunner().invoke(_app(), ["prices", *args, "--currency", "CNY", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["provider"], row["currency"], row["native_currency"]) == ("aliyun", "CNY", "CNY")
    assert row["price_per_hour"] == 31.5833
    assert row["exchange_rate"] is None  # nothing converted


def test_usd_native_prices_in_cny_carry_the_dated_rate() -> None:
    result = CliRunner().invoke(_app(), ["prices", "--provider", "tencent", "--instance-type", "GN7.2XLARGE32",
                                         "--capacity-type", "on-demand", "--currency", "CNY", "--json"])  # fmt: skip
    (row,) = json.loads(result.output)
    assert row["price_per_hour"] == pytest.approx(1.26 * 7.0197)  # USD 1.26/h x CFETS 7.0197 (2026-01-08)
    assert row["exchange_rate"]["as_of"] == "2026-01-08"


def test_cny_table_prints_the_native_figure_and_the_rate() -> None:
    args = ["--provider", "aliyun", "--gpu", "A100-SXM-40GB", "--region", "cn-beijing", "--currency", "CNY"]
    result = CliRunner().invoke(_app(), ["prices", *args], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    assert "31.5833" in result.output
    assert "252.6667" in result.output


def test_bad_currency_names_the_option() -> None:
    result = CliRunner().invoke(_app(), ["prices", "--currency", "EUR"])
    assert result.exit_code == 2
    assert "currency" in result.output


def test_live_without_region_uses_the_catalogs_region_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # The override answers first, so nothing leaves the machine; the catalog lists gpu_8x_h100_sxm5 in one region.
    monkeypatch.setenv("TRAINSPEND_PRICING__INSTANCE_USD_PER_HOUR", '{"gpu_8x_h100_sxm5": 23.92}')
    result = CliRunner().invoke(_app(), ["prices", "--live", "--provider", "lambda", "--instance-type",
                                         "gpu_8x_h100_sxm5", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "note: no --region: pricing gpu_8x_h100_sxm5 in us (all Lambda regions same price)" in result.stderr
    body = json.loads(result.stdout)
    assert body["node"]["region"] == "us (all Lambda regions same price)"
    assert body["price"]["usd_per_hour"] == 23.92


def test_live_needs_an_instance_type_and_says_so_in_one_line() -> None:
    result = CliRunner().invoke(_app(), ["prices", "--live", "--provider", "aws"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "--provider and --instance-type" in result.output
    unknown = CliRunner().invoke(_app(), ["prices", "--live", "--provider", "aws", "--instance-type", "x9.huge"])
    assert unknown.exit_code == 2
    assert "x9.huge: not in the aws catalog, no default region; give --region" in unknown.output


def test_live_without_credentials_says_what_it_fell_back_to(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # No credential anywhere in botocore's chain (env, files, instance metadata): it refuses before any request.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # an earlier test's session may hold credentials
    # Were a credential found after all, the request still goes nowhere but a closed port on this machine.
    monkeypatch.setenv("TRAINSPEND_PRICING__AWS_PRICING_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TRAINSPEND_PRICING__AWS_EC2_ENDPOINT_URL", "http://127.0.0.1:9")
    args = [
        "prices",
        "--live",
        "--provider",
        "aws",
        "--region",
        "us-east-1",
        "--instance-type",
        "p5.48xlarge",
        "--json",
    ]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["price"]["source"] == "catalog"
    notes = [line for line in result.stderr.splitlines() if line]
    assert len(notes) == 1, result.stderr  # one line, not the adapter's warning as well
    assert "the aws pricing API gave no answer" in notes[0]
    assert "Unable to locate credentials" in notes[0]
    assert f"the catalog price (as of {body['price']['as_of']})" in notes[0]


def test_live_gcp_without_a_key_says_so_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAINSPEND_PRICING__GCP_API_KEY", raising=False)
    args = ["prices", "--live", "--provider", "gcp", "--region", "us-central1", "--instance-type", "a2-ultragpu-8g"]
    result = CliRunner().invoke(_app(), [*args, "--json"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if line]
    assert len(notes) == 1, result.stderr
    assert "no GCP API key" in notes[0]
    assert json.loads(result.stdout)["price"]["source"] == "catalog"
