"""The A100 GEMM fraction: the committed constant is what the fit on the published A100 runs gives, and it is held out
from the LLaMA-1 GPU-hours it is checked on."""

from __future__ import annotations

import statistics

import pytest

from benchmarks.ampere_fit import anchors, fit, predict
from estimator.catalog.gpus import gpu
from estimator.models import Hardware
from estimator.step_phases import StepConstants
from estimator.throughput import FITTED, training_time
from tests.unit.estimator.llama_runs import LLAMA1, llama_run


def test_committed_ampere_fraction_reproduces_the_fit_and_every_anchor_within_5_percent() -> None:
    rows = anchors()
    assert fit(rows, iters=30) == pytest.approx(FITTED.ampere_matmul_fraction, abs=0.005)
    for row in rows:
        assert predict(row, FITTED.ampere_matmul_fraction) == pytest.approx(row.published, rel=0.05)


def test_the_ampere_fraction_moves_ampere_step_times_only() -> None:
    # LLaMA-1 7B's shapes (h 4096, 32 layers, 32 heads, i 11008) on 8 GPUs: halving the fitted Ampere fraction must
    # slow both A100 parts and leave every other generation's step time exactly as it was.
    arch, run = llama_run(4096, 32, 32, 11008, 1e9, 8, 1)
    halved = FITTED.model_copy(update={"ampere_matmul_fraction": FITTED.ampere_matmul_fraction / 2})

    def step(gpu_id: str, constants: StepConstants) -> float:
        return training_time(arch, run, Hardware(gpu=gpu(gpu_id), count=8), constants).step_seconds

    for ampere in ("A100-SXM-80GB", "A100-SXM-40GB"):
        assert step(ampere, halved) > step(ampere, FITTED)
    for other in ("H100-SXM", "H200-SXM", "L40S"):
        assert step(other, halved) == step(other, FITTED)


def test_llama1_gpu_hours_held_out_meet_median_and_worst_targets() -> None:
    a100 = gpu("A100-SXM-80GB")
    errors = []
    for _, h, layers, heads, inter, tokens, published, gpus, tp in LLAMA1:
        arch, run = llama_run(h, layers, heads, inter, tokens, gpus, tp)
        errors.append(abs(training_time(arch, run, Hardware(gpu=a100, count=gpus)).gpu_hours / published - 1))
    assert statistics.median(errors) <= 0.10
    assert max(errors) <= 0.25
