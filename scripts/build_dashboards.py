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
BOARDS = {
    "trainspend-fleet": "trainspend / Fleet overview",
    "trainspend-job": "trainspend / Job detail",
    "trainspend-nodes": "trainspend / Nodes",
}
# A data link from a row that names a Job (its cluster, namespace and workload columns) to the Job board.
JOB_LINK = {
    "title": "Job detail: ${__data.fields.namespace}/${__data.fields.workload}",
    "url": "/d/trainspend-job?var-cluster=${__data.fields.cluster}&var-namespace=${__data.fields.namespace}"
    "&var-workload=${__data.fields.workload}&${__url_time_range}",
}


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
        job_link: bool = False,
    ) -> None:
        """A table's queries are instant and table-formatted, merged on their labels (one row per series, one column
        per query) without the time column; `job_link`: its `workload` column links to the Job board."""
        if not description:
            raise ValueError(f"panel {title!r}: every panel says what it shows (description)")
        if self._x + width > 24:
            self._x, self._y = 0, self._y + height
        table = kind == "table"
        overrides: list[dict[str, Any]] = []
        if job_link:
            link = {"id": "links", "value": [JOB_LINK]}
            overrides.append({"matcher": {"id": "byName", "options": "workload"}, "properties": [link]})
        panel: dict[str, Any] = {
            "id": len(self.panels) + 1,
            "type": kind,
            "title": title,
            "description": description,
            "datasource": DATASOURCE,
            "gridPos": {"x": self._x, "y": self._y, "w": width, "h": height},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": overrides},
            "options": {"legend": {"showLegend": True}} if kind == "timeseries" else {},
            "targets": [
                {
                    "refId": chr(ord("A") + i),
                    "expr": expr,
                    "legendFormat": legend,
                    "datasource": DATASOURCE,
                    **({"instant": True, "range": False, "format": "table"} if table else {}),
                }
                for i, (expr, legend) in enumerate(targets)
            ],
            # Marks the panels whose queries must return data against the demo (tested).
            "trainspend": {"core": core},
        }
        if table:
            panel["transformations"] = [
                {"id": "merge", "options": {}},
                {"id": "organize", "options": {"excludeByName": {"Time": True}}},
            ]
        self.panels.append(panel)
        self._x += width

    def links(self) -> list[dict[str, Any]]:
        """The other two boards, keeping the time range and the variables (cluster, namespace, workload)."""
        return [
            {"type": "link", "title": title, "url": f"/d/{uid}", "includeVars": True, "keepTime": True}
            for uid, title in BOARDS.items()
            if uid != self.uid
        ]

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
            "links": self.links(),
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


JOB_KEY = "cluster, namespace, workload_kind, workload"


def fleet() -> Board:
    b = Board("trainspend-fleet", BOARDS["trainspend-fleet"], [DATASOURCE_VAR, CLUSTER])
    b.panel(
        "Burn rate now",
        "stat",
        [(f"sum(trainspend_job_hourly_cost_usd{{{SEL}}})", "USD/h")],
        width=6,
        core=True,
        description="What every training workload's held nodes cost per hour now, USD/h (GPU share of each node).",
    )
    b.panel(
        "Spend in the last 24 h",
        "stat",
        [(f"sum(increase(trainspend_job_cost_usd_total{{{SEL}}}[24h]))", "last 24 h")],
        width=6,
        description="Cost accrued by all workloads over the last 24 hours (a rolling window, not the calendar day), "
        "USD.",
    )
    b.panel(
        "Month-to-date spend vs budgets",
        "bargauge",
        [(f"sum by (budget) (trainspend_budget_spend_usd{{{SEL}}})", "{{budget}}")],
        width=6,
        core=True,
        description="Each configured budget's spend in its current period (month, week or all time), USD.",
    )
    b.panel(
        "Idle GPU cost",
        "stat",
        [(f"sum(trainspend_node_idle_gpu_hourly_cost_usd{{{SEL}}})", "USD/h")],
        width=6,
        core=True,
        description="What GPUs no pod requests cost per hour, USD/h: capacity paid for and not scheduled.",
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
        description="Spend so far plus the projection to the end of the period, as a share of each budget's limit "
        "(over 100 %: projected to break it).",
    )
    b.panel(
        "Burn rate by namespace",
        "timeseries",
        [(f"sum by (namespace) (trainspend_job_hourly_cost_usd{{{SEL}}})", "{{namespace}}")],
        width=12,
        core=True,
        description="Hourly cost of the workloads of each namespace over time, USD/h.",
    )
    b.panel(
        "Top Jobs by projected cost (p50)",
        "table",
        [
            (
                f'topk(10, max by ({JOB_KEY}) (trainspend_job_projected_cost_usd{{{SEL},quantile="0.5"}}))',
                "{{namespace}}/{{workload}}",
            )
        ],
        width=12,
        core=True,
        job_link=True,
        description="The ten workloads with the highest projected total cost (median of the band), USD; a row "
        "opens its Job board.",
    )
    b.panel(
        "Top GPU wasters (unused GPU cost, last 24 h)",
        "table",
        [
            (
                f"topk(10, sum by ({JOB_KEY}) (increase(trainspend_job_unused_gpu_cost_usd_total{{{SEL}}}[24h])))",
                "unused USD, 24 h",
            ),
            (f"max by ({JOB_KEY}) (trainspend_job_gpu_utilization_ratio{{{SEL}}})", "GPU utilization now"),
        ],
        width=12,
        core=True,
        job_link=True,
        description="Workloads by the cost of GPU time they held and left idle over the last 24 hours (cost x (1 - "
        "utilization), from dcgm-exporter; needs config.dcgm), with their GPU utilization now; a row opens its Job "
        "board.",
    )
    return b


def job() -> Board:
    ns = _var("namespace", 'label_values(trainspend_job_cost_usd_total{cluster=~"$cluster"}, namespace)')
    wl = _var(
        "workload",
        'label_values(trainspend_job_cost_usd_total{cluster=~"$cluster", namespace=~"$namespace"}, workload)',
        multi=False,
    )
    b = Board("trainspend-job", BOARDS["trainspend-job"], [DATASOURCE_VAR, CLUSTER, ns, wl])
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
        description="The Job's accrued cost against its projected total at completion (p10/p50/p90 band) and its "
        "trainspend.io/budget-usd, USD.",
    )
    b.panel(
        "Expected completion",
        "stat",
        [(f"max(trainspend_job_expected_completion_timestamp_seconds{{{j}}}) * 1000", "ETA")],
        unit="dateTimeAsIso",
        width=8,
        core=True,
        description="When the Job is projected to finish, from its progress rate and the estimator (UTC).",
    )
    b.panel(
        "Progress",
        "gauge",
        [(f"max(trainspend_job_progress_ratio{{{j}}})", "progress")],
        unit="percentunit",
        description="Training progress, reported (annotations, TrainJob status) or extrapolated between reports.",
    )
    b.panel(
        "Burn rate",
        "timeseries",
        [(f"sum(trainspend_job_hourly_cost_usd{{{j}}})", "USD/h")],
        core=True,
        description="What the Job's pods hold costs per hour, USD/h; steps show preemptions and reschedules.",
    )
    b.panel(
        "GPUs held",
        "timeseries",
        [(f"sum(trainspend_job_gpus{{{j}}})", "GPUs")],
        unit="short",
        description="GPUs the Job's pods hold (MIG and time-sliced GPUs as fractions).",
    )
    b.panel(
        "Remaining cost (p50)",
        "stat",
        [(f'sum(trainspend_job_remaining_cost_usd{{{j},quantile="0.5"}})', "remaining")],
        description="Projected cost from now to completion (median), USD.",
    )
    b.panel(
        "GPU utilization",
        "timeseries",
        [(f"max(trainspend_job_gpu_utilization_ratio{{{j}}})", "utilization")],
        unit="percentunit",
        width=16,
        core=True,
        description="Utilization of the GPUs the Job holds (dcgm-exporter, GPU-weighted over its pods; needs "
        "config.dcgm). Low values mean paid GPUs wait on data, a straggler or nothing at all.",
    )
    b.panel(
        "Unused GPU cost",
        "stat",
        [(f"sum(trainspend_job_unused_gpu_cost_usd_total{{{j}}})", "unused")],
        core=True,
        description="Cost of the GPU time the Job held and did not use since utilization was first measured: each "
        "interval's cost x (1 - utilization), USD.",
    )
    b.panel(
        "Hardware and price provenance",
        "table",
        [(f"trainspend_job_info{{{j}}}", "{{gpu}} {{instance_type}} {{capacity_type}}")],
        unit="short",
        width=24,
        description="The Job's model, method, GPU, instance and capacity type and Kueue queue (trainspend_job_info).",
    )
    return b


def nodes() -> Board:
    b = Board("trainspend-nodes", BOARDS["trainspend-nodes"], [DATASOURCE_VAR, CLUSTER])
    b.panel(
        "Hourly cost by instance type",
        "timeseries",
        [(f"sum by (instance_type) (trainspend_node_hourly_cost_usd{{{SEL}}})", "{{instance_type}}")],
        width=12,
        core=True,
        description="What the cluster's nodes cost per hour, by instance type, USD/h (the price each node was "
        "priced at).",
    )
    spot = f"sum(trainspend_node_hourly_cost_usd{{{SEL}}} * on (cluster, node) trainspend_node_is_spot{{{SEL}}})"
    b.panel(
        "Hourly cost by capacity type",
        "piechart",
        [(spot, "spot"), (f"sum(trainspend_node_hourly_cost_usd{{{SEL}}}) - {spot}", "on-demand / reserved / owned")],
        width=12,
        core=True,
        description="Node cost per hour on spot capacity against the rest, USD/h.",
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
        description="The share of the node bill that is spot capacity.",
    )
    b.panel(
        "GPUs",
        "stat",
        [(f"sum(trainspend_node_gpus{{{SEL}}})", "GPUs")],
        unit="short",
        core=True,
        description="Physical GPUs on the cluster's nodes.",
    )
    b.panel(
        "Idle GPU cost by node",
        "table",
        [(f"sum by (cluster, node) (trainspend_node_idle_gpu_hourly_cost_usd{{{SEL}}}) > 0", "{{node}}")],
        description="Nodes with GPUs no pod requests, and what those cost per hour, USD/h.",
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
        description="Nodes priced from a stale cache (their pricing API is failing) or from an estimate (e.g. spot "
        "from typical savings): their costs are less certain.",
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
