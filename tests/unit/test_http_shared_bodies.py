"""What 200 concurrent clients share: /metrics gzipped as the process series (fresh) plus the tick's body compressed
once per tick, which decompresses to exactly the plain exposition; and the /api/v1/jobs body rendered once per tick,
not once per request (the store is read again only after a new tick is published)."""

from __future__ import annotations

import gzip
import zlib

from monitor.core.state import LatestResult
from monitor.http.api import ApiDeps, route
from monitor.http.exporter import Exporter
from tests.unit.exporter.sample import sample_result


def test_gzip_metrics_decompress_to_the_plain_exposition_and_the_tick_part_is_compressed_once() -> None:
    exporter = Exporter(runtime_metrics=False)
    exporter.update(sample_result())
    first, second = exporter.exposition_gzip(), exporter.exposition_gzip()
    assert gzip.decompress(first) == exporter.exposition()
    # two gzip members; a streaming reader that follows members (as Go's gzip.Reader does) reads them all
    reader = zlib.decompressobj(wbits=31)
    text = reader.decompress(first)
    while reader.unused_data:
        rest = reader.unused_data
        reader = zlib.decompressobj(wbits=31)
        text += reader.decompress(rest)
    assert text == exporter.exposition()
    assert first == second  # the tick's member is the same bytes until the next update
    exporter.update(sample_result().model_copy(update={"cluster": "other"}))
    assert b'cluster="other"' in gzip.decompress(exporter.exposition_gzip())


def test_the_jobs_body_is_rendered_once_per_tick() -> None:
    reads = []

    def history() -> list[object]:
        reads.append(1)
        return []

    latest = LatestResult()
    deps = ApiDeps(latest=latest, metrics=lambda: b"", readiness=lambda: (True, {}), history=history)  # type: ignore[arg-type]
    latest.publish(sample_result())
    bodies = {route(deps, "/api/v1/jobs", {})[2] for _ in range(5)}
    assert len(bodies) == 1
    assert len(reads) == 1
    assert b'"items":[]' in route(deps, "/api/v1/jobs", {"namespace": "nowhere"})[2]  # its own body
    latest.publish(sample_result().model_copy(update={"cluster": "next"}))
    assert b'"cluster":"next"' in route(deps, "/api/v1/jobs", {})[2]
    assert len(reads) == 3
