"""First pipeline stage's activations under the interleaved schedule (Narayanan et al. 2021 §2.2.2; Megatron-LM
`theoretical_memory_usage.py`): the first stage holds min(m, p)/p · (1 + (p−1)/(p·v)) of the whole model's saved
activations for one micro-batch, v = 1 being plain 1F1B."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.activations import saved_bytes_per_token
from estimator.catalog.gpus import gpu
from estimator.catalog.presets import preset
from estimator.memory import first_stage_activation_factor, training_memory
from estimator.models import Checkpointing, Parallelism, TrainingRun


@given(p=st.integers(2, 64), v=st.integers(1, 16), m=st.integers(1, 512))
def test_factor_bounds(p: int, v: int, m: int) -> None:
    factor = first_stage_activation_factor(p, v, m)
    assert 0 < factor <= 1 + (p - 1) / (2 * p)  # the largest penalty is at the fewest chunks of interleaving, v = 2
    if m >= p:  # a full pipeline holds at least the whole model's activations on its first stage, more if interleaved
        assert factor >= 1.0
        assert (factor > 1.0) == (v > 1)
    if v > 1:  # more chunks per stage: the warm-up runs fewer extra forward chunks, the penalty shrinks towards 1
        assert first_stage_activation_factor(p, v + 1, m) < factor


def test_megatron_bridge_70b_layout_pays_the_interleaving_penalty() -> None:
    # Llama-3-70B at TP 4 PP 8 VP 5, micro-batch 1, 128 sequences over 8 data-parallel ranks: m = 16 ≥ p, so the
    # first stage holds 1 + 7/40 times the 80 layers' activations of one micro-batch (no checkpointing)
    arch = preset("llama-3-70b")

    def run(v: int) -> TrainingRun:
        par = Parallelism(tensor=4, pipeline=8, virtual_stages=v, data=2, zero_stage=1)
        return TrainingRun(
            tokens=1e12, seq_len=8192, global_batch=32, checkpointing=Checkpointing.NONE, parallelism=par
        )

    plain, interleaved = (training_memory(arch, run(v), gpu("H100-SXM")) for v in (1, 5))
    tokens = 8192 / 4
    expected = saved_bytes_per_token(arch, run(5)) * tokens * 7 / 40
    assert interleaved.activations_bytes - plain.activations_bytes == pytest.approx(expected, rel=1e-6)


def test_too_few_micro_batches_fill_only_part_of_the_pipeline() -> None:
    assert first_stage_activation_factor(8, 1, 2) == pytest.approx(2 / 8)
    assert first_stage_activation_factor(8, 1, 100) == 1.0
