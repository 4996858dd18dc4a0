"""Which reported progress a Job's projection uses: its trainer's annotations, or the workload's own status.

Two sources report progress: the `trainspend.io/progress` (or step / total-steps) annotations on the workload or its
pods (`annotations.merge_progress`), and the status some operators fill themselves — Kubeflow Trainer v2.2's TrainJob
`status.trainerStatus` (`progressPercentage`, `estimatedRemainingSeconds`), written by the HF `KubeflowCallback`.
The same rule as `merge_progress` decides between them: training progress only grows, so the furthest along wins.

A status that gives only the remaining time R (no percentage) is turned into progress with the Job's running seconds
s: p = s / (s + R) — the share of the total running time already spent, assuming the trainer's remaining-time
estimate is in the same running-time clock (it extrapolates its own measured step rate, as the projection does).

A status is stale when its `lastUpdatedTime` is older than a bound (`stale_after_seconds`; the settings'
`trainer_status_stale_seconds`, by default max(3 x tick, 300 s)): a trainer that stopped reporting (hung, or
reporting a run that was restarted) would freeze the projection at its last value. A stale status is ignored —
progress falls back to the annotations, then to the estimate — and the result says so (`stale`). A status without
`lastUpdatedTime` cannot be judged and is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.core.domain.model import WorkloadInfo

ANNOTATIONS = "reported"  # the value progress_source has always had for annotation-reported progress
TRAINER_STATUS = "trainer_status"


@dataclass(frozen=True)
class ReportedProgress:
    progress: float | None  # 0..1, None when no source reports one
    source: str  # ANNOTATIONS | TRAINER_STATUS | ""
    stale: bool = False  # the workload's status reported progress, too long ago to be used


def status_progress(workload: WorkloadInfo, running_seconds: float) -> float | None:
    """The workload status's progress: its percentage, else s / (s + R) from its remaining seconds (module
    docstring); None when it reports neither, or only a remaining time before the Job has run at all."""
    if workload.status_progress is not None:
        return min(1.0, max(0.0, workload.status_progress))
    remaining = workload.status_remaining_seconds
    if remaining is None or running_seconds <= 0:
        return None
    return running_seconds / (running_seconds + remaining)


def is_stale(workload: WorkloadInfo, now: datetime | None, stale_after_seconds: float | None) -> bool:
    """now - lastUpdatedTime > stale_after_seconds (module docstring); False when any of them is unknown."""
    reported = workload.status_reported_at
    if reported is None or now is None or stale_after_seconds is None:
        return False
    return (now - reported).total_seconds() > stale_after_seconds


def choose(
    annotation_progress: float | None,
    workload: WorkloadInfo,
    running_seconds: float,
    now: datetime | None = None,
    stale_after_seconds: float | None = None,
) -> ReportedProgress:
    """The furthest-along of the annotations' progress and the status's unless it is stale, and which one it is
    (annotations on a tie: they are what the user set up on purpose)."""
    from_status = status_progress(workload, running_seconds)
    stale = from_status is not None and is_stale(workload, now, stale_after_seconds)
    if stale:
        from_status = None
    if from_status is not None and (annotation_progress is None or from_status > annotation_progress):
        return ReportedProgress(from_status, TRAINER_STATUS)
    if annotation_progress is not None:
        return ReportedProgress(annotation_progress, ANNOTATIONS, stale)
    return ReportedProgress(None, "", stale)
