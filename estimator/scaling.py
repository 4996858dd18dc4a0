"""Compute-optimal allocation of a training budget between parameters and tokens (Chinchilla)."""

from __future__ import annotations

import math

from pydantic import Field

from estimator.errors import InvalidRunError
from estimator.models import Assumption, Frozen

# Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models", arXiv:2203.15556): parameters and tokens
# should grow in equal proportion; their Table 3 (approach 1) gives ~20 tokens per parameter at every scale.
CHINCHILLA_TOKENS_PER_PARAM = 20.0
FLOPS_PER_PARAM_TOKEN = 6.0  # C = 6 N D (Kaplan et al. 2020; the same convention as Hoffmann et al.)


class ComputeOptimal(Frozen):
    compute_flops: float
    params: float = Field(description="compute-optimal parameter count N")
    tokens: float = Field(description="compute-optimal training tokens D")
    tokens_per_param: float
    assumptions: tuple[Assumption, ...]


def chinchilla_optimal(compute_flops: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM) -> ComputeOptimal:
    """N and D for a compute budget C with C = 6 N D and D = r N (r = 20): N = sqrt(C / (6 r)), D = r N.

    With r = 20, N = sqrt(C / 120). Source: Hoffmann et al. 2022, Table 3 (e.g. 5.76e23 FLOPs -> 67B parameters,
    1.5T tokens; the formula gives 69B and 1.39T).
    """
    if not math.isfinite(compute_flops) or compute_flops <= 0:
        raise InvalidRunError("compute_flops", compute_flops, "a positive FLOP budget, e.g. 1e21")
    if not math.isfinite(tokens_per_param) or tokens_per_param <= 0:
        raise InvalidRunError("tokens_per_param", tokens_per_param, "a positive ratio; Chinchilla's is 20")
    params = math.sqrt(compute_flops / (FLOPS_PER_PARAM_TOKEN * tokens_per_param))
    return ComputeOptimal(
        compute_flops=compute_flops,
        params=params,
        tokens=tokens_per_param * params,
        tokens_per_param=tokens_per_param,
        assumptions=(
            Assumption(
                name="tokens_per_param",
                value=f"{tokens_per_param:g}",
                why="Hoffmann et al. 2022 (Chinchilla) Table 3: ~20 training tokens per parameter is compute-optimal",
            ),
            Assumption(name="compute", value="C = 6 N D", why="forward + backward FLOPs per parameter per token"),
        ),
    )


def training_compute_flops(params: float, tokens: float) -> float:
    """C = 6 N D: the training FLOPs of N parameters on D tokens (Kaplan et al. 2020)."""
    return FLOPS_PER_PARAM_TOKEN * params * tokens
