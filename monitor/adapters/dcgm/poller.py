"""The `GpuUtilizationSource`: fetches off the tick (a scheduler job calls `refresh`) and hands the tick the latest
good reading while it is fresh. A failed fetch keeps the previous reading until it goes stale; a stale reading is
no reading (the Job's waste is then not accrued rather than accrued at an old utilization)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from monitor.adapters.dcgm.readings import PodKey
from monitor.core.errors import UtilizationError

log = logging.getLogger(__name__)


class Fetcher(Protocol):
    partial_errors: int  # endpoints that failed while others answered, cumulative

    def fetch(self) -> dict[PodKey, float]: ...

    def close(self) -> None: ...


class UtilizationPoller:
    def __init__(
        self, fetcher: Fetcher, stale_after_seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        """`monotonic`: seconds of a clock that never jumps; staleness is real elapsed time (the demo's accelerated
        clock would make every reading stale at once)."""
        self._fetcher = fetcher
        self._monotonic = monotonic
        self._stale_after_seconds = stale_after_seconds
        self._lock = threading.Lock()
        self._reading: tuple[float, dict[PodKey, float]] | None = None
        self._failures = 0

    @property
    def api_errors(self) -> int:
        """Failed fetches and failed endpoints since start (trainspend_api_errors_total{adapter="dcgm"})."""
        return self._failures + self._fetcher.partial_errors

    def refresh(self) -> None:
        try:
            reading = self._fetcher.fetch()
        except UtilizationError as error:
            self._failures += 1
            log.warning("GPU utilization not refreshed (the last reading is kept until it is stale): %s", error)
            return
        with self._lock:
            self._reading = (self._monotonic(), reading)

    def close(self) -> None:
        self._fetcher.close()

    def utilization(self) -> Mapping[PodKey, float]:
        with self._lock:
            reading = self._reading
        if reading is None or self._monotonic() - reading[0] > self._stale_after_seconds:
            return {}
        return reading[1]
