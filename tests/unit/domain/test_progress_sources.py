"""Choosing between annotation-reported progress and a workload status's progress (Trainer v2 trainerStatus)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.model import WorkloadInfo, WorkloadRef
from monitor.core.domain.progress_sources import ANNOTATIONS, TRAINER_STATUS, choose, status_progress

REF = WorkloadRef(kind="TrainJob", api_version="trainer.kubeflow.org/v1alpha1", namespace="ml", name="t", uid="u")
ratios = st.none() | st.floats(min_value=0.0, max_value=1.0)
seconds = st.none() | st.floats(min_value=0.0, max_value=1e7)


def _train(progress: float | None = None, remaining: float | None = None) -> WorkloadInfo:
    return WorkloadInfo(ref=REF, status_progress=progress, status_remaining_seconds=remaining)


def test_remaining_time_alone_becomes_the_share_of_time_spent() -> None:
    assert status_progress(_train(remaining=3 * 3600), 3600) == pytest.approx(0.25)  # 1 h of 4 h
    assert status_progress(_train(remaining=600), 0) is None  # nothing run yet: no share to speak of
    assert status_progress(_train(progress=0.4, remaining=10), 3600) == 0.4  # the percentage wins when given


def test_the_source_says_which_one_is_used() -> None:
    chosen = choose(0.5, _train(progress=0.4), 3600)
    assert (chosen.progress, chosen.source) == (0.5, ANNOTATIONS)
    assert choose(0.3, _train(progress=0.4), 3600).source == TRAINER_STATUS
    assert choose(None, _train(progress=0.4), 3600).source == TRAINER_STATUS
    assert choose(0.4, _train(progress=0.4), 3600).source == ANNOTATIONS  # a tie: the annotations
    assert (choose(None, _train(), 3600).progress, choose(None, _train(), 3600).source) == (None, "")


@given(annotation=ratios, progress=ratios, remaining=seconds, running=st.floats(min_value=0.0, max_value=1e7))
def test_the_choice_is_the_furthest_along_of_its_sources(
    annotation: float | None, progress: float | None, remaining: float | None, running: float
) -> None:
    workload = _train(progress, remaining)
    chosen = choose(annotation, workload, running)
    from_status = status_progress(workload, running)
    candidates = [p for p in (annotation, from_status) if p is not None]
    if not candidates:
        assert (chosen.progress, chosen.source) == (None, "")
        return
    assert chosen.progress == max(candidates)
    assert chosen.progress is not None
    assert 0.0 <= chosen.progress <= 1.0
    assert chosen.source == (ANNOTATIONS if chosen.progress == annotation else TRAINER_STATUS)


def test_a_stale_trainer_status_is_ignored_and_marked() -> None:
    from datetime import UTC, datetime, timedelta

    reported = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)  # tests/fixtures/upstream/trainjob-kueue.yaml lastUpdatedTime
    train = _train(progress=0.4).model_copy(update={"status_reported_at": reported})
    fresh = choose(0.1, train, 3600, reported + timedelta(seconds=300), stale_after_seconds=300)
    assert (fresh.progress, fresh.source, fresh.stale) == (0.4, TRAINER_STATUS, False)  # at the bound: still fresh
    old = choose(0.1, train, 3600, reported + timedelta(seconds=301), stale_after_seconds=300)
    assert (old.progress, old.source, old.stale) == (0.1, ANNOTATIONS, True)  # falls back to the annotations
    alone = choose(None, train, 3600, reported + timedelta(hours=1), stale_after_seconds=300)
    assert (alone.progress, alone.source, alone.stale) == (None, "", True)  # then to the estimator (no progress)
    undated = choose(None, _train(progress=0.4), 3600, reported + timedelta(days=9), stale_after_seconds=300)
    assert (undated.progress, undated.stale) == (0.4, False)  # no lastUpdatedTime: cannot be judged


# Whole milliseconds: a timedelta holds microseconds, so a float age would be rounded before the comparison.
@given(
    age=st.integers(min_value=0, max_value=10**9), bound=st.integers(min_value=1, max_value=10**8), annotation=ratios
)
def test_a_stale_status_never_wins_and_a_fresh_one_always_counts(
    age: int, bound: int, annotation: float | None
) -> None:
    from datetime import UTC, datetime, timedelta

    reported = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    train = _train(progress=0.9).model_copy(update={"status_reported_at": reported})
    chosen = choose(annotation, train, 60, reported + timedelta(milliseconds=age), stale_after_seconds=bound / 1000)
    assert chosen.stale == (age > bound)
    if chosen.stale:
        assert chosen.progress == annotation
    else:
        assert chosen.progress == (0.9 if annotation is None else max(0.9, annotation))
