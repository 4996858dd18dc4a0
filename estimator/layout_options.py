"""The layout and kernel options of a training run, parsed once for every front end.

`trainspend estimate`, `trainspend plan` and `/api/v1/estimate` take the same eight options: the parallel degrees
(tensor, pipeline, context, virtual stages, expert), the ZeRO stage and the two kernel choices. They are listed here,
with their default and meaning, and turned into the run's fields by `parse_layout`, so the three front ends cannot drift
apart: the CLI derives its flags (`--context-parallel`, ...) and the endpoint its query parameters
(`context_parallel=`, ...) from the same `name`, and both report a bad value through the same InvalidRunError.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from estimator.errors import InvalidRunError
from estimator.models import AttentionKernel, Frozen, LayerKernels, Parallelism


class LayoutOption(Frozen):
    """One option: `name` is the query parameter, `flag` the CLI flag; `choices` names an enum option's values."""

    name: str
    field: str  # Parallelism's field, or TrainingRun's for the kernel choices
    default: str
    help: str
    choices: tuple[str, ...] = ()
    maximum: int | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def layout_options() -> tuple[LayoutOption, ...]:
    """Every layout/kernel option, in the order the front ends list them."""
    return (
        LayoutOption(name="tensor_parallel", field="tensor", default="1", help="tensor-parallel degree"),
        LayoutOption(name="pipeline_parallel", field="pipeline", default="1", help="pipeline-parallel degree"),
        LayoutOption(
            name="context_parallel",
            field="context",
            default="1",
            help="context-parallel degree: GPUs that share each sequence (ring attention)",
        ),
        LayoutOption(
            name="virtual_stages",
            field="virtual_stages",
            default="1",
            help="model chunks per pipeline stage (interleaved 1F1B; needs pipeline parallel > 1)",
        ),
        LayoutOption(
            name="expert_parallel",
            field="expert",
            default="1",
            help="expert-parallel degree: data-parallel GPUs that split each MoE layer's routed experts (all-to-all)",
        ),
        LayoutOption(
            name="zero_stage", field="zero_stage", default="0", help="ZeRO stage 0-3 (3 = FSDP full shard)", maximum=3
        ),
        LayoutOption(
            name="layer_kernels",
            field="layer_kernels",
            default=LayerKernels.EAGER.value,
            help="eager (Hugging Face) or fused (Megatron-Core + Transformer Engine) layers",
            choices=tuple(k.value for k in LayerKernels),
        ),
        LayoutOption(
            name="attention_kernel",
            field="attention_kernel",
            default=AttentionKernel.FA2.value,
            help="attention kernel whose published rate is used",
            choices=tuple(k.value for k in AttentionKernel),
        ),
    )


class Layout(Frozen):
    """The parsed options: the run's parallelism (data = 1, set from the GPU count later) and its kernels."""

    parallelism: Parallelism
    layer_kernels: LayerKernels
    attention_kernel: AttentionKernel


def parse_layout(values: Mapping[str, str | int | StrEnum]) -> Layout:
    """Options by `name` (absent ones take their default) → Layout. Strings are parsed, ints and enums taken as they
    are; a bad value raises InvalidRunError naming the option, the value and the allowed ones."""
    known = {option.name: option for option in layout_options()}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InvalidRunError(unknown[0], values[unknown[0]], f"not a layout option; use one of {', '.join(known)}")
    degrees: dict[str, int] = {}
    kernels: dict[str, str] = {}
    for option in known.values():
        raw = values.get(option.name, option.default)
        if option.choices:
            text = str(raw.value if isinstance(raw, StrEnum) else raw).strip().lower()
            if text not in option.choices:
                raise InvalidRunError(option.name, raw, f"use one of {', '.join(option.choices)}")
            kernels[option.field] = text
        else:
            degrees[option.field] = _whole(option, raw)
    return Layout(
        parallelism=Parallelism(**degrees),
        layer_kernels=LayerKernels(kernels["layer_kernels"]),
        attention_kernel=AttentionKernel(kernels["attention_kernel"]),
    )


def _whole(option: LayoutOption, raw: str | int | StrEnum) -> int:
    """A degree ≥ 1 (the ZeRO stage 0..3) from an int or its decimal text."""
    lowest = 0 if option.maximum is not None else 1
    try:
        value = raw if isinstance(raw, int) else int(str(raw).strip())
    except ValueError:
        value = None
    if value is None or value < lowest or (option.maximum is not None and value > option.maximum):
        bound = f"{lowest}-{option.maximum}" if option.maximum is not None else "a positive integer"
        raise InvalidRunError(option.name, raw, f"use {bound} ({option.help})")
    return value
