"""`trainspend serve-plan`, `buy-or-rent` and `budget-tiers` through the Typer app."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
    rows = {line.split()[0] for line in out.splitlines() if line.startswith(" ") and line.strip()}  # tables' lines
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


BUY = ["buy-or-rent", "--model", "llama-3.2-3b", "--tokens", "1e8", "--method", "lora"]
TIERS = ["budget-tiers", "--budget", "50", "--dataset-tokens", "5e7"]


def _at80(*args: str) -> str:
    result = CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert "…" not in result.stdout  # folded, never truncated
    return result.stdout


def _lines_with(out: str, *figures: str) -> bool:
    """Some line shows every one of `figures` (one row per line, however its name folds)."""
    return any(all(f in line for f in figures) for line in out.splitlines())


def test_serve_plan_fits_80_columns_and_keeps_every_figure() -> None:
    args = [*SERVE, "--rps", "5", "--hosted-usd-per-mtok", "0.6", "--upfront-usd", "500", "--top", "5"]
    out = _at80(*args)
    data = json.loads(_invoke(*args, "--json")[1])
    sized = [r for r in data["replicas"] if r["weights_bytes"]]
    assert f"weights {sized[0]['weights_bytes'] / 2**30:.1f} GiB" in out  # the same on every GPU: said once
    for r in sized:  # each replica's row: its GPU, TTFT, TPOT and capacity on one line
        ttft, tpot, rps = (
            f"{r['ttft_seconds'] * 1e3:,.0f}",
            f"{r['tpot_seconds'] * 1e3:,.1f}",
            f"{r['requests_per_second']:,.2f}",
        )
        assert _lines_with(out, f" {r['gpu_id']} ", ttft, tpot, rps), r["gpu_id"]
    for o in data["options"][:5]:  # each deployment: replicas, GPU and its three prices on one line
        money = [
            f"${o[k]['amount']:,.{d}f}" for k, d in (("monthly", 2), ("per_1k_requests", 4), ("per_million_tokens", 4))
        ]
        assert _lines_with(out, f"{o['replicas']}x {o['gpu_id']}", *money), o["instance"]
    assert "Hosted API:" in out
    assert "payback" in out


def test_buy_or_rent_fits_80_columns_and_keeps_every_figure() -> None:
    out = _at80(*BUY)
    data = json.loads(_invoke(*BUY, "--json")[1])
    for row in data["rows"]:
        cost = "—" if row["job_cost"] is None else f"${row['job_cost']['amount']:,.2f}"
        per_hour = f"${row['per_hour']['amount']:,.3f}"
        assert _lines_with(out, row["kind"], cost, per_hour), row["hardware"]
        if row["kind"] == "own":
            assert row["hardware"] in out
    assert "* timed by a labelled share of peak FLOP/s" in " ".join(out.split())
    assert "break-even" in out


def test_budget_tiers_fits_80_columns_and_keeps_every_figure() -> None:
    out = _at80(*TIERS)
    data = json.loads(_invoke(*TIERS, "--json")[1])
    for tier in data["tiers"]:
        price = f"${tier['per_million_tokens']['amount']:,.4f}"
        assert _lines_with(out, tier["model"], f"{tier['gpus']}x", price, f"{tier['hours']:,.1f}"), tier["model"]


def test_on_a_pipe_without_columns_the_tables_fit_80_with_one_line_per_row() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}

    def piped(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "monitor.cli.main", *args], capture_output=True, text=True,
                              env=env, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    for args in ([*SERVE, "--rps", "5"], BUY):
        out = piped(*args)
        assert max(len(line) for line in out.splitlines()) <= 80
        assert "Assumptions:" in out
    cheapest = json.loads(piped(*SERVE, "--rps", "5", "--json"))["options"][0]
    assert _lines_with(piped(*SERVE, "--rps", "5"), cheapest["gpu_id"], f"${cheapest['monthly']['amount']:,.2f}")
