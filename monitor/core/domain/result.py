"""The tick's one immutable result. Publishers (Prometheus exporter, JSON API, CloudWatch, notifier) read it and
never call an API or the database themselves."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from monitor.core.domain.model import NodeIdentity, Price, Value, WorkloadRef
from monitor.core.domain.rate_window import RateWindow


class Band(Value):
    """A p10/p50/p90 band of a projected quantity."""

    p10: float
    p50: float
    p90: float


class ProjectionPoint(Value):
    """A Job's projection as one stored snapshot had it: cost so far and projected total cost at `at`."""

    at: datetime
    cost_usd: float = Field(ge=0)
    projected_cost_usd: Band
    expected_completion: datetime | None = None
    progress: float | None = None  # 0..1


class AnnotationProblem(Value):
    """A bad `trainspend.io/*` annotation: which one, what value, how to fix it."""

    annotation: str
    value: str
    message: str


class WorkloadStatus(Value):
    ref: WorkloadRef
    team: str = ""
    queue: str = ""  # Kueue LocalQueue (kueue.x-k8s.io/queue-name); "" when not queued by Kueue
    cluster_queue: str = ""  # the LocalQueue's Kueue ClusterQueue (spec.clusterQueue); "" when unknown
    cohort: str = ""  # the ClusterQueue's cohort; "" when it has none or it is unknown
    # created suspended → first admitted (resumed); None if it never waited. A later suspend/resume does not change it.
    admission_wait_seconds: float | None = None
    state: str = "Running"
    cost_usd: float = Field(ge=0)  # accrued so far, all pods, all restarts
    hourly_cost_usd: float = Field(ge=0)  # current burn rate
    projected_cost_usd: Band | None = None  # total at completion
    remaining_cost_usd: Band | None = None
    expected_completion: datetime | None = None
    progress: float | None = None  # 0..1
    progress_source: str = ""  # "reported" | "estimator" | "throughput" | "blend" | ""
    progress_stale: bool = False  # the workload's status (TrainJob trainerStatus) is too old: not used
    # What the projected duration rests on (monitor.core.domain.projection): "throughput" (observed progress rate),
    # "estimator" (the training estimate alone), "blend" (both, weighted by their precision), "final" (finished), "".
    projection_basis: str = ""
    gpus: float = 0.0  # GPUs held now (MIG / time-sliced by share)
    # From dcgm-exporter (monitor.core.domain.gpu_waste): GPU-weighted mean utilization of the held GPUs now (None:
    # not measured), the cost accrued while they sat unused, and the cost through which that has been accrued.
    gpu_utilization: float | None = None
    unused_gpu_cost_usd: float = Field(default=0.0, ge=0)
    unused_gpu_cost_basis_usd: float | None = None
    budget_usd: float | None = None
    started: datetime | None = None
    finished: datetime | None = None
    model: str = ""
    method: str = ""
    gpu_model: str = ""
    instance_type: str = ""
    capacity_type: str = ""
    price_source: str = ""
    price_as_of: str = ""
    price_estimated: bool | None = None  # the held node's price is a guess (e.g. spot from typical savings)
    price_stale: bool | None = None  # the held node's price is a cached answer of a failing API
    estimate: dict[str, object] | None = None  # the estimator's summary incl. assumptions
    problems: tuple[AnnotationProblem, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict)  # workload labels, for budget selectors after it is gone
    budget_state: str = ""  # ok | warning | breach against its own budget-usd annotation; "" without one
    rate_window: RateWindow | None = None  # throughput since the pods last (re)started (rate_window.py)
    running_seconds: float = 0.0  # wall time the Job held resources (all restarts), for throughput
    observed_at: datetime | None = None  # the tick that produced this status


class BudgetStatus(Value):
    name: str
    period: str  # monthly | weekly | total
    period_start: datetime
    period_end: datetime | None
    limit_usd: float
    spend_usd: float  # period-to-date
    projected_spend_usd: float  # period-to-date + projected to period end
    thresholds: tuple[float, ...] = (0.8, 1.0)
    state: str = "ok"  # ok | warning | breach
    selector: str = ""


class NodeCost(Value):
    identity: NodeIdentity
    price: Price
    gpu_hourly_cost_usd: float  # per GPU
    idle_gpu_hourly_cost_usd: float  # unrequested GPUs x per-GPU price
    gpus_allocated: float = 0.0


class TickStats(Value):
    duration_seconds: float = 0.0
    watch_restarts: int = 0
    api_errors: dict[str, int] = Field(default_factory=dict)  # by adapter
    missed_runs: dict[str, int] = Field(default_factory=dict)  # by scheduled task: runs later than their grace time
    notifications_sent: int = 0
    notifications_failed: int = 0
    alarms_in_sync: bool | None = None


class TickResult(Value):
    cluster: str
    at: datetime
    jobs: tuple[WorkloadStatus, ...] = ()
    budgets: tuple[BudgetStatus, ...] = ()
    nodes: tuple[NodeCost, ...] = ()
    stats: TickStats = TickStats()
    is_leader: bool = True
