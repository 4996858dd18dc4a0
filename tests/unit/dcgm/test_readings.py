"""dcgm-exporter's exposition (tests/data/dcgm, written to the exporter's own template) as per-pod utilization, and
the pod-label variants Prometheus and older exporters produce."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.adapters.dcgm.readings import per_pod, pod_of
from monitor.adapters.dcgm.scrape import parse_exposition
from monitor.core.errors import UtilizationError

PAGE = (Path(__file__).resolve().parents[2] / "data" / "dcgm" / "dcgm-exporter-h100-node.prom").read_text()


def test_gpu_util_percent_per_pod_is_the_mean_of_its_gpus() -> None:
    samples = parse_exposition(PAGE, "DCGM_FI_DEV_GPU_UTIL")
    assert len(samples) == 8  # one per GPU; the other fields' lines are not read
    assert {labels["modelName"] for labels, _ in samples} == {"NVIDIA H100 80GB HBM3"}
    readings = per_pod(samples, "DCGM_FI_DEV_GPU_UTIL")
    assert readings == {
        ("ml-research", "llama-master-0"): pytest.approx((97 + 95 + 99 + 93) / 400),
        ("research", "eval-0"): pytest.approx((12 + 8) / 200),
    }  # GPUs 6 and 7 belong to no pod (empty pod label) and are not read as anyone's


def test_profiling_ratio_is_not_rescaled() -> None:
    readings = per_pod(parse_exposition(PAGE, "DCGM_FI_PROF_GR_ENGINE_ACTIVE"), "DCGM_FI_PROF_GR_ENGINE_ACTIVE")
    assert readings[("ml-research", "llama-master-0")] == pytest.approx((0.912 + 0.874 + 0.953 + 0.861) / 4)
    assert readings[("research", "eval-0")] == pytest.approx((0.071 + 0.044) / 2)


def test_exported_labels_win_over_the_scrapers_own() -> None:
    """Scraped without honor_labels, `pod`/`namespace` are dcgm-exporter's own pod and the workload's are
    `exported_pod`/`exported_namespace`."""
    labels = {"pod": "dcgm-exporter-x7k2p", "namespace": "gpu-operator", "exported_pod": "llama-0"}
    labels["exported_namespace"] = "ml"
    assert pod_of(labels) == ("ml", "llama-0")
    assert pod_of({"pod_name": "old-0", "pod_namespace": "legacy"}) == ("legacy", "old-0")
    assert pod_of({"pod": "", "namespace": "", "container": ""}) is None


def test_one_gpu_seen_twice_counts_once() -> None:
    gpu = {"UUID": "GPU-a", "gpu": "0", "Hostname": "n1", "pod": "p", "namespace": "ns"}
    other = {**gpu, "UUID": "GPU-b", "gpu": "1"}
    readings = per_pod([(gpu, 100.0), (gpu, 100.0), (gpu, 100.0), (other, 0.0)], "DCGM_FI_DEV_GPU_UTIL")
    assert readings[("ns", "p")] == pytest.approx(0.5)


def test_a_malformed_line_of_the_metric_is_an_adapter_error() -> None:
    with pytest.raises(UtilizationError, match="DCGM_FI_DEV_GPU_UTIL"):
        parse_exposition('DCGM_FI_DEV_GPU_UTIL{gpu="0" 12\n', "DCGM_FI_DEV_GPU_UTIL")


@given(st.lists(st.tuples(st.integers(0, 7), st.floats(allow_nan=True, allow_infinity=True)), max_size=40))
def test_readings_are_ratios_whatever_the_values(values: list[tuple[int, float]]) -> None:
    samples = [({"UUID": f"GPU-{i}", "pod": "p", "namespace": "ns"}, v) for i, v in values]
    for ratio in per_pod(samples, "DCGM_FI_DEV_GPU_UTIL").values():
        assert 0.0 <= ratio <= 1.0
        assert not math.isnan(ratio)


def test_a_renamed_answer_maps_gpus_without_exported_pod_to_no_pod() -> None:
    """Prometheus drops empty labels: an unallocated GPU scraped through kube SD keeps only the exporter's own pod."""
    own = {"pod": "nvidia-dcgm-exporter-x7k2p", "namespace": "gpu-operator"}
    held = {**own, "UUID": "GPU-a", "exported_pod": "llama-0", "exported_namespace": "ml"}
    free = {**own, "UUID": "GPU-b"}
    assert per_pod([(held, 50.0), (free, 0.0)], "DCGM_FI_DEV_GPU_UTIL") == {("ml", "llama-0"): 0.5}
