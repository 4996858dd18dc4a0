"""Accuracy of the estimator against public reference data: parameters, peak memory, step time, GPU-hours.

Prints one table per quantity with each case's error and the median/max, and returns 1 when a target is missed:
peak memory median ≤ 3% / max ≤ 10% (LoRA median ≤ 5%), step time median ≤ 10% / max ≤ 25%, GPU-hours median ≤ 10%,
parameter counts exact. Run: `python -m benchmarks.estimator_accuracy [--quick]`.
"""

from __future__ import annotations

import statistics
import sys

from estimator.catalog.gpus import gpu
from estimator.memory import training_memory
from estimator.models import Hardware
from estimator.params import count_params
from estimator.throughput import training_time
from tests.unit.estimator.h100_rows import h100_rows
from tests.unit.estimator.llama_runs import LLAMA1, llama_run

# (case, exact parameter count) of the public H100 models (`n_params` in the measurement rows).
_PARAMS = {"125M": 134_105_856, "1.3B": 1_345_423_360, "2.7B": 2_701_560_320}


def _table(title: str, rows: list[tuple[str, float, float]], unit: str) -> list[float]:
    print(f"\n{title}\n{'case':32s} {'measured':>12s} {'predicted':>12s} {'error':>8s}")
    errors = []
    for name, measured, predicted in rows:
        error = predicted / measured - 1
        errors.append(abs(error))
        print(f"{name:32s} {measured:12.4g} {predicted:12.4g} {error:+8.1%}  {unit}")
    print(f"median |error| {statistics.median(errors):.1%}   max |error| {max(errors):.1%}")
    return errors


def main(quick: bool = False) -> int:
    """Print the error tables; return 0 when every target is met, else 1. `quick` skips the GPU-hours table."""
    h100, a100 = gpu("H100-SXM"), gpu("A100-SXM-80GB")
    rows = h100_rows()
    ok = True
    seen: dict[str, int] = {}
    for row in rows:
        seen.setdefault(row.case_id.split("|")[1], count_params(row.arch).total)
    params = _table("parameters", [(k, float(_PARAMS[k]), float(v)) for k, v in seen.items()], "params")
    ok &= max(params) == 0
    full = [r for r in rows if not r.lora]
    lora = [r for r in rows if r.lora]
    for label, subset, median_target in (("peak memory, full", full, 0.03), ("peak memory, LoRA", lora, 0.05)):
        cases = [
            (r.case_id, r.peak_bytes / 2**30, training_memory(r.arch, r.run, h100).peak_bytes / 2**30) for r in subset
        ]
        errors = _table(label, cases, "GiB")
        ok &= statistics.median(errors) <= median_target and max(errors) <= 0.10
    times = [(r.case_id, r.step_seconds, training_time(r.arch, r.run, Hardware(gpu=h100)).step_seconds) for r in rows]
    errors = _table("step time (no --mfu)", times, "s")
    ok &= statistics.median(errors) <= 0.10 and max(errors) <= 0.25
    if not quick:
        hours = []
        for name, h, layers, heads, inter, tokens, published, gpus, tp in LLAMA1:
            arch, run = llama_run(h, layers, heads, inter, tokens, gpus, tp)
            hours.append((name, float(published), training_time(arch, run, Hardware(gpu=a100, count=gpus)).gpu_hours))
        errors = _table("GPU-hours of published runs (A100-80GB)", hours, "GPU-h")
        ok &= statistics.median(errors) <= 0.10
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv))
