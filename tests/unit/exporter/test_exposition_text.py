"""The exporter's own text writer must write exactly what prometheus_client's `generate_latest` writes."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import TickResult
from monitor.http.exporter import Exporter
from monitor.http.exposition import Family, TextWriter, escape_label_value
from tests.unit.exporter.sample import running_job, sample_result


def _awkward_result() -> TickResult:
    """The sample tick plus jobs whose labels need escaping and values that need Go's float format."""
    base = sample_result()
    odd = [
        running_job().model_copy(
            update={
                "ref": WorkloadRef(kind="Job", api_version="batch/v1", namespace="ns", name=name, uid=f"odd{i}"),
                "team": team,
                "cost_usd": cost,
                "progress": None,
                "budget_usd": None,
            }
        )
        for i, (name, team, cost) in enumerate(
            [
                ('quote"d', "back\\slash", 1e-7),
                ("new\nline", "", 12345678.9),
                ("plain", "ünïcode", 0.1 + 0.2),
            ]
        )
    ]
    return base.model_copy(update={"jobs": (*base.jobs, *odd)})


def test_exposition_equals_generate_latest_of_the_registry() -> None:
    exporter = Exporter(runtime_metrics=False)  # process_* values move between two collections
    result = _awkward_result()
    exporter.update(result)
    exporter.update(result)  # a second tick moves the histogram
    assert exporter.exposition() == generate_latest(exporter.registry)
    assert b'workload="quote\\"d"' in exporter.exposition()
    assert b'team="back\\\\slash"' in exporter.exposition()
    assert b'workload="new\\nline"' in exporter.exposition()


def test_a_follower_exposition_also_equals_generate_latest() -> None:
    exporter = Exporter(runtime_metrics=False)
    exporter.update(sample_result(is_leader=False))
    assert exporter.exposition() == generate_latest(exporter.registry)
    assert b"trainspend_job_cost_usd" not in exporter.exposition()


def test_writer_sorts_label_names_and_suffixes_counters() -> None:
    family = Family("x_usd", "Doc with \\ and\nnewline.", "counter", ("zone", "app"))
    family.add(("z1", "a"), 2.0)
    text = TextWriter().render([family])
    assert text == (
        "# HELP x_usd_total Doc with \\\\ and\\nnewline.\n"
        "# TYPE x_usd_total counter\n"
        'x_usd_total{app="a",zone="z1"} 2.0\n'
    )
    assert generate_latest(_Registry([family])).decode() == text


def test_escape_label_value_escapes_backslash_newline_and_quote() -> None:
    assert escape_label_value('a\\b\n"c"') == 'a\\\\b\\n\\"c\\"'


class _Registry(Collector):
    def __init__(self, families: list[Family]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return [f.to_metric() for f in self._families]
