"""The daemon's in-memory view of the latest tick, shared by the HTTP API and the exporter."""

from __future__ import annotations

import threading

from monitor.core.domain.result import TickResult


class LatestResult:
    """Holds the last TickResult. Readers get an immutable object; the tick replaces it atomically."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._result: TickResult | None = None

    def publish(self, result: TickResult) -> None:
        with self._lock:
            self._result = result

    def get(self) -> TickResult | None:
        with self._lock:
            return self._result
