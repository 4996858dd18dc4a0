"""The process series are re-collected at most once a second for all scrapes, and the gzip member that carries them
after the tick's body is kept while neither part changes."""

from __future__ import annotations

import zlib

from prometheus_client import Counter
from prometheus_client.registry import CollectorRegistry

from monitor.http.runtime_series import RuntimeSeries
from monitor.http.server import DeflatedPrefix


class _Clock:
    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def _registry() -> tuple[CollectorRegistry, Counter]:
    registry = CollectorRegistry(auto_describe=False)
    return registry, Counter("collected", "times the counter moved", registry=registry)


def test_text_is_re_collected_only_after_the_max_age() -> None:
    registry, counter = _registry()
    clock = _Clock()
    series = RuntimeSeries(registry, max_age_seconds=1.0, monotonic=clock)
    first = series.text()
    counter.inc()
    clock.seconds += 0.5
    assert series.text() is first  # within a second: the same bytes, the increment not yet seen
    clock.seconds += 0.6
    fresh = series.text()
    assert b"collected_total 1.0" in fresh
    assert b"collected_total 0.0" in first


def test_the_gzip_member_follows_both_the_body_and_the_series() -> None:
    registry, counter = _registry()
    clock = _Clock()
    series = RuntimeSeries(registry, max_age_seconds=1.0, monotonic=clock)
    body = DeflatedPrefix.of(b"trainspend_up 1\n")
    first = series.gzip_after(body)
    assert series.gzip_after(body) is first
    assert zlib.decompress(first, wbits=31) == b"trainspend_up 1\n" + series.text()
    other = DeflatedPrefix.of(b"trainspend_up 0\n")
    assert zlib.decompress(series.gzip_after(other), wbits=31).startswith(b"trainspend_up 0\n")
    counter.inc()
    clock.seconds += 2.0
    assert b"collected_total 1.0" in zlib.decompress(series.gzip_after(other), wbits=31)
