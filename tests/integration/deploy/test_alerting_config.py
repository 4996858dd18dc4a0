"""The shipped alert rules and Alertmanager example, checked by the real promtool and amtool."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures.binaries import ROOT, require_binary

RULES = ROOT / "deploy" / "prometheus" / "trainspend-rules.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests" / "trainspend-rules.test.yaml"
ALERTMANAGER = ROOT / "deploy" / "alertmanager" / "alertmanager.yaml"
ROUTE_CASES = ROOT / "deploy" / "alertmanager" / "routes-tests.txt"
RUNBOOKS = ROOT / "docs" / "runbooks.md"


def _run(*args: str, cwd: Path | None = None, stdout_only: bool = False) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=60, check=False)
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout if stdout_only else proc.stdout + proc.stderr


def test_promtool_checks_and_unit_tests_the_rules() -> None:
    promtool = require_binary("promtool")
    assert "SUCCESS: 14 rules found" in _run(promtool, "check", "rules", str(RULES))
    assert "SUCCESS" in _run(promtool, "test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)


def test_every_alert_has_summary_description_and_a_runbook_that_exists() -> None:
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    anchors = {
        re.sub(r"[^a-z0-9-]", "", line.lstrip("#").strip().lower().replace(" ", "-"))
        for line in RUNBOOKS.read_text().splitlines()
        if line.startswith("## ")
    }
    for rule in rules:
        annotations = rule["annotations"]
        assert {"summary", "description", "runbook_url"} <= annotations.keys(), rule["alert"]
        anchor = annotations["runbook_url"].rsplit("#", 1)[1]
        assert anchor == rule["alert"].lower(), rule["alert"]
        assert anchor in anchors, f"docs/runbooks.md has no section for {rule['alert']}"
        assert rule["labels"]["severity"] in {"warning", "critical"}


def test_alertmanager_example_is_valid() -> None:
    amtool = require_binary("amtool")
    assert "SUCCESS" in _run(amtool, "check-config", str(ALERTMANAGER))


@pytest.mark.parametrize(
    "case",
    [line for line in ROUTE_CASES.read_text().splitlines() if line.strip() and not line.startswith("#")],
)
def test_alertmanager_routes(case: str) -> None:
    amtool = require_binary("amtool")
    labels, expected = case.split("|")
    out = _run(amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER}", *labels.split(), stdout_only=True)
    assert out.strip().splitlines()[-1] == expected
