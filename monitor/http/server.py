"""The HTTP listener's server: a real listen backlog, a per-connection socket timeout and a bounded worker pool.

`http.server.ThreadingHTTPServer` listens with a backlog of 5 (so 200 concurrent clients see refused or stalled
connects), gives every connection its own unbounded thread and no socket timeout (an idle client or a bare HTTP/0.9
request line holds a thread forever). Here connections wait in a backlog of `backlog`, run on at most `workers`
threads, and a socket silent for `timeout_seconds` is closed.
"""

from __future__ import annotations

import gzip
import logging
import socket
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

log = logging.getLogger(__name__)

# Bodies smaller than this are sent as they are: gzip's header and the CPU are not worth it.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 5  # /metrics: ~8x smaller at a fraction of level 9's CPU
# A client that went away mid-response (a timeout, a closed scrape): nothing to report but the fact.
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, TimeoutError)


class PooledHTTPServer(HTTPServer):
    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        backlog: int = 1024,
        workers: int = 32,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.request_queue_size = backlog  # read by server_activate() → listen(backlog)
        self._timeout_seconds = timeout_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trainspend-http")
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, socket.socket):
            request.settimeout(self._timeout_seconds)
        self._pool.submit(self._handle, request, client_address)

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except _CLIENT_GONE as error:
            log.debug("HTTP client %s went away: %s", client_address, type(error).__name__)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


# RFC 1952 §2.3: magic, CM=8 (deflate), no flags, MTIME 0 (none), XFL 0, OS 255 (unknown).
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@dataclass(frozen=True)
class DeflatedPrefix:
    """The first part of a gzip member compressed ahead of time: raw deflate blocks that end byte-aligned and are not
    final (zlib's Z_SYNC_FLUSH), with the CRC-32 and length of what they hold."""

    blocks: bytes
    crc32: int
    size_bytes: int

    @staticmethod
    def of(data: bytes) -> DeflatedPrefix:
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        blocks = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return DeflatedPrefix(blocks, zlib.crc32(data), len(data))


def gzip_joined(prefix: DeflatedPrefix, tail: bytes) -> bytes:
    """One gzip member holding the prefix's data then `tail`, compressing only `tail` now.

    A deflate stream is a series of blocks (RFC 1951 §3.2.3); a block that starts on a byte boundary may follow any
    non-final block, and back-references made by `tail`'s own compressor reach only into `tail`, so the two parts
    concatenate into one valid stream. The trailer's CRC-32 continues from the prefix's (zlib.crc32's running value)
    over `tail`. One member, not two: readers that stop after the first member (Python's zlib/httpx, some curls)
    would otherwise see only the first part."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    tail_blocks = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(tail, prefix.crc32)
    size = (prefix.size_bytes + len(tail)) & 0xFFFFFFFF
    return _GZIP_HEADER + prefix.blocks + tail_blocks + struct.pack("<II", crc, size)


def accepts_gzip(accept_encoding: str | None) -> bool:
    return "gzip" in {part.split(";")[0].strip().lower() for part in (accept_encoding or "").split(",")}


def maybe_gzip(body: bytes, accept_encoding: str | None) -> tuple[bytes, bool]:
    """(body, compressed): gzip when the client accepts it and the body is worth it (/metrics: ~8x smaller)."""
    if not accepts_gzip(accept_encoding) or len(body) < GZIP_MIN_BYTES:
        return body, False
    return gzip.compress(body, compresslevel=GZIP_LEVEL), True
