"""The one parser of layout and kernel options (estimator.layout_options): text and typed values agree, defaults are
TrainingRun's, bad values name the option, the value and what is allowed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.errors import InvalidRunError
from estimator.layout_options import layout_options, parse_layout
from estimator.models import AttentionKernel, LayerKernels, Parallelism, TrainingRun


def test_defaults_are_the_training_runs_defaults() -> None:
    layout = parse_layout({})
    run = TrainingRun(tokens=1e9)
    assert layout.parallelism == Parallelism() == run.parallelism
    assert layout.layer_kernels == run.layer_kernels
    assert layout.attention_kernel == run.attention_kernel


def test_every_option_maps_to_a_field_of_the_run() -> None:
    fields = set(Parallelism.model_fields) | set(TrainingRun.model_fields)
    for option in layout_options():
        assert option.field in fields
        assert option.flag == "--" + option.name.replace("_", "-")


@settings(max_examples=60, deadline=None)
@given(
    t=st.integers(1, 64),
    p=st.integers(1, 64),
    c=st.integers(1, 16),
    v=st.integers(1, 16),
    zero=st.integers(0, 3),
    layers=st.sampled_from(list(LayerKernels)),
    attention=st.sampled_from(list(AttentionKernel)),
)
def test_text_and_typed_values_parse_alike(
    t: int, p: int, c: int, v: int, zero: int, layers: LayerKernels, attention: AttentionKernel
) -> None:
    typed = {
        "tensor_parallel": t,
        "pipeline_parallel": p,
        "context_parallel": c,
        "virtual_stages": v,
        "zero_stage": zero,
        "layer_kernels": layers,
        "attention_kernel": attention,
    }
    text = {
        name: f" {value.value.upper() if isinstance(value, LayerKernels | AttentionKernel) else value} "
        for name, value in typed.items()
    }
    parsed = parse_layout(typed)
    assert parse_layout(text) == parsed
    assert parsed.parallelism == Parallelism(tensor=t, pipeline=p, context=c, virtual_stages=v, zero_stage=zero)
    assert (parsed.layer_kernels, parsed.attention_kernel) == (layers, attention)


@pytest.mark.parametrize(
    ("values", "fragments"),
    [
        ({"context_parallel": "0"}, ["context_parallel", "'0'", "positive integer"]),
        ({"tensor_parallel": "two"}, ["tensor_parallel", "'two'", "positive integer"]),
        ({"zero_stage": "4"}, ["zero_stage", "'4'", "0-3"]),
        ({"virtual_stages": -1}, ["virtual_stages", "-1"]),
        ({"attention_kernel": "fa4"}, ["attention_kernel", "'fa4'", "fa2, fa3, cudnn"]),
        ({"layer_kernels": "apex"}, ["layer_kernels", "'apex'", "eager, fused"]),
        ({"data_parallel": "2"}, ["data_parallel", "not a layout option", "context_parallel"]),
    ],
)
def test_bad_values_name_the_option_the_value_and_the_fix(values: dict[str, str | int], fragments: list[str]) -> None:
    with pytest.raises(InvalidRunError) as info:
        parse_layout(values)
    for fragment in fragments:
        assert fragment in str(info.value)
