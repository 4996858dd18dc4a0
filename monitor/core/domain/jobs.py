"""One workload's status (`WorkloadStatus`) from its pods, their attributed costs, its accrued cost and its last status.

Two parts, so that a steady tick rebuilds only what moved:

* `JobFacts` — what the status takes from the workload object, its pods, their `PodCost`s and the identity of the
  node they mostly sit on: parsed annotations, GPUs and $/h held now and the price behind them, the furthest reported
  progress, the Kueue queue. `JobFactsMemo` keeps them per workload while those inputs are the same objects (the watch
  cache hands out the same immutable objects until they change, and `NodeAttributionMemo` the same `PodCost`s).
* `job_status` — the parts that move with the clock and the ledger every tick: running time, throughput window,
  projection, budget state. It is a pure function of the facts, the accrued cost, the previous status and `now`, so
  a status built from memoised facts is exactly the one a full rebuild gives (tests/unit/domain/test_jobs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.core.domain.annotations import PREFIX, ParsedAnnotations, merge_progress, parse_workload_annotations
from monitor.core.domain.attribution import PodCost
from monitor.core.domain.bounded import clip
from monitor.core.domain.budgets import job_budget_status
from monitor.core.domain.gpu_waste import HeldPod, Waste, accrue, job_utilization
from monitor.core.domain.model import NodeIdentity, PodInfo, WorkloadInfo, built
from monitor.core.domain.progress_sources import choose as choose_progress
from monitor.core.domain.projection import ProjectionInput, project
from monitor.core.domain.queues import NO_ROUTE, QueueRoute, first_admission_wait_seconds, queue_of
from monitor.core.domain.rate_window import advance, extrapolate
from monitor.core.domain.result import AnnotationProblem, WorkloadStatus
from monitor.core.domain.workload_estimate import WorkloadEstimate

# The estimator's answer for (spec, GPU model, whole GPUs held): an estimate, why none can be made, or None.
EstimateAnswer = WorkloadEstimate | AnnotationProblem | None


@dataclass(frozen=True)
class Held:
    """What a workload's pods hold now (bound to a node and not finished), and the price of the node holding the
    most GPUs of them."""

    hourly_usd: float
    gpus: float
    gpu_model: str
    instance_type: str
    capacity_type: str
    price_source: str
    price_as_of: str
    price_estimated: bool | None
    price_stale: bool | None
    earliest_start: datetime | None
    node: str | None  # the node whose identity and price the fields above describe
    pods: tuple[HeldPod, ...]  # the pods holding something, for their DCGM utilization


def held(pods: Sequence[PodInfo], pod_costs: Mapping[str, PodCost], identities: Mapping[str, NodeIdentity]) -> Held:
    """Sums of the pods' $/h and GPUs (only pods in `pod_costs` hold anything), the earliest bind (or start) of those
    pods, and the identity and price of the node of the pod holding the most GPUs (the first such pod on a tie)."""
    hourly = gpus = 0.0
    best: tuple[float, PodCost] | None = None
    starts = []
    holding = []
    for pod in pods:
        cost = pod_costs.get(pod.uid)
        if cost is None:
            continue
        holding.append(HeldPod(pod.namespace, pod.name, cost.gpus, cost.hourly_usd))
        held_since = pod.bound or pod.started
        if held_since is not None:
            starts.append(held_since)
        hourly += cost.hourly_usd
        gpus += cost.gpus
        if best is None or cost.gpus > best[0]:
            best = (cost.gpus, cost)
    ident = identities.get(best[1].node) if best else None
    price = best[1].price if best else None
    return Held(
        hourly_usd=hourly,
        gpus=gpus,
        gpu_model=(ident.gpu_model or "") if ident else "",
        instance_type=(ident.instance_type or "") if ident else "",
        capacity_type=ident.capacity_type.value if ident else "",
        price_source=price.source if price else "",
        price_as_of=price.as_of.isoformat() if price and price.as_of else "",
        price_estimated=price.estimated if price else None,
        price_stale=price.stale if price else None,
        earliest_start=min(starts) if starts else None,
        node=best[1].node if best else None,
        pods=tuple(holding),
    )


@dataclass(frozen=True)
class JobFacts:
    """The parts of a status that depend only on the workload object, its pods, their costs and node identities."""

    parsed: ParsedAnnotations
    held: Held
    annotation_progress: float | None  # furthest `trainspend.io/progress` of the workload and its pods
    queue: str  # "" when neither the workload nor a pod names a Kueue queue


def job_facts(
    workload: WorkloadInfo,
    pods: Sequence[PodInfo],
    pod_costs: Mapping[str, PodCost],
    identities: Mapping[str, NodeIdentity],
    parsed: ParsedAnnotations | None = None,
) -> JobFacts:
    """The facts of one workload from scratch (`parsed` when the caller already parsed these annotations)."""
    progress = merge_progress(workload.annotations, ())
    for pod in pods:
        mine = merge_progress(pod.annotations, ())
        if mine is not None and (progress is None or mine > progress):
            progress = mine
    return JobFacts(
        parsed=parsed if parsed is not None else parse_workload_annotations(workload.annotations),
        held=held(pods, pod_costs, identities),
        annotation_progress=progress,
        queue=queue_of(workload.labels, (pod.labels for pod in pods)),
    )


@dataclass
class _Entry:
    workload: WorkloadInfo
    pods: tuple[PodInfo, ...]
    costs: tuple[PodCost | None, ...]
    identity: NodeIdentity | None  # of facts.held.node
    facts: JobFacts


@dataclass
class JobFactsMemo:
    """`job_facts` per workload uid, reused while the workload, its pods, their costs and the identity of the node
    its price came from are equal (compared by identity first) to those of the round before. A round is the calls
    between two `end_round`s: an entry not asked for in a round (a workload that left the cluster) is dropped."""

    _entries: dict[str, _Entry] = field(default_factory=dict)
    _round: dict[str, _Entry] = field(default_factory=dict)

    def end_round(self) -> None:
        self._entries, self._round = self._round, {}

    def __len__(self) -> int:
        return len(self._entries)

    def facts(
        self,
        workload: WorkloadInfo,
        pods: Sequence[PodInfo],
        pod_costs: Mapping[str, PodCost],
        identities: Mapping[str, NodeIdentity],
    ) -> JobFacts:
        uid = workload.ref.uid
        pods = tuple(pods)
        costs = tuple([pod_costs.get(pod.uid) for pod in pods])
        entry = self._round.get(uid) or self._entries.get(uid)
        if entry is not None and entry.pods == pods and entry.costs == costs:
            node = entry.facts.held.node
            same_identity = node is None or identities.get(node) == entry.identity
            if same_identity and (entry.workload is workload or entry.workload == workload):
                self._round[uid] = entry
                return entry.facts
        parsed = None
        if entry is not None and entry.workload.annotations == workload.annotations:
            parsed = entry.facts.parsed  # the same object: the estimate memo keys on it
        facts = job_facts(workload, pods, pod_costs, identities, parsed)
        node = facts.held.node
        self._round[uid] = _Entry(workload, pods, costs, identities.get(node) if node else None, facts)
        return facts


def running_seconds(previous: WorkloadStatus | None, held_now: Held, now: datetime) -> float:
    """Wall time the Job held resources, carried across ticks and restarts (the store keeps the last value):
    the previous value plus the time since the previous tick, or since its pods (re)started if that is shorter (a
    preemption gap); unchanged while it holds nothing."""
    if previous is None or previous.observed_at is None:
        if held_now.hourly_usd > 0 and held_now.earliest_start is not None:
            return max(0.0, (now - held_now.earliest_start).total_seconds())
        return 0.0
    delta = max(0.0, (now - previous.observed_at).total_seconds())
    if held_now.hourly_usd > 0 and held_now.earliest_start is not None:
        delta = min(delta, max(0.0, (now - held_now.earliest_start).total_seconds()))
        return previous.running_seconds + delta
    return previous.running_seconds


def needs_estimate(facts: JobFacts) -> tuple[str, int] | None:
    """(GPU model, whole GPUs) to ask the estimator about, or None when the workload holds no identified GPU."""
    if facts.held.gpus > 0 and facts.held.gpu_model:
        return facts.held.gpu_model, max(1, round(facts.held.gpus))
    return None


def job_status(
    workload: WorkloadInfo,
    facts: JobFacts,
    team: str,
    cost_usd: float,
    previous: WorkloadStatus | None,
    now: datetime,
    estimate: Callable[[JobFacts], EstimateAnswer],
    routes: Mapping[tuple[str, str], QueueRoute] | None = None,
    readings: Mapping[tuple[str, str], float] | None = None,
    stale_after_seconds: float | None = None,
) -> WorkloadStatus:
    """The workload's status at `now`: `facts` joined with the accrued `cost_usd`, the running time and throughput
    window carried from `previous`, and the projection (`monitor.core.domain.projection`). `estimate` answers for
    the held hardware when `needs_estimate(facts)`; otherwise the previous status's estimate is kept (a preempted
    Job keeps its expected duration). Fields the pods say nothing about right now (GPU model, price, queue) keep
    the previous status's values. `routes`: Kueue LocalQueue → ClusterQueue and cohort; `readings`: this tick's DCGM
    utilization by (namespace, pod), None without a source (`monitor.core.domain.gpu_waste`); `stale_after_seconds`:
    how old a workload status's progress may be to be used (`monitor.core.domain.progress_sources`)."""
    spec = facts.parsed.spec
    problems = list(facts.parsed.problems)
    hold = facts.held
    running = running_seconds(previous, hold, now)
    expected: WorkloadEstimate | None = None
    if needs_estimate(facts) is not None:
        answer = estimate(facts)
        if isinstance(answer, AnnotationProblem):
            problems.append(answer)
        else:
            expected = answer
    elif previous is not None and previous.estimate is not None:
        expected = WorkloadEstimate(float(str(previous.estimate.get("total_hours", 0))) * 3600, previous.estimate)
    reported = choose_progress(facts.annotation_progress, workload, running, now, stale_after_seconds)
    progress = reported.progress
    window = advance(previous.rate_window if previous else None, hold.earliest_start, progress, running)
    current_progress, effective_seconds = extrapolate(window, progress, running)
    projection = project(
        ProjectionInput(
            now=now,
            cost_usd=cost_usd,
            hourly_cost_usd=hold.hourly_usd,
            running_seconds=effective_seconds,
            progress=current_progress,
            estimate_total_seconds=expected.total_seconds if expected and expected.total_seconds > 0 else None,
            state=workload.state,
            finished=workload.finished,
        )
    )
    budget_state = ""
    if spec.budget_usd is not None:
        budget_state = job_budget_status(
            workload.ref.key, spec.budget_usd, cost_usd, projection.projected_cost_usd, workload.created
        ).state
    model = spec.model or (str(spec.model_config.get("model_type", "custom")) if spec.model_config else "")
    waste = _waste(hold, readings, previous, cost_usd)
    queue = facts.queue or (previous.queue if previous else "")
    route = (routes or {}).get((workload.ref.namespace, queue), NO_ROUTE) if queue else NO_ROUTE
    if not route.cluster_queue and previous is not None and queue and queue == previous.queue:
        route = QueueRoute(previous.cluster_queue, previous.cohort)  # its LocalQueue is gone or not listed yet
    if current_progress != progress:
        progress_source = "extrapolated"
    elif projection.progress_source == "reported" and reported.source:
        progress_source = reported.source
    else:
        progress_source = projection.progress_source
    # Every value below is already typed (validated models, floats summed from validated costs): validating the
    # 40 fields again cost ~2 µs each x 1,000 jobs a tick, and model_construct ~12 µs (`built`: ~3 µs). The two
    # constrained fields keep their check.
    values = {
        "ref": workload.ref,
        "team": team,
        "queue": queue,
        "cluster_queue": route.cluster_queue,
        "cohort": route.cohort,
        "admission_wait_seconds": first_admission_wait_seconds(
            workload.created,
            workload.admitted_at,
            previous.admission_wait_seconds if previous else None,
            previous.observed_at if previous and previous.running_seconds > 0 else None,
        ),
        "labels": dict(workload.labels),
        "state": workload.state,
        "cost_usd": cost_usd,
        "hourly_cost_usd": hold.hourly_usd,
        "projected_cost_usd": projection.projected_cost_usd,
        "remaining_cost_usd": projection.remaining_cost_usd,
        "expected_completion": projection.expected_completion,
        "progress": projection.progress,
        "projection_basis": projection.basis,
        "progress_source": progress_source,
        "gpus": hold.gpus,
        "gpu_utilization": waste.utilization if waste else None,
        "unused_gpu_cost_usd": waste.unused_usd if waste else (previous.unused_gpu_cost_usd if previous else 0.0),
        "unused_gpu_cost_basis_usd": waste.basis_usd if waste else None,
        "budget_usd": spec.budget_usd,
        "budget_state": budget_state,
        "started": hold.earliest_start or (previous.started if previous else None) or workload.created,
        "finished": workload.finished,
        "model": model,
        "method": spec.method.value if spec.method else "",
        "gpu_model": hold.gpu_model or (previous.gpu_model if previous else ""),
        "instance_type": hold.instance_type or (previous.instance_type if previous else ""),
        "capacity_type": hold.capacity_type or (previous.capacity_type if previous else ""),
        "price_source": hold.price_source or (previous.price_source if previous else ""),
        "price_as_of": hold.price_as_of or (previous.price_as_of if previous else ""),
        "price_estimated": hold.price_estimated
        if hold.price_source
        else (previous.price_estimated if previous else None),
        "price_stale": hold.price_stale if hold.price_source else (previous.price_stale if previous else None),
        "estimate": expected.summary if expected else None,
        "problems": tuple(problems),
        "running_seconds": running,
        "progress_stale": reported.stale,
        "rate_window": window,
        "observed_at": now,
    }
    return built(WorkloadStatus, values) if cost_usd >= 0 and hold.hourly_usd >= 0 else WorkloadStatus(**values)


def _waste(
    hold: Held, readings: Mapping[tuple[str, str], float] | None, previous: WorkloadStatus | None, cost_usd: float
) -> Waste | None:
    """The Job's utilization and unused GPU cost (monitor.core.domain.gpu_waste); None without a source."""
    if readings is None:
        return None
    utilization, share = job_utilization(hold.pods, readings)
    last = None
    if previous is not None and previous.unused_gpu_cost_basis_usd is not None:
        last = Waste(previous.gpu_utilization, previous.unused_gpu_cost_usd, previous.unused_gpu_cost_basis_usd)
    return accrue(last, cost_usd, utilization, share)


def cost_only_status(
    workload: WorkloadInfo, team: str, cost_usd: float, previous: WorkloadStatus | None, now: datetime, error: Exception
) -> WorkloadStatus:
    """A workload whose derived fields failed: its identity and cost so far, and a problem saying why no more."""
    problem = AnnotationProblem(
        annotation=PREFIX.rstrip("/"),
        value="",
        message=clip(f"no projection could be made ({type(error).__name__}: {error}); the cost so far is exact"),
    )
    return WorkloadStatus(
        ref=workload.ref,
        team=team,
        labels=dict(workload.labels),
        state=workload.state,
        cost_usd=max(cost_usd, 0.0),
        hourly_cost_usd=0.0,
        started=previous.started if previous else workload.created,
        finished=workload.finished,
        problems=(problem,),
        running_seconds=previous.running_seconds if previous else 0.0,
        unused_gpu_cost_usd=previous.unused_gpu_cost_usd if previous else 0.0,  # a counter: never back to 0
        unused_gpu_cost_basis_usd=previous.unused_gpu_cost_basis_usd if previous else None,
        observed_at=now,
    )
