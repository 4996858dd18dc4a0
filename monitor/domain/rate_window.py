"""Throughput measured since the pods last (re)started: what the projection extrapolates.

A Job's running time so far includes things that will not repeat at the current pace: model loading and warm-up,
work redone after a restart from a checkpoint, and time on another GPU type before a spot preemption. Extrapolating
`running_seconds / progress` carries all of that into the remaining time. Instead the agent keeps a window per Job:

* it opens when the Job's pods (re)start (their earliest start time changes) or progress goes backwards (a restart
  from an older checkpoint), remembering the progress at that moment;
* its anchor is set at the first tick where the reported progress has moved past that value (the warm-up is over);
* once the window spans at least `min_window_seconds` of running time, the observed rate is
  rate = (p - p_anchor) / (t - t_anchor), and the projection is fed the equivalent running time p / rate, so that
  its observed total T_o = t' / p = 1 / rate is the time the whole run takes at the current pace.

Before that the plain running time is used (the projection's estimator prior then carries most of the weight).
"""

from __future__ import annotations

from datetime import datetime

from monitor.domain.model import Value

DEFAULT_MIN_WINDOW_SECONDS = 1800.0


class RateWindow(Value):
    """Per-Job state carried from tick to tick (and across restarts of the daemon in the stored Job snapshot)."""

    epoch: datetime | None  # earliest start time of the pods when the window opened
    resumed_progress: float | None  # progress when the window opened
    anchor_progress: float | None = None
    anchor_running_seconds: float | None = None


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
    went_back = (
        progress is not None and previous.anchor_progress is not None and progress < previous.anchor_progress
    ) or (progress is not None and previous.resumed_progress is not None and progress < previous.resumed_progress)
    if restarted or went_back:
        return RateWindow(epoch=epoch, resumed_progress=progress)
    window = previous if epoch is None or previous.epoch is not None else previous.model_copy(update={"epoch": epoch})
    if window.anchor_progress is None and progress is not None:
        if window.resumed_progress is None:
            return window.model_copy(update={"resumed_progress": progress})
        if progress != window.resumed_progress:
            return window.model_copy(update={"anchor_progress": progress, "anchor_running_seconds": running_seconds})
    return window


def effective_running_seconds(
    window: RateWindow | None,
    progress: float | None,
    running_seconds: float,
    min_window_seconds: float = DEFAULT_MIN_WINDOW_SECONDS,
) -> float:
    """p / rate over the window when it is long enough (module docstring), else the plain running time."""
    if window is None or progress is None or window.anchor_progress is None or window.anchor_running_seconds is None:
        return running_seconds
    seconds = running_seconds - window.anchor_running_seconds
    moved = progress - window.anchor_progress
    if seconds < min_window_seconds or moved <= 0:
        return running_seconds
    return progress * seconds / moved
