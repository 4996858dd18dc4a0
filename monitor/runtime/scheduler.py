"""The daemon's scheduled tasks (tick, price refresh, alarm sync, notification dispatch, retention) on APScheduler 3.

A scheduled task is what APScheduler calls a job; the code says "task" because "job" means a Kubernetes Job here. Each
task runs with `max_instances=1` and coalescing, so a slow tick never overlaps the next one and a backlog of missed
runs collapses into one. Task errors are logged and counted; they never stop the scheduler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.util import undefined

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledTask:
    """A function the daemon runs every `interval_seconds` (first at start, or after one interval)."""

    name: str
    interval_seconds: float
    func: Callable[[], object]
    run_at_start: bool = True


@dataclass
class SchedulerStats:
    errors: dict[str, int] = field(default_factory=dict)
    missed: dict[str, int] = field(default_factory=dict)


class DaemonScheduler:
    """Wraps a BackgroundScheduler; `stop()` waits for running tasks (a tick in flight finishes and flushes)."""

    def __init__(self, tasks: list[ScheduledTask]) -> None:
        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._tasks = tasks
        self.stats = SchedulerStats()
        self._lock = threading.Lock()
        self._scheduler.add_listener(self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    def _on_event(self, event: JobExecutionEvent) -> None:
        with self._lock:
            if event.code == EVENT_JOB_ERROR:
                self.stats.errors[event.job_id] = self.stats.errors.get(event.job_id, 0) + 1
                log.error("scheduled task %s failed: %r", event.job_id, event.exception)
            else:
                self.stats.missed[event.job_id] = self.stats.missed.get(event.job_id, 0) + 1

    def start(self) -> None:
        for task in self._tasks:
            # APScheduler treats next_run_time=None as "paused"; `undefined` means "first run after one interval".
            first_run: object = datetime.now(UTC) if task.run_at_start else undefined
            self._scheduler.add_job(
                task.func,
                "interval",
                seconds=task.interval_seconds,
                id=task.name,
                name=task.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(task.interval_seconds)),
                next_run_time=first_run,
            )
        self._scheduler.start()

    def stop(self, wait: bool = True) -> None:
        """Stops scheduling; with `wait`, returns only after the tasks in flight have finished."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)

    def pause(self) -> None:
        """Stops starting tasks (those in flight finish). Runs due meanwhile collapse into one on `resume`."""
        self._scheduler.pause()

    def resume(self) -> None:
        self._scheduler.resume()

    def error_counts(self) -> dict[str, int]:
        """Failed runs per task name since start; exported as `api_errors{adapter="scheduler:<task>"}`."""
        with self._lock:
            return dict(self.stats.errors)

    def missed_counts(self) -> dict[str, int]:
        """Runs skipped per task name because they were late by more than their misfire grace time."""
        with self._lock:
            return dict(self.stats.missed)
