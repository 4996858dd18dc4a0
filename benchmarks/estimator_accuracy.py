"""Accuracy of the estimator against public reference data: parameters, peak memory, step time, GPU-hours.

Prints one table per quantity with each case's error and the median/max, and returns 1 when a target is missed:
peak memory median ≤ 3% / max ≤ 10% (LoRA median ≤ 5%), step time median ≤ 10% / max ≤ 25%, GPU-hours median ≤ 10% /
max ≤ 25% (held out: nothing is fitted on them), parameter counts exact. The step-time constants are refitted
(benchmarks.step_fit) and checked held out: leave one size out and leave one recipe out on the H100 rows, and leave
one sequence length out on the published attention-kernel curves the model reads its seq dependence from (the H100
rows are all seq 2048 and one family, so no measured held-out check by sequence length or family exists in the
public data).

Then the issue's held-out step-time targets over every case nothing was fitted on (each H100 row with its size left
out of the fit, the Megatron Bridge H100 anchors, the A100 anchors each refitted without itself): median ≤ 10 % over
all rows and worst ≤ 25 % over the rows that are not launch-bound (≥ 1B parameters or batch > 1), printed for seq
1k–32k, for non-Llama families, per sequence length and per family, and leave one family out (the GPT-shaped A100
anchors without the A100 fit they calibrate, i.e. at the H100's measured GEMM share). A missed target returns 1.
Run: `python -m benchmarks.estimator_accuracy [--quick]`.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from benchmarks import group_out
from benchmarks.ampere_fit import Anchor, anchors
from benchmarks.ampere_fit import fit as ampere_fit
from benchmarks.ampere_fit import report as ampere_report
from benchmarks.step_fit import fit, predict
from estimator.attention import interpolate
from estimator.catalog.attention_kernels import kernel_curves
from estimator.catalog.gpus import gpu
from estimator.catalog.presets import preset
from estimator.memory import training_memory
from estimator.models import (
    AttentionKernel,
    Hardware,
    LayerKernels,
    ModelArch,
    Parallelism,
    Precision,
    TrainingRun,
)
from estimator.params import count_params
from estimator.step_phases import MATMUL_FRACTION, StepConstants, micro_batch_phases
from estimator.throughput import FITTED, training_time
from tests.unit.estimator.h100_rows import Row, h100_rows
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


# Published throughput anchors, held out: Megatron Bridge performance summary, 25.11 NeMo container, DGX-H100,
# FP8 current scaling, seq 8192, micro-batch 1, with the layouts the table states (github.com/NVIDIA-NeMo/
# Megatron-Bridge docs/performance-summary.md; the 8B and 70B figures are also in trainspend's reference notes on
# attention kernels, 2026-11-23): (name, preset, tokens/s/GPU, GPUs, TP, PP, CP, VP, ZeRO stage (FSDP = 3,
# distributed optimizer = 1), global batch).
_ANCHORS = (
    ("llama-3-8b fp8 (Megatron Bridge)", "llama-3-8b", 14451.0, 8, 1, 1, 1, 1, 3, 128),
    ("llama-3-70b fp8 (Megatron Bridge)", "llama-3-70b", 1602.0, 64, 4, 8, 1, 5, 1, 128),
    ("llama-3.1-405b fp8 (Megatron Bridge)", "llama-3.1-405b", 292.0, 1024, 8, 8, 2, 8, 1, 512),
)


@dataclass(frozen=True)
class Case:
    """One held-out step-time comparison (nothing fitted on it) and what the issue's targets filter on."""

    name: str
    family: str
    seq_len: int
    params: float
    batch: int  # sequences per optimizer step
    error: float  # predicted / measured − 1
    modelled_bound: str  # the model's own verdict: "launch" when host time exceeds GPU time over fwd + bwd
    error_with: Callable[[StepConstants], float]  # the same error under other constants (leave-group-out refits)

    @property
    def launch_bound(self) -> bool:
        """The targets' definition: below 1B parameters at batch 1 (the host, not the GPU, sets the pace)."""
        return self.params < 1e9 and self.batch <= 1


def _anchors() -> list[Case]:
    rows, cases = [], []
    for name, model, published, gpus, tp, pp, cp, vp, zero, batch in _ANCHORS:
        run = TrainingRun(
            tokens=1e12,
            seq_len=8192,
            micro_batch=1,
            global_batch=batch,
            precision=Precision.FP8,
            attention_kernel=AttentionKernel.CUDNN,
            layer_kernels=LayerKernels.FUSED,
            parallelism=Parallelism(tensor=tp, pipeline=pp, context=cp, virtual_stages=vp, zero_stage=zero),
        )
        arch = preset(model)
        hw = Hardware(gpu=gpu("H100-SXM"), count=gpus)
        t = training_time(arch, run, hw)
        rows.append((name, published, t.tokens_per_second / gpus))

        def error_with(
            c: StepConstants, a: ModelArch = arch, r: TrainingRun = run, h: Hardware = hw, p: float = published
        ) -> float:
            # tokens/s ratio r ⇒ step-time error 1/r − 1
            return p / (training_time(a, r, h, c).tokens_per_second / h.count) - 1

        params = float(count_params(arch).total)
        cases.append(Case(name, arch.family, run.seq_len, params, batch, error_with(FITTED), t.bound, error_with))
    _table("tokens/s per GPU of published H100 runs (held out, seq 8192, vocab 128k)", rows, "tok/s")
    return cases


def _row_error(row: Row, constants: StepConstants) -> float:
    return predict(row, constants) / row.step_seconds - 1


def _held_out(rows: list[Row], quick: bool) -> tuple[list[Case], dict[str, StepConstants]]:
    """Refit on all rows (must reproduce the committed constants), then leave-one-group-out errors; returns every
    row's error with its size left out of the fit (the issue's held-out step time) and the constants fitted without
    each size."""
    full = fit(rows, iters=40 if quick else 120)
    print(
        f"\nstep-time fit on all {len(rows)} rows: launch {full.launch_seconds * 1e6:.1f} µs/op, memory-bound "
        f"fraction {full.memory_fraction:.3f} (committed: {FITTED.launch_seconds * 1e6:.1f} µs, "
        f"{FITTED.memory_fraction:.3f})"
    )
    groups = {
        "size": lambda r: r.case_id.split("|")[1],
        "recipe": lambda r: r.case_id.split("|")[2],
    }
    cases: list[Case] = []
    without: dict[str, StepConstants] = {}
    print(
        f"\n{'held out':24s} {'rows':>5s} {'median':>8s} {'max':>8s} {'max, not launch-bound':>22s}  "
        "(step time, constants refitted without them)"
    )
    for kind, key in groups.items():
        for value in sorted({key(r) for r in rows}):
            train = [r for r in rows if key(r) != value]
            test = [r for r in rows if key(r) == value]
            constants = fit(train, iters=40 if quick else 120)
            held = [
                Case(
                    r.case_id,
                    r.arch.family,
                    r.run.seq_len,
                    float(count_params(r.arch).total),
                    r.run.micro_batch,
                    predict(r, constants) / r.step_seconds - 1,
                    training_time(r.arch, r.run, Hardware(gpu=gpu("H100-SXM")), constants).bound,
                    partial(_row_error, r),
                )
                for r in test
            ]
            if kind == "size":
                cases.extend(held)
                without[value] = constants
            errors = [abs(c.error) for c in held]
            busy = [abs(c.error) for c in held if not c.launch_bound]
            worst_busy = f"{max(busy):22.1%}" if busy else f"{'—':>22s}"
            print(
                f"{kind + ' ' + value:24s} {len(test):5d} {statistics.median(errors):8.1%} {max(errors):8.1%} "
                f"{worst_busy}"
            )
    print(f"\n{'kernel curve, seq held out':34s} " + " ".join(f"{s:>7d}" for s in kernel_curves()[0].seq_lens[1:-1]))
    worst = 0.0
    for curve in kernel_curves():
        points = tuple((float(s), v) for s, v in zip(curve.seq_lens, curve.tflops, strict=True))
        errs = []
        for k in range(1, len(points) - 1):
            rest = points[:k] + points[k + 1 :]
            errs.append(interpolate(rest, points[k][0]) / points[k][1] - 1)
        worst = max(worst, *(abs(e) for e in errs))
        print(f"{curve.kernel + ' ' + curve.direction:34s} " + " ".join(f"{e:+7.1%}" for e in errs))
    print(f"max |error| {worst:.1%} (interpolation in log2 seq between published lengths)")
    return cases, without


def _summary(label: str, cases: list[Case]) -> str:
    if not cases:
        return f"{label:44s} {0:5d} {'—':>8s} {'—':>8s} {'—':>12s}"
    errors = [abs(c.error) for c in cases]
    busy = [abs(c.error) for c in cases if not c.launch_bound]
    worst_busy = f"{max(busy):12.1%}" if busy else f"{'—':>12s}"
    return f"{label:44s} {len(cases):5d} {statistics.median(errors):8.1%} {max(errors):8.1%} {worst_busy}"


def _targets(cases: list[Case]) -> bool:
    """The issue's held-out step-time targets: median ≤ 10 % over all rows, worst ≤ 25 % over rows that are not
    launch-bound (≥ 1B parameters or batch > 1), reported at sequence lengths 1k–32k and on non-Llama families, and by
    family and sequence length."""
    print(
        f"\nstep time, held out (H100 rows with their size left out of the fit; published runs never fitted on)\n"
        f"{'rows':44s} {'n':>5s} {'median':>8s} {'max':>8s} {'max, busy':>12s}   (busy: ≥ 1B params or batch > 1)"
    )
    in_range = [c for c in cases if 1024 <= c.seq_len <= 32768]
    other = [c for c in cases if c.family != "llama"]
    print(_summary("all rows", cases))
    print(_summary("seq 1k–32k", in_range))
    print(_summary("non-Llama families", other))
    for seq in sorted({c.seq_len for c in cases}):
        print(_summary(f"  seq {seq}", [c for c in cases if c.seq_len == seq]))
    for family in sorted({c.family for c in cases}):
        print(_summary(f"  family {family}", [c for c in cases if c.family == family]))
    print(_summary("  modelled GPU-bound (host < GPU, fwd + bwd)", [c for c in cases if c.modelled_bound != "launch"]))
    print(_summary("  modelled launch-bound", [c for c in cases if c.modelled_bound == "launch"]))
    errors = [abs(c.error) for c in cases]
    busy = [abs(c.error) for c in cases if not c.launch_bound]
    ok = statistics.median(errors) <= 0.10 and max(busy) <= 0.25
    print(f"targets: median ≤ 10 %, max over busy rows ≤ 25 %: {'met' if ok else 'missed'}")
    return ok


def _explain_misses(cases: list[Case], rows: list[Row], held: dict[str, StepConstants]) -> None:
    """Each busy H100 row over 25 % held out, with what the model and the measurement say about it."""
    by_id = {r.case_id: r for r in rows}
    misses = [c for c in cases if not c.launch_bound and abs(c.error) > 0.25 and c.name in by_id]
    if not misses:
        return
    print("\nbusy rows missing 25 % held out (H100; ms; host and GPU over forward, head + loss and backward):")
    h100 = Hardware(gpu=gpu("H100-SXM"))
    for case in misses:
        row = by_id[case.name]
        constants = held[row.case_id.split("|")[1]]
        fwd, tail, bwd = micro_batch_phases(row.arch, row.run, h100, constants)
        host = (fwd.host_seconds + tail.host_seconds + bwd.host_seconds) * 1e3
        busy = (fwd.gpu_seconds + tail.gpu_seconds + bwd.gpu_seconds) * 1e3
        fast, slow = row.step_range_seconds
        print(
            f"  {row.case_id}: measured {row.step_seconds * 1e3:.1f} (timed steps {fast * 1e3:.1f}–{slow * 1e3:.1f}),"
            f" predicted {predict(row, constants) * 1e3:.1f} ({case.error:+.1%}); host {host:.1f}, GPU {busy:.1f} at "
            f"{constants.launch_seconds * 1e6:.1f} µs/op and memory-bound {constants.memory_fraction:.3f}, fitted "
            f"without its size (on all rows: {FITTED.launch_seconds * 1e6:.1f} µs/op, {FITTED.memory_fraction:.3f})"
        )
        for other in rows:  # the same run at a smaller batch, measured slower: no batch-independent host time fits both
            same = other.case_id.split("|")[:3] == row.case_id.split("|")[:3]
            smaller = same and other.run.checkpointing == row.run.checkpointing
            if smaller and other.run.micro_batch < row.run.micro_batch and other.step_seconds > row.step_seconds:
                bound = (other.step_seconds - row.step_seconds) / (other.step_seconds + row.step_seconds)
                print(
                    f"    the same run at batch {other.run.micro_batch} measured {other.step_seconds * 1e3:.1f} ms, "
                    "slower with less work: host time does not depend on the batch, so no model whose step grows "
                    f"with the batch has both within {bound:.1%}"
                )
        if row.step_seconds * 1e3 > max(host, busy):
            print(
                f"    measured between max(host, GPU) = {max(host, busy):.1f} and host + GPU = {host + busy:.1f}: "
                f"less overlap of launches and kernels than the phases' max(host, GPU) assumes; its timed steps "
                f"spread {slow / fast - 1:.0%} (launch-bound steps vary ±15 % run to run, reference notes)"
            )


def _group_checks(cases: list[Case], rows: list[Row], hours: list[group_out.HeldCase], quick: bool) -> None:
    """Leave one family out and leave one sequence length out (benchmarks.group_out) over every held-out case and the
    LLaMA-1 GPU-hours: the H100 host and memory-bound constants are fitted on the H100 rows, the A100 GEMM fraction on
    the A100 anchors."""
    ampere = anchors()
    iters = 40 if quick else 120

    def refit_h100(kept: list[int], c: StepConstants) -> tuple[StepConstants | None, str]:
        if not kept:
            return None, f"all {len(rows)} of its rows are in the group: not computable (no fallback)"
        f = fit([rows[i] for i in kept], iters=iters)
        update = {"launch_seconds": f.launch_seconds, "memory_fraction": f.memory_fraction}
        return c.model_copy(update=update), f"refitted on {len(kept)} of {len(rows)} rows"

    def refit_a100(kept: list[int], c: StepConstants) -> tuple[StepConstants, str]:
        if not kept:  # the estimator's own choice for a GPU generation it has no fit for
            how = f"all {len(ampere)} of its rows are in the group: the H100's measured {MATMUL_FRACTION:.3f} instead"
            return c.model_copy(update={"ampere_matmul_fraction": MATMUL_FRACTION}), how
        fraction = ampere_fit([ampere[i] for i in kept], iters=20 if quick else 40)
        return c.model_copy(update={"ampere_matmul_fraction": fraction}), f"refitted on {len(kept)} of {len(ampere)}"

    fits = (
        group_out.Fit("H100 host + memory-bound", [(r.arch.family, r.run.seq_len) for r in rows], refit_h100),
        group_out.Fit("A100 GEMM fraction", [(a.arch.family, a.run.seq_len) for a in ampere], refit_a100),
    )
    held = [group_out.HeldCase(c.name, c.family, c.seq_len, c.error_with) for c in cases] + hours
    print(
        f"\nleave one group out: {len(held)} held-out cases (the step-time rows above and the LLaMA-1 GPU-hours); "
        "each fit that uses the group's rows refitted without them"
    )
    group_out.report(held, fits, FITTED)


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
    cases, without = _held_out(rows, quick)
    if not quick:
        hours, held_hours = [], []
        for name, h, layers, heads, inter, tokens, published, gpus, tp in LLAMA1:
            arch, run = llama_run(h, layers, heads, inter, tokens, gpus, tp)
            hw = Hardware(gpu=a100, count=gpus)
            hours.append((name, float(published), training_time(arch, run, hw).gpu_hours))

            def hours_error(
                c: StepConstants, a: ModelArch = arch, r: TrainingRun = run, h: Hardware = hw, p: float = published
            ) -> float:
                return training_time(a, r, h, c).gpu_hours / p - 1

            held_hours.append(group_out.HeldCase(name, arch.family, run.seq_len, hours_error))
        cases += _anchors()
        for anchor, held, _ in ampere_report(quick):
            params = float(count_params(anchor.arch).total)
            batch = anchor.run.global_batch or anchor.run.micro_batch
            seq = anchor.run.seq_len
            a100_hw = Hardware(gpu=a100, count=anchor.gpus)
            bound = training_time(anchor.arch, anchor.run, a100_hw).bound

            def anchor_error(c: StepConstants, a: Anchor = anchor, h: Hardware = a100_hw) -> float:
                return a.published / a.measure(training_time(a.arch, a.run, h, c), a.gpus) - 1

            cases.append(Case(anchor.name, anchor.arch.family, seq, params, batch, held, bound, anchor_error))
        ok &= _targets(cases)
        _explain_misses(cases, rows, without)
        _group_checks(cases, rows, held_hours, quick)
        errors = _table("GPU-hours of published runs (A100-80GB, held out)", hours, "GPU-h")
        ok &= statistics.median(errors) <= 0.10 and max(errors) <= 0.25
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv))
