"""`/api/v1/estimate`: the estimator behind the daemon's read API (query parameters in, the estimate's JSON out).

Every bad request becomes a ValueError (a 400) whose message names the parameter, the value given and the fix; the
estimator's pydantic errors are translated here, so no response carries a raw pydantic message or its URL.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError

from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.offers import embedded_offers
from estimator.catalog.presets import preset, preset_names
from estimator.errors import EstimatorError, UnknownModelError
from estimator.estimate import estimate, run_for_hardware
from estimator.layout_options import layout_options, parse_layout
from estimator.models import (
    DEFAULT_CHECKPOINTING,
    DEFAULT_LORA_RANK,
    DEFAULT_METHOD,
    DEFAULT_MICRO_BATCH,
    DEFAULT_PRECISION,
    DEFAULT_SEQ_LEN,
    Checkpointing,
    Hardware,
    LoraConfig,
    Method,
    ModelArch,
    Precision,
    TrainingRun,
)
from monitor.core.domain.quantities import QuantityError, parse_count

# parameter -> (default, what it means): the one list the endpoint accepts, also used in its error messages.
ESTIMATE_PARAMETERS: dict[str, tuple[str | None, str]] = {
    "model": (None, "model preset, e.g. llama-3-8b"),
    "tokens": (None, "training tokens, e.g. 2e9 or 2B"),
    "gpu": ("H100-SXM", "GPU catalog id, e.g. A100-SXM-80GB"),
    "gpus": ("1", "number of GPUs"),
    "method": (DEFAULT_METHOD.value, "full | lora | qlora"),
    "lora_rank": (str(DEFAULT_LORA_RANK), "LoRA rank"),
    "seq_len": (str(DEFAULT_SEQ_LEN), "sequence length in tokens"),
    "micro_batch": (str(DEFAULT_MICRO_BATCH), "sequences per GPU per step"),
    "precision": (DEFAULT_PRECISION.value, "precision recipe"),
    "grad_checkpointing": (DEFAULT_CHECKPOINTING.value, "activation checkpointing"),
    # the layout and kernel options, as `trainspend estimate`/`plan` take them (estimator.layout_options)
    **{
        option.name: (option.default, option.help + (f": {' | '.join(option.choices)}" if option.choices else ""))
        for option in layout_options()
    },
}
_E = TypeVar("_E", bound=StrEnum)
_EXAMPLE = "?model=llama-3-8b&tokens=2e9&gpu=A100-SXM-80GB&gpus=8"


def estimate_from_query(query: Mapping[str, str]) -> dict[str, Any]:
    """?model=llama-3-8b&tokens=2e9&gpu=A100-SXM-80GB&gpus=8&method=lora&seq_len=4096&micro_batch=4 → estimate JSON;
    also the layout and kernel options of estimator.layout_options (&tensor_parallel=2&context_parallel=2&...).

    Raises ValueError (a 400) naming the parameter, the value and the fix."""
    unknown = sorted(set(query) - set(ESTIMATE_PARAMETERS))
    if unknown:
        raise ValueError(
            f"unknown query parameter(s) {', '.join(unknown)}: use {', '.join(ESTIMATE_PARAMETERS)}, e.g. {_EXAMPLE}"
        )
    model = _required(query, "model")
    tokens_text = _required(query, "tokens")
    method = _choice(query, "method", Method)
    try:
        tokens = parse_count(tokens_text, "tokens")
        gpus = _positive_int(query, "gpus")
        layout = parse_layout({o.name: query[o.name] for o in layout_options() if o.name in query})
        run = TrainingRun(
            tokens=tokens,
            seq_len=_positive_int(query, "seq_len"),
            micro_batch=_positive_int(query, "micro_batch"),
            method=method,
            lora=LoraConfig(rank=_positive_int(query, "lora_rank")),
            precision=_choice(query, "precision", Precision),
            checkpointing=_choice(query, "grad_checkpointing", Checkpointing),
            parallelism=layout.parallelism,
            layer_kernels=layout.layer_kernels,
            attention_kernel=layout.attention_kernel,
        )
        hardware = Hardware(gpu=catalog_gpu(_value(query, "gpu")), count=gpus)
        arch = _preset(model)
        result = estimate(arch, run_for_hardware(run, gpus), hardware, embedded_offers())
    except ValidationError as exc:
        raise ValueError(_validation_message(exc)) from None
    except (EstimatorError, QuantityError) as exc:
        raise ValueError(str(exc)) from exc
    return result.model_dump(mode="json")


def _value(query: Mapping[str, str], name: str) -> str:
    default = ESTIMATE_PARAMETERS[name][0]
    return query.get(name, default or "").strip()


def _required(query: Mapping[str, str], name: str) -> str:
    text = _value(query, name)
    if not text:
        raise ValueError(f"{name}: required ({ESTIMATE_PARAMETERS[name][1]}), e.g. {_EXAMPLE}")
    return text


def _positive_int(query: Mapping[str, str], name: str) -> int:
    text = _value(query, name)
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name}={text!r}: use a positive integer ({ESTIMATE_PARAMETERS[name][1]})")
    return value


def _choice(query: Mapping[str, str], name: str, enum: type[_E]) -> _E:
    text = _value(query, name)
    try:
        return enum(text.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"{name}={text!r}: use one of {allowed}") from None


def _preset(name: str) -> ModelArch:
    """The preset's architecture; an unknown name lists the closest presets (the CLI's hint names CLI flags)."""
    try:
        return preset(name)
    except UnknownModelError:
        names = preset_names()
        close = difflib.get_close_matches(name.strip().lower(), names, n=5, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else f"known presets include {', '.join(names[:5])}"
        raise ValueError(f"model={name!r}: not a model preset; {hint} (all presets: `trainspend models`)") from None


def _validation_message(exc: ValidationError) -> str:
    """A pydantic error from the estimator's models, in the endpoint's terms (field = value: what is wrong)."""
    parts = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(p) for p in error["loc"]) or exc.title
        parts.append(f"{field}={error.get('input')!r}: {error['msg']}")
    return "; ".join(parts)
