"""Throughput measured since the pods last (re)started: what the projection extrapolates.

A Job's running time so far includes things that will not repeat at the current pace: model loading and warm-up,
work redone after a restart from a checkpoint, and time on another GPU type before a spot preemption. Extrapolating
`running_seconds / progress` carries all of that into the remaining time. Instead the agent keeps a window per Job:

* it opens when the Job's pods (re)start (their earliest start time changes) or progress goes backwards (a restart
  from an older checkpoint), remembering the progress at that moment;
* its anchor is set at the first tick where the reported progress has moved past that value (the warm-up is over);
* every later change of the reported progress is remembered with the running time it was seen at, so the rate is
  measured between reports: rate = (p_last - p_anchor) / (t_last - t_anchor), once that spans `min_window_seconds`;
* between reports progress is extrapolated at that rate, p = p_last + rate x (t - t_last) (capped below the next
  whole unit), so the ETA does not jump back each time a report arrives; the projection is fed p and the equivalent
  running time p / rate, making its observed total T_o = 1 / rate, the time the whole run takes at the current pace.

Before the window is long enough the reported progress and the plain running time are used (the projection's
estimator prior then carries most of the weight).
"""

from __future__ import annotations

from datetime import datetime

from monitor.core.domain.model import Value

DEFAULT_MIN_WINDOW_SECONDS = 1800.0
MAX_EXTRAPOLATED_PROGRESS = 0.999  # never claim completion the trainer has not reported


class RateWindow(Value):
    """Per-Job state carried from tick to tick (and across restarts of the daemon in the stored Job snapshot)."""

    epoch: datetime | None  # earliest start time of the pods when the window opened
    resumed_progress: float | None  # progress when the window opened
    anchor_progress: float | None = None
    anchor_running_seconds: float | None = None
    last_progress: float | None = None  # the latest reported value that differed from the one before
    last_running_seconds: float | None = None  # the running time at which it was first seen


def advance(
    previous: RateWindow | None,
    epoch: datetime | None,
    progress: float | None,
    running_seconds: float,
) -> RateWindow:
    """The window after this tick. `epoch`: the earliest start of the pods holding resources now (None when none do)."""
    if previous is None:
        return RateWindow(epoch=epoch, resumed_progress=progress)
    restarted = epoch is not None and previous.epoch is not None and epoch != previous.epoch
    went_back = progress is not None and any(
        mark is not None and progress < mark
        for mark in (previous.anchor_progress, previous.resumed_progress, previous.last_progress)
    )
    if restarted or went_back:
        return RateWindow(epoch=epoch, resumed_progress=progress)
    window = previous if epoch is None or previous.epoch is not None else previous.model_copy(update={"epoch": epoch})
    if progress is None:
        return window
    if window.anchor_progress is None:
        if window.resumed_progress is None:
            return window.model_copy(update={"resumed_progress": progress})
        if progress != window.resumed_progress:
            return window.model_copy(
                update={
                    "anchor_progress": progress,
                    "anchor_running_seconds": running_seconds,
                    "last_progress": progress,
                    "last_running_seconds": running_seconds,
                }
            )
        return window
    if progress != window.last_progress:
        return window.model_copy(update={"last_progress": progress, "last_running_seconds": running_seconds})
    return window


def extrapolate(
    window: RateWindow | None,
    progress: float | None,
    running_seconds: float,
    min_window_seconds: float = DEFAULT_MIN_WINDOW_SECONDS,
) -> tuple[float | None, float]:
    """(progress, running seconds) to feed the projection: extrapolated at the windowed rate when the window is long
    enough (module docstring), else the reported progress and the plain running time."""
    if (
        window is None
        or progress is None
        or window.anchor_progress is None
        or window.anchor_running_seconds is None
        or window.last_progress is None
        or window.last_running_seconds is None
    ):
        return progress, running_seconds
    seconds = window.last_running_seconds - window.anchor_running_seconds
    moved = window.last_progress - window.anchor_progress
    if seconds < min_window_seconds or moved <= 0:
        return progress, running_seconds
    rate = moved / seconds
    since_report = max(0.0, running_seconds - window.last_running_seconds)
    current = min(max(progress, window.last_progress + rate * since_report), MAX_EXTRAPOLATED_PROGRESS)
    current = max(current, progress)
    return current, current / rate
