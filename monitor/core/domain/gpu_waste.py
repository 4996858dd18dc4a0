"""What a Job's GPUs did with the money: its GPU utilization, and the cost of the part it held and did not use.

Readings come from dcgm-exporter (through `monitor.core.ports.GpuUtilizationSource`): per pod, the mean utilization
of the GPUs DCGM maps to it, 0..1. Pure: no clock, no I/O; the agent passes what it observed.

Formulas (per tick t; the Job's pods p, each holding `g_p` GPUs at `h_p` USD/h, `u_p` its reading when it has one):

- utilization  U_t = Σ_{p measured} g_p·u_p / Σ_{p measured} g_p   (GPU-weighted mean; None when no pod is measured)
- unused share s_t = Σ_{p measured} h_p·(1 − u_p) / Σ_p h_p           (the share of the Job's burn rate that is GPU
  time held and idle; a pod without a reading counts as used, so waste is never guessed)
- accrual      W_t = W_{t−1} + max(0, C_t − B_{t−1}) · s_t,  B_t = max(B_{t−1}, C_t)

C_t is the Job's cost from the ledger (exact, never double-counted across restarts); B ("basis") is the cost through
which waste has been accrued. The issue's "accrued cost × (1 − utilization)" is this sum taken interval by interval,
so that a Job whose utilization changes is charged each interval at that interval's utilization. W and B are stored
together in the Job's snapshot: after a restart the cost accrued since the snapshot (C − B, from the ledger) is
charged once, at the first reading after the restart. Invariants (property-tested): 0 ≤ W ≤ B − B_0 ≤ C, W never
decreases, and W plus the used and unmeasured parts is the cost accrued since measuring began (conservation).

The first time a Job is seen with a source configured, B starts at its cost then: cost accrued before anything measured
it is never called waste. Source of the definition of "GPU utilization" (DCGM_FI_DEV_GPU_UTIL, percent of time one or
more kernels ran) and the finer DCGM_FI_PROF_GR_ENGINE_ACTIVE (ratio): NVIDIA dcgm-exporter, etc/default-counters.csv
and etc/dcp-metrics-included.csv.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class HeldPod:
    """One pod of a Job that holds its node now: its namespace/name (DCGM's `namespace`/`pod` labels), GPUs and
    USD/h."""

    namespace: str
    name: str
    gpus: float
    hourly_usd: float


@dataclass(frozen=True)
class Waste:
    """A Job's utilization now and its accrued unused GPU cost (`unused_usd`, through `basis_usd` of its cost)."""

    utilization: float | None
    unused_usd: float
    basis_usd: float


def job_utilization(pods: Iterable[HeldPod], readings: Mapping[tuple[str, str], float]) -> tuple[float | None, float]:
    """(U, s) of the module docstring for one Job's held pods and the readings by (namespace, pod)."""
    weighted = measured_gpus = unused_hourly = hourly = 0.0
    for pod in pods:
        hourly += pod.hourly_usd
        reading = readings.get((pod.namespace, pod.name))
        if reading is None or pod.gpus <= 0:
            continue
        ratio = min(1.0, max(0.0, reading))
        weighted += pod.gpus * ratio
        measured_gpus += pod.gpus
        unused_hourly += pod.hourly_usd * (1.0 - ratio)
    utilization = weighted / measured_gpus if measured_gpus > 0 else None
    share = unused_hourly / hourly if hourly > 0 else 0.0
    return utilization, min(1.0, max(0.0, share))


def accrue(previous: Waste | None, cost_usd: float, utilization: float | None, unused_share: float) -> Waste:
    """W_t and B_t of the module docstring from the previous tick's (None: the first tick measuring this Job)."""
    if previous is None:
        return Waste(utilization, 0.0, max(0.0, cost_usd))
    delta = max(0.0, cost_usd - previous.basis_usd)
    share = min(1.0, max(0.0, unused_share))
    return Waste(utilization, previous.unused_usd + delta * share, max(previous.basis_usd, cost_usd))
