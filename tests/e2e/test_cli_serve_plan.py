"""`trainspend serve-plan`, `buy-or-rent` and `budget-tiers` through the Typer app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from monitor.cli.main import build_app

SERVE = ["serve-plan", "--model", "llama-3-8b", "--quant", "int4", "--prompt-tokens", "1000", "--output-tokens", "200"]


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_serve_plan_json_in_cny_keeps_aliyun_prices_exact() -> None:
    code, out = _invoke(*SERVE, "--rps", "5", "--tpot-ms", "50", "--currency", "CNY", "--provider", "aliyun", "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["currency"] == "CNY"
    assert plan["options"], "an A10/T4/A100 Aliyun offer serves an int4 8B model"
    # ecs.gn7i-c8g1.2xlarge (1x A10, 9.5326 CNY/h): a month of one instance is exactly 9.5326 x 730 CNY.
    a10 = [o for o in plan["options"] if o["instance"] == "ecs.gn7i-c8g1.2xlarge" and o["region"] == "cn-hangzhou"]
    assert a10
    assert a10[0]["monthly"]["amount"] == pytest.approx(9.5326 * 730 * a10[0]["instances"])
    rate = next(a for a in plan["assumptions"] if a["name"] == "exchange_rate")
    assert rate["value"] == "7.0197 CNY per USD (2026-01-08)"
    assert any("batching server" in a["value"] for a in plan["assumptions"])


def test_serve_plan_table_compares_a_hosted_api() -> None:
    code, out = _invoke(*SERVE, "--tokens-per-second", "1000", "--hosted-usd-per-mtok", "0.6", "--upfront-usd", "500")
    assert code == 0, out
    assert "Cheapest" in out
    assert "Hosted API" in out
    assert "payback" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((*SERVE,), "--rps / --tokens-per-second"),
        ((*SERVE, "--rps", "1", "--currency", "EUR"), "USD, CNY"),
        ((*SERVE, "--rps", "-1"), "--rps -1.0"),
        ((*SERVE, "--rps", "1", "--model", "llama-9"), "--model"),
    ],
)
def test_bad_input_names_the_flag(args: tuple[str, ...], message: str) -> None:
    code, out = _invoke(*args)
    assert code == 2
    assert message in out


def test_buy_or_rent_lists_macs_workstations_and_rentals() -> None:
    code, out = _invoke("buy-or-rent", "--model", "qwen2.5-1.5b", "--tokens", "5e7", "--json")
    assert code == 0, out
    result = json.loads(out)
    kinds = {row["hardware"]: row["kind"] for row in result["rows"]}
    assert kinds["M4-Max-40c-128GB"] == "own"
    assert kinds["RTX-6000-Ada"] == "own"
    assert "rent" in kinds.values()
    owned = [row for row in result["rows"] if row["kind"] == "own" and row["fits"]]
    assert all(row["break_even_jobs"] is None or row["break_even_jobs"] > 0 for row in owned)


def test_budget_tiers_ranks_by_cost_per_token() -> None:
    code, out = _invoke("budget-tiers", "--budget", "50", "--dataset-tokens", "5e7", "--json")
    assert code == 0, out
    result = json.loads(out)
    costs = [tier["per_million_tokens"]["amount"] for tier in result["tiers"]]
    assert costs == sorted(costs)
    assert result["largest"]["params"] == max(tier["params"] for tier in result["tiers"])


def test_a_gpu_that_cannot_run_the_quantisation_is_named_under_the_table_not_shown_as_a_row_of_zeros() -> None:
    bf16 = [*SERVE[:4], "bf16", *SERVE[5:], "--rps", "5"]
    code, out = _invoke(*bf16)
    assert code == 0, out
    data = json.loads(_invoke(*bf16, "--json")[1])
    unsized = [r["gpu_id"] for r in data["replicas"] if r["weights_bytes"] == 0 and r["rejected_because"]]
    assert {"T4", "V100-SXM2-16GB"} <= set(unsized)  # Turing/Volta: no bf16 tensor cores
    rows = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    for gpu in unsized:
        assert gpu not in rows
        assert f"not sized: {gpu} (" in out
    assert "A10G" in rows
    assert "A10" in rows


def test_the_a10g_is_sized_with_the_a10_datasheet_figures_and_the_table_says_so() -> None:
    code, out = _invoke(*SERVE, "--rps", "5", "--provider", "aws")
    assert code == 0, out
    data = json.loads(_invoke(*SERVE, "--rps", "5", "--provider", "aws", "--json")[1])
    (a10g,) = [r for r in data["replicas"] if r["gpu_id"] == "A10G" and not r["rejected_because"]]
    assert a10g["requests_per_second"] > 0
    assert a10g["decode_tokens_per_second"] > 0
    # Decode re-reads the weights every step: per sequence at most 600 GB/s (AWS G5 page) / weight bytes.
    assert a10g["batch"] / a10g["decode_tokens_per_second"] >= a10g["weights_bytes"] / 600e9
    assert "not sized: A10G" not in out
    assert any(o["gpu_id"] == "A10G" and o["instance"].startswith("g5.") for o in data["options"])
    borrowed = next(a for a in data["assumptions"] if a["name"] == "A10G tensor figures")
    assert "publish none" in borrowed["why"]
    assert "A10G tensor figures=" in " ".join(out.split())
