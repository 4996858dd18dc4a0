"""DaemonScheduler on the real APScheduler 3: no overlap, coalesced backlog, errors counted and survived, and a
graceful stop that lets the task in flight finish. Intervals are short; every wait is bounded."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from monitor.runtime.scheduler import DaemonScheduler, ScheduledTask


@pytest.fixture
def schedulers() -> Iterator[list[DaemonScheduler]]:
    """Stops every scheduler a test started, even when the test fails."""
    started: list[DaemonScheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop(wait=True)


def _start(schedulers: list[DaemonScheduler], *tasks: ScheduledTask) -> DaemonScheduler:
    scheduler = DaemonScheduler(list(tasks))
    schedulers.append(scheduler)
    scheduler.start()
    return scheduler


def _wait_until(condition: object, timeout_seconds: float = 5.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_a_slow_task_never_overlaps_itself(schedulers: list[DaemonScheduler]) -> None:
    lock = threading.Lock()
    running, most_at_once, runs = [0], [0], [0]

    def slow() -> None:
        with lock:
            running[0] += 1
            most_at_once[0] = max(most_at_once[0], running[0])
        time.sleep(0.25)  # five intervals long
        with lock:
            running[0] -= 1
            runs[0] += 1

    _start(schedulers, ScheduledTask("tick", 0.05, slow))
    _wait_until(lambda: runs[0] >= 3)
    assert most_at_once[0] == 1


def test_runs_missed_while_paused_collapse_into_one(schedulers: list[DaemonScheduler]) -> None:
    stamps: list[float] = []
    scheduler = _start(schedulers, ScheduledTask("tick", 0.3, lambda: stamps.append(time.monotonic())))
    _wait_until(lambda: len(stamps) >= 1)
    scheduler.pause()
    time.sleep(0.95)  # three run times fall due, all within the 1 s misfire grace time
    before = len(stamps)
    resumed = time.monotonic()
    scheduler.resume()
    _wait_until(lambda: len(stamps) > before)
    time.sleep(0.1)  # without coalescing the backlog would run back to back in this window
    assert len([t for t in stamps if resumed <= t <= resumed + 0.15]) == 1
    assert scheduler.missed_counts() == {}


def test_a_failing_task_is_counted_and_logged_and_the_others_keep_running(
    schedulers: list[DaemonScheduler], caplog: pytest.LogCaptureFixture
) -> None:
    healthy_runs = [0]

    def broken() -> None:
        raise RuntimeError("price API down")

    def healthy() -> None:
        healthy_runs[0] += 1

    caplog.set_level(logging.ERROR, logger="monitor.runtime.scheduler")
    scheduler = _start(schedulers, ScheduledTask("refresh_prices", 0.05, broken), ScheduledTask("tick", 0.05, healthy))
    _wait_until(lambda: scheduler.error_counts().get("refresh_prices", 0) >= 3)
    runs_then = healthy_runs[0]
    _wait_until(lambda: healthy_runs[0] > runs_then)  # the scheduler is still alive and ticking
    assert "tick" not in scheduler.error_counts()
    failures = [r for r in caplog.records if r.name == "monitor.runtime.scheduler"]
    assert failures
    assert "refresh_prices" in failures[0].getMessage()
    assert "price API down" in failures[0].getMessage()


def test_error_counts_is_a_snapshot(schedulers: list[DaemonScheduler]) -> None:
    def broken() -> None:
        raise ValueError("x")

    scheduler = _start(schedulers, ScheduledTask("retention", 0.05, broken))
    _wait_until(lambda: scheduler.error_counts().get("retention", 0) >= 1)
    snapshot = scheduler.error_counts()
    snapshot["retention"] = -1
    assert scheduler.error_counts()["retention"] >= 1


def test_stop_waits_for_the_task_in_flight(schedulers: list[DaemonScheduler]) -> None:
    started, finished = threading.Event(), threading.Event()

    def tick() -> None:
        started.set()
        time.sleep(0.3)
        finished.set()

    scheduler = _start(schedulers, ScheduledTask("tick", 60.0, tick))
    assert started.wait(5.0)
    scheduler.stop(wait=True)
    assert finished.is_set()


def test_a_task_not_run_at_start_waits_one_interval(schedulers: list[DaemonScheduler]) -> None:
    runs: list[float] = []
    begun = time.monotonic()
    _start(schedulers, ScheduledTask("retention", 0.3, lambda: runs.append(time.monotonic()), run_at_start=False))
    _wait_until(lambda: len(runs) >= 1)
    assert runs[0] - begun >= 0.25
