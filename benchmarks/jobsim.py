"""Simulated training jobs for the forecast benchmark: what the agent would observe, tick by tick.

A job has `total_steps` of work. On a node type it makes `steps_per_second` at full speed, scaled by:

* warm-up after every (re)start: no steps while the pod loads data and compiles (`load_seconds`), then a linear ramp
  to full speed over `RAMP_SECONDS`;
* throughput jitter: a factor drawn uniformly in [0.85, 1.15] for every `JITTER_BLOCK_SECONDS` block (eval,
  checkpoint writes, data-loader stalls make a job's speed wander at the scale of minutes, not ticks).

Disruptions, each at a fraction of the true progress: a crash that restarts from the last checkpoint (the work
since the checkpoint is redone, after a short gap with no pod); a spot preemption (a longer gap, then the job
resumes from its checkpoint on another node type, at that type's price and speed); a price change (the node's hourly
price is multiplied by a factor). The trainer writes its progress annotation every `REPORT_EVERY_SECONDS`.

The observation mirrors the agent (monitor/core/tick.py): cost accrues per tick at the rate seen on the tick (the
rectangle rule of monitor.core.domain.accrual, exact here because every change happens on a tick boundary);
`running_seconds` adds the time since the last tick while the job holds a priced pod, capped at the time since the
pod's start (Agent._running_seconds); the estimator's expected duration is the one for the GPU type held now.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TICK_SECONDS = 30.0  # the daemon's default tick interval (DESIGN §3)
RAMP_SECONDS = 600.0
JITTER_BLOCK_SECONDS = 600.0
JITTER = 0.15
REPORT_EVERY_SECONDS = 300.0
CHECKPOINT_EVERY_SECONDS = 3600.0  # at full speed


@dataclass(frozen=True)
class NodeType:
    name: str
    hourly_usd: float
    steps_per_second: float


@dataclass(frozen=True)
class JobPlan:
    """One simulated job: its work, where it runs and what happens to it."""

    name: str
    total_steps: int
    first: NodeType
    second: NodeType  # where a preempted job is rescheduled
    reports_progress: bool
    estimate_factor: float | None  # estimator duration / true full-speed duration; None = no workload annotation
    load_seconds: float
    restart_at: float | None = None  # true progress at which the trainer crashes
    preempt_at: float | None = None  # true progress at which the spot node is reclaimed
    price_change_at: float | None = None
    price_factor: float = 1.0

    @property
    def disrupted(self) -> bool:
        return self.restart_at is not None or self.preempt_at is not None


@dataclass(frozen=True)
class Observation:
    """What the agent sees at one tick (the inputs of monitor.core.domain.projection.ProjectionInput)."""

    elapsed_seconds: float  # since the job was created
    true_progress: float
    reported_progress: float | None
    cost_usd: float
    hourly_cost_usd: float
    running_seconds: float
    estimate_total_seconds: float | None


@dataclass(frozen=True)
class SimulatedJob:
    plan: JobPlan
    observations: tuple[Observation, ...]
    final_cost_usd: float


class _Run:
    """Mutable state of one simulation (kept out of the frozen plan)."""

    def __init__(self, plan: JobPlan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.node = plan.first
        self.price_factor = 1.0
        self.steps = 0.0
        self.checkpoint_steps = 0.0
        self.pod_age_seconds: float | None = 0.0  # None while no pod runs
        self.gap_left_seconds = 0.0
        self.running_seconds = 0.0
        self.cost_usd = 0.0
        self.reported: float | None = 0.0 if plan.reports_progress else None
        self.jitter = 1.0
        self.fired: set[str] = set()

    def speed(self) -> float:
        assert self.pod_age_seconds is not None
        warm = self.pod_age_seconds - self.plan.load_seconds
        ramp = min(max(warm / RAMP_SECONDS, 0.0), 1.0)
        return self.node.steps_per_second * ramp * self.jitter

    def stop_pod(self, gap_seconds: float) -> None:
        self.pod_age_seconds = None
        self.gap_left_seconds = gap_seconds
        self.steps = self.checkpoint_steps  # both a crash and a preemption resume from the last checkpoint

    def disrupt(self, progress: float) -> None:
        plan = self.plan
        if plan.price_change_at is not None and progress >= plan.price_change_at and "price" not in self.fired:
            self.fired.add("price")
            self.price_factor = plan.price_factor
        if plan.restart_at is not None and progress >= plan.restart_at and "restart" not in self.fired:
            self.fired.add("restart")
            self.stop_pod(self.rng.uniform(60, 300))
        elif plan.preempt_at is not None and progress >= plan.preempt_at and "preempt" not in self.fired:
            self.fired.add("preempt")
            self.stop_pod(self.rng.uniform(600, 2400))
            self.node = plan.second


def simulate(plan: JobPlan, seed: int) -> SimulatedJob:
    """Runs one job to completion on a 30 s tick and returns every tick's observation and the final cost."""
    rng = random.Random(seed)
    run = _Run(plan, rng)
    observations: list[Observation] = []
    elapsed = 0.0
    while run.steps < plan.total_steps:
        if elapsed % JITTER_BLOCK_SECONDS == 0:
            run.jitter = rng.uniform(1 - JITTER, 1 + JITTER)
        hourly = 0.0
        if run.pod_age_seconds is None:
            run.gap_left_seconds -= TICK_SECONDS
            if run.gap_left_seconds <= 0:
                run.pod_age_seconds = 0.0
        else:
            hourly = run.node.hourly_usd * run.price_factor
            run.steps = min(run.steps + run.speed() * TICK_SECONDS, float(plan.total_steps))
            run.pod_age_seconds += TICK_SECONDS
            run.running_seconds += TICK_SECONDS
            run.cost_usd += hourly * TICK_SECONDS / 3600
            checkpoint_steps = run.node.steps_per_second * CHECKPOINT_EVERY_SECONDS
            run.checkpoint_steps = max(run.checkpoint_steps, run.steps // checkpoint_steps * checkpoint_steps)
        elapsed += TICK_SECONDS
        progress = run.steps / plan.total_steps
        if plan.reports_progress and run.pod_age_seconds is not None and elapsed % REPORT_EVERY_SECONDS == 0:
            run.reported = progress
        run.disrupt(progress)
        if run.pod_age_seconds is None:
            hourly = 0.0
        estimate = None
        if plan.estimate_factor is not None:
            estimate = plan.total_steps / run.node.steps_per_second * plan.estimate_factor
        observations.append(
            Observation(
                elapsed_seconds=elapsed,
                true_progress=progress,
                reported_progress=run.reported,
                cost_usd=run.cost_usd,
                hourly_cost_usd=hourly,
                running_seconds=run.running_seconds,
                estimate_total_seconds=estimate,
            )
        )
    return SimulatedJob(plan=plan, observations=tuple(observations), final_cost_usd=run.cost_usd)
