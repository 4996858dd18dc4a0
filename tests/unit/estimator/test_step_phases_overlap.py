"""The step as phases, each as long as the slower of the host launching it and the GPU running it (issue point 5):
a phase's GPU work is not hidden behind another phase's launch time, so a launch-bound step still pays its head,
loss and optimizer on the GPU."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.catalog.gpus import gpu
from estimator.models import Hardware, TrainingRun
from estimator.step_phases import micro_batch_phases
from estimator.throughput import FITTED, optimizer_seconds, training_time
from tests.unit.estimator.h100_rows import h100_rows

H100 = gpu("H100-SXM")
# The 125M shape of the public H100 measurements (tests/data/h100_measurements.jsonl), read from its rows.
SMALL = next(row.arch for row in h100_rows() if row.case_id.split("|")[1] == "125M")


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 16))
def test_a_single_gpu_step_is_the_sum_of_its_phases_each_the_slower_of_host_and_gpu(batch: int) -> None:
    run = TrainingRun(tokens=1e9, micro_batch=batch)
    hw = Hardware(gpu=H100)
    forward, tail, backward = micro_batch_phases(SMALL, run, hw, FITTED)
    step = training_time(SMALL, run, hw).step_seconds
    phases = forward.seconds + tail.seconds + backward.seconds
    optimizer_gpu = optimizer_seconds(SMALL, run, hw)
    # the optimizer phase: its GPU time, or its host time (one op per parameter tensor) when that is longer
    assert phases + optimizer_gpu <= step * (1 + 1e-9)
    for phase in (forward, tail, backward):
        assert phase.seconds == max(phase.host_seconds, phase.gpu_seconds)
    total_host = forward.host_seconds + tail.host_seconds + backward.host_seconds
    total_gpu = forward.gpu_seconds + tail.gpu_seconds + backward.gpu_seconds
    assert phases >= max(total_host, total_gpu)


def test_at_the_crossover_the_head_and_loss_are_not_hidden_behind_the_launches() -> None:
    """Batch 4: the forward and backward are launch-bound, the head and loss (few launches, V-wide work) GPU-bound;
    the step is longer than either the host's or the GPU's total by the tail's GPU time less its launch time."""
    run = TrainingRun(tokens=1e9, micro_batch=4)
    hw = Hardware(gpu=H100)
    forward, tail, backward = micro_batch_phases(SMALL, run, hw, FITTED)
    assert forward.host_seconds > forward.gpu_seconds
    assert backward.host_seconds > backward.gpu_seconds
    assert tail.gpu_seconds > tail.host_seconds
    phases = forward.seconds + tail.seconds + backward.seconds
    total_host = forward.host_seconds + tail.host_seconds + backward.host_seconds
    assert phases - total_host == pytest.approx(tail.gpu_seconds - tail.host_seconds)
