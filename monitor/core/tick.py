"""One tick of the agent (DESIGN §3): observe → price → attribute → accrue → project → budgets → one TickResult.

The agent composes the pure domain with injected ports (cluster view, pricer, store, clock, events, leader); it holds
no adapter of its own, so every step is tested with in-memory fakes. Only the leader accrues; followers compute the
same view for the read API from what the store holds.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.core.domain.accrual import LedgerChanges, plan
from monitor.core.domain.annotations import PREFIX, JobSpec, ParsedAnnotations, merge_progress, parse_job_annotations
from monitor.core.domain.attribution import Attribution, PodCost, PricedNode
from monitor.core.domain.bounded import clip
from monitor.core.domain.budgets import BudgetSpec, BudgetWorkload, evaluate_budget, job_budget_status
from monitor.core.domain.gpu_waste import HeldPod, Waste, accrue, job_utilization
from monitor.core.domain.model import ClusterSnapshot, NodeIdentity, NodeInfo, PodInfo, WorkloadInfo
from monitor.core.domain.node_memo import NodeAttributionMemo
from monitor.core.domain.periods import period_bounds
from monitor.core.domain.price_history import PriceHistory
from monitor.core.domain.progress_sources import choose as choose_progress
from monitor.core.domain.projection import FINISHED_STATES, ProjectionInput, project
from monitor.core.domain.queues import NO_ROUTE, QueueRoute, first_admission_wait_seconds, queue_of, queue_routes
from monitor.core.domain.rate_window import advance, extrapolate
from monitor.core.domain.result import AnnotationProblem, BudgetStatus, JobStatus, TickResult, TickStats
from monitor.core.domain.snapshot_schedule import SnapshotSchedule
from monitor.core.domain.workload_estimate import EstimateKey, WorkloadEstimate, estimate_workload
from monitor.core.ports import (
    Clock,
    ClusterSource,
    EventRecorder,
    GpuUtilizationSource,
    LeaderElector,
    NodePricer,
    Store,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentConfig:
    cluster: str
    team_label: str = "team"
    budgets: tuple[BudgetSpec, ...] = ()
    finished_job_ttl_seconds: float = 3600.0
    job_snapshot_interval_seconds: float = 300.0
    trainer_status_stale_seconds: float | None = None  # None: never stale (monitor.core.domain.progress_sources)


@dataclass(frozen=True)
class _Held:
    """What a workload's pods hold now (bound to a node and not finished)."""

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


def _billable(cost: PodCost | None) -> bool:
    return cost is not None and cost.hourly_usd > 0


class Agent:
    def __init__(
        self,
        config: AgentConfig,
        cluster: ClusterSource,
        identify: Callable[[NodeInfo], NodeIdentity],
        pricer: NodePricer,
        store: Store,
        clock: Clock,
        events: EventRecorder | None = None,
        leader: LeaderElector | None = None,
        utilization: GpuUtilizationSource | None = None,
    ) -> None:
        self._config = config
        self._cluster = cluster
        self._identify = identify
        self._pricer = pricer
        self._store = store
        self._clock = clock
        self._events = events
        self._leader = leader
        self._utilization = utilization
        self._readings: Mapping[tuple[str, str], float] | None = None  # this tick's DCGM readings; None: no source
        self._estimates: dict[str, WorkloadEstimate | AnnotationProblem | None] = {}
        self._previous: dict[str, JobStatus] | None = None
        # Every workload ever accounted (store snapshots + this process): budgets need the namespace, team and labels
        # of Jobs that finished long ago but spent inside the current period.
        self._known: dict[str, JobStatus] = {}
        self._reported: set[tuple[str, str, str]] = set()  # (uid, annotation, value) already logged
        self._failed: set[tuple[str, str]] = set()  # (uid, exception type) whose traceback was logged once
        # The watch cache hands out the same immutable objects until they change: derive per object, not per tick.
        self._identities: dict[str, tuple[NodeInfo, NodeIdentity]] = {}
        self._annotations: dict[str, tuple[WorkloadInfo, ParsedAnnotations]] = {}
        self._pod_progress: dict[str, tuple[PodInfo, float | None]] = {}  # pod uid → (pod, its reported progress)
        # Per workload uid: (spec, gpu model, gpus, answer). Building the estimator's cache key (a JSON dump of the
        # spec) per job per tick cost ~10 ms a tick at 1,000 jobs; the spec object only changes with the annotations.
        self._job_estimates: dict[str, tuple[JobSpec, str, int, WorkloadEstimate | AnnotationProblem | None]] = {}
        self._prices = PriceHistory()  # what each node cost at recent ticks: spans learned late are rated at it
        self._attribution = NodeAttributionMemo()
        self._touched: set[str] = set()  # nodes whose segments the last plan changed
        self._committed_at: datetime | None = None
        self._snapshots = SnapshotSchedule(config.job_snapshot_interval_seconds)

    def tick(self) -> TickResult:
        started = time.perf_counter()
        now = self._clock.now()
        snapshot = self._cluster.snapshot()
        if self._previous is None:
            # After a restart, the store's last snapshots carry running time and finished Jobs forward.
            self._previous = {job.ref.uid: job for job in self._store.jobs()}
            self._known = dict(self._previous)
        # Until every initial list has arrived the view is partial (pods before their owners): accrue nothing yet.
        is_leader = (self._leader.is_leader() if self._leader is not None else True) and snapshot.synced
        identities = {node.name: self._identity(node) for node in snapshot.nodes}
        if len(self._identities) > 2 * len(identities) + 100:  # forget nodes that left the cluster
            self._identities = {name: v for name, v in self._identities.items() if name in identities}
        if len(self._pod_progress) > 2 * len(snapshot.pods) + 100:  # forget pods that left the cluster
            pods = {pod.uid for pod in snapshot.pods}
            self._pod_progress = {uid: v for uid, v in self._pod_progress.items() if uid in pods}
        if len(self._annotations) > 2 * len(snapshot.workloads) + 100:
            live = {w.ref.uid for w in snapshot.workloads}
            self._annotations = {uid: v for uid, v in self._annotations.items() if uid in live}
            self._job_estimates = {uid: v for uid, v in self._job_estimates.items() if uid in live}
        priced = [
            PricedNode(node, identities[node.name], self._pricer.price(identities[node.name]))
            for node in snapshot.nodes
        ]
        attribution, unchanged = self._attribution.attribute(priced, snapshot.pods, snapshot.claims)
        if is_leader:
            changed = self._store.commit_ledger(self._plan(snapshot, priced, attribution, unchanged, now))
            if changed:
                log.debug("ledger: %d segment changes", changed)
        costs = self._store.workload_costs()
        self._readings = self._read_utilization()
        jobs = self._jobs(snapshot, attribution, identities, costs, now)
        if is_leader:
            self._store.save_jobs(now, self._snapshots.due(jobs, now))
        budgets = self._budgets(jobs, now)
        self._previous = {job.ref.uid: job for job in jobs}
        self._known.update(self._previous)
        return TickResult(
            cluster=self._config.cluster,
            at=now,
            jobs=tuple(jobs),
            budgets=tuple(budgets),
            nodes=attribution.nodes,
            stats=TickStats(duration_seconds=time.perf_counter() - started),
            is_leader=is_leader,
        )

    def _read_utilization(self) -> Mapping[tuple[str, str], float] | None:
        if self._utilization is None:
            return None
        try:
            return self._utilization.utilization()
        except Exception:  # a broken source never stops accounting: this tick measures nothing
            log.exception("GPU utilization source failed")
            return {}

    def _waste(
        self, pods: Sequence[PodInfo], pod_costs: Mapping[str, PodCost], previous: JobStatus | None, cost: float
    ) -> Waste | None:
        """The Job's utilization and unused GPU cost (monitor.core.domain.gpu_waste); None without a source."""
        if self._readings is None:
            return None
        held = [
            HeldPod(pod.namespace, pod.name, c.gpus, c.hourly_usd)
            for pod in pods
            if (c := pod_costs.get(pod.uid)) is not None
        ]
        utilization, share = job_utilization(held, self._readings)
        last = None
        if previous is not None and previous.unused_gpu_cost_basis_usd is not None:
            last = Waste(previous.gpu_utilization, previous.unused_gpu_cost_usd, previous.unused_gpu_cost_basis_usd)
        return accrue(last, cost, utilization, share)

    def _identity(self, node: NodeInfo) -> NodeIdentity:
        cached = self._identities.get(node.name)
        if cached is not None and cached[0] is node:
            return cached[1]
        identity = self._identify(node)
        self._identities[node.name] = (node, identity)
        return identity

    def _reported_progress(self, workload: WorkloadInfo, pods: Sequence[PodInfo]) -> float | None:
        """`merge_progress` of the workload and its pods (the furthest along), each pod's own value derived once per
        pod object: parsing 20k pods' annotations a tick was ~12 ms, and only the pods that changed need it."""
        best = merge_progress(workload.annotations, ())
        for pod in pods:
            cached = self._pod_progress.get(pod.uid)
            if cached is None or cached[0] is not pod:
                cached = self._pod_progress[pod.uid] = (pod, merge_progress(pod.annotations, ()))
            if cached[1] is not None and (best is None or cached[1] > best):
                best = cached[1]
        return best

    def _parsed(self, workload: WorkloadInfo) -> ParsedAnnotations:
        cached = self._annotations.get(workload.ref.uid)
        if cached is not None and (cached[0] is workload or cached[0].annotations == workload.annotations):
            return cached[1]
        parsed = parse_job_annotations(workload.annotations)
        self._annotations[workload.ref.uid] = (workload, parsed)
        return parsed

    def _plan(
        self,
        snapshot: ClusterSnapshot,
        priced: Sequence[PricedNode],
        attribution: Attribution,
        unchanged: set[str],
        now: datetime,
    ) -> LedgerChanges:
        ledger = self._store.ledger()
        present = {node.info.name for node in priced}
        self._prices.observe(priced, ledger.accrued_until)
        self._prices.forget(present, ledger.accrued_until or now)
        breaks = self._prices.breaks()
        # A node needs no planning when its inputs are the objects of the last tick, that tick (committed by us, the
        # ledger's last writer) changed nothing on it, and its price did not change since.
        skip: set[str] = set()
        if ledger.accrued_until is not None and ledger.accrued_until == self._committed_at:
            skip = unchanged - self._touched - breaks.keys()
        changes = plan(
            snapshot.pods, attribution.pods, present, self._prices.rates_for(snapshot.claims), ledger, now, breaks, skip
        )
        self._touched = {segment.node for segment in changes.opens}
        self._touched.update(
            ledger.open[close.pod_uid].node for close in changes.closes if close.pod_uid in ledger.open
        )
        self._committed_at = now
        return changes

    def _jobs(
        self,
        snapshot: ClusterSnapshot,
        attribution: Attribution,
        identities: dict[str, NodeIdentity],
        costs: dict[str, float],
        now: datetime,
    ) -> list[JobStatus]:
        assert self._previous is not None
        pods_by_owner: dict[str, list[PodInfo]] = defaultdict(list)
        for pod in snapshot.pods:
            if pod.owner is not None:
                pods_by_owner[pod.owner.uid].append(pod)
        jobs: list[JobStatus] = []
        seen: set[str] = set()
        routes = queue_routes(snapshot.queues)
        for workload in snapshot.workloads:
            pods = pods_by_owner.get(workload.ref.uid, [])
            if (
                workload.ref.kind == "Pod"
                and costs.get(workload.ref.uid, 0.0) <= 0
                and not any(_billable(attribution.pods.get(p.uid)) for p in pods)
            ):
                # A bare pod that holds nothing billable (e.g. a DaemonSet pod on a GPU node, which attribution
                # lists at $0/h) is not a training workload: thousands of them would each become a $0 JobStatus.
                continue
            seen.add(workload.ref.uid)
            try:
                jobs.append(self._job(workload, pods, attribution.pods, identities, costs, now, routes))
            except Exception as error:
                # One broken workload never stops the others, nor vanishes: it keeps its cost, without a projection.
                if (workload.ref.uid, type(error).__name__) not in self._failed:
                    self._failed.add((workload.ref.uid, type(error).__name__))
                    log.exception("could not project %s; it is shown with its cost only", workload.ref.key)
                previous = self._previous.get(workload.ref.uid)
                team = workload.labels.get(self._config.team_label, "")
                jobs.append(_cost_only_job(workload, team, costs.get(workload.ref.uid, 0.0), previous, now, error))
        jobs.extend(self._gone_jobs(seen, costs, now))
        return jobs

    def _gone_jobs(self, seen: set[str], costs: dict[str, float], now: datetime) -> Iterable[JobStatus]:
        """Workloads no longer in the cluster: kept (finished, cost frozen) until the TTL passes."""
        assert self._previous is not None
        for uid, job in self._previous.items():
            if uid in seen:
                continue
            finished = job.finished or job.observed_at or now
            if (now - finished).total_seconds() > self._config.finished_job_ttl_seconds:
                continue
            state = job.state if job.state in FINISHED_STATES else "Deleted"
            cost = costs.get(uid, job.cost_usd)
            yield job.model_copy(
                update={
                    "state": state,
                    "finished": finished,
                    "hourly_cost_usd": 0.0,
                    "gpus": 0.0,
                    "gpu_utilization": None,
                    "cost_usd": cost,
                }
            )

    def _held(
        self, pods: Sequence[PodInfo], pod_costs: Mapping[str, PodCost], identities: dict[str, NodeIdentity]
    ) -> _Held:
        hourly = gpus = 0.0
        best: tuple[float, PodCost] | None = None
        starts = []
        for pod in pods:
            cost = pod_costs.get(pod.uid)  # only pods holding their node now (bound, not finished or deleted)
            if cost is None:
                continue
            held_since = pod.bound or pod.started
            if held_since is not None:
                starts.append(held_since)
            hourly += cost.hourly_usd
            gpus += cost.gpus
            if best is None or cost.gpus > best[0]:
                best = (cost.gpus, cost)
        ident = identities.get(best[1].node) if best else None
        price = best[1].price if best else None
        return _Held(
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
        )

    def _job(
        self,
        workload: WorkloadInfo,
        pods: list[PodInfo],
        pod_costs: Mapping[str, PodCost],
        identities: dict[str, NodeIdentity],
        costs: dict[str, float],
        now: datetime,
        routes: Mapping[tuple[str, str], QueueRoute] | None = None,
    ) -> JobStatus:
        assert self._previous is not None
        parsed = self._parsed(workload)
        spec = parsed.spec
        problems = list(parsed.problems)
        held = self._held(pods, pod_costs, identities)
        previous = self._previous.get(workload.ref.uid)
        running_seconds = self._running_seconds(previous, held, now)
        estimate = None
        if held.gpus > 0 and held.gpu_model:
            answer = self._job_estimate(workload.ref.uid, spec, held.gpu_model, max(1, round(held.gpus)))
            if isinstance(answer, AnnotationProblem):
                problems.append(answer)
            else:
                estimate = answer
        elif previous is not None and previous.estimate is not None:
            estimate = WorkloadEstimate(float(str(previous.estimate.get("total_hours", 0))) * 3600, previous.estimate)
        reported = choose_progress(
            self._reported_progress(workload, pods),
            workload,
            running_seconds,
            now,
            self._config.trainer_status_stale_seconds,
        )
        progress = reported.progress
        cost = costs.get(workload.ref.uid, 0.0)
        waste = self._waste(pods, pod_costs, previous, cost)
        state = workload.state
        window = advance(previous.rate_window if previous else None, held.earliest_start, progress, running_seconds)
        current_progress, effective_seconds = extrapolate(window, progress, running_seconds)
        projection = project(
            ProjectionInput(
                now=now,
                cost_usd=cost,
                hourly_cost_usd=held.hourly_usd,
                running_seconds=effective_seconds,
                progress=current_progress,
                estimate_total_seconds=estimate.total_seconds if estimate and estimate.total_seconds > 0 else None,
                state=state,
                finished=workload.finished,
            )
        )
        self._report(workload, problems)
        budget_state = ""
        if spec.budget_usd is not None:
            budget_state = job_budget_status(
                workload.ref.key, spec.budget_usd, cost, projection.projected_cost_usd, workload.created
            ).state
        model = spec.model or (str(spec.model_config.get("model_type", "custom")) if spec.model_config else "")
        # Every value below is already typed (validated models, floats summed from validated costs): validating the
        # 30 fields again cost ~2 µs each x 1,000 jobs a tick. The two constrained fields keep their check.
        build = JobStatus.model_construct if cost >= 0 and held.hourly_usd >= 0 else JobStatus
        queue = queue_of(workload.labels, (pod.labels for pod in pods)) or (previous.queue if previous else "")
        route = (routes or {}).get((workload.ref.namespace, queue), NO_ROUTE) if queue else NO_ROUTE
        if not route.cluster_queue and previous is not None and queue and queue == previous.queue:
            route = QueueRoute(previous.cluster_queue, previous.cohort)  # its LocalQueue is gone or not listed yet
        return build(
            ref=workload.ref,
            team=workload.labels.get(self._config.team_label, ""),
            queue=queue,
            cluster_queue=route.cluster_queue,
            cohort=route.cohort,
            admission_wait_seconds=first_admission_wait_seconds(
                workload.created,
                workload.admitted_at,
                previous.admission_wait_seconds if previous else None,
                previous.observed_at if previous and previous.running_seconds > 0 else None,
            ),
            labels=dict(workload.labels),
            state=state,
            cost_usd=cost,
            hourly_cost_usd=held.hourly_usd,
            projected_cost_usd=projection.projected_cost_usd,
            remaining_cost_usd=projection.remaining_cost_usd,
            expected_completion=projection.expected_completion,
            progress=projection.progress,
            projection_basis=projection.basis,
            progress_source="extrapolated"
            if current_progress != progress
            else (
                reported.source
                if projection.progress_source == "reported" and reported.source
                else projection.progress_source
            ),
            gpus=held.gpus,
            gpu_utilization=waste.utilization if waste else None,
            unused_gpu_cost_usd=waste.unused_usd if waste else (previous.unused_gpu_cost_usd if previous else 0.0),
            unused_gpu_cost_basis_usd=waste.basis_usd if waste else None,
            budget_usd=spec.budget_usd,
            budget_state=budget_state,
            started=held.earliest_start or (previous.started if previous else None) or workload.created,
            finished=workload.finished,
            model=model,
            method=spec.method.value if spec.method else "",
            gpu_model=held.gpu_model or (previous.gpu_model if previous else ""),
            instance_type=held.instance_type or (previous.instance_type if previous else ""),
            capacity_type=held.capacity_type or (previous.capacity_type if previous else ""),
            price_source=held.price_source or (previous.price_source if previous else ""),
            price_as_of=held.price_as_of or (previous.price_as_of if previous else ""),
            price_estimated=held.price_estimated
            if held.price_source
            else (previous.price_estimated if previous else None),
            price_stale=held.price_stale if held.price_source else (previous.price_stale if previous else None),
            estimate=estimate.summary if estimate else None,
            problems=tuple(problems),
            running_seconds=running_seconds,
            progress_stale=reported.stale,
            rate_window=window,
            observed_at=now,
        )

    @staticmethod
    def _running_seconds(previous: JobStatus | None, held: _Held, now: datetime) -> float:
        """Wall time the Job held resources, carried across ticks and restarts (the store keeps the last value)."""
        if previous is None or previous.observed_at is None:
            if held.hourly_usd > 0 and held.earliest_start is not None:
                return max(0.0, (now - held.earliest_start).total_seconds())
            return 0.0
        delta = max(0.0, (now - previous.observed_at).total_seconds())
        if held.hourly_usd > 0 and held.earliest_start is not None:
            # Held resources since the last tick, or since its pods (re)started in between (preemption gap).
            delta = min(delta, max(0.0, (now - held.earliest_start).total_seconds()))
            return previous.running_seconds + delta
        return previous.running_seconds

    def _job_estimate(
        self, uid: str, spec: JobSpec, gpu_model: str, gpus: int
    ) -> WorkloadEstimate | AnnotationProblem | None:
        cached = self._job_estimates.get(uid)
        if cached is not None and cached[0] is spec and cached[1] == gpu_model and cached[2] == gpus:
            return cached[3]
        answer = self._estimate(EstimateKey(spec=spec, gpu_model=gpu_model, gpus=gpus))
        self._job_estimates[uid] = (spec, gpu_model, gpus, answer)
        return answer

    def _estimate(self, key: EstimateKey) -> WorkloadEstimate | AnnotationProblem | None:
        cache_key = key.cache_key
        if cache_key not in self._estimates:
            try:
                self._estimates[cache_key] = estimate_workload(key)
            except Exception as exc:  # an estimator bug must not stop accounting
                log.exception("estimate failed for %s", cache_key)
                self._estimates[cache_key] = AnnotationProblem(
                    annotation="trainspend.io/model", value="", message=str(exc)
                )
        return self._estimates[cache_key]

    def _report(self, workload: WorkloadInfo, problems: Sequence[AnnotationProblem]) -> None:
        for problem in problems:
            key = (workload.ref.uid, problem.annotation, problem.value)
            if key in self._reported:
                continue  # once per distinct problem, not every tick (the Event recorder dedups the same way)
            self._reported.add(key)
            log.warning("%s: %s=%r: %s", workload.ref.key, problem.annotation, problem.value, problem.message)
            if self._events is not None:
                try:
                    self._events.record(
                        workload.ref, "InvalidAnnotation", f"{problem.annotation}={problem.value!r}: {problem.message}"
                    )
                except Exception:
                    log.exception("could not record an Event on %s", workload.ref.key)

    def _budgets(self, jobs: Sequence[JobStatus], now: datetime) -> list[BudgetStatus]:
        spend_by_start: dict[datetime, dict[str, float]] = {}
        statuses = []
        for spec in self._config.budgets:
            start, _ = period_bounds(spec.period, now)
            if start not in spend_by_start:
                spend_by_start[start] = self._store.workload_spend_since(start)
            spend = spend_by_start[start]
            live = {job.ref.uid: job for job in jobs}
            workloads = [
                _budget_workload(job, spend.get(job.ref.uid, 0.0), job.ref.uid in live)
                for job in {**self._known, **live}.values()
                if job.ref.uid in live or spend.get(job.ref.uid, 0.0) > 0
            ]
            statuses.append(evaluate_budget(spec, workloads, now))
        return statuses


def _cost_only_job(
    workload: WorkloadInfo, team: str, cost_usd: float, previous: JobStatus | None, now: datetime, error: Exception
) -> JobStatus:
    """A workload whose derived fields failed: its identity and cost so far, and a problem saying why no more."""
    problem = AnnotationProblem(
        annotation=PREFIX.rstrip("/"),
        value="",
        message=clip(f"no projection could be made ({type(error).__name__}: {error}); the cost so far is exact"),
    )
    return JobStatus(
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


def _budget_workload(job: JobStatus, spend_usd: float, live: bool) -> BudgetWorkload:
    """What a budget needs of one Job. A Job that is live but holds nothing right now (preempted, pending a reschedule)
    still has work left: it counts at its average burn so far, so a spot preemption does not make the budget's
    projection collapse to its spend (and resolve, then re-fire, its alerts)."""
    unfinished = live and job.state not in FINISHED_STATES and job.remaining_cost_usd is not None
    hourly = job.hourly_cost_usd if live else 0.0
    if unfinished and hourly <= 0 and job.running_seconds > 0:
        hourly = job.cost_usd * 3600.0 / job.running_seconds
    return BudgetWorkload(
        uid=job.ref.uid,
        namespace=job.ref.namespace,
        spend_usd=spend_usd,
        team=job.team,
        queue=job.queue,
        cluster_queue=job.cluster_queue,
        cohort=job.cohort,
        labels=job.labels,
        hourly_cost_usd=hourly,
        remaining_cost_usd=job.remaining_cost_usd.p50 if unfinished and job.remaining_cost_usd else None,
        running=live and (job.hourly_cost_usd > 0 or unfinished),
    )
