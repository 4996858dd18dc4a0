"""The process's own series (process_*, python_*), rendered at most once a second for all scrapes together.

Collecting them reads /proc and walks the collectors on every call; under 200 concurrent clients that per-request
work was most of what a `/metrics` response cost beyond the tick's body, which is rendered once per tick. A second's
staleness is far below any scrape interval (Prometheus' default is 1 min, kube-prometheus-stack's 30 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry

from monitor.http.server import DeflatedPrefix, gzip_joined

MAX_AGE_SECONDS = 1.0


class RuntimeSeries:
    """`text()`: the registry's exposition, re-collected when older than `max_age_seconds`; `gzip_after(prefix)`:
    one gzip member of the prefix's data then that text, kept while both are the same."""

    def __init__(
        self,
        registry: CollectorRegistry,
        max_age_seconds: float = MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._max_age_seconds = max_age_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._text: bytes | None = None
        self._taken_at = 0.0
        self._joined: tuple[DeflatedPrefix, bytes, bytes] | None = None  # (prefix, text, gzip member)

    def text(self) -> bytes:
        now = self._monotonic()
        with self._lock:
            if self._text is not None and now - self._taken_at < self._max_age_seconds:
                return self._text
        text = generate_latest(self._registry)  # outside the lock: concurrent refreshes give equally fresh text
        with self._lock:
            self._text, self._taken_at = text, now
        return text

    def gzip_after(self, prefix: DeflatedPrefix) -> bytes:
        text = self.text()
        with self._lock:
            joined = self._joined
        if joined is not None and joined[0] is prefix and joined[1] is text:
            return joined[2]
        member = gzip_joined(prefix, text)
        with self._lock:
            self._joined = (prefix, text, member)
        return member
