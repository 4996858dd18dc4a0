"""`python -m benchmarks [--quick]`: runs every benchmark and prints one report.

Each benchmark module exposes `main(quick: bool) -> int` and prints its own tables; a non-zero return means "a
target was missed", which is reported but does not fail the run. Only a benchmark that raises (or cannot be
imported) makes the exit status non-zero, so CI's `--quick` run proves the benchmarks work without timing them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime

BENCHMARKS = ("estimator_accuracy", "estimator_speed", "forecast", "scale", "http_load", "store_growth")


def _machine() -> str:
    system = f"{platform.system()} {platform.release()}"
    return f"{platform.machine()}, {os.cpu_count()} CPUs, {system}, Python {platform.python_version()}"


def run_one(name: str, quick: bool) -> tuple[str, float]:
    """Runs benchmarks.<name>.main(quick); returns (outcome, seconds). Outcome: ok | target missed | crashed."""
    began = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        code = module.main(quick)
    except Exception:
        traceback.print_exc()
        return "crashed", time.perf_counter() - began
    return ("ok" if code == 0 else "target missed"), time.perf_counter() - began


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the benchmarks (all, or those named) and print one report; they print figures, never assert.",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: proves the benchmarks run, for CI")
    return parser


def main(argv: list[str]) -> int:
    """Parses argv (--help and bad flags exit before anything runs), then runs the chosen benchmarks."""
    args = _parser().parse_args(argv)  # exits 0 on --help, 2 on an unknown flag
    quick: bool = args.quick
    chosen: list[str] = args.names or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}", file=sys.stderr)
        return 2
    print(f"trainspend benchmarks{' (quick)' if quick else ''}: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {_machine()}")
    outcomes = []
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        outcome, seconds = run_one(name, quick)
        outcomes.append((name, outcome, seconds))
        sys.stdout.flush()
    print("\n=== summary ===")
    for name, outcome, seconds in outcomes:
        print(f"  {name:<20} {outcome:<14} {seconds:6.1f} s")
    return 1 if any(outcome == "crashed" for _, outcome, _ in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
