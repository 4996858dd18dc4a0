"""The chart's values.yaml `config:` mirrors monitor.config.settings.Settings one to one, and its schema too."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import BaseModel

from monitor.config.settings import Settings
from scripts.sync_chart_values import SKIP, render_config_block, render_schema
from tests.fixtures.binaries import ROOT

CHART = ROOT / "charts" / "trainspend"


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        if not prefix and name in SKIP:
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def _value_keys(values: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in values.items():
        if isinstance(value, dict) and value and prefix.count(".") < 1 and name not in {"selector"}:
            keys |= _value_keys(value, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def test_every_setting_has_a_value_and_every_value_a_setting() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert _value_keys(values["config"]) == _keys(Settings)


def test_generated_block_is_current() -> None:
    assert render_config_block() in (CHART / "values.yaml").read_text(), "run: python scripts/sync_chart_values.py"


def test_schema_is_current_and_rejects_unknown_settings() -> None:
    assert json.loads((CHART / "values.schema.json").read_text()) == render_schema(), (
        "run: python scripts/sync_chart_values.py"
    )
    assert render_schema()["properties"]["config"]["additionalProperties"] is False


def test_chart_values_are_accepted_by_the_settings_model() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    settings = Settings(**values["config"])
    assert settings.cluster == values["config"]["cluster"]


def test_shipped_rules_are_the_chart_template_at_its_defaults() -> None:
    from scripts.sync_chart_values import render_default_rules

    rules = (ROOT / "deploy" / "prometheus" / "trainspend-rules.yaml").read_text()
    assert rules == render_default_rules(), "run: python scripts/sync_chart_values.py"
    assert "__TS_" not in rules
