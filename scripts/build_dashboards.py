"""Grafana dashboards as code: writes deploy/grafana/*.json and the chart's copies.

Kept in Python (not hand-edited JSON) so panels share one builder and every query is listed for the PromQL tests
(`tests/integration/deploy/test_dashboards.py`). Run `python scripts/build_dashboards.py` after editing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


class Board:
    """A tiny typed builder for Grafana dashboard JSON (schemaVersion 39)."""

    def __init__(self, uid: str, title: str, variables: list[dict[str, Any]]) -> None:
        self.uid, self.title, self.variables = uid, title, variables
        self.panels: list[dict[str, Any]] = []
        self._y = 0
        self._x = 0

    def panel(
        self,
        title: str,
        kind: str,
        targets: list[tuple[str, str]],
        unit: str = "currencyUSD",
        width: int = 8,
        height: int = 8,
        description: str = "",
        core: bool = False,
    ) -> None:
        if self._x + width > 24:
            self._x, self._y = 0, self._y + height
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": kind,
                "title": title,
                "description": description,
                "datasource": DATASOURCE,
                "gridPos": {"x": self._x, "y": self._y, "w": width, "h": height},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "options": {"legend": {"showLegend": True}} if kind == "timeseries" else {},
                "targets": [
                    {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend, "datasource": DATASOURCE}
                    for i, (expr, legend) in enumerate(targets)
                ],
                # Marks the panels whose queries must return data against the demo (tested).
                "trainspend": {"core": core},
            }
        )
        self._x += width

    def to_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "title": self.title,
            "tags": ["trainspend", "finops", "gpu"],
            "timezone": "utc",
            "schemaVersion": 39,
            "version": 1,
            "editable": True,
            "refresh": "1m",
            "time": {"from": "now-24h", "to": "now"},
            "templating": {"list": self.variables},
            "panels": self.panels,
        }


def _var(name: str, query: str, multi: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": name},
        "definition": query,
        "includeAll": multi,
        "multi": multi,
        "allValue": ".*",
        "refresh": 2,
    }


DATASOURCE_VAR = {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}
CLUSTER = _var("cluster", "label_values(trainspend_build_info, cluster)")
SEL = 'cluster=~"$cluster"'


def fleet() -> Board:
    b = Board("trainspend-fleet", "trainspend / Fleet overview", [DATASOURCE_VAR, CLUSTER])
    b.panel("Burn rate now", "stat", [(f"sum(trainspend_job_hourly_cost_usd{{{SEL}}})", "USD/h")], width=6, core=True)
    b.panel("Spend today", "stat", [(f"sum(increase(trainspend_job_cost_usd_total{{{SEL}}}[1d]))", "today")], width=6)
    b.panel(
        "Month-to-date spend vs budgets",
        "bargauge",
        [(f"sum by (budget) (trainspend_budget_spend_usd{{{SEL}}})", "{{budget}}")],
        width=6,
        core=True,
    )
    b.panel(
        "Idle GPU cost",
        "stat",
        [(f"sum(trainspend_node_idle_gpu_hourly_cost_usd{{{SEL}}})", "USD/h")],
        width=6,
        core=True,
    )
    b.panel(
        "Projected period-end spend / budget",
        "bargauge",
        [
            (
                f"sum by (budget) (trainspend_budget_projected_spend_usd{{{SEL}}})"
                f" / sum by (budget) (trainspend_budget_limit_usd{{{SEL}}})",
                "{{budget}}",
            )
        ],
        unit="percentunit",
        width=12,
        core=True,
    )
    b.panel(
        "Burn rate by namespace",
        "timeseries",
        [(f"sum by (namespace) (trainspend_job_hourly_cost_usd{{{SEL}}})", "{{namespace}}")],
        width=12,
        core=True,
    )
    b.panel(
        "Top Jobs by projected cost (p50)",
        "table",
        [
            (
                "topk(10, max by (namespace, workload_kind, workload) "
                f'(trainspend_job_projected_cost_usd{{{SEL},quantile="0.5"}}))',
                "{{namespace}}/{{workload}}",
            )
        ],
        width=24,
        core=True,
    )
    return b


def job() -> Board:
    ns = _var("namespace", 'label_values(trainspend_job_cost_usd_total{cluster=~"$cluster"}, namespace)')
    wl = _var(
        "workload",
        'label_values(trainspend_job_cost_usd_total{cluster=~"$cluster", namespace=~"$namespace"}, workload)',
        multi=False,
    )
    b = Board("trainspend-job", "trainspend / Job detail", [DATASOURCE_VAR, CLUSTER, ns, wl])
    j = f'{SEL}, namespace=~"$namespace", workload=~"$workload"'
    b.panel(
        "Cost so far vs projected total (p10/p50/p90)",
        "timeseries",
        [
            (f"sum(trainspend_job_cost_usd_total{{{j}}})", "cost so far"),
            (f'sum(trainspend_job_projected_cost_usd{{{j},quantile="0.1"}})', "p10"),
            (f'sum(trainspend_job_projected_cost_usd{{{j},quantile="0.5"}})', "p50"),
            (f'sum(trainspend_job_projected_cost_usd{{{j},quantile="0.9"}})', "p90"),
            (f"sum(trainspend_job_budget_usd{{{j}}})", "budget"),
        ],
        width=16,
        height=10,
        core=True,
    )
    b.panel(
        "Expected completion",
        "stat",
        [(f"max(trainspend_job_expected_completion_timestamp_seconds{{{j}}}) * 1000", "ETA")],
        unit="dateTimeAsIso",
        width=8,
        core=True,
    )
    b.panel("Progress", "gauge", [(f"max(trainspend_job_progress_ratio{{{j}}})", "progress")], unit="percentunit")
    b.panel("Burn rate", "timeseries", [(f"sum(trainspend_job_hourly_cost_usd{{{j}}})", "USD/h")], core=True)
    b.panel("GPUs held", "timeseries", [(f"sum(trainspend_job_gpus{{{j}}})", "GPUs")], unit="short")
    b.panel(
        "Remaining cost (p50)",
        "stat",
        [(f'sum(trainspend_job_remaining_cost_usd{{{j},quantile="0.5"}})', "remaining")],
    )
    b.panel(
        "Hardware and price provenance",
        "table",
        [(f"trainspend_job_info{{{j}}}", "{{gpu}} {{instance_type}} {{capacity_type}}")],
        unit="short",
        width=16,
    )
    return b


def nodes() -> Board:
    b = Board("trainspend-nodes", "trainspend / Nodes", [DATASOURCE_VAR, CLUSTER])
    b.panel(
        "Hourly cost by instance type",
        "timeseries",
        [(f"sum by (instance_type) (trainspend_node_hourly_cost_usd{{{SEL}}})", "{{instance_type}}")],
        width=12,
        core=True,
    )
    spot = f"sum(trainspend_node_hourly_cost_usd{{{SEL}}} * on (cluster, node) trainspend_node_is_spot{{{SEL}}})"
    b.panel(
        "Hourly cost by capacity type",
        "piechart",
        [(spot, "spot"), (f"sum(trainspend_node_hourly_cost_usd{{{SEL}}}) - {spot}", "on-demand / reserved / owned")],
        width=12,
        core=True,
    )
    b.panel(
        "Spot share of node cost",
        "stat",
        [
            (
                f"{spot} / sum(trainspend_node_hourly_cost_usd{{{SEL}}})",
                "spot share",
            )
        ],
        unit="percentunit",
        core=True,
    )
    b.panel("GPUs", "stat", [(f"sum(trainspend_node_gpus{{{SEL}}})", "GPUs")], unit="short", core=True)
    b.panel(
        "Idle GPU cost by node",
        "table",
        [(f"sum by (node) (trainspend_node_idle_gpu_hourly_cost_usd{{{SEL}}}) > 0", "{{node}}")],
    )
    b.panel(
        "Stale or estimated prices",
        "table",
        [
            (f"trainspend_price_stale{{{SEL}}} == 1", "stale {{node}}"),
            (f"trainspend_price_estimated{{{SEL}}} == 1", "estimated {{node}}"),
        ],
        unit="short",
        width=24,
    )
    return b


def boards() -> list[Board]:
    return [fleet(), job(), nodes()]


def main() -> int:
    for board in boards():
        text = json.dumps(board.to_json(), indent=2, sort_keys=True) + "\n"
        for folder in (ROOT / "deploy" / "grafana", ROOT / "charts" / "trainspend" / "dashboards"):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{board.uid}.json").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
