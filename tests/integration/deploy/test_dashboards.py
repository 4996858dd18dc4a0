"""Every Grafana panel's PromQL parses (checked by the real promtool), and the dashboards on disk are current."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from scripts.build_dashboards import boards
from tests.fixtures.binaries import ROOT, require_binary

GRAFANA = ROOT / "deploy" / "grafana"
CHART_DASHBOARDS = ROOT / "charts" / "trainspend" / "dashboards"
VARIABLES = {
    "$__rate_interval": "5m",
    "$cluster": ".*",
    "$namespace": ".*",
    "$workload": ".*",
}


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard uid, panel title, expr) for every target of every shipped dashboard."""
    out = []
    for path in sorted(GRAFANA.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                out.append((board["uid"], panel["title"], target["expr"]))
    return out


def substitute(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def test_dashboards_on_disk_are_generated_and_copied_into_the_chart() -> None:
    for board in boards():
        expected = json.dumps(board.to_json(), indent=2, sort_keys=True) + "\n"
        assert (GRAFANA / f"{board.uid}.json").read_text() == expected, "run: python scripts/build_dashboards.py"
        assert (CHART_DASHBOARDS / f"{board.uid}.json").read_text() == expected


def test_every_panel_query_parses_with_promtool(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    queries = panel_queries()
    assert len(queries) >= 15
    rules = {
        "groups": [
            {
                "name": "dashboard-queries",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": substitute(q)} for i, (_, _, q) in enumerate(queries)
                ],
            }
        ]
    }
    path = tmp_path / "queries.yaml"
    path.write_text(yaml.safe_dump(rules))
    proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(queries)} rules found" in proc.stdout


def test_dashboards_only_use_trainspend_metric_names() -> None:
    # Not OpenCost's node_* / kubecost_* names: those are exported only with exporter.opencost_series on
    known_prefixes = ("trainspend_",)
    for uid, title, expr in panel_queries():
        names = {tok for tok in _identifiers(expr) if tok.startswith(("trainspend", "node_", "kubecost"))}
        assert names, f"{uid}/{title} queries no trainspend metric"
        assert all(n.startswith(known_prefixes) for n in names), (uid, title, names)


def _identifiers(expr: str) -> list[str]:
    import re

    return re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)


def test_the_cluster_variable_comes_from_a_series_every_replica_exports_even_with_no_job() -> None:
    from monitor.http.exporter import Exporter
    from tests.unit.exporter.sample import sample_result

    exporter = Exporter(runtime_metrics=False)
    exporter.update(sample_result(is_leader=False).model_copy(update={"jobs": ()}))
    exposed = exporter.exposition().decode()
    for path in sorted(GRAFANA.glob("*.json")):
        variables = {v["name"]: v for v in json.loads(path.read_text())["templating"]["list"]}
        query = variables["cluster"]["query"]
        query_text = query["query"] if isinstance(query, dict) else query
        metric = query_text.removeprefix("label_values(").split(",")[0]
        assert metric == "trainspend_build_info", path.name
        assert f'{metric}{{cluster="prod"' in exposed
