"""What 200 concurrent clients share: /metrics gzipped as one member, the tick's body compressed once per tick and the
process series (fresh) joined to it, which decompresses to exactly the plain exposition in any gzip reader; and the
/api/v1/jobs body rendered once per tick, not once per request (the store is read again only after a new tick is
published)."""

from __future__ import annotations

import gzip
import zlib

from hypothesis import given
from hypothesis import strategies as st

from monitor.core.state import LatestResult
from monitor.http.api import ApiDeps, route
from monitor.http.exporter import Exporter
from monitor.http.server import DeflatedPrefix, gzip_joined
from tests.unit.exporter.sample import sample_result


def test_gzip_metrics_decompress_to_the_plain_exposition_and_the_tick_part_is_compressed_once() -> None:
    exporter = Exporter(runtime_metrics=False)
    exporter.update(sample_result())
    first, second = exporter.exposition_gzip(), exporter.exposition_gzip()
    assert gzip.decompress(first) == exporter.exposition()
    # one member: a reader that stops after the first member (httpx's decoder, zlib's decompressobj) reads it all
    reader = zlib.decompressobj(wbits=31)
    assert reader.decompress(first) == exporter.exposition()
    assert reader.eof
    assert reader.unused_data == b""
    assert first == second  # the tick's member is the same bytes until the next update
    exporter.update(sample_result().model_copy(update={"cluster": "other"}))
    assert b'cluster="other"' in gzip.decompress(exporter.exposition_gzip())


@given(st.binary(max_size=20_000), st.binary(max_size=5_000))
def test_a_deflated_prefix_joined_to_a_tail_is_one_gzip_member_of_both(prefix: bytes, tail: bytes) -> None:
    joined = gzip_joined(DeflatedPrefix.of(prefix), tail)
    reader = zlib.decompressobj(wbits=31)  # checks the CRC-32 and the length in the trailer
    assert reader.decompress(joined) == prefix + tail
    assert reader.eof
    assert reader.unused_data == b""


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
