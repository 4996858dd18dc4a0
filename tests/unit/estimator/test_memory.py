from __future__ import annotations

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.catalog.gpus import gpu
from estimator.memory import allocator_block_bytes, training_memory
from estimator.models import Checkpointing, Parallelism, Precision, TrainingRun
from tests.unit.estimator.h100_rows import SMALL, h100_rows

H100 = gpu("H100-SXM")
ROWS = h100_rows()


def _error(row_index: int) -> float:
    row = ROWS[row_index]
    return training_memory(row.arch, row.run, H100).peak_bytes / row.peak_bytes - 1


@pytest.mark.parametrize("index", range(len(ROWS)), ids=[r.case_id for r in ROWS])
def test_peak_within_max_tolerance_on_every_public_row(index: int) -> None:
    assert abs(_error(index)) <= 0.10


def test_median_peak_error_meets_targets() -> None:
    full = [abs(_error(i)) for i, r in enumerate(ROWS) if not r.lora]
    lora = [abs(_error(i)) for i, r in enumerate(ROWS) if r.lora]
    assert statistics.median(full) <= 0.03
    assert statistics.median(lora) <= 0.05


def test_no_false_oom_on_the_80gb_rows() -> None:
    assert all(training_memory(r.arch, r.run, H100).fits for r in ROWS)


def test_a_run_far_beyond_80gb_does_not_fit() -> None:
    run = TrainingRun(tokens=1e9, micro_batch=16, precision=Precision.FP32_AMP)
    result = training_memory(SMALL.model_copy(update={"num_layers": 64}), run, H100)
    assert not result.fits
    assert result.headroom_bytes < 0


def test_breakdown_sums_to_peak() -> None:
    m = training_memory(SMALL, TrainingRun(tokens=1e9, micro_batch=4), H100)
    parts = m.weights_bytes + m.gradients_bytes + m.optimizer_bytes + m.activations_bytes + m.logits_bytes
    assert parts + m.overhead_bytes == m.peak_bytes
    assert m.overhead_bytes > 0


def test_allocator_rounding_keeps_small_remainders_only() -> None:
    assert allocator_block_bytes(100) == 512
    assert allocator_block_bytes(8 * 2**20) == 8 * 2**20  # carved from a 20 MiB segment, split
    assert allocator_block_bytes(22_544_384) == 11 * 2**21  # remainder 0.5 MiB stays with the block
    assert allocator_block_bytes(13_107_200) == 13_107_200  # remainder 1.5 MiB is split off


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 16), seq=st.sampled_from([256, 512, 1024, 2048, 4096]), ckpt=st.sampled_from(Checkpointing))
def test_memory_monotone_in_batch_and_seq_len(batch: int, seq: int, ckpt: Checkpointing) -> None:
    def peak(b: int, s: int) -> int:
        run = TrainingRun(tokens=1e9, micro_batch=b, seq_len=s, checkpointing=ckpt)
        return training_memory(SMALL, run, H100).peak_bytes

    assert peak(batch + 1, seq) >= peak(batch, seq)
    assert peak(batch, seq * 2) >= peak(batch, seq)


@settings(max_examples=25, deadline=None)
@given(dp=st.integers(2, 64), precision=st.sampled_from(Precision), batch=st.integers(1, 8))
def test_higher_zero_stage_never_raises_memory(dp: int, precision: Precision, batch: int) -> None:
    peaks = [
        training_memory(
            SMALL,
            TrainingRun(
                tokens=1e9, micro_batch=batch, precision=precision, parallelism=Parallelism(data=dp, zero_stage=z)
            ),
            H100,
        ).peak_bytes
        for z in range(4)
    ]
    assert peaks == sorted(peaks, reverse=True)
