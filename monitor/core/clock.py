"""Clocks. Time reaches the core only through `monitor.core.ports.Clock`, so tests and the demo control it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SystemClock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class AcceleratedClock:
    """Simulated time that runs `factor` times faster than the wall clock from `start` (the demo's clock)."""

    def __init__(self, start: datetime, factor: float, wall: SystemClock | None = None) -> None:
        if factor <= 0:
            raise ValueError(f"factor={factor!r}: the acceleration factor must be > 0")
        self._wall = wall or SystemClock()
        self._start = start
        self._wall_start = self._wall.now()
        self.factor = factor

    def now(self) -> datetime:
        elapsed = self._wall.now() - self._wall_start
        return self._start + elapsed * self.factor


class ManualClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when
