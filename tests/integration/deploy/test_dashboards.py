"""Every Grafana panel's PromQL parses (checked by the real promtool), and the dashboards on disk are current."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

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


def _boards() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(GRAFANA.glob("*.json"))}


def test_each_board_links_the_other_two_keeping_time_and_variables() -> None:
    boards = _boards()
    assert len(boards) == 3
    for uid, board in boards.items():
        links = {link["url"]: link for link in board["links"]}
        assert set(links) == {f"/d/{other}" for other in boards if other != uid}, uid
        assert all(link["includeVars"] and link["keepTime"] for link in links.values())
        assert {link["title"] for link in links.values()} == {b["title"] for o, b in boards.items() if o != uid}


def test_every_panel_has_a_description_and_tables_are_instant_tables() -> None:
    for uid, board in _boards().items():
        for panel in board["panels"]:
            assert len(panel["description"]) > 20, f"{uid}/{panel['title']}"
            if panel["type"] == "table":
                for target in panel["targets"]:
                    assert (target["instant"], target["range"], target["format"]) == (True, False, "table"), (
                        uid,
                        panel["title"],
                    )
                assert [t["id"] for t in panel["transformations"]] == ["merge", "organize"]


def test_job_rows_link_to_the_job_board_with_the_variables_it_has() -> None:
    boards = _boards()
    job_variables = {v["name"] for v in boards["trainspend-job"]["templating"]["list"]}
    linked = 0
    for uid, board in boards.items():
        for panel in board["panels"]:
            for override in panel["fieldConfig"]["overrides"]:
                for link in (p["value"] for p in override["properties"] if p["id"] == "links"):
                    (only,) = link
                    url = only["url"]
                    assert url.startswith("/d/trainspend-job?"), url
                    names = set(re.findall(r"var-([a-z_]+)=\$\{__data\.fields\.([a-z_]+)\}", url))
                    assert {n for n, _ in names} == {"cluster", "namespace", "workload"} <= job_variables
                    for target in panel["targets"]:  # every column the link reads is a label the query keeps
                        by = re.search(r"by \(([^)]*)\)", target["expr"])
                        assert by is not None, (uid, panel["title"])
                        assert {f for _, f in names} <= {x.strip() for x in by.group(1).split(",")}
                    linked += 1
    assert linked >= 2  # top Jobs by projected cost, top GPU wasters


def test_no_panel_calls_a_rolling_window_today() -> None:
    for uid, board in _boards().items():
        for panel in board["panels"]:
            if any("[1d]" in t["expr"] or "[24h]" in t["expr"] for t in panel["targets"]):
                assert "24 h" in panel["title"], (uid, panel["title"])
                assert "today" not in panel["title"].lower(), (uid, panel["title"])
