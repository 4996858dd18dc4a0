"""The benchmarks run end to end in quick mode (CI also runs `python -m benchmarks --quick` on its own)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

from benchmarks.jobsim import JobPlan, NodeType, simulate

ROOT = Path(__file__).resolve().parents[2]
NODE = NodeType("8xA100", 20.0, 1.0)


def _plan(**changes: object) -> JobPlan:
    base: dict[str, object] = {
        "name": "j",
        "total_steps": 4 * 3600,
        "first": NODE,
        "second": NodeType("8xH100", 50.0, 2.5),
        "reports_progress": True,
        "estimate_factor": 1.0,
        "load_seconds": 300.0,
    }
    return JobPlan(**(base | changes))  # type: ignore[arg-type]


def test_a_restart_from_checkpoint_costs_the_redone_work() -> None:
    clean = simulate(_plan(), seed=1)
    restarted = simulate(_plan(restart_at=0.6), seed=1)
    # 4 h of work at ~$20/h plus warm-up; the crash at 60 % loses up to an hour since the last checkpoint.
    assert 75 < clean.final_cost_usd < 95
    assert restarted.final_cost_usd > clean.final_cost_usd + 5
    assert clean.observations[-1].true_progress == 1.0


def test_a_preempted_job_pays_nothing_while_pending_and_moves_to_the_other_node_type() -> None:
    job = simulate(_plan(preempt_at=0.3), seed=2)
    pending = [o for o in job.observations if o.hourly_cost_usd == 0 and o.elapsed_seconds > 3600]
    assert pending, "the preemption leaves a gap with no pod"
    assert job.observations[-1].hourly_cost_usd == 50.0
    assert all(b.cost_usd == a.cost_usd for a, b in itertools.pairwise(pending))


def test_quick_benchmarks_run_and_print_their_tables() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "forecast", "scale"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "crashed" not in done.stdout
    rows = ("| 10%", "| 90%", "tick CPU, median / p95", "machine speed", "/metrics scrape", "relist / watch-cache")
    for row in rows:
        assert row in done.stdout, row


def test_help_and_bad_flags_exit_before_any_benchmark_runs() -> None:
    shown = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], capture_output=True, text=True,
                           cwd=ROOT, timeout=30)  # fmt: skip
    assert shown.returncode == 0
    assert shown.stdout.startswith("usage: python -m benchmarks")
    assert "===" not in shown.stdout  # no benchmark header: nothing ran
    bad = subprocess.run([sys.executable, "-m", "benchmarks", "--quik"], capture_output=True, text=True,
                         cwd=ROOT, timeout=30)  # fmt: skip
    assert bad.returncode == 2
    assert "--quik" in bad.stderr
    assert bad.stdout == ""


def test_quick_http_load_prints_latency_and_errors_per_path() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "http_load"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "crashed" not in done.stdout
    for header in ("| path ", "| p99 ", "| errors "):
        assert header in done.stdout, header
    rows = [line for line in done.stdout.splitlines() if line.startswith(("| /metrics ", "| /api/v1/jobs "))]
    assert len(rows) == 2
    for row in rows:
        requests = int(row.split("|")[2].strip().replace(",", ""))
        assert requests > 0  # the clients really reached the listener
