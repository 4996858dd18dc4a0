"""Flags every command reads the same way: token counts as the annotations take them, and provider names checked
against the catalog with a suggestion (a typo used to filter every offer out silently)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from estimator.catalog.offers import embedded_offers
from monitor.cli.main import build_app
from monitor.core.domain.quantities import parse_count

ESTIMATE = ["estimate", "--model", "llama-3-8b", "--method", "lora", "--gpu", "A100-SXM-80GB", "--gpus", "8", "--json"]


def _invoke(*args: str):
    return CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "200"})


@pytest.mark.parametrize(("written", "plain"), [("2B", "2e9"), ("500M", "5e8"), ("2_000_000_000", "2e9")])
def test_tokens_take_the_annotation_spellings(written: str, plain: str) -> None:
    a = _invoke(*ESTIMATE, "--tokens", written)
    b = _invoke(*ESTIMATE, "--tokens", plain)
    assert a.exit_code == 0, a.output
    assert json.loads(a.stdout)["time"] == json.loads(b.stdout)["time"]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["", "k", "M", "B", "G", "T"]), st.integers(min_value=1, max_value=999))
def test_tokens_flag_reads_counts_as_the_annotation_parser_does(suffix: str, number: int) -> None:
    written = f"{number}{suffix}"
    result = _invoke(*ESTIMATE, "--tokens", written)
    assert result.exit_code in (0, 1), result.output  # 1: the run does not fit; never a parse error
    assert json.loads(result.stdout)["tokens"] == parse_count(written)


@pytest.mark.parametrize("bad", ["2x", "-5", "0", "1e30", "two"])
def test_bad_token_counts_exit_2_in_one_line_naming_the_flag(bad: str) -> None:
    result = CliRunner().invoke(build_app(), [*ESTIMATE, "--tokens", bad], env={"COLUMNS": "60"})
    assert result.exit_code == 2
    assert result.output.startswith(f"error: --tokens {bad}: use a positive number")
    assert result.output.count("\n") == 1  # one line even on a narrow terminal


@pytest.mark.parametrize(
    ("command", "typo", "suggested"),
    [
        (["prices"], "awz", "aws"),
        (["plan", "--model", "llama-3-8b", "--tokens", "1e8"], "lamda", "lambda"),
        (["estimate", "--model", "llama-3-8b", "--tokens", "1e8"], "corewave", "coreweave"),
        (["serve-plan", "--model", "llama-3-8b", "--rps", "1"], "runpd", "runpod"),
    ],
)
def test_unknown_provider_exits_2_with_a_suggestion(command: list[str], typo: str, suggested: str) -> None:
    result = _invoke(*command, "--provider", typo)
    assert result.exit_code == 2, result.output
    assert f"--provider {typo}: no such provider" in result.output
    assert suggested in result.output


def test_provider_aliases_still_map_to_the_catalog_id() -> None:
    result = _invoke("prices", "--provider", "Alibaba Cloud", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    providers = {row["provider"] for row in (rows if isinstance(rows, list) else rows["offers"])}
    assert providers == {"aliyun"}
    assert "aliyun" in {o.provider for o in embedded_offers()}
