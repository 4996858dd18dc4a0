"""Model presets: exact totals of well-known public models, lookup by name or repo id, and helpful errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estimator.catalog.presets import PRESETS_FILE, PresetRow, index_presets, preset, preset_names, preset_source
from estimator.catalog.tables import CatalogDataError, parse_table, read_table_text
from estimator.config import arch_from_hf_config
from estimator.errors import UnknownModelError
from estimator.params import count_params

CONFIGS = Path(__file__).parents[2] / "data" / "hf-configs"

# Published exact totals: model cards / safetensors metadata of the named repos, keras-hub presets
# (keras_hub/src/models/*/*_presets.py), Pythia paper Table 1 (non-embedding + 2·V·h), and shared/reference.
KNOWN_TOTALS = {
    "llama-2-7b": 6_738_415_616,
    "llama-2-13b": 13_015_864_320,
    "llama-2-70b": 68_976_648_192,
    "llama-3-8b": 8_030_261_248,
    "llama-3-70b": 70_553_706_496,
    "llama-3.1-8b": 8_030_261_248,
    "llama-3.1-405b": 405_853_388_800,
    "llama-3.2-1b": 1_235_814_400,
    "llama-3.2-3b": 3_212_749_824,
    "tinyllama-1.1b": 1_100_048_384,
    "smollm-135m": 134_515_008,
    "mistral-7b": 7_241_732_096,
    "mistral-7b-v0.3": 7_248_023_552,
    "mixtral-8x7b": 46_702_792_704,
    "qwen2.5-0.5b": 494_032_768,
    "qwen2.5-7b": 7_615_616_512,
    "gemma-2b": 2_506_172_416,
    "gemma-7b": 8_537_680_896,
    "gemma-2-2b": 2_614_341_888,
    "gemma-2-9b": 9_241_705_984,
    "gemma-2-27b": 27_227_128_320,
    "phi-2": 2_779_683_840,
    "phi-3-mini": 3_821_079_552,
    "gpt2": 124_439_808,
    "gpt2-medium": 354_823_168,
    "gpt2-large": 774_030_080,
    "gpt2-xl": 1_557_611_200,
    "pythia-70m": 70_426_624,
    "pythia-160m": 162_322_944,
    "pythia-410m": 405_334_016,
    "pythia-1b": 1_011_781_632,
    "bloom-560m": 559_214_592,
    "bloom-1b1": 1_065_314_304,
    "bloom-7b1": 7_069_016_064,
    "falcon-7b": 6_921_720_704,
    "h100-ref-125m": 134_105_856,
    "h100-ref-1.3b": 1_345_423_360,
    "h100-ref-2.7b": 2_701_560_320,
}


@pytest.mark.parametrize(("name", "expected"), sorted(KNOWN_TOTALS.items()))
def test_preset_totals_are_exact(name: str, expected: int) -> None:
    assert count_params(preset(name)).total == expected


def test_every_preset_builds_and_cites_a_source() -> None:
    names = preset_names()
    assert len(names) >= 40
    for name in names:
        arch = preset(name)
        assert arch.name == name
        assert preset_source(name)
        assert count_params(arch).total > 0


@pytest.mark.parametrize("name", ["mixtral-8x7b", "qwen1.5-moe-a2.7b", "deepseek-moe-16b"])
def test_moe_presets_have_fewer_active_than_total(name: str) -> None:
    counts = count_params(preset(name))
    assert counts.active < counts.total


def test_presets_equal_the_verbatim_hub_configs() -> None:
    index = json.loads((CONFIGS / "INDEX.json").read_text())
    for name in index:
        from_file = arch_from_hf_config(json.loads((CONFIGS / f"{name}.json").read_text()), name)
        built = preset(name)
        assert count_params(built) == count_params(from_file)
        assert built.source == index[name]["hf_repo"]


def test_lookup_by_repo_id_and_case() -> None:
    assert preset("meta-llama/Meta-Llama-3-8B").name == "llama-3-8b"
    assert preset("Llama-3-8B") == preset("llama-3-8b")


def test_unknown_preset_suggests_close_names() -> None:
    with pytest.raises(UnknownModelError, match="llama-3-8b") as err:
        preset("llama3-8b")
    assert err.value.field == "model"
    with pytest.raises(UnknownModelError, match="no close match"):
        preset("zzzzzzzz")


def _presets_with(index: int, change: dict[str, object]) -> str:
    document = json.loads(read_table_text(PRESETS_FILE))
    document["rows"][index] = {**document["rows"][index], **change}
    return json.dumps(document)


def test_the_presets_file_cites_a_repo_and_a_date_per_row() -> None:
    rows = parse_table(PRESETS_FILE, read_table_text(PRESETS_FILE), PresetRow)
    assert sorted(row.id for row in rows) == preset_names()
    assert all(row.source.strip() and row.checked for row in rows)


def test_a_preset_row_the_config_reader_refuses_fails_the_load_naming_the_row_and_the_key() -> None:
    # Llama-2-7B's hidden size 4096 with 30 heads: 4096 / 30 is no whole head dimension.
    document = json.loads(read_table_text(PRESETS_FILE))
    index = next(i for i, row in enumerate(document["rows"]) if row["id"] == "llama-2-7b")
    config = {**document["rows"][index]["config"], "num_attention_heads": 30}
    with pytest.raises(CatalogDataError) as caught:
        parse_table(PRESETS_FILE, _presets_with(index, {"config": config}), PresetRow)
    message = str(caught.value)
    assert message.startswith(f"presets.json rows[{index}] (llama-2-7b)")
    assert "num_attention_heads" in message
    assert "estimator/catalog/data/presets.json" in message


def test_a_preset_row_with_a_bad_date_or_an_unknown_field_is_refused() -> None:
    with pytest.raises(CatalogDataError, match=r"rows\[1\] \(llama-2-13b\) field checked='last year'"):
        parse_table(PRESETS_FILE, _presets_with(1, {"checked": "last year"}), PresetRow)
    with pytest.raises(CatalogDataError, match=r"rows\[1\] \(llama-2-13b\) field repo=.*Extra inputs"):
        parse_table(PRESETS_FILE, _presets_with(1, {"repo": "x"}), PresetRow)


def test_a_preset_name_given_twice_is_refused() -> None:
    rows = parse_table(PRESETS_FILE, read_table_text(PRESETS_FILE), PresetRow)
    with pytest.raises(CatalogDataError, match=rf"rows\[{len(rows)}\] field id='gpt2': another row has this id"):
        index_presets((*rows, rows[0].model_copy(update={"id": "gpt2"})))
