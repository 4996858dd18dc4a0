"""Expert parallelism: the all-to-all of routed tokens and the 1/e share of experts each GPU keeps, from first
principles (GShard, Lepikhin et al. 2020 §3.2; Megatron-Core `--expert-model-parallel-size`)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.catalog.gpus import gpu
from estimator.catalog.presets import preset
from estimator.errors import InvalidRunError
from estimator.interconnect import point_to_point_bytes_per_second
from estimator.layout_options import parse_layout
from estimator.memory import training_memory
from estimator.models import Hardware, ModelArch, Parallelism, TrainingRun
from estimator.params import routed_expert_params
from estimator.step_phases import micro_batch_phases
from estimator.throughput import FITTED, training_time

H100 = gpu("H100-SXM")
MIXTRAL = preset("mixtral-8x7b")  # 32 MoE layers, 8 experts of 3 × 4096 × 14336, top-2


def _run(e: int, zero: int = 0, data: int = 8) -> TrainingRun:
    return TrainingRun(
        tokens=1e9, seq_len=4096, micro_batch=1, parallelism=Parallelism(data=data, expert=e, zero_stage=zero)
    )


def test_routed_experts_are_counted_from_the_expert_shapes() -> None:
    assert routed_expert_params(MIXTRAL) == 32 * 8 * 3 * 4096 * 14336
    assert routed_expert_params(preset("llama-3-8b")) == 0


def test_each_moe_layer_pays_dispatch_and_combine_in_both_passes() -> None:
    # 4096 tokens × top-2 × h 4096 × 2 bytes, sent out (7/8 of it leaves the GPU) and back, over NVLink (8 in a node)
    hw = Hardware(gpu=H100, count=8)
    per_pass = 2 * 4096 * 2 * 4096 * 2 * 7 / 8 / point_to_point_bytes_per_second(hw, within_node=True)
    plain = micro_batch_phases(MIXTRAL, _run(1), hw, FITTED)
    split = micro_batch_phases(MIXTRAL, _run(8), hw, FITTED)
    assert split[0].gpu_seconds - plain[0].gpu_seconds == pytest.approx(32 * per_pass)
    assert split[2].gpu_seconds - plain[2].gpu_seconds == pytest.approx(32 * per_pass)
    (note,) = [a for a in training_time(MIXTRAL, _run(8), hw).assumptions if a.name == "expert parallel"]
    assert "e = 8" in note.value


@settings(max_examples=10, deadline=None)
@given(e=st.sampled_from([2, 4, 8]))
def test_a_gpu_keeps_one_eth_of_the_experts_unless_zero_already_shards_them(e: int) -> None:
    routed = routed_expert_params(MIXTRAL)
    plain, split = training_memory(MIXTRAL, _run(1), H100), training_memory(MIXTRAL, _run(e), H100)
    # bf16 recipe: weights 2 bytes per parameter, each GPU dropping (1 − 1/e) of the routed experts
    assert plain.weights_bytes - split.weights_bytes == pytest.approx(2 * routed * (1 - 1 / e), rel=1e-9)
    # ZeRO-3 over the 8 data-parallel ranks already keeps 1/8 of every parameter: expert parallelism changes nothing
    sharded = training_memory(MIXTRAL, _run(1, zero=3), H100), training_memory(MIXTRAL, _run(e, zero=3), H100)
    assert sharded[0].weights_bytes == pytest.approx(sharded[1].weights_bytes)


@pytest.mark.parametrize(
    ("arch", "e", "gpus", "words"),
    [
        (preset("llama-3-8b"), 2, 8, ["expert_parallel", "no routed experts"]),
        (MIXTRAL, 3, 6, ["expert_parallel", "divide the 8 routed experts"]),
        (MIXTRAL, 8, 4, ["expert_parallel", "divide the 4 data × context ranks"]),
    ],
)
def test_layouts_expert_parallelism_cannot_have_are_refused(
    arch: ModelArch, e: int, gpus: int, words: list[str]
) -> None:
    run = TrainingRun(tokens=1e9, parallelism=Parallelism(expert=e))
    with pytest.raises(InvalidRunError) as error:
        training_time(arch, run, Hardware(gpu=H100, count=gpus))
    assert all(word in str(error.value) for word in words)


def test_the_layout_option_sets_the_degree() -> None:
    assert parse_layout({"expert_parallel": "4"}).parallelism.expert == 4
    with pytest.raises(InvalidRunError, match="expert_parallel"):
        parse_layout({"expert_parallel": "0"})
