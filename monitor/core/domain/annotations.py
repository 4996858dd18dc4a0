"""The `trainspend.io/*` annotation contract of DESIGN §4: parse what a Job says about itself, tolerantly.

Every annotation is optional and parsed on its own: one bad value becomes an `AnnotationProblem` (annotation, value,
and a message naming the fix) and never prevents the others from parsing, nor the Job from being accounted.
The message does not repeat the annotation or its value: whoever shows a problem prints "annotation=value: message".
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from estimator.models import Checkpointing, Method, Precision
from monitor.core.domain.bounded import (
    MAX_INTEGER,
    MAX_JSON_CHARS,
    MAX_SCALAR_CHARS,
    BoundError,
    check_length,
    clip,
    load_bounded_json,
)
from monitor.core.domain.quantities import QuantityError, parse_count
from monitor.core.domain.result import AnnotationProblem

PREFIX = "trainspend.io/"
# A tokens annotation that disagrees with dataset-tokens x epochs by more than this is reported (tokens wins).
_TOKENS_TOLERANCE = 0.01
_E = TypeVar("_E", bound=StrEnum)
# Upper bounds of the integer annotations: far above any real run, low enough that the estimator's arithmetic stays
# finite. Context windows: 10M tokens is the longest published (Llama 4 Scout, ai.meta.com/blog/llama-4, 2025-04-05).
_MAX_SEQ_LEN = 2**24
_MAX_MICRO_BATCH = 2**16
# Below 0.1 % MFU no run is configured on purpose; a tinier value only makes the estimate's step time overflow.
_MIN_MFU = 0.001


@dataclass(frozen=True)
class WorkloadSpec:
    """What the annotations say about a training workload. Every field is optional (None = not annotated)."""

    model: str | None = None
    model_config: dict[str, Any] | None = None  # HF config.json keys
    tokens: float | None = None
    dataset_tokens: float | None = None
    epochs: float | None = None
    method: Method | None = None
    seq_len: int | None = None
    micro_batch: int | None = None
    precision: Precision | None = None
    zero_stage: int | None = None
    grad_checkpointing: Checkpointing | None = None
    mfu: float | None = None
    budget_usd: float | None = None
    progress: float | None = None
    step: int | None = None
    total_steps: int | None = None

    @property
    def total_tokens(self) -> float | None:
        """`tokens`, else `dataset-tokens` x `epochs` (epochs defaults to 1)."""
        if self.tokens is not None:
            return self.tokens
        if self.dataset_tokens is not None:
            return self.dataset_tokens * (self.epochs if self.epochs is not None else 1.0)
        return None

    @property
    def progress_ratio(self) -> float | None:
        """`progress`, else `step` / `total-steps`, clipped to [0, 1]."""
        if self.progress is not None:
            return self.progress
        if self.step is not None and self.total_steps is not None:
            return min(1.0, self.step / self.total_steps)
        return None

    @property
    def describes_workload(self) -> bool:
        """True when there is enough for the estimator: a model (preset or config) and a token count."""
        return (self.model is not None or self.model_config is not None) and self.total_tokens is not None


@dataclass(frozen=True)
class ParsedAnnotations:
    spec: WorkloadSpec
    problems: tuple[AnnotationProblem, ...] = field(default_factory=tuple)


# One annotation's value is unusable; `fix` says what it must be ("must be ... such as ...").
_BadValueError = BoundError


def _positive_count(raw: str) -> float:
    try:
        return parse_count(raw)
    except QuantityError as error:
        # quantities' fix reads "use a positive number such as ..."; annotation messages read "must be ..."
        raise _BadValueError("must be " + error.fix.removeprefix("use ")) from error


def _number(raw: str, low: float, high: float, fix: str, *, low_open: bool = False) -> float:
    check_length(raw)
    try:
        value = float(raw.strip())
    except ValueError:
        raise _BadValueError(fix) from None
    if not math.isfinite(value) or value < low or value > high or (low_open and value == low):
        raise _BadValueError(fix)
    return value


def _integer(raw: str, low: int, high: int | None, fix: str) -> int:
    text = check_length(raw).strip().replace("_", "")
    try:
        value = int(text)
    except ValueError:
        # "1e3" steps are written by people too; accept an exact integral float.
        try:
            as_float = float(text)
        except ValueError:
            raise _BadValueError(fix) from None
        if not math.isfinite(as_float) or not as_float.is_integer():
            raise _BadValueError(fix) from None
        value = int(as_float)
    if value < low or value > (MAX_INTEGER if high is None else high):
        raise _BadValueError(fix)
    return value


def _choice(enum: type[_E], aliases: Mapping[str, _E] | None = None) -> Callable[[str], _E]:
    def parse(raw: str) -> _E:
        text = raw.strip().lower()
        if aliases and text in aliases:
            return aliases[text]
        try:
            return enum(text)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise _BadValueError(f"must be one of: {allowed}") from None

    return parse


def _model_name(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise _BadValueError('must name a model preset such as "llama-3-8b"; or use trainspend.io/model-config')
    return text


def _model_config(raw: str) -> dict[str, Any]:
    fix = (
        'must be a JSON object of Hugging Face config.json keys such as {"hidden_size": 4096, "num_hidden_layers": 32}'
    )
    try:
        value = load_bounded_json(raw)
    except json.JSONDecodeError as error:
        raise _BadValueError(f"{fix} (JSON error: {error.msg} at position {error.pos})") from None
    except BoundError as error:
        raise _BadValueError(f"{fix}; it {error.fix}") from None
    if not isinstance(value, dict) or not value:
        raise _BadValueError(fix)
    return value


def _progress(raw: str) -> float:
    text = raw.strip()
    fix = 'must be a fraction from 0 to 1 such as "0.42" (or a percentage such as "42%")'
    if text.endswith("%"):
        return _number(text[:-1], 0.0, 100.0, fix) / 100.0
    return _number(text, 0.0, 1.0, fix)


_CHECKPOINTING_ALIASES = {
    "true": Checkpointing.FULL,
    "yes": Checkpointing.FULL,
    "on": Checkpointing.FULL,
    "false": Checkpointing.NONE,
    "no": Checkpointing.NONE,
    "off": Checkpointing.NONE,
}
_PRECISION_ALIASES = {"bf16-mixed": Precision.FP32_AMP, "16-mixed": Precision.FP16_AMP, "fp16": Precision.FP16_AMP}

# annotation suffix -> (WorkloadSpec field, parser)
_PARSERS: dict[str, tuple[str, Callable[[str], object]]] = {
    "model": ("model", _model_name),
    "model-config": ("model_config", _model_config),
    "tokens": ("tokens", _positive_count),
    "dataset-tokens": ("dataset_tokens", _positive_count),
    "epochs": ("epochs", lambda raw: _number(raw, 0.0, 1e6, 'must be a positive number such as "3"', low_open=True)),
    "method": ("method", _choice(Method)),
    "seq-len": (
        "seq_len",
        lambda raw: _integer(raw, 1, _MAX_SEQ_LEN, f'must be a positive integer up to {_MAX_SEQ_LEN} such as "4096"'),
    ),
    "micro-batch": (
        "micro_batch",
        lambda raw: _integer(
            raw, 1, _MAX_MICRO_BATCH, f'must be a positive integer up to {_MAX_MICRO_BATCH} such as "4"'
        ),
    ),
    "precision": ("precision", _choice(Precision, _PRECISION_ALIASES)),
    "zero-stage": ("zero_stage", lambda raw: _integer(raw, 0, 3, "must be 0, 1, 2 or 3 (FSDP full shard is 3)")),
    "grad-checkpointing": ("grad_checkpointing", _choice(Checkpointing, _CHECKPOINTING_ALIASES)),
    "mfu": (
        "mfu",
        lambda raw: _number(raw, _MIN_MFU, 1.0, f'must be a fraction in (0, 1] (at least {_MIN_MFU}) such as "0.4"'),
    ),
    "budget-usd": (
        "budget_usd",
        lambda raw: _number(
            raw.replace("$", "").replace(",", ""),
            0.0,
            1e12,
            'must be a positive amount in USD such as "5000"',
            low_open=True,
        ),
    ),
    "progress": ("progress", _progress),
    "step": ("step", lambda raw: _integer(raw, 0, None, 'must be a non-negative integer such as "1200"')),
    "total-steps": ("total_steps", lambda raw: _integer(raw, 1, None, 'must be a positive integer such as "10000"')),
}
ANNOTATIONS: tuple[str, ...] = tuple(PREFIX + suffix for suffix in _PARSERS)


def parse_workload_annotations(
    annotations: Mapping[str, str], known_models: Collection[str] | None = None
) -> ParsedAnnotations:
    """Parses every `trainspend.io/*` annotation on its own; the others ignore one bad value.

    `known_models` (the estimator's preset names), when given, turns an unknown `model` into a problem that lists
    the closest presets; the unknown name is then dropped so the estimator is not asked about it.
    """
    values: dict[str, object] = {}
    problems: list[AnnotationProblem] = []
    for key in sorted(annotations):
        if not key.startswith(PREFIX):
            continue
        raw = annotations[key]
        suffix = key[len(PREFIX) :]
        entry = _PARSERS.get(suffix)
        if entry is None:
            problems.append(_unknown_annotation(key, raw))
            continue
        name, parser = entry
        try:
            values[name] = parser(check_length(raw, MAX_JSON_CHARS if name == "model_config" else MAX_SCALAR_CHARS))
        except _BadValueError as bad:
            problems.append(_problem(key, raw, bad.fix))
    spec = WorkloadSpec(**values)  # type: ignore[arg-type]  # each parser returns its field's type
    spec, more = _check_consistency(spec, annotations, known_models)
    return ParsedAnnotations(spec=spec, problems=tuple(problems + more))


def _problem(annotation: str, raw: str, message: str) -> AnnotationProblem:
    """A problem repeating at most `DISPLAY_CHARS` of the key and value (they travel into Events, logs, the API)."""
    return AnnotationProblem(annotation=clip(annotation), value=clip(raw), message=message)


def _unknown_annotation(key: str, raw: str) -> AnnotationProblem:
    close = difflib.get_close_matches(key, ANNOTATIONS, n=1) if len(key) <= MAX_SCALAR_CHARS else []
    hint = f"did you mean {close[0]}?" if close else "known annotations: " + ", ".join(ANNOTATIONS)
    return _problem(key, raw, f"not a trainspend annotation; {hint}")


def _check_consistency(
    spec: WorkloadSpec, annotations: Mapping[str, str], known_models: Collection[str] | None
) -> tuple[WorkloadSpec, list[AnnotationProblem]]:
    problems: list[AnnotationProblem] = []
    if known_models is not None and spec.model is not None and spec.model not in known_models:
        close = difflib.get_close_matches(spec.model, list(known_models), n=3)
        hint = f"closest presets: {', '.join(close)}" if close else "or describe it with trainspend.io/model-config"
        key = PREFIX + "model"
        problems.append(_problem(key, annotations[key], f"not a known model preset; {hint}"))
        spec = replace(spec, model=None)
    if spec.tokens is not None and spec.dataset_tokens is not None:
        implied = spec.dataset_tokens * (spec.epochs or 1.0)
        if abs(implied - spec.tokens) > _TOKENS_TOLERANCE * spec.tokens:
            key = PREFIX + "tokens"
            problems.append(
                _problem(
                    key,
                    annotations[key],
                    f"disagrees with {PREFIX}dataset-tokens x epochs ({implied:.4g}); tokens is used: "
                    "remove one of them",
                )
            )
    if spec.step is not None and spec.total_steps is not None and spec.step > spec.total_steps:
        key = PREFIX + "step"
        problems.append(
            _problem(
                key,
                annotations[key],
                f"exceeds {PREFIX}total-steps ({spec.total_steps}); progress is taken as 1: fix total-steps",
            )
        )
    problems.extend(_missing_partners(spec, annotations))
    return spec, problems


def _missing_partners(spec: WorkloadSpec, annotations: Mapping[str, str]) -> list[AnnotationProblem]:
    """Annotations that mean nothing alone: reported, so a user sees why no progress or token count appears."""
    problems: list[AnnotationProblem] = []
    if spec.step is not None and spec.total_steps is None and spec.progress is None:
        key = PREFIX + "step"
        problems.append(
            _problem(
                key,
                annotations[key],
                f"needs {PREFIX}total-steps to give progress: add it, or report {PREFIX}progress instead",
            )
        )
    if spec.epochs is not None and spec.dataset_tokens is None:
        key = PREFIX + "epochs"
        problems.append(
            _problem(
                key,
                annotations[key],
                f"is used only with {PREFIX}dataset-tokens (tokens = dataset-tokens x epochs): add "
                f"dataset-tokens, or remove epochs and give {PREFIX}tokens",
            )
        )
    return problems


def merge_progress(
    workload_annotations: Mapping[str, str], pod_annotations_list: Iterable[Mapping[str, str]]
) -> float | None:
    """The progress (0..1) a trainer reports on the workload or on any of its pods; None when nobody reports one.

    Annotations carry no timestamp, so "freshest" is taken as the furthest along: training progress only grows, the
    ranks of a distributed job report the same value, and a stale copy (a Job annotation last patched an hour ago, or a
    pod of an earlier attempt) is the lower one. Unparseable values are skipped here; `parse_workload_annotations`
    reports them.
    """
    best: float | None = None
    for source in (workload_annotations, *pod_annotations_list):
        ratio = _progress_of(source)
        if ratio is not None and (best is None or ratio > best):
            best = ratio
    return best


def _progress_of(annotations: Mapping[str, str]) -> float | None:
    raw = annotations.get(PREFIX + "progress")
    if raw is not None:
        try:
            return _progress(raw)
        except _BadValueError:
            pass
    raw_step, raw_total = annotations.get(PREFIX + "step"), annotations.get(PREFIX + "total-steps")
    if raw_step is None or raw_total is None:
        return None
    try:
        step = _integer(raw_step, 0, None, "")
        total = _integer(raw_total, 1, None, "")
    except _BadValueError:
        return None
    return min(1.0, step / total)
