"""--auto-layout: the first ZeRO stage, then checkpointing, that fits; `fits` on every cost row."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.auto_layout import first_fitting_layout, layouts
from estimator.catalog.gpus import gpu
from estimator.catalog.offers import offers_for_gpu
from estimator.catalog.presets import preset
from estimator.estimate import estimate
from estimator.memory import training_memory
from estimator.models import Checkpointing, Hardware, Parallelism, TrainingRun

H100 = gpu("H100-SXM")


def test_llama_3_8b_full_on_8_h100_picks_the_first_fitting_layout_and_nothing_earlier_fits() -> None:
    arch = preset("llama-3-8b")
    run = TrainingRun(tokens=1e9, micro_batch=4, seq_len=8192)
    hw = Hardware(gpu=H100, count=8)
    chosen, why = first_fitting_layout(arch, run, hw)
    assert training_memory(arch, chosen, H100).fits
    tried = layouts(
        chosen.model_copy(
            update={
                "checkpointing": Checkpointing.NONE,
                "parallelism": chosen.parallelism.model_copy(update={"zero_stage": 0}),
            }
        )
    )
    before = tried[: tried.index(chosen)]
    assert before, "the default layout should not fit this run"
    assert not any(training_memory(arch, r, H100).fits for r in before)
    assert f"ZeRO stage {chosen.parallelism.zero_stage}" in why.value


@settings(max_examples=15, deadline=None)
@given(stage=st.integers(0, 3), ckpt=st.sampled_from(list(Checkpointing)))
def test_layouts_start_with_the_run_and_never_weaken_it(stage: int, ckpt: Checkpointing) -> None:
    run = TrainingRun(tokens=1e9, checkpointing=ckpt, parallelism=Parallelism(zero_stage=stage))
    tried = layouts(run)
    assert tried[0] == run
    order = list(Checkpointing)
    for r in tried:
        assert r.parallelism.zero_stage >= stage
        assert order.index(r.checkpointing) >= order.index(ckpt)


def test_every_cost_row_says_whether_the_run_fits() -> None:
    arch = preset("llama-3-8b")
    run = TrainingRun(tokens=1e9, micro_batch=4, seq_len=8192)
    hw = Hardware(gpu=H100, count=8)
    offers = offers_for_gpu("H100-SXM")
    plain = estimate(arch, run, hw, offers)
    assert plain.cost
    assert not plain.memory.fits
    assert all(line.fits is False for line in plain.cost)
    auto = estimate(arch, run, hw, offers, auto_layout=True)
    assert auto.memory.fits
    assert all(line.fits for line in auto.cost)
    assert any(a.name == "layout" for a in auto.assumptions)
