"""`trainspend models` / `trainspend gpus`: every listed name is one `--model` / `--gpu` accepts, the reference
measurement shapes are left out of the listing, and the counts are the estimator's."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from estimator.catalog.gpus import all_gpus
from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.presets import REFERENCE_PREFIX, preset, preset_names
from estimator.params import count_params
from monitor.cli.main import build_app


def _invoke(*args: str):
    return CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "200"})


def test_models_lists_every_public_preset_and_each_one_estimates() -> None:
    result = _invoke("models", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    names = [row["name"] for row in rows]
    assert names == [n for n in preset_names() if not n.startswith(REFERENCE_PREFIX)]
    assert not any(n.startswith(REFERENCE_PREFIX) for n in names)
    llama = next(row for row in rows if row["name"] == "llama-3-8b")
    assert llama["params"] == count_params(preset("llama-3-8b")).total
    assert llama["source"] == "meta-llama/Meta-Llama-3-8B"
    for name in names[:3]:  # a listed name is one --model takes
        assert _invoke("estimate", "--model", name, "--tokens", "1e8", "--json").exit_code in (0, 1)


def test_models_table_names_the_config_escape_hatch() -> None:
    result = _invoke("models")
    assert result.exit_code == 0, result.output
    assert "llama-3-8b" in result.stdout
    assert "--model-config" in result.stdout


def test_gpus_lists_the_catalog_and_each_id_is_accepted() -> None:
    result = _invoke("gpus", "--json")
    assert result.exit_code == 0, result.output
    ids = [row["id"] for row in json.loads(result.stdout)]
    assert ids == [g.id for g in all_gpus()]
    table = _invoke("gpus").stdout
    assert all(gpu_id in table for gpu_id in ids)
    assert [catalog_gpu(gpu_id).id for gpu_id in ids] == ids  # the resolver behind every --gpu flag
    # The A10G's figures are the A10 datasheet's (none published for it): marked, and why under the table.
    assert "A10G*" in table
    assert "* A10G: the NVIDIA A10's datasheet figures" in " ".join(table.split())
    result = _invoke("estimate", "--model", "llama-3-8b", "--tokens", "1e8", "--gpu", "L4", "--json")
    assert result.exit_code in (0, 1), result.output


def test_unknown_model_points_to_the_listing() -> None:
    result = _invoke("estimate", "--model", "llama-3-9b", "--tokens", "1e8")
    assert result.exit_code == 2
    assert "trainspend models" in result.output
    assert "llama-3-8b" in result.output  # the closest presets are named
