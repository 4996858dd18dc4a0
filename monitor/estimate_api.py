"""`/api/v1/estimate`: the estimator behind the daemon's read API (query parameters in, the estimate's JSON out)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.offers import all_offers
from estimator.catalog.presets import preset
from estimator.errors import EstimatorError
from estimator.estimate import estimate, run_for_hardware
from estimator.models import Checkpointing, Hardware, LoraConfig, Method, Precision, TrainingRun
from monitor.domain.quantities import QuantityError, parse_count


def estimate_from_query(query: Mapping[str, str]) -> dict[str, Any]:
    """?model=llama-3-8b&tokens=2e9&gpu=A100-SXM-80GB&gpus=8&method=lora&seq_len=4096&micro_batch=4 → estimate JSON.

    Raises ValueError (a 400) naming the parameter and the fix."""
    try:
        model = query.get("model")
        if not model:
            raise ValueError("model: required, e.g. ?model=llama-3-8b")
        tokens = parse_count(query.get("tokens", ""), "tokens")
        gpus = int(query.get("gpus", "1"))
        run = TrainingRun(
            tokens=tokens,
            seq_len=int(query.get("seq_len", "2048")),
            micro_batch=int(query.get("micro_batch", "1")),
            method=Method(query.get("method", "full")),
            lora=LoraConfig(rank=int(query.get("lora_rank", "16"))),
            precision=Precision(query.get("precision", "bf16")),
            checkpointing=Checkpointing(query.get("grad_checkpointing", "none")),
        )
        hardware = Hardware(gpu=catalog_gpu(query.get("gpu", "H100-SXM")), count=gpus)
        result = estimate(preset(model), run_for_hardware(run, gpus), hardware, all_offers())
    except (EstimatorError, QuantityError) as exc:
        raise ValueError(str(exc)) from exc
    return result.model_dump(mode="json")
