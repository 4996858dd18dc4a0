"""The hand-written reader of one metric's lines reads back what prometheus_client writes, whatever the label
values (escapes, unicode, braces, commas) and the values (NaN, infinities)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from monitor.adapters.dcgm.exposition import samples_of
from monitor.core.errors import UtilizationError

NAME = "DCGM_FI_DEV_GPU_UTIL"
label_values = st.text(max_size=20)
rows = st.lists(st.tuples(label_values, label_values, st.floats(allow_nan=True)), max_size=8)


class _Collector:
    def __init__(self, rows: list[tuple[str, str, float]]) -> None:
        self.rows = rows

    def collect(self):  # type: ignore[no-untyped-def]
        family = GaugeMetricFamily(NAME, "GPU utilization (in %).", labels=["pod", "namespace", "gpu"])
        other = GaugeMetricFamily(NAME + "_X", "a metric whose name starts with the wanted one", labels=["pod"])
        for i, (pod, namespace, value) in enumerate(self.rows):
            family.add_metric([pod, namespace, str(i)], value)
            other.add_metric([pod], 1.0)
        yield family
        yield other


@given(rows)
def test_reads_back_what_prometheus_client_writes(values: list[tuple[str, str, float]]) -> None:
    registry = CollectorRegistry()
    registry.register(_Collector(values))  # type: ignore[arg-type]
    page = generate_latest(registry).decode()
    read = samples_of(page, NAME)
    assert len(read) == len(values)
    for (labels, value), (pod, namespace, expected) in zip(read, values, strict=True):
        assert (labels["pod"], labels["namespace"]) == (pod, namespace)
        assert (math.isnan(value) and math.isnan(expected)) or value == expected


@pytest.mark.parametrize(
    "line", [f'{NAME}{{pod="a" 1', f'{NAME}{{pod="a}} 1', f'{NAME}{{pod="a"}} twelve', f'{NAME}{{pod="a"}} 1 2 3']
)
def test_a_malformed_line_names_itself(line: str) -> None:
    with pytest.raises(UtilizationError, match=r"malformed|unterminated"):
        samples_of(line + "\n", NAME)
