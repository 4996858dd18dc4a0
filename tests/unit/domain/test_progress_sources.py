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
