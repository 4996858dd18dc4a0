"""The exporter renders the tick's result with the names, types and labels of DESIGN §4."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.http.exporter import Exporter
from tests.fixtures.binaries import require_binary
from tests.unit.exporter.sample import AT, finished_job, running_job, sample_result

GOLDEN = Path(__file__).parent / "golden" / "sample.prom"
# OpenCost's own name ends in `_count`, which promtool's linter flags; dashboards depend on the name, so it stays.
KNOWN_OPENCOST_LINT = 'node_gpu_count non-histogram and non-summary metrics should not have "_count" suffix'


def _families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def _exposition(exporter: Exporter) -> str:
    return exporter.exposition().decode()


def test_exposition_matches_golden_text() -> None:
    exporter = Exporter(finished_job_ttl_seconds=3600, runtime_metrics=False)  # process_* values vary by run
    exporter.update(sample_result())
    assert _exposition(exporter) == GOLDEN.read_text()


@pytest.mark.integration  # runs Debian's promtool
def test_promtool_check_metrics_finds_only_the_opencost_name() -> None:
    promtool = require_binary("promtool")
    for opencost_series, expected in ((False, set()), (True, {KNOWN_OPENCOST_LINT})):
        exporter = Exporter(opencost_series=opencost_series)
        exporter.update(sample_result())
        text = _exposition(exporter)
        proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
        problems = {line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()}
        assert problems == expected


OPENCOST_TWINS = {
    "node_total_hourly_cost": "trainspend_node_hourly_cost_usd",
    "node_gpu_hourly_cost": "trainspend_node_gpu_hourly_cost_usd",
    "node_gpu_count": "trainspend_node_gpus",
    "kubecost_node_is_spot": "trainspend_node_is_spot",
}


def test_opencost_series_are_opt_in_and_equal_trainspends_own() -> None:
    off = Exporter()
    off.update(sample_result())
    series = _families(_exposition(off))
    assert not set(OPENCOST_TWINS) & set(series)  # beside a real OpenCost these would be averaged or doubled
    assert all(series[own] for own in OPENCOST_TWINS.values())  # the dashboards' series are always there
    on = Exporter(opencost_series=True)
    on.update(sample_result())
    both = _families(_exposition(on))
    for opencost, own in OPENCOST_TWINS.items():
        assert both[opencost] == both[own] == series[own]


def test_no_series_uses_labels_that_prometheus_renames() -> None:
    exporter = Exporter()
    exporter.update(sample_result())
    for name, samples in _families(_exposition(exporter)).items():
        for labels, _ in samples:
            assert "job" not in labels, name
            assert "instance" not in labels, name


def test_job_series_carry_cost_projection_band_and_info() -> None:
    exporter = Exporter()
    exporter.update(sample_result())
    series = _families(_exposition(exporter))
    job = running_job()
    cost = {s[0]["workload"]: s[1] for s in series["trainspend_job_cost_usd_total"]}
    assert cost["llama-ft"] == job.cost_usd
    assert job.projected_cost_usd is not None
    band = {s[0]["quantile"]: s[1] for s in series["trainspend_job_projected_cost_usd"]}
    assert band == {
        "0.1": job.projected_cost_usd.p10,
        "0.5": job.projected_cost_usd.p50,
        "0.9": job.projected_cost_usd.p90,
    }
    (info_labels, info_value), *_ = series["trainspend_job_info"]
    assert info_value == 1.0
    assert info_labels["model"] == "llama-3-8b"
    assert info_labels["capacity_type"] == "spot"


def test_every_job_series_carries_the_jobs_kueue_queue() -> None:
    exporter = Exporter()
    exporter.update(sample_result())
    job_series = {n: s for n, s in _families(_exposition(exporter)).items() if n.startswith("trainspend_job_")}
    assert len(job_series) >= 10
    for name, samples in job_series.items():
        queues = {labels["workload"]: labels["queue"] for labels, _ in samples}
        assert queues.get("llama-ft", "research-a100") == "research-a100", name  # its LocalQueue
        assert queues.get("eval", "") == "", name  # no Kueue queue: an empty label, the same series as before
    (info_labels, _), *_ = job_series["trainspend_job_info"]
    assert (info_labels["cluster_queue"], info_labels["cohort"]) == ("gpu-cluster-queue", "research")


def test_finished_job_leaves_the_live_series_after_the_ttl() -> None:
    exporter = Exporter(finished_job_ttl_seconds=60)
    result = sample_result()
    exporter.update(result.model_copy(update={"jobs": (running_job(), finished_job(AT - timedelta(seconds=61)))}))
    workloads = {s[0]["workload"] for s in _families(_exposition(exporter))["trainspend_job_cost_usd_total"]}
    assert workloads == {"llama-ft"}
    exporter.update(result.model_copy(update={"jobs": (running_job(), finished_job(AT - timedelta(seconds=59)))}))
    workloads = {s[0]["workload"] for s in _families(_exposition(exporter))["trainspend_job_cost_usd_total"]}
    assert workloads == {"llama-ft", "eval"}


def test_a_follower_exports_only_self_metrics() -> None:
    exporter = Exporter()
    exporter.update(sample_result(is_leader=False))
    series = _families(_exposition(exporter))
    assert "trainspend_job_cost_usd_total" not in series
    assert "trainspend_node_hourly_cost_usd" not in series
    assert "trainspend_budget_limit_usd" not in series
    assert series["trainspend_leader"] == [({"cluster": "prod"}, 0.0)]
    assert series["trainspend_tick_duration_seconds_count"] == [({"cluster": "prod"}, 1.0)]


def test_tick_duration_histogram_accumulates_across_ticks() -> None:
    exporter = Exporter()
    exporter.update(sample_result(duration_seconds=0.07))
    exporter.update(sample_result(duration_seconds=3.0))
    series = _families(_exposition(exporter))
    buckets = {s[0]["le"]: s[1] for s in series["trainspend_tick_duration_seconds_bucket"]}
    assert buckets["0.05"] == 0.0
    assert buckets["0.1"] == 1.0
    assert buckets["2.5"] == 1.0
    assert buckets["5.0"] == 2.0
    assert buckets["+Inf"] == 2.0
    assert series["trainspend_tick_duration_seconds_sum"][0][1] == pytest.approx(3.07)


def test_nothing_is_exported_before_the_first_tick() -> None:
    assert Exporter(runtime_metrics=False).exposition() == b""
    before = Exporter().exposition().decode()  # only the process's own series
    assert "process_resident_memory_bytes" in before
    assert "trainspend_" not in before


def test_negative_ttl_is_rejected_with_the_fix() -> None:
    with pytest.raises(ValueError, match="finished_job_ttl_seconds=-1"):
        Exporter(finished_job_ttl_seconds=-1)


def test_every_budget_threshold_is_a_series_with_its_severity() -> None:
    exporter = Exporter()
    exporter.update(sample_result())
    rows = _families(_exposition(exporter))["trainspend_budget_threshold_usd"]
    limit = _families(_exposition(exporter))["trainspend_budget_limit_usd"][0][1]
    by_threshold = {labels["threshold"]: (labels["severity"], value) for labels, value in rows}
    assert by_threshold["0.8"] == ("warning", pytest.approx(0.8 * limit))
    assert by_threshold["1"] == ("critical", pytest.approx(limit))


def test_stale_and_estimated_prices_are_separate_series() -> None:
    exporter = Exporter()
    exporter.update(sample_result())
    families = _families(_exposition(exporter))
    assert "trainspend_price_estimated" in families
    assert "trainspend_price_stale" in families
    assert "trainspend_job_annotation_problems" in families


def test_help_text_names_the_display_currency_and_series_stay_usd() -> None:
    usd, cny = Exporter(), Exporter(display_currency="CNY")
    usd.update(sample_result())
    cny.update(sample_result())
    text = _exposition(cny)
    assert "# HELP trainspend_job_hourly_cost_usd" in text
    assert "the display currency is CNY" in text
    assert "the display currency" not in _exposition(usd)
    assert (
        _families(text)["trainspend_job_cost_usd_total"] == _families(_exposition(usd))["trainspend_job_cost_usd_total"]
    )


def test_build_info_and_the_standard_process_and_python_collectors() -> None:
    exporter = Exporter()
    exporter.update(sample_result(is_leader=False))  # a follower too: the cluster variable never goes empty
    series = _families(_exposition(exporter))
    ((labels, value),) = series["trainspend_build_info"]
    assert (labels["cluster"], value) == ("prod", 1.0)
    assert labels["version"] not in ("", "unknown")  # the installed distribution's version
    assert series["process_resident_memory_bytes"][0][1] > 0
    assert "python_info" in series
    assert "python_gc_collections_total" in series
