"""Least-squares fit of the step-time model's two constants on a subset of the public H100 rows.

Objective: mean squared log error of the modelled step time (log makes a 10 % miss on a 40 ms step weigh as much
as one on a 0.5 s step). Minimised by Nelder–Mead (Nelder & Mead 1965) over log(constants), so both stay positive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from estimator.catalog.gpus import gpu
from estimator.models import Hardware
from estimator.step_phases import StepConstants
from estimator.throughput import FITTED, training_time
from tests.unit.estimator.h100_rows import Row


def predict(row: Row, constants: StepConstants) -> float:
    return training_time(row.arch, row.run, Hardware(gpu=gpu("H100-SXM")), constants).step_seconds


def _loss(rows: Sequence[Row], constants: StepConstants) -> float:
    return sum(math.log(predict(r, constants) / r.step_seconds) ** 2 for r in rows) / len(rows)


def nelder_mead(
    f: Callable[[list[float]], float], start: list[float], step: float = 0.3, iters: int = 120
) -> list[float]:
    """Minimise f from `start` (standard reflection 1, expansion 2, contraction ½, shrink ½)."""
    n = len(start)
    simplex = [list(start)] + [[x + (step if i == j else 0.0) for j, x in enumerate(start)] for i in range(n)]
    values = [f(p) for p in simplex]
    for _ in range(iters):
        order = sorted(range(n + 1), key=lambda i: values[i])
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centroid = [sum(p[j] for p in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]
        reflected = [c + (c - w) for c, w in zip(centroid, worst, strict=True)]
        fr = f(reflected)
        if fr < values[0]:
            expanded = [c + 2.0 * (c - w) for c, w in zip(centroid, worst, strict=True)]
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = [c + 0.5 * (w - c) for c, w in zip(centroid, worst, strict=True)]
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                best = simplex[0]
                simplex = [best] + [[b + 0.5 * (x - b) for b, x in zip(best, p, strict=True)] for p in simplex[1:]]
                values = [values[0]] + [f(p) for p in simplex[1:]]
    return simplex[min(range(n + 1), key=lambda i: values[i])]


def fit(rows: Sequence[Row], iters: int = 120) -> StepConstants:
    """The two constants that minimise the log error on `rows`."""

    def objective(x: list[float]) -> float:
        return _loss(rows, _constants(x))

    best = nelder_mead(objective, [math.log(30e-6), math.log(0.5)], iters=iters)
    return _constants(best)


def _constants(x: list[float]) -> StepConstants:
    """The H100 rows fit the host and memory-bound constants; the Ampere GEMM fraction does not touch them."""
    return StepConstants(
        launch_seconds=math.exp(x[0]),
        memory_fraction=math.exp(x[1]),
        ampere_matmul_fraction=FITTED.ampere_matmul_fraction,
    )
