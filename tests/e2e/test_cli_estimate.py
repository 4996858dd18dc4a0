"""`trainspend estimate` and `trainspend plan` end to end: the real console script and the Typer app."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from estimator.plan import rank_usd
from monitor.cli.main import build_app

README_ARGS = ["estimate", "--model", "llama-3-8b", "--tokens", "2e9", "--method", "lora", "--gpu", "A100-SXM-80GB"]
README_ARGS += ["--gpus", "8"]


def _invoke(*args: str):
    return CliRunner().invoke(build_app(), list(args))


def _console_script() -> str:
    script = Path(sys.executable).parent / "trainspend"
    found = str(script) if script.exists() else shutil.which("trainspend")
    if found is None:
        pytest.fail("the `trainspend` console script is not installed: pip install -e .")
    return found


def test_readme_use_case_prints_a_table_priced_across_providers() -> None:
    completed = subprocess.run(
        [_console_script(), *README_ARGS],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    for provider in ("aws", "gcp", "azure", "lambda", "huggingface"):
        assert provider in out
    assert "spot" in out
    assert "on-demand" in out
    assert "Traceback" not in completed.stderr


def test_json_output_has_the_stable_keys() -> None:
    result = _invoke(*README_ARGS, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"total", "active", "trainable"} <= set(data["params"])
    assert data["params"]["trainable"] < data["params"]["total"]
    assert {"per_gpu_peak_bytes", "breakdown", "fits"} <= set(data["memory"])
    assert {"weights", "gradients", "optimizer", "activations"} <= set(data["memory"]["breakdown"])
    assert {"step_seconds", "tokens_per_second", "total_hours", "gpu_hours", "mfu"} <= set(data["time"])
    assert data["cost"]
    for line in data["cost"]:
        assert {"provider", "instance", "capacity_type", "usd_per_hour", "total_usd", "price_as_of"} <= set(line)
        assert line["total_usd"] == pytest.approx(line["usd_per_hour"] * data["time"]["total_hours"])
    assert data["assumptions"]
    assert all({"name", "value", "why"} <= set(a) for a in data["assumptions"])


def test_cost_doubles_with_tokens() -> None:
    base = json.loads(_invoke(*README_ARGS, "--json").stdout)
    args = [a if a != "2e9" else "4e9" for a in README_ARGS]
    double = json.loads(_invoke(*args, "--json").stdout)
    cheapest = min(base["cost"], key=lambda x: x["total_usd"])
    again = next(x for x in double["cost"] if x["instance"] == cheapest["instance"] and
                 x["capacity_type"] == cheapest["capacity_type"])  # fmt: skip
    assert again["total_usd"] == pytest.approx(2 * cheapest["total_usd"], rel=1e-6)


def test_unknown_model_suggests_presets_and_exits_2() -> None:
    result = _invoke("estimate", "--model", "llama-3-8", "--tokens", "1e9")
    assert result.exit_code == 2
    assert "--model" in result.stderr
    assert "llama-3-8b" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_gpu_suggests_ids_and_exits_2() -> None:
    result = _invoke("estimate", "--model", "llama-3-8b", "--tokens", "1e9", "--gpu", "H10")
    assert result.exit_code == 2
    assert "--gpu" in result.stderr
    assert "H100" in result.stderr


def test_bad_value_names_the_flag() -> None:
    result = _invoke("estimate", "--model", "llama-3-8b", "--tokens", "-5")
    assert result.exit_code == 2
    assert "--tokens" in result.stderr


def test_missing_tokens_says_which_flag() -> None:
    result = _invoke("estimate", "--model", "llama-3-8b")
    assert result.exit_code == 2
    assert "--tokens" in result.stderr


def test_model_config_heads_not_dividing_hidden_is_explained(tmp_path: Path) -> None:
    config = {
        "model_type": "llama", "vocab_size": 32000, "hidden_size": 1000, "num_hidden_layers": 2,
        "num_attention_heads": 3, "intermediate_size": 2000,
    }  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = _invoke("estimate", "--model-config", str(path), "--tokens", "1e9")
    assert result.exit_code == 2
    assert "--model-config" in result.stderr
    assert "Traceback" not in result.output


def test_model_config_reproduces_the_preset(tmp_path: Path) -> None:
    config = {
        "model_type": "llama", "vocab_size": 128256, "hidden_size": 4096, "num_hidden_layers": 32,
        "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
        "tie_word_embeddings": False, "max_position_embeddings": 8192,
    }  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    from_file = json.loads(_invoke("estimate", "--model-config", str(path), "--tokens", "1e9", "--json").stdout)
    from_preset = json.loads(_invoke("estimate", "--model", "llama-3-8b", "--tokens", "1e9", "--json").stdout)
    assert from_file["params"] == from_preset["params"]


def test_plan_ranks_and_explains_rejections() -> None:
    result = _invoke(
        "plan", "--model", "llama-3-8b", "--tokens", "2e8", "--method", "lora", "--max-gpus", "8", "--json",
        "--show-rejected",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    totals = [rank_usd(c["total_usd"]) for c in data["accepted"]]
    assert totals == sorted(totals)
    assert data["rejected"]
    assert all(c["rejected_because"] for c in data["rejected"])


def test_plan_table_and_impossible_deadline() -> None:
    result = _invoke("plan", "--model", "llama-3-8b", "--tokens", "2e9", "--deadline-hours", "0.001")
    assert result.exit_code == 1  # nothing to launch is a failure a script must notice
    assert "No candidate" in result.stdout
    assert "past the 0.001 h deadline" in result.stdout  # the top rejection reasons, not only a hint


def _run80(*args: str):
    return CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "80"})


def test_estimate_table_fits_80_columns_and_names_the_peak_phase() -> None:
    result = _run80(*README_ARGS)
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "…" not in result.stdout  # folded, never truncated
    phase = json.loads(_invoke(*README_ARGS, "--json").stdout)["memory"]["peak_phase"]
    assert "memory/GPU peaks at" in result.stdout
    assert phase.split()[0] in result.stdout
    assert "memory/GPU at peak: activations" in result.stdout


def test_estimate_in_cny_keeps_china_prices_exact_and_shows_the_rate() -> None:
    args = ("estimate", "--model", "llama-3-8b", "--tokens", "1e9", "--gpu", "A100-SXM-80GB", "--gpus", "8")
    data = json.loads(_invoke(*args, "--currency", "CNY", "--json").stdout)
    assert data["currency"] == "CNY"
    aliyun = [line for line in data["cost"] if line["provider"] == "aliyun"]
    assert aliyun, "Alibaba Cloud offers must be priced (embedded_offers)"
    for line in aliyun:
        assert line["currency"] == "CNY"
        assert line["total"] == round(line["native_total"], 2)
    aws = next(line for line in data["cost"] if line["provider"] == "aws")
    assert aws["total"] == pytest.approx(aws["total_usd"] * 7.0197, abs=0.01)
    rate = next(a for a in data["assumptions"] if a["name"] == "exchange_rate")
    assert "7.0197" in rate["value"]
    assert "2026-01-08" in rate["value"]
    custom = json.loads(_invoke(*args, "--currency", "cny", "--cny-per-usd", "7.5", "--json").stdout)
    aws2 = next(line for line in custom["cost"] if line["provider"] == "aws")
    assert aws2["total"] == pytest.approx(aws2["total_usd"] * 7.5, abs=0.01)
    usd = json.loads(_invoke(*args, "--json").stdout)
    assert usd["currency"] == "USD"
    assert all(line["total"] == round(line["total_usd"], 2) for line in usd["cost"])
    table = _run80(*args, "--currency", "CNY")
    assert "total ¥" in table.stdout
    assert "exchange_rate=7.0197 CNY per USD (2026-01-08)" in table.stdout


def test_bad_currency_and_rate_name_the_flag() -> None:
    args = ("estimate", "--model", "llama-3-8b", "--tokens", "1e9")
    bad = _invoke(*args, "--currency", "EUR")
    assert bad.exit_code == 2
    assert "--currency" in bad.output
    assert "USD, CNY" in bad.output
    rate = _invoke(*args, "--currency", "CNY", "--cny-per-usd", "-1")
    assert rate.exit_code == 2
    assert "--cny-per-usd" in rate.output


def test_run_that_does_not_fit_is_priced_but_marked() -> None:
    args = ("estimate", "--model", "llama-3-70b", "--tokens", "1e9", "--gpu", "H100-SXM", "--gpus", "1")
    result = _run80(*args)
    assert result.exit_code == 0
    assert "does not fit: peak" in result.stdout
    assert "trainspend plan" in result.stdout
    assert "runpod" in result.stdout  # the offers are still listed
    data = json.loads(_invoke(*args, "--json").stdout)
    assert data["memory"]["fits"] is False
    assert data["cost"]


def test_fp8_on_a100_is_rejected_naming_the_flag_gpu_and_fix() -> None:
    result = _invoke("estimate", "--model", "llama-3-8b", "--tokens", "1e9", "--gpu", "A100", "--precision", "fp8")
    assert result.exit_code == 2
    assert "--precision 'fp8'" in result.output
    assert "A100-SXM-80GB" in result.output
    assert "bf16" in result.output
    t4 = _invoke("estimate", "--model", "smollm-360m", "--tokens", "1e9", "--gpu", "T4")
    assert t4.exit_code == 2
    assert "--precision fp16-amp" in t4.output


def test_plan_with_no_fitting_candidate_exits_1_with_reasons_in_json() -> None:
    args = ("plan", "--model", "llama-3-70b", "--tokens", "1e9", "--max-gpus", "1", "--json")
    result = _invoke(*args)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["accepted"] == []
    assert data["top_rejections"]
    assert all("does not fit" in r["reason"] for r in data["top_rejections"])


def test_plan_in_cny() -> None:
    args = ("plan", "--model", "llama-3-8b", "--tokens", "2e8", "--method", "lora", "--max-gpus", "8", "--json")
    data = json.loads(_invoke(*args, "--currency", "CNY").stdout)
    assert data["currency"] == "CNY"
    for row in data["accepted"]:
        if row["currency"] == "CNY":
            assert row["total"] == round(row["native_total"], 2)
        else:
            assert row["total"] == pytest.approx(row["total_usd"] * 7.0197, abs=0.01)
    assert any(row["provider"] in ("aliyun", "tencent") for row in data["accepted"])
    table = _run80(*args[:-1], "--currency", "CNY", "--top", "5")
    assert table.exit_code == 0
    assert "total ¥" in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())


def test_auto_layout_picks_a_fitting_layout_and_json_marks_fits_per_row() -> None:
    args = ("estimate", "--model", "llama-3-8b", "--tokens", "1e9", "--gpu", "H100-SXM", "--gpus", "8")
    args += ("--micro-batch", "4", "--seq-len", "8192", "--json")
    plain = json.loads(_invoke(*args).stdout)
    assert plain["memory"]["fits"] is False
    assert plain["cost"]
    assert all(row["fits"] is False for row in plain["cost"])
    auto = json.loads(_invoke(*args, "--auto-layout").stdout)
    assert auto["memory"]["fits"] is True
    assert all(row["fits"] is True for row in auto["cost"])
    assert any(a["name"] == "layout" for a in auto["assumptions"])


def test_context_parallel_and_interleaved_stages_reach_the_time_model() -> None:
    # Megatron Bridge's Llama-3.1-405B layout: TP 8 × PP 8 × CP 2, 8 chunks per stage, on 1,024 H100s
    args = ["estimate", "--model", "llama-3.1-405b", "--tokens", "1e12", "--seq-len", "8192", "--gpus", "1024"]
    args += ["--tensor-parallel", "8", "--pipeline-parallel", "8", "--context-parallel", "2", "--virtual-stages", "8"]
    megatron = ["--precision", "fp8", "--layer-kernels", "fused", "--attention-kernel", "cudnn"]
    result = _invoke(*args, *megatron, "--global-batch", "512", "--zero-stage", "1", "--json")
    assert result.exit_code == 0, result.output
    names = {a["name"]: a["value"] for a in json.loads(result.output)["assumptions"]}
    assert "v = 8" in names["pipeline bubble"]
    assert "c = 2" in names["context parallel"]
    assert names["layer kernels"] == "fused"
    assert names["attention kernel"].startswith("cudnn")
    bad = _invoke(*args[:-2], "--virtual-stages", "200", "--json")
    assert bad.exit_code != 0
    assert "--virtual-stages" in bad.output


def _table_body(out: str, header: str) -> list[str]:
    """The lines of the table whose header line starts with `header`, between its rule and the blank line after."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(header)) + 2
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return lines[start:end]


def test_at_80_columns_each_cost_row_takes_at_most_two_lines_and_aliyun_rows_name_their_region() -> None:
    args = ("estimate", "--model", "llama-3-8b", "--tokens", "2e9", "--method", "lora", "--gpu", "A100-SXM-80GB")
    result = _run80(*args, "--gpus", "8")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "…" not in out
    rows = json.loads(_invoke(*args, "--gpus", "8", "--json").stdout)["cost"]
    body = _table_body(out, "offer")
    assert len(rows) <= len(body) <= 2 * len(rows)
    assert sum(1 for line in body if line.split()[0] in {r["provider"] for r in rows}) == len(rows)
    aliyun = [r for r in rows if r["provider"] == "aliyun"]
    assert len({r["region"] for r in aliyun}) > 1  # the catalog lists several regions: the table must tell them apart
    for row in aliyun:  # its offer names its region, on the row's first line or the one folded under it
        total = f"{row['total']:,.2f}"
        first = next(i for i, line in enumerate(body) if f"aliyun {row['instance']}" in line and total in line)
        assert row["region"] in body[first] + body[first + 1]
    assert "[1] 8 nodes over" in out  # notes as numbered marks under the table
    assert "~ estimated price" in out


def test_at_80_columns_plan_rows_fold_onto_at_most_three_lines() -> None:
    args = ("plan", "--model", "llama-3-8b", "--tokens", "2e9", "--method", "lora", "--deadline-hours", "24")
    result = _run80(*args, "--budget-usd", "400")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "…" not in out
    body = _table_body(out, "GPUs · offer")  # the Pareto front
    front = json.loads(_invoke(*args, "--budget-usd", "400", "--json").stdout)
    starts = [line for line in body if line.split()[0].endswith("x")]
    assert len(starts) >= 2
    assert len(body) <= 3 * len(starts)
    assert "more: rows of the same offer at other GPU counts" in out
    assert front["accepted"]


def test_at_80_columns_the_price_catalog_shows_every_date_whole() -> None:
    result = _run80("prices")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "…" not in out
    offers = json.loads(_invoke("prices", "--json").stdout)
    dates = re.findall(r"\b\d{4}-\d{2}-\d{2}\b", out)
    assert len(dates) >= len(offers)  # every row's date (and the caption's rate date), none cut
    assert "per-GPU prices at 100+ columns or in --json" in out
    wide = CliRunner().invoke(build_app(), ["prices"], env={"COLUMNS": "140"})
    assert "$/GPU-h" in wide.stdout


def test_estimates_exit_status_is_the_documented_rule_with_and_without_json() -> None:
    help_text = " ".join(CliRunner().invoke(build_app(), ["estimate", "--help"], env={"COLUMNS": "120"}).stdout.split())
    assert "0: an estimate was printed, whether or not the run fits in memory" in help_text
    assert "2: bad input" in help_text
    fits = ("estimate", "--model", "llama-3-8b", "--tokens", "1e9", "--gpu", "H100-SXM", "--gpus", "8")
    too_big = ("estimate", "--model", "llama-3-70b", "--tokens", "1e9", "--gpu", "H100-SXM", "--gpus", "1")
    bad = ("estimate", "--model", "llama-3-8b", "--tokens", "lots")
    for args, code in ((fits, 0), (too_big, 0), (bad, 2)):
        assert _invoke(*args).exit_code == code, args
        assert _invoke(*args, "--json").exit_code == code, args


def test_estimate_plan_and_the_endpoint_share_the_layout_options() -> None:
    from estimator.layout_options import layout_options
    from monitor.http.estimate_api import estimate_from_query

    for command in ("estimate", "plan"):
        help_text = _invoke(command, "--help").output
        assert all(
            option.flag in help_text
            for option in layout_options()
            if not (command == "plan" and option.name == "zero_stage")
        )  # plan searches the ZeRO stages
    flags = [
        "--tensor-parallel",
        "2",
        "--context-parallel",
        "2",
        "--layer-kernels",
        "fused",
        "--attention-kernel",
        "fa3",
    ]
    args = ["estimate", "--model", "llama-3-8b", "--tokens", "1e9", "--gpus", "8", "--seq-len", "8192", *flags]
    cli = json.loads(_invoke(*args, "--json").stdout)
    query = {"model": "llama-3-8b", "tokens": "1e9", "gpus": "8", "seq_len": "8192", "tensor_parallel": "2"}
    api = estimate_from_query({**query, "context_parallel": "2", "layer_kernels": "fused", "attention_kernel": "fa3"})
    assert cli["time"]["step_seconds"] == pytest.approx(api["time"]["step_seconds"], rel=1e-12)


def test_plan_keeps_the_context_parallel_layout_and_the_kernels() -> None:
    args = ["plan", "--model", "llama-3-8b", "--tokens", "1e9", "--seq-len", "16384", "--gpu", "H100-SXM"]
    args += ["--max-gpus", "16", "--tensor-parallel", "2", "--context-parallel", "4", "--json", "--show-rejected"]
    eager = json.loads(_invoke(*args).stdout)
    assert eager["accepted"]
    assert all(row["gpus"] % 8 == 0 for row in eager["accepted"])  # t · c = 8 GPUs hold one replica
    small = [row for row in eager["rejected"] if row["gpus"] < 8]
    assert small
    assert all("multiple of tensor x pipeline x context" in " ".join(r["rejected_because"]) for r in small)
    fused = json.loads(_invoke(*args, "--layer-kernels", "fused").stdout)
    hours = {(r["gpus"], r["provider"], r["instance"]): r["hours"] for r in eager["accepted"]}
    faster = [
        r["hours"] < hours[(r["gpus"], r["provider"], r["instance"])]
        for r in fused["accepted"]
        if (r["gpus"], r["provider"], r["instance"]) in hours
    ]
    assert faster
    assert all(faster)
    bad = _invoke(*args, "--virtual-stages", "2")
    assert bad.exit_code == 2
    assert "--virtual-stages" in bad.output
