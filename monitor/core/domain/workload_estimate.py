"""The estimator's view of an annotated workload: how long it should run on the GPUs it holds.

Pure: the annotations (a `WorkloadSpec`) and the hardware the workload's pods hold go in; the expected total running
time and the assumptions behind it come out. The projection (`projection.py`) blends it with observed progress.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.presets import preset
from estimator.config import arch_from_hf_config
from estimator.errors import EstimatorError
from estimator.models import Hardware, ModelArch, Parallelism, TrainingRun
from estimator.throughput import training_time
from monitor.core.domain.annotations import WorkloadSpec
from monitor.core.domain.bounded import clip
from monitor.core.domain.result import AnnotationProblem

_UNUSABLE = "must describe a workload the estimator can compute: no estimate is made, the Job is accounted without one"


@dataclass(frozen=True)
class WorkloadEstimate:
    total_seconds: float  # expected running time of the whole run on this hardware
    summary: dict[str, Any]  # for the API: model, GPU, step time, MFU, assumptions


@dataclass(frozen=True)
class EstimateKey:
    """Everything an estimate depends on; estimates are cached per `cache_key` by the agent."""

    spec: WorkloadSpec
    gpu_model: str
    gpus: int

    @property
    def cache_key(self) -> str:
        fields = {k: (v.value if hasattr(v, "value") else v) for k, v in vars(self.spec).items()}
        return json.dumps([fields, self.gpu_model, self.gpus], sort_keys=True, default=str)


def _arch(spec: WorkloadSpec) -> ModelArch:
    if spec.model_config is not None:
        return arch_from_hf_config(spec.model_config, name=spec.model or "custom")
    assert spec.model is not None
    return preset(spec.model)


def estimate_workload(key: EstimateKey) -> WorkloadEstimate | AnnotationProblem | None:
    """The estimate for an annotated workload, a problem naming the annotation to fix, or None when the
    annotations do not describe the workload (no model or no token count) or it holds no GPUs."""
    spec = key.spec
    tokens = spec.total_tokens
    if not spec.describes_workload or tokens is None or key.gpus <= 0:
        return None
    field = "trainspend.io/model-config" if spec.model_config is not None else "trainspend.io/model"
    try:
        arch = _arch(spec)
    except EstimatorError as exc:
        return AnnotationProblem(annotation=field, value=clip(str(exc.value)), message=clip(str(exc), 1000))
    except (ArithmeticError, ValueError, TypeError) as exc:
        # A config.json value the estimator's arithmetic cannot take (10^300 layers overflow a float).
        return AnnotationProblem(
            annotation=field, value="", message=_UNUSABLE + f" ({type(exc).__name__}: {clip(str(exc))})"
        )
    try:
        gpu = catalog_gpu(key.gpu_model)
    except EstimatorError as exc:
        # The node's GPU is not in the catalog: no estimate, but this is no fault of the Job's annotations.
        return AnnotationProblem(annotation="nvidia.com/gpu.product", value=key.gpu_model, message=str(exc))
    # Only what the annotations set: everything else is TrainingRun's own default (estimator.models).
    given: dict[str, Any] = {
        "seq_len": spec.seq_len,
        "micro_batch": spec.micro_batch,
        "method": spec.method,
        "precision": spec.precision,
        "checkpointing": spec.grad_checkpointing,
        "mfu": spec.mfu,
    }
    parallelism = Parallelism(data=key.gpus, **({} if spec.zero_stage is None else {"zero_stage": spec.zero_stage}))
    run = TrainingRun(
        tokens=tokens, parallelism=parallelism, **{name: value for name, value in given.items() if value is not None}
    )
    try:
        time = training_time(arch, run, Hardware(gpu=gpu, count=key.gpus))
    except EstimatorError as exc:
        return AnnotationProblem(
            annotation="trainspend.io/" + exc.field, value=clip(str(exc.value)), message=clip(str(exc), 1000)
        )
    except (ArithmeticError, ValueError) as exc:
        return AnnotationProblem(
            annotation=field, value="", message=_UNUSABLE + f" ({type(exc).__name__}: {clip(str(exc))})"
        )
    if not (0 < time.total_hours < math.inf):
        return AnnotationProblem(
            annotation="trainspend.io/tokens", value=str(tokens), message=_UNUSABLE + f" (total {time.total_hours} h)"
        )
    summary: dict[str, Any] = {
        "model": arch.name,
        "tokens": tokens,
        "method": run.method.value,
        "gpu": gpu.id,
        "gpus": key.gpus,
        "step_seconds": time.step_seconds,
        "tokens_per_second": time.tokens_per_second,
        "mfu": time.mfu,
        "total_hours": time.total_hours,
        "gpu_hours": time.gpu_hours,
        "assumptions": [a.model_dump() for a in time.assumptions],
    }
    return WorkloadEstimate(total_seconds=time.total_hours * 3600.0, summary=summary)
